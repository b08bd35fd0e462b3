"""The pull-request body (``propose --format markdown``): paste-ready, no Python reprs."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewriter.cli import app
from rewriter.parse import parse_policy
from rewriter.pr import change_sentences

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
JP = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
GLOBAL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
runner = CliRunner()


def markdown(*args: str):
    return runner.invoke(app, ["propose", *args, "--format", "markdown"], env={"LANG": "C", "LC_ALL": ""})


def _section(body: str, heading: str) -> str:
    match = re.search(rf"^### {re.escape(heading)}\n(.*?)(?=^### |^<sub>|\Z)", body, re.S | re.M)
    assert match, f"no section {heading!r} in:\n{body}"
    return match.group(1).strip()


def test_body_has_the_problem_the_diff_what_opens_why_and_how_to_verify() -> None:
    result = markdown(str(SAMPLES / "tokyo-only.json"), "--profile", JP, "--source-region", "ap-northeast-1")
    assert result.exit_code == 1
    body = result.stdout
    problem = body.split("\n\n")[1]
    # one sentence: profile, the denied authorization, the statement
    assert problem.startswith(f"- `{JP}` called from ap-northeast-1 fails with AccessDenied")
    assert "ap-northeast-3 (destination)" in problem and "statement 1 (DenyOutsideTokyo, line 4)" in problem
    assert "```diff\n--- a/" in body
    # the effective reading first (where the profile routes from Tokyo), then what the policy accepts
    assert _section(body, "What it newly allows").startswith(
        f"- in practice: ap-northeast-3, only through {JP}; in principle: bedrock:InvokeModel"
    )
    table = _section(body, "Why this option").splitlines()
    assert table[0] == "| option | what it newly allows |"
    assert "(chosen)" in table[2] and {"`notaction`", "`regions`"} <= {c for row in table[3:] for c in re.findall(r"`\w[\w-]*`", row)}
    verify = re.search(r"```sh\n(.*?)\n```", _section(body, "How to verify"), re.S).group(1)
    assert shlex.split(verify) == [
        "scp-fix", "check", str(SAMPLES / "tokyo-only.json"), "--profile", JP, "--source-region", "ap-northeast-1",
    ]


def test_no_python_reprs_and_changes_in_words() -> None:
    body = markdown(str(SAMPLES / "tokyo-only.json"), "--profile", JP, "--source-region", "ap-northeast-1").stdout
    assert "root[" not in body and "{'" not in body and "deepdiff" not in body.lower()
    assert "- statement 1 (DenyOutsideTokyo, line 4): adds `Condition` › `ArnNotLike` = `{" in body


def test_the_verify_command_passes_on_the_changed_policy(tmp_path: Path) -> None:
    policy = tmp_path / "policy.json"
    shutil.copyfile(SAMPLES / "tokyo-only.json", policy)
    body = markdown(str(policy), "--profile", JP).stdout
    verify = shlex.split(re.search(r"```sh\n(.*?)\n```", body, re.S).group(1))
    assert runner.invoke(app, ["propose", str(policy), "--profile", JP, "--write"]).exit_code == 1
    assert verify[:2] == ["scp-fix", "check"]
    assert runner.invoke(app, verify[1:]).exit_code == 0


def test_unspecified_is_explained_when_it_appears() -> None:
    jp = markdown(str(SAMPLES / "tokyo-only.json"), "--profile", JP, "--source-region", "ap-northeast-1",
                  "--strategy", "regions").stdout
    assert "unspecified" not in jp
    glob = markdown(str(SAMPLES / "tokyo-only.json"), "--profile", GLOBAL, "--source-region", "ap-northeast-1").stdout
    assert "About `unspecified`" in glob and "aws:RequestedRegion" in glob


def test_nothing_to_change_is_one_line(tmp_path: Path) -> None:
    fine = tmp_path / "fine.json"
    fine.write_text('{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}', encoding="utf-8")
    result = markdown(str(fine), "--profile", JP)
    assert result.exit_code == 0
    assert result.stdout == f"scp-fix: `{fine}` already lets `{JP}` through; nothing to change.\n"


def test_no_safe_change_says_why_for_each_option() -> None:
    result = markdown(str(SAMPLES / "control-tower-region-deny.json"), "--profile", GLOBAL, "--source-region", "ap-northeast-1")
    assert result.exit_code == 3
    assert result.stdout.startswith("## scp-fix: no safe change")
    assert "### Control Tower" in result.stdout and "CT.MULTISERVICE.PV.1" in result.stdout
    assert "```diff" not in result.stdout


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (
            {"Statement": [{"Sid": "A", "Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*"}]},
            {"Statement": [{"Sid": "A", "Effect": "Deny", "NotAction": ["iam:*", "bedrock:*"], "Resource": "*"}]},
            ['statement 1 (A, line 1): adds `"bedrock:*"` to `NotAction`'],
        ),
        (
            {"Statement": {"Sid": "A", "Effect": "Deny", "Action": "*", "Resource": "*"}},
            {"Statement": [{"Sid": "A", "Effect": "Deny", "Action": "*", "Resource": "*"},
                           {"Sid": "B", "Effect": "Deny", "Action": "bedrock:*", "Resource": "*"}]},
            ["`Statement` becomes a list of statements", "adds statement 2 (B), a new Deny statement"],
        ),
        (
            {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                            "Condition": {"StringNotEquals": {"aws:RequestedRegion": "ap-northeast-1"}}}]},
            {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1", "ap-northeast-3"]}}}]},
            ['statement 1 (line 1): `Condition` › `StringNotEquals` › `aws:RequestedRegion` becomes a list: '
             '`["ap-northeast-1", "ap-northeast-3"]`'],
        ),
    ],
)
def test_change_sentences(before, after, expected) -> None:
    import json

    assert change_sentences(parse_policy(json.dumps(before)), after) == expected
