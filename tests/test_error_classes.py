"""Whose fault an error is, and the exit code that says so.

Bad input (the caller's to fix) is one line and exit 2. A bug of ours, including a proposal that
fails its own verification, is one line with a hint to report it and exit 70 (sysexits'
EX_SOFTWARE), the traceback only with ``--debug``: a crash must never read as "change proposed"
(exit 1). Each input below once escaped as a traceback; each is now bad input, through the one error
boundary every command runs in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewriter import errors
from rewriter.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
JP = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
runner = CliRunner()


def _run(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess[str]:
    """A real process: real stdout and stderr encodings, nothing of CliRunner's."""
    return subprocess.run(
        [sys.executable, "-m", "rewriter", *args], capture_output=True, text=True, cwd=ROOT, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, **kwargs,
    )


def _one_line_bad_input(result, name: str | None = None) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert len(result.stderr.splitlines()) == 1, result.stderr
    if name is not None:
        assert result.stderr.startswith(f"scp-fix: {name}")
    return result.stderr


# -- the classes ------------------------------------------------------------------------------


def test_every_error_class_is_bad_input_or_a_bug_never_both() -> None:
    classes = [getattr(errors, name) for name in errors.__all__ if isinstance(getattr(errors, name), type)]
    for kind in classes:
        if kind in (errors.ScpFixError, errors.BadInputError, errors.InternalError):
            continue
        assert issubclass(kind, errors.ScpFixError)
        assert issubclass(kind, errors.BadInputError) != issubclass(kind, errors.InternalError), kind
    assert issubclass(errors.VerificationError, errors.InternalError)
    assert issubclass(errors.PolicyParseError, errors.BadInputError)


def test_quoted_cuts_what_it_echoes() -> None:
    assert errors.quoted("Permit") == "'Permit'"
    long = "x" * 5000
    assert errors.quoted(long) == repr("x" * errors.QUOTE_LIMIT) + "..."


# -- exit 70 ----------------------------------------------------------------------------------


