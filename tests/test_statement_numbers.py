"""Statements are named as a reader counts them: from 1, with Sid and line; JSON keeps the pointer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewriter.cli import app
from rewriter.model import statement_label
from rewriter.parse import parse_policy

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


@pytest.mark.parametrize(
    ("index", "sid", "line", "expected"),
    [
        (0, "DenyOutsideTokyo", 4, "statement 1 (DenyOutsideTokyo, line 4)"),
        (2, None, 17, "statement 3 (line 17)"),
        (1, "OnlySid", None, "statement 2 (OnlySid)"),
        (0, None, None, "statement 1"),
    ],
)
def test_label_counts_from_one_with_what_is_known(index, sid, line, expected) -> None:
    assert statement_label(index, sid, line) == expected


def test_parse_records_the_line_of_the_sid_else_of_the_brace() -> None:
    text = (
        '{"Version": "2012-10-17",\n'
        ' "Statement": [\n'
        "  {\n"
        '   "Sid": "First",\n'
        '   "Effect": "Deny", "Action": "*", "Resource": "*"\n'
        "  },\n"
        '  {"Effect": "Allow", "Action": "*", "Resource": "*"}\n'
        " ]}\n"
    )
    first, second = parse_policy(text).statements
    assert (first.line, first.label) == (4, "statement 1 (First, line 4)")
    assert (second.line, second.label) == (7, "statement 2 (line 7)")


def test_a_policy_built_from_a_document_has_no_lines() -> None:
    from rewriter.model import Source
    from rewriter.parse import policy_from_document

    document = {"Statement": {"Sid": "X", "Effect": "Deny", "Action": "*", "Resource": "*"}}
    policy = policy_from_document(document, source=Source("<doc>", ""))
    assert policy.statements[0].label == "statement 1 (X)"


def _run(*args: str):
    return CliRunner().invoke(app, list(args))


def test_check_text_names_the_statement_and_json_keeps_the_pointer() -> None:
    sample = str(SAMPLES / "tokyo-only.json")
    text = _run("check", sample, "--profile", "jp.anthropic.claude-sonnet-4-5-20250929-v1:0")
    assert text.exit_code == 1
    assert "statement 1 (DenyOutsideTokyo, line 4)" in text.stdout
    assert "statement 0" not in text.stdout
    body = json.loads(
        _run("check", sample, "--profile", "jp.anthropic.claude-sonnet-4-5-20250929-v1:0", "--format", "json").stdout
    )
    denied = [r for p in body["profiles"] for r in p["requests"] if r["decision"] != "allowed"]
    assert denied and all(s["pointer"] == "/Statement" and s["index"] == 0 for r in denied for s in r["statements"])


def test_propose_summary_names_the_statement() -> None:
    result = _run(
        "propose", str(SAMPLES / "control-tower-region-deny.json"),
        "--profile", "global.anthropic.claude-sonnet-4-5-20250929-v1:0", "--source-region", "ap-northeast-1",
    )
    assert result.exit_code == 3
    assert "statement 1 (GRREGIONDENY, line 5)" in result.stderr


def test_org_check_text_names_the_statement_in_the_policy_content() -> None:
    result = _run(
        "org", "check", "--snapshot", str(SAMPLES / "org" / "snapshot.json"),
        "--profile", "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
    )
    assert result.exit_code == 1
    assert "policy TokyoOnly (p-ex12tokyo) statement 1 (DenyOutsideTokyo, line 5):" in result.stdout
