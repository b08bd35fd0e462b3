"""Bad input through the real CLI: exit 2, one line on stderr naming file:line:col (and the JSON
Pointer), something a person can act on, and never a traceback.

Each fixture in tests/data/bad/ is one mistake. The table says where the error must point; the test
also checks that the text at that line and column is the token the message is about, so a location
that is merely stable but wrong fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewriter.cli import app

ROOT = Path(__file__).resolve().parent.parent
BAD = Path(__file__).resolve().parent / "data" / "bad"
SAMPLES = ROOT / "samples"
REQUEST = ("--action", "bedrock:InvokeModel", "--region", "us-east-1")

# scp-fix: PATH:LINE:COL: MESSAGE
LOCATED = re.compile(r"^scp-fix: (?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<message>.+)$")


@dataclass(frozen=True)
class Case:
    file: str
    line: int
    column: int
    token: str  # the text at line:column (empty: end of file)
    pointer: str | None  # shown as "(at POINTER)" ("/" for the root) or in the message; None: none
    says: tuple[str, ...]  # fragments the message must contain


CASES = (
    # invalid JSON
    Case("invalid-trailing-comma.json", 6, 34, "]", "/Statement/0/Action", ("trailing comma",)),
    Case("invalid-single-quotes.json", 2, 3, "'Version'", "/", ("double quotes",)),
    Case("invalid-unterminated-string.json", 5, 17, '"Deny,', None, ("unterminated string",)),
    Case("invalid-truncated.json", 7, 19, "", "/Statement/0/Resource", ("unexpected end of file",)),
    Case("invalid-missing-colon.json", 3, 15, "[", "/Statement", ('expected ":"', '"Statement"')),
    Case("invalid-comment.json", 2, 3, "//", "/", ("double quotes",)),
    Case("invalid-two-documents.json", 2, 1, '{"Version"', None, ("extra text",)),
    Case(
        "invalid-nan.json", 8, 70, "NaN",
        "/Statement/0/Condition/NumericGreaterThan/aws:MultiFactorAuthAge", ("expected a JSON value",),
    ),
    Case(
        "nested-too-deep.json", 1, 187, "[", "/Statement/0/Condition/StringEquals/k" + "/0" * 59,
        ("nested deeper than 64",),
    ),
    # empty files
    Case("empty.json", 1, 1, "", None, ("empty",)),
    Case("whitespace-only.json", 4, 1, "", None, ("empty",)),
    # top level not an object
    Case("top-list.json", 1, 1, "[", "/", ("must be a JSON object", "list")),
    Case("top-string.json", 1, 1, '"Deny', "/", ("must be a JSON object", "string")),
    Case("top-number.json", 1, 1, "2012", "/", ("must be a JSON object", "number")),
    # duplicate keys: the second occurrence is reported, at every level
    Case("duplicate-top-level.json", 4, 3, '"Statement"', "/Statement", ('duplicate key "Statement"',)),
    Case("duplicate-in-statement.json", 8, 7, '"Effect"', "/Statement/0/Effect", ('duplicate key "Effect"',)),
    Case(
        "duplicate-in-condition.json", 10, 9, '"StringNotEquals"',
        "/Statement/0/Condition/StringNotEquals", ('duplicate key "StringNotEquals"',),
    ),
    Case(
        "duplicate-in-operator.json", 11, 11, '"aws:RequestedRegion"',
        "/Statement/0/Condition/StringNotEquals/aws:RequestedRegion", ('duplicate key "aws:RequestedRegion"',),
    ),
    # a key with an escaped line break must not break the one-line message
    Case("duplicate-key-with-line-break.json", 5, 3, '"Note\\nA"', "/Note\\nA", ('duplicate key "Note\\nA"',)),
    # Statement
    Case("missing-statement.json", 1, 1, "{", "/", ("no Statement",)),
    Case("statement-empty-list.json", 3, 16, "[]", "/Statement", ("Statement is empty",)),
    Case("statement-is-string.json", 3, 16, '"Deny', "/Statement", ("object or a list of objects",)),
    Case("statement-not-object.json", 10, 5, '"DenyOutsideEU"', "/Statement/1", ("must be a JSON object",)),
    # Effect
    Case("missing-effect.json", 4, 5, "{", "/Statement/0", ("no Effect",)),
    Case("effect-permit.json", 6, 17, '"Permit"', "/Statement/0/Effect", ('"Allow" or "Deny"', "'Permit'")),
    Case("effect-lowercase.json", 6, 17, '"deny"', "/Statement/0/Effect", ("did you mean 'Deny'",)),
    # element combinations
    Case("action-and-notaction.json", 9, 7, '"NotAction"', "/Statement/0/NotAction", ("Action or NotAction",)),
    Case(
        "resource-and-notresource.json", 9, 7, '"NotResource"', "/Statement/0/NotResource",
        ("Resource or NotResource",),
    ),
    Case("no-action.json", 4, 5, "{", "/Statement/0", ("neither Action nor NotAction",)),
    Case(
        "unknown-element-actions.json", 8, 7, '"Actions"', "/Statement/0/Actions",
        ("'Actions' is not a valid statement element", "did you mean 'Action'"),
    ),
    Case("notprincipal.json", 9, 7, '"NotPrincipal"', "/Statement/0/NotPrincipal", ("NotPrincipal",)),
    Case(
        "unknown-top-level.json", 3, 3, '"Statements"', "/Statements",
        ("not a valid policy element", "did you mean 'Statement'"),
    ),
    # wrong types where strings belong
    Case("action-number.json", 9, 9, "42", "/Statement/0/Action/1", ("must be strings", "number")),
    Case("action-nested-list.json", 9, 9, "[", "/Statement/0/Action/1", ("must be strings", "list")),
    Case("resource-null.json", 8, 19, "null", "/Statement/0/Resource", ("string or a list of strings", "null")),
    Case(
        "condition-value-null.json", 11, 34, "null",
        "/Statement/0/Condition/StringNotEquals/aws:RequestedRegion", ("condition value", "null"),
    ),
    Case(
        "condition-value-object.json", 11, 34, "{",
        "/Statement/0/Condition/StringNotEquals/aws:RequestedRegion", ("condition value", "an object"),
    ),
    Case(
        "condition-value-nested-list.json", 13, 13, "[",
        "/Statement/0/Condition/StringNotEquals/aws:RequestedRegion/1", ("condition value", "a list"),
    ),
    # conditions
    Case(
        "unknown-operator.json", 10, 9, '"StringNotEqual"', "/Statement/0/Condition/StringNotEqual",
        ("unknown condition operator 'StringNotEqual'", "did you mean StringNotEquals"),
    ),
    Case(
        "unknown-operator-qualified.json", 10, 9, '"ForAnyValue:StringNotEqual"',
        "/Statement/0/Condition/ForAnyValue:StringNotEqual", ("did you mean ForAnyValue:StringNotEquals",),
    ),
    Case("empty-condition.json", 9, 20, "{}", "/Statement/0/Condition", ("Condition is empty",)),
    Case(
        "empty-operator-block.json", 10, 28, "{}", "/Statement/0/Condition/StringNotEquals",
        ("StringNotEquals block is empty",),
    ),
    # Version
    Case("bad-version.json", 2, 14, '"2021-10-17"', "/Version", ('"2012-10-17"', "'2021-10-17'")),
    Case("version-number.json", 2, 14, "2012", "/Version", ("must be a string",)),
    # encoding: the column of the first byte that is not UTF-8
    Case("not-utf8-latin1.json", 11, 37, "\N{LATIN CAPITAL LETTER E WITH ACUTE}", None, ("not UTF-8",)),
)


def _text_at(path: Path, line: int, column: int) -> str:
    # columns count characters; the latin-1 fixture has one byte per character
    text = path.read_bytes().decode("latin-1" if "latin1" in path.name else "utf-8")
    lines = text.split("\n")
    if line > len(lines):
        return ""
    return lines[line - 1][column - 1 :]


def _located(stderr: str) -> re.Match[str]:
    assert stderr.endswith("\n")
    lines = stderr.splitlines()
    assert len(lines) == 1, f"the error must be one line: {stderr!r}"
    match = LOCATED.match(lines[0])
    assert match, f"not file:line:col: message: {lines[0]!r}"
    return match


def test_every_fixture_has_a_case() -> None:
    assert {c.file for c in CASES} == {p.name for p in BAD.iterdir()}
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.file.removesuffix(".json"))
def test_bad_policy_file(case: Case) -> None:
    path = BAD / case.file
    result = CliRunner().invoke(app, ["simulate", str(path), *REQUEST])

    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # typer.Exit, not an escaped error
    assert "Traceback" not in result.output
    assert result.stdout == ""
    match = _located(result.stderr)
    assert match["path"] == str(path)
    assert (int(match["line"]), int(match["column"])) == (case.line, case.column), match["message"]
    assert _text_at(path, case.line, case.column).startswith(case.token)
    message = match["message"]
    for fragment in case.says:
        assert fragment in message
    if case.pointer == "/":
        assert message.endswith("(at /)")
    elif case.pointer is not None:
        assert message.endswith(f"(at {case.pointer})") or case.pointer in message
    else:
        assert "(at " not in message


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + (SAMPLES / "tokyo-only.json").read_bytes())
    result = CliRunner().invoke(app, ["simulate", str(path), "--action", "ec2:RunInstances", "--region", "eu-west-1"])
    assert result.exit_code == 1, result.output  # parsed and evaluated: denied outside Tokyo
    assert result.stdout.startswith("explicit_deny")


def test_utf8_bom_does_not_shift_columns(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"Statement": []}')
    result = CliRunner().invoke(app, ["simulate", str(path), *REQUEST])
    assert result.exit_code == 2
    match = _located(result.stderr)
    assert (match["line"], match["column"]) == ("1", "15")  # the "[" after 14 characters


def test_missing_file() -> None:
    path = BAD / "no-such-file.json"
    result = CliRunner().invoke(app, ["simulate", str(path), *REQUEST])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr == f"scp-fix: {path}: no such file\n"


def test_directory() -> None:
    result = CliRunner().invoke(app, ["simulate", str(BAD), *REQUEST])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr == f"scp-fix: {BAD}: is a directory, not a policy file\n"


def test_bad_json_on_stdin_is_located_as_stdin() -> None:
    result = CliRunner().invoke(app, ["simulate", "-", *REQUEST], input='{\n  "Statement": [,]\n}\n')
    assert result.exit_code == 2
    match = _located(result.stderr)
    assert (match["path"], match["line"], match["column"]) == ("<stdin>", "2", "17")


def test_empty_stdin() -> None:
    result = CliRunner().invoke(app, ["simulate", "-", *REQUEST], input="")
    assert result.exit_code == 2
    match = _located(result.stderr)
    assert match["path"] == "<stdin>" and "empty" in match["message"]


@pytest.mark.parametrize("pair", ["aws:PrincipalTag/Team", "=value", "  =value"])
def test_context_without_key_value(pair: str) -> None:
    result = CliRunner().invoke(app, ["simulate", str(SAMPLES / "tokyo-only.json"), *REQUEST, "--context", pair])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr == f"scp-fix: --context takes KEY=VALUE, not {pair!r}\n"


def test_top_level_error_names_the_root_pointer() -> None:
    result = CliRunner().invoke(app, ["simulate", str(BAD / "top-list.json"), *REQUEST])
    assert result.stderr.rstrip("\n").endswith("(at /)")


# ---------------------------------------------------------------------------------------------
# The same boundary in a real process: `python -m rewriter`, real stdin and stderr.


def _run(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "rewriter", "simulate", *args],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60, **kwargs,
    )


@pytest.mark.parametrize(
    ("file", "where"),
    [
        ("invalid-trailing-comma.json", "6:34"),
        ("duplicate-in-statement.json", "8:7"),
        ("not-utf8-latin1.json", "11:37"),
        ("unknown-operator.json", "10:9"),
    ],
)
def test_subprocess_bad_file(file: str, where: str) -> None:
    path = f"tests/data/bad/{file}"
    done = _run(path, *REQUEST)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr
    assert len(done.stderr.splitlines()) == 1
    assert done.stderr.startswith(f"scp-fix: {path}:{where}: ")


def test_subprocess_missing_file() -> None:
    done = _run("tests/data/bad/absent.json", *REQUEST)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "scp-fix: tests/data/bad/absent.json: no such file\n"


def test_subprocess_closed_stdin() -> None:
    # `scp-fix simulate - <&-`: Python starts with sys.stdin = None
    done = _run("-", *REQUEST, stdin=None, preexec_fn=lambda: os.close(0))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("scp-fix: <stdin>: standard input is closed")
    assert len(done.stderr.splitlines()) == 1


def test_subprocess_bad_stdin() -> None:
    done = _run("-", *REQUEST, input='{"Statement": {"Effect": "Deny", "Effect": "Deny"}}')
    assert done.returncode == 2
    assert done.stderr.startswith("scp-fix: <stdin>:1:34: duplicate key \"Effect\"")


def test_subprocess_bom_policy_on_stdin() -> None:
    data = "\ufeff" + (SAMPLES / "tokyo-only.json").read_text(encoding="utf-8")
    done = _run("-", "--action", "ec2:RunInstances", "--region", "ap-northeast-1", input=data)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("allowed")
