"""What a reviewer reads in the terminal: the newly-allowed line, --write, json-patch, usage errors, colour."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import jsonpatch
import pytest
from typer.testing import CliRunner

from rewriter.cli import app
from rewriter.cli._common import use_colour

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
JP = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
TOKYO = ("--profile", JP, "--source-region", "ap-northeast-1")
runner = CliRunner()


def propose(*args: str):
    return runner.invoke(app, ["propose", *args])


def _newly_lines(stderr: str) -> list[str]:
    lines = stderr.splitlines()
    start = lines.index("  newly allowed:") + 1
    return [line for line in lines[start:] if line.startswith("    - ")]


def test_broad_names_every_bedrock_action_with_the_count() -> None:
    result = propose(str(SAMPLES / "tokyo-only.json"), *TOKYO, "--strategy", "notaction", "--broad")
    assert result.exit_code == 1
    (line,) = _newly_lines(result.stderr)
    assert line.startswith("    - every Bedrock action (") and "actions in 1 service" not in line
    count = int(line.split("(", 1)[1].split(")", 1)[0])
    body = json.loads(
        propose(str(SAMPLES / "tokyo-only.json"), *TOKYO, "--strategy", "notaction", "--broad", "--format", "json").stdout
    )
    assert [g["action_count"] for g in body["newly_allowed"]] == [count]


def test_regions_are_named_up_to_six_and_counted_beyond() -> None:
    named = propose(str(SAMPLES / "tokyo-only.json"), *TOKYO, "--strategy", "regions")
    assert any(" in ap-northeast-3" in line for line in _newly_lines(named.stderr))
    many = propose(str(SAMPLES / "tokyo-only.json"), *TOKYO, "--strategy", "profile-arn")
    (line,) = _newly_lines(many.stderr)
    body = json.loads(propose(str(SAMPLES / "tokyo-only.json"), *TOKYO, "--strategy", "profile-arn", "--format", "json").stdout)
    named_regions = [r for r in body["newly_allowed"][0]["regions"] if r != "unspecified"]
    # the effective reading names the one Region the profile reaches from Tokyo; the principle counts
    practice, principle = line.split("; in principle: ")
    assert practice == f"    - in practice: ap-northeast-3, only through {TOKYO[1]}"
    assert len(named_regions) > 6 and f"in {len(named_regions)} Regions" in principle
    assert not any(r in principle for r in named_regions)


def test_write_prints_wrote_for_each_file_written(tmp_path: Path) -> None:
    first = tmp_path / "a.json"
    fine = tmp_path / "fine.json"
    shutil.copyfile(SAMPLES / "tokyo-only.json", first)
    fine.write_text('{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}', encoding="utf-8")
    result = propose(str(first), str(fine), *TOKYO, "--write")
    wrote = [line for line in result.stderr.splitlines() if line.startswith("wrote ")]
    assert wrote == [f"wrote {first}"]
    assert first.read_bytes() != (SAMPLES / "tokyo-only.json").read_bytes()


@pytest.mark.parametrize("name", ["json-patch", "patch"])
def test_json_patch_format_and_its_old_alias(name: str) -> None:
    result = propose(str(SAMPLES / "tokyo-only.json"), *TOKYO, "--format", name)
    assert result.exit_code == 1
    patch = json.loads(result.stdout)
    document = json.loads((SAMPLES / "tokyo-only.json").read_text(encoding="utf-8"))
    assert jsonpatch.apply_patch(document, patch) != document
    assert all(set(op) >= {"op", "path"} for op in patch)


def test_help_says_json_patch_is_rfc_6902() -> None:
    result = runner.invoke(app, ["propose", "--help"], env={"COLUMNS": "200"})
    assert "json-patch" in result.stdout and "RFC 6902" in result.stdout


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (("--strategy", "regions", "--broad"), "--broad"),
        (("--strategy", "regions", "--prefix"), "--prefix"),
        (("--strategy", "profile-arn", "--broad"), "--broad"),
        (("--strategy", "notaction", "--broad", "--prefix"), "--prefix"),
    ],
)
def test_a_flag_without_effect_is_a_usage_error(args: tuple[str, ...], flag: str, tmp_path: Path) -> None:
    policy = tmp_path / "p.json"
    shutil.copyfile(SAMPLES / "tokyo-only.json", policy)
    result = propose(str(policy), *TOKYO, *args, "--write")
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1 and flag in result.stderr
    assert policy.read_bytes() == (SAMPLES / "tokyo-only.json").read_bytes()


@pytest.mark.parametrize(("args"), [("--broad",), ("--prefix",), ("--strategy", "notaction", "--prefix")])
def test_flags_with_effect_are_accepted(args: tuple[str, ...]) -> None:
    assert propose(str(SAMPLES / "tokyo-only.json"), *TOKYO, *args).exit_code == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "tty", "expected"),
    [
        ({"TERM": "xterm-256color"}, True, True),
        ({"TERM": "dumb"}, True, False),
        ({"TERM": "xterm", "NO_COLOR": "1"}, True, False),
        ({"TERM": "xterm"}, False, False),
    ],
)
def test_colour_only_on_a_capable_terminal(env, tty, expected, monkeypatch) -> None:
    for key in ("TERM", "NO_COLOR"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert use_colour(_Terminal() if tty else io.StringIO()) is expected


def test_samples_have_lf_line_ends_unless_named_for_them() -> None:
    for path in sorted(SAMPLES.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            assert (b"\r\n" in data) == ("crlf" in path.name), path.name