def _break_check(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    import rewriter.policy_files

    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(rewriter.policy_files, "check_file", broken)


@pytest.mark.parametrize(
    "error",
    [KeyError("statement"), errors.VerificationError("the rendered text does not parse", path="x.json")],
    ids=["unexpected-exception", "internal-error"],
)
def test_a_bug_exits_70_with_one_line_and_a_hint(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    _break_check(monkeypatch, error)
    result = runner.invoke(app, ["check", str(SAMPLES / "tokyo-only.json"), "--profile", JP])
    assert result.exit_code == 70, result.output
    assert "Traceback" not in result.output
    assert len(result.stderr.splitlines()) == 1
    assert "bug in scp-fix" in result.stderr and "please report it" in result.stderr
    assert "--debug shows the traceback" in result.stderr


def test_debug_prints_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    _break_check(monkeypatch, KeyError("statement"))
    result = runner.invoke(app, ["--debug", "check", str(SAMPLES / "tokyo-only.json"), "--profile", JP])
    assert result.exit_code == 70
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert "KeyError: 'statement'" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("scp-fix: internal error: KeyError")


def test_bad_input_stays_exit_2_with_debug() -> None:
    result = runner.invoke(app, ["--debug", "check", str(SAMPLES / "nope.json"), "--profile", JP])
    assert result.exit_code == 2 and "Traceback" not in result.stderr


def test_usage_errors_keep_their_exit_code() -> None:
    result = runner.invoke(app, ["check", "--no-such-option"])
    assert result.exit_code == 2
    assert "internal error" not in result.output


# -- inputs that used to escape as tracebacks -------------------------------------------------


def test_a_number_of_5000_digits(tmp_path: Path) -> None:
    policy = tmp_path / "big.json"
    policy.write_text(
        '{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*", '
        '"Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": ' + "9" * 5000 + "}}}}"
    )
    result = runner.invoke(app, ["check", str(policy), "--profile", JP])
    assert "number of 5,000 characters is too long" in _one_line_bad_input(result, str(policy))


def test_a_non_utf8_var_file(tmp_path: Path) -> None:
    var_file = tmp_path / "bad.tfvars"
    var_file.write_bytes(b'regions = ["\xff"]\n')
    result = runner.invoke(
        app, ["check", str(SAMPLES / "iac" / "tf-policy-document.tf"), "--profile", JP, "--var-file", str(var_file)]
    )
    assert "not UTF-8" in _one_line_bad_input(result, f"{var_file}:1:13:")


@pytest.mark.parametrize("text", ['[1', "[" + "9" * 5000 + "]", '"a"'], ids=["broken", "big-number", "not-object"])
def test_a_bad_json_var_file(tmp_path: Path, text: str) -> None:
    var_file = tmp_path / "bad.tfvars.json"
    var_file.write_text(text)
    result = runner.invoke(
        app, ["check", str(SAMPLES / "iac" / "tf-policy-document.tf"), "--profile", JP, "--var-file", str(var_file)]
    )
    _one_line_bad_input(result, str(var_file))


@pytest.mark.parametrize("levels", [100, 3000])
def test_deeply_nested_yaml(tmp_path: Path, levels: int) -> None:
    template = tmp_path / "deep.yaml"
    template.write_text(
        "Resources:\n  P:\n    Type: AWS::Organizations::Policy\n    Properties:\n"
        f"      Content: {'[' * levels}{']' * levels}\n"
    )
    result = runner.invoke(app, ["check", str(template), "--profile", JP])
    assert "nested deeper than 64 levels" in _one_line_bad_input(result, f"{template}:5:")


def test_deeply_nested_block_yaml(tmp_path: Path) -> None:
    template = tmp_path / "deep.yaml"
    template.write_text(
        "Resources:\n  P:\n    Type: AWS::Organizations::Policy\n    Properties:\n      Content:\n"
        + "".join("  " * (i + 4) + "- \n" for i in range(600))
    )
    result = runner.invoke(app, ["check", str(template), "--profile", JP])
    assert "nested deeper than 64 levels" in _one_line_bad_input(result, str(template))


def _snapshot(tmp_path: Path, edit) -> Path:
    data = json.loads((SAMPLES / "org" / "snapshot.json").read_text())
    edit({n["id"]: n for n in data["nodes"]}, data)
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(data))
    return path


def test_an_ou_parent_cycle_in_a_snapshot(tmp_path: Path) -> None:
    def cycle(nodes, data):
        nodes["ou-ex12-japan111"]["parent"] = "ou-ex12-tokyo111"

    path = _snapshot(tmp_path, cycle)
    result = runner.invoke(app, ["org", "check", "--snapshot", str(path), "--profile", JP])
    message = _one_line_bad_input(result, str(path))
    assert "cycle: ou-ex12-japan111 -> ou-ex12-tokyo111 -> ou-ex12-japan111" in message


def test_an_ou_chain_deeper_than_aws_allows(tmp_path: Path) -> None:
    def deep(nodes, data):
        parent = "r-ex12"
        for i in range(2000):
            data["nodes"].append({"id": f"ou-ex12-deep{i:04d}", "name": "Deep", "kind": "ou", "parent": parent})
            parent = f"ou-ex12-deep{i:04d}"
        nodes["111122223333"]["parent"] = parent

    path = _snapshot(tmp_path, deep)
    result = runner.invoke(app, ["org", "check", "--snapshot", str(path), "--profile", JP])
    assert "allows 5 levels of OUs" in _one_line_bad_input(result, str(path))


@pytest.mark.parametrize("output", [(), ("--format", "json"), ("--format", "markdown")], ids=["text", "json", "markdown"])
def test_an_unpaired_surrogate_is_printed_escaped(tmp_path: Path, output: tuple[str, ...]) -> None:
    policy = tmp_path / "surrogate.json"
    text = (SAMPLES / "tokyo-only.json").read_text()
    policy.write_text(text.replace('"DenyOutsideTokyo"', '"Deny\\ud800Tokyo"', 1))
    command = "check" if not output else "propose"
    done = _run(command, str(policy), "--profile", JP, *output, env={"PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    if output == ("--format", "json"):
        assert json.loads(done.stdout)  # the escape JSON itself uses: still one JSON document


def test_an_undecodable_file_name_is_printed_escaped(tmp_path: Path) -> None:
    name = os.fsdecode(bytes(tmp_path) + b"/\xff.json")
    done = _run("check", name, "--profile", JP)
    assert done.returncode == 2
    assert done.stderr.endswith("\\udcff.json: no such file\n") or done.stderr.endswith("\\xff.json: no such file\n")


# -- AWS clients are built inside the boundary ------------------------------------------------

_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.mark.integration  # boto3 against endpoints and a proxy that do not answer
@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["org", "snapshot", "-o", "{tmp}/s.json", "--endpoint-url", "not a url"], {}),
        (["org", "check", "--live", "--profile", JP, "--endpoint-url", "http://[::1"], {}),
        (["org", "propose", "--live", "--profile", JP, "--account", "111122223333", "--endpoint-url", "not a url"], {}),
        (["profiles", "sync", "-r", "us-east-1", "-o", "{tmp}/p.json"], {"AWS_ENDPOINT_URL": "not a url"}),
        (["org", "snapshot", "-o", "{tmp}/s.json"], {"AWS_CONFIG_FILE": "{tmp}/config"}),
        (["profiles", "sync", "-r", "us-east-1", "-o", "{tmp}/p.json"], {"AWS_CONFIG_FILE": "{tmp}/config"}),
        (["org", "snapshot", "-o", "{tmp}/s.json"], {"HTTPS_PROXY": "http://[bad", "AWS_MAX_ATTEMPTS": "1"}),
        (["profiles", "sync", "-r", "us-east-1", "-o", "{tmp}/p.json"], {"HTTPS_PROXY": "http://127.0.0.1:9", "AWS_MAX_ATTEMPTS": "1"}),
    ],
    ids=["snapshot-endpoint", "check-live-endpoint", "propose-live-endpoint", "sync-endpoint",
         "snapshot-config", "sync-config", "snapshot-proxy", "sync-proxy"],
)
def test_a_broken_aws_setup_is_bad_input(tmp_path: Path, args: list[str], env: dict[str, str]) -> None:
    (tmp_path / "config").write_text("root:x:0:0:root:/root:/bin/bash\n")  # not an AWS config file
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    env = {**_AWS, **{k: v.replace("{tmp}", str(tmp_path)) for k, v in env.items()}}
    done = _run(*args, env=env)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) == 1, done.stderr
    assert not (tmp_path / "s.json").exists() and not (tmp_path / "p.json").exists()
