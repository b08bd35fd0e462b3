"""``scp-fix check --format sarif``: valid SARIF 2.1.0 (the OASIS schema, kept in tests/sarif/), one
result per blocked authorization at the denying statement, a rule per finding code."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from rewriter.cli import app
from rewriter.vocabulary import RULES, Code

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SCHEMA = json.loads((Path(__file__).parent / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
JP = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
GLOBAL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
runner = CliRunner()


def sarif(*args: str) -> tuple[int, dict]:
    result = runner.invoke(app, ["check", *args, "--format", "sarif"])
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    return result.exit_code, log


def test_a_blocked_profile_gives_one_result_per_denied_authorization_at_the_statement() -> None:
    code, log = sarif(str(SAMPLES / "tokyo-only.json"), "--profile", JP, "--source-region", "ap-northeast-1")
    assert code == 1 and log["version"] == "2.1.0"
    (run,) = log["runs"]
    results = run["results"]
    # both inference actions are authorized in ap-northeast-3, each denied
    assert sorted(r["properties"]["action"] for r in results) == [
        "bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream",
    ]
    for result in results:
        assert result["ruleId"] == Code.REGION_NOT_ALLOWED
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == (SAMPLES / "tokyo-only.json").as_uri()
        assert location["region"] == {"startLine": 4, "startColumn": 5}  # the Sid of DenyOutsideTokyo
        text = result["message"]["text"]
        assert JP in text and "ap-northeast-1" in text and "ap-northeast-3" in text
        assert result["properties"]["fix"] == shlex.join(
            ["scp-fix", "propose", str(SAMPLES / "tokyo-only.json"), "--profile", JP, "--source-region", "ap-northeast-1"]
        )
        assert result["properties"]["fix"] in text


def test_rules_are_the_finding_codes() -> None:
    _, log = sarif(str(SAMPLES / "tokyo-only.json"), "--profile", JP)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.code.value for r in RULES]
    assert all(r["help"]["text"] and r["shortDescription"]["text"] for r in rules)


def test_a_relative_path_stays_relative(monkeypatch) -> None:
    monkeypatch.chdir(ROOT)
    _, log = sarif("samples/tokyo-only.json", "--profile", GLOBAL, "--source-region", "ap-northeast-1")
    results = log["runs"][0]["results"]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {"samples/tokyo-only.json"}
    assert {r["ruleId"] for r in results} == {Code.UNSPECIFIED_REGION_DENIED}


def test_a_policy_that_works_gives_an_empty_valid_log() -> None:
    code, log = sarif(str(SAMPLES / "tokyo-only.json"), "--profile", JP, "--source-region", "ap-northeast-1",
                      "--no-full-access", "--profile", JP)
    assert code == 1  # with no Allow statement, everything is an implicit deny ...
    assert {r["ruleId"] for r in log["runs"][0]["results"]} >= {Code.NO_ALLOW}
    fine = runner.invoke(app, ["check", str(SAMPLES / "guardrails-with-region-deny.json"), "--profile",
                               "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "--format", "sarif"])
    log = json.loads(fine.stdout)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    assert (fine.exit_code == 0) == (log["runs"][0]["results"] == [])


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("cfn-region-deny.yaml", "Sid: DenyOutsideTokyo"),
        ("tf-jsonencode.tf", "Sid"),
    ],
)
def test_in_iac_files_the_line_is_the_templates(name: str, needle: str) -> None:
    path = SAMPLES / "iac" / name
    code, log = sarif(str(path), "--profile", JP, "--source-region", "ap-northeast-1")
    results = log["runs"][0]["results"]
    assert code == 1 and results
    lines = path.read_text(encoding="utf-8").splitlines()
    for result in results:
        region = result["locations"][0]["physicalLocation"]["region"]
        line = lines[region["startLine"] - 1]
        assert "sid" in line.lower(), (name, region, line)
        assert line[region["startColumn"] - 1 :].lower().startswith(("sid", '"sid'))
