"""``scp-fix propose`` through typer's CliRunner: exit codes, output formats, --write, several files."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
from test_propose import padded_tokyo
from test_strategy_cases import GLOBAL_SONNET, JP_SONNET, SAMPLES
from typer.testing import CliRunner

from rewriter.cli import app
from rewriter.propose import SCP_SIZE_LIMIT

runner = CliRunner()
TOKYO = ("--profile", JP_SONNET, "--source-region", "ap-northeast-1")
CONTRACT = {
    "changed",
    "strategy",
    "patch",
    "policy",
    "rationale",
    "newly_allowed",
    "size",
    "alternatives",
}


def run(*args: str, input: str | None = None) -> Any:
    return runner.invoke(app, ["propose", *args], input=input)


def copy_sample(tmp_path: Path, name: str, as_name: str | None = None) -> Path:
    target = tmp_path / (as_name or name)
    shutil.copyfile(SAMPLES / name, target)
    return target


# --- exit codes ------------------------------------------------------------------------------------


def test_exit_1_when_a_change_is_proposed(tmp_path: Path) -> None:
    policy = copy_sample(tmp_path, "tokyo-only.json")
    result = run(str(policy), *TOKYO)
    assert result.exit_code == 1, result.stderr
    assert "bedrock:InferenceProfileArn" in result.stdout
    assert "proposed (profile-arn)" in result.stderr
    # not written without --write
    assert policy.read_bytes() == (SAMPLES / "tokyo-only.json").read_bytes()


def test_exit_0_when_nothing_needs_to_change(tmp_path: Path) -> None:
    result = run(
        str(SAMPLES / "guardrails-with-region-deny.json"),
        "--profile",
        "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "nothing to change" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("missing.json", *TOKYO), "no such file", id="missing-file"),
        pytest.param(
            (str(SAMPLES / "tokyo-only.json"), "--profile", "jp.no-such-model-v1:0"),
            "",
            id="unknown-profile",
        ),
        pytest.param(
            (str(SAMPLES / "tokyo-only.json"), *TOKYO[:2], "--source-region", "eu-west-1"),
            "cannot be called from",
            id="source-region-not-a-source",
        ),
    ],
)
def test_exit_2_on_bad_input(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scp-fix: ") and message in lines[0]


def test_exit_2_on_a_policy_that_does_not_parse(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"Version": "2012-10-17", "Statement": [', encoding="utf-8")
    result = run(str(bad), *TOKYO)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"scp-fix: {bad}:1:")


def test_exit_3_for_control_tower_with_its_parameters_and_1_with_force(tmp_path: Path) -> None:
    policy = copy_sample(tmp_path, "control-tower-region-deny.json")
    result = run(str(policy), *TOKYO, "--format", "json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["changed"] is False and data["patch"] == []
    assert data["control_tower"]["parameters"] == [
        {"key": "AllowedRegions", "value": ["ap-northeast-1", "ap-northeast-3"]},
        {
            "key": "ExemptedActions",
            "value": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        },
    ]
    text = run(str(policy), *TOKYO)
    assert (
        text.exit_code == 3
        and "CT.MULTISERVICE.PV.1" in text.stderr
        and '"AllowedRegions"' in text.stderr
    )
    forced = run(str(policy), *TOKYO, "--force", "--format", "json")
    assert forced.exit_code == 1
    assert json.loads(forced.stdout)["changed"] is True


def test_exit_3_when_no_change_fits_the_size_limit(tmp_path: Path) -> None:
    policy = tmp_path / "full.json"
    policy.write_text(padded_tokyo(SCP_SIZE_LIMIT - 5), encoding="utf-8")
    result = run(str(policy), *TOKYO)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert f"over the {SCP_SIZE_LIMIT}-character SCP limit" in result.stderr
    assert "characters minified" in result.stderr  # the figures are given


def test_exit_3_when_the_source_region_is_blocked_and_only_profile_arn_is_asked() -> None:
    result = run(
        str(SAMPLES / "tokyo-only.json"),
        "--profile",
        JP_SONNET,
        "--source-region",
        "ap-northeast-3",
        "--strategy",
        "profile-arn",
    )
    assert result.exit_code == 3
    assert "ap-northeast-3 must already be allowed" in result.stderr


# --- formats ---------------------------------------------------------------------------------------


def test_json_format_follows_the_contract() -> None:
    source = SAMPLES / "tokyo-only.json"
    result = run(str(source), *TOKYO, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert CONTRACT <= set(data)
    assert data["changed"] is True and data["strategy"] == "profile-arn"
    original = json.loads(source.read_text(encoding="utf-8"))
    assert jsonpatch.apply_patch(original, data["patch"]) == data["policy"]
    assert isinstance(data["rationale"], str) and data["rationale"]
    assert set(data["size"]) == {"before", "after", "after_minified", "limit"}
    assert data["size"]["limit"] == SCP_SIZE_LIMIT
    assert data["size"]["before"] == len(source.read_bytes().decode("utf-8"))  # CRLF counts
    assert data["size"]["after_minified"] == len(json.dumps(data["policy"], separators=(",", ":")))
    (row,) = data["newly_allowed"]
    assert {"actions", "regions", "condition"} <= set(row)
    assert set(row["actions"]) == {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}
    assert JP_SONNET in row["condition"] and "ap-northeast-3" in row["regions"]
    alternatives = {a["strategy"]: a for a in data["alternatives"]}
    assert set(alternatives) == {"regions", "notaction"}
    for alternative in alternatives.values():
        assert {"strategy", "newly_allowed", "size"} <= set(alternative)
        assert set(alternative["size"]) == {"before", "after", "after_minified", "limit"}
    assert (
        alternatives["regions"]["newly_allowed"][0]["condition"] is None
    )  # direct calls, every service


def test_json_format_for_nothing_to_change() -> None:
    result = run(
        str(SAMPLES / "guardrails-with-region-deny.json"),
        "--profile",
        "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "--format",
        "json",
    )
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["changed"] is False and data["strategy"] is None and data["patch"] == []
    assert data["newly_allowed"] == [] and data["alternatives"] == []


def test_patch_and_policy_formats_agree() -> None:
    source = SAMPLES / "tokyo-only.json"
    args = (
        str(source),
        "--profile",
        GLOBAL_SONNET,
        "--source-region",
        "ap-northeast-1",
        "--strategy",
        "notaction",
    )
    patch = run(*args, "--format", "patch")
    policy = run(*args, "--format", "policy")
    assert patch.exit_code == policy.exit_code == 1
    operations = json.loads(patch.stdout)
    assert all(op["op"] in ("add", "replace", "remove") for op in operations)
    original = json.loads(source.read_text(encoding="utf-8"))
    new = json.loads(policy.stdout)
    assert jsonpatch.apply_patch(original, operations) == new
    assert new["Statement"][1]["Sid"] == "DenyBedrockInferenceOutsideAllowedRegions"
    assert policy.stdout.startswith('{\n  "Version"')  # the original's two-space indentation


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_format_applies_with_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    copy_sample(tmp_path, "organizations-deny-outside-eu.json", "scp.json")
    args = (
        "scp.json",
        "--profile",
        "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "--source-region",
        "eu-central-1",
    )
    diff = run(*args)
    policy = run(*args, "--format", "policy")
    assert diff.exit_code == 1
    assert diff.stdout.startswith("--- a/scp.json\n+++ b/scp.json\n@@")
    assert "\x1b[" not in diff.stdout  # no colour when stdout is not a terminal
    (tmp_path / "change.diff").write_text(diff.stdout, encoding="utf-8")
    subprocess.run(["git", "apply", "change.diff"], cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path / "scp.json").read_text(encoding="utf-8") == policy.stdout


def test_standard_input(tmp_path: Path) -> None:
    text = (SAMPLES / "tokyo-only.json").read_text(encoding="utf-8")
    result = run("-", *TOKYO, "--format", "json", input=text)
    assert result.exit_code == 1
    assert json.loads(result.stdout)["policy_path"] == "<stdin>"
    refused = run("-", *TOKYO, "--write", input=text)
    assert refused.exit_code == 2 and "--write" in refused.stderr


# --- --write, several files, and the check -> propose -> check flow --------------------------------


def test_write_then_check_passes(tmp_path: Path) -> None:
    policy = copy_sample(tmp_path, "tokyo-only.json")
    preview = json.loads(run(str(policy), *TOKYO, "--format", "json").stdout)
    written = run(str(policy), *TOKYO, "--write")
    assert written.exit_code == 1
    assert json.loads(policy.read_text(encoding="utf-8")) == preview["policy"]
    assert policy.read_bytes().decode("utf-8") == preview["text"]  # byte for byte, CRLF kept
    again = run(str(policy), *TOKYO)
    assert again.exit_code == 0
    checked = runner.invoke(app, ["check", str(policy), *TOKYO])
    assert checked.exit_code == 0, checked.stdout


def test_check_propose_write_check_flow_gives_1_1_0(tmp_path: Path) -> None:
    policy = copy_sample(tmp_path, "deny-list-regions.json")
    profiles = (
        "--profile",
        JP_SONNET,
        "--profile",
        GLOBAL_SONNET,
        "--source-region",
        "ap-northeast-1",
    )
    codes = [
        runner.invoke(app, ["check", str(policy), *profiles]).exit_code,
        run(str(policy), *profiles, "--write").exit_code,
        runner.invoke(app, ["check", str(policy), *profiles]).exit_code,
    ]
    assert codes == [1, 1, 0]


def test_several_files_one_bad_the_others_still_processed(tmp_path: Path) -> None:
    first = copy_sample(tmp_path, "tokyo-only.json", "a.json")
    fixed = tmp_path / "b.json"
    fixed.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": {
                    "Effect": "Deny",
                    "NotAction": "iam:*",
                    "Resource": "*",
                    "Condition": {
                        "StringNotEquals": {
                            "aws:RequestedRegion": ["ap-northeast-1", "ap-northeast-3"]
                        }
                    },
                },
            }
        ),
        encoding="utf-8",
    )
    bad = tmp_path / "c.json"
    bad.write_text("{not json", encoding="utf-8")
    last = copy_sample(tmp_path, "deny-list-regions.json", "d.json")
    fixed_before = fixed.read_bytes()
    result = run(str(first), str(fixed), str(bad), str(last), *TOKYO, "--write")
    assert result.exit_code == 2  # the highest of 1, 0, 2 and 1
    assert "bedrock:InferenceProfileArn" in first.read_text(encoding="utf-8")  # before the bad file
    assert fixed.read_bytes() == fixed_before
    assert "bedrock:InferenceProfileArn" in last.read_text(encoding="utf-8")  # after the bad file
    errors = [line for line in result.stderr.splitlines() if line.startswith("scp-fix: ")]
    assert len(errors) == 1 and str(bad) in errors[0]


def test_several_files_exit_code_is_the_highest(tmp_path: Path) -> None:
    changed = copy_sample(tmp_path, "tokyo-only.json")
    managed = copy_sample(tmp_path, "control-tower-region-deny.json")
    later = copy_sample(tmp_path, "deny-list-regions.json")
    result = run(str(changed), str(managed), str(later), *TOKYO, "--format", "json")
    assert result.exit_code == 3
    documents = json.loads(result.stdout)  # one JSON list for every file, as check prints
    assert [(d["policy_path"], d["status"]) for d in documents] == [
        (str(changed), "changed"),
        (str(managed), "unsafe"),
        (str(later), "changed"),
    ]


def test_a_hook_configured_with_a_model_id_passes_after_the_fix(tmp_path: Path) -> None:
    """propose --profile <model id> fixes the profiles callers can call; check then exits 0."""
    scp = copy_sample(tmp_path, "tokyo-only.json", "scp.json")
    model = "anthropic.claude-sonnet-4-5-20250929-v1:0"
    before = runner.invoke(app, ["check", str(scp), "--profile", model])
    assert before.exit_code == 1
    proposed = run(str(scp), "--profile", model, "--format", "json")
    assert proposed.exit_code == 1, proposed.output
    data = json.loads(proposed.stdout)
    assert data["status"] == "changed"
    assert {p["profile"] for p in data["check"]["profiles"]} == {JP_SONNET, GLOBAL_SONNET}
    assert "us.anthropic.claude-sonnet-4-5-20250929-v1:0" in data["not_callable"]["profiles"]
    written = run(str(scp), "--profile", model, "--write")
    assert written.exit_code == 1, written.output
    assert written.stderr.count("not callable from ap-northeast-1") == 1
    after = runner.invoke(app, ["check", str(scp), "--profile", model])
    assert after.exit_code == 0, after.output
    assert run(str(scp), "--profile", model).exit_code == 0  # and proposing again changes nothing
