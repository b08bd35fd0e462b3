"""Unified diffs that git applies: relative a/ b/ paths, CRLF bytes, a missing final newline, colour."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from rewriter.diff import split_lines, unified_diff

OLD = '{\n  "Regions": [\n    "us-east-1",\n    "us-west-2"\n  ]\n}\n'
NEW = '{\n  "Regions": [\n    "us-east-1",\n    "us-west-2",\n    "ap-northeast-3"\n  ]\n}\n'


def git_apply(repo: Path, name: str, old: str, new: str, diff: str) -> None:
    """Check and apply ``diff`` in a fresh repository holding ``old`` at ``name``; expect ``new``."""
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    target = repo / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(old.encode())
    (repo / "change.diff").write_bytes(diff.encode())
    git = ["git", "-c", "core.autocrlf=false", "-C", str(repo)]
    result = subprocess.run([*git, "apply", "--check", "change.diff"], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    subprocess.run([*git, "apply", "change.diff"], check=True)
    assert target.read_bytes() == new.encode()


def test_headers_and_hunk() -> None:
    diff = unified_diff(OLD, NEW, path="policies/scp.json")
    assert diff.splitlines()[:3] == ["--- a/policies/scp.json", "+++ b/policies/scp.json", "@@ -1,6 +1,7 @@"]
    assert '-    "us-west-2"\n+    "us-west-2",\n+    "ap-northeast-3"\n' in diff
    assert "\x1b" not in diff


def test_equal_texts_give_no_diff() -> None:
    assert unified_diff(OLD, OLD, path="x.json") == ""


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (OLD, NEW),
        (OLD.replace("\n", "\r\n"), NEW.replace("\n", "\r\n")),
        (OLD.rstrip("\n"), NEW.rstrip("\n")),  # neither ends with a newline
        (OLD, NEW.rstrip("\n")),  # the newline goes away
        (OLD.rstrip("\n"), NEW),  # a newline comes
        ("\ufeff" + OLD.replace("\n", "\r\n").rstrip("\r\n"), "\ufeff" + NEW.replace("\n", "\r\n").rstrip("\r\n")),
        ('{"a":["x\u2028y"]}', '{"a":["x\u2028y","z"]}'),  # U+2028 is not a line break for git
    ],
    ids=["lf", "crlf", "no-final-newline", "newline-removed", "newline-added", "bom-crlf-no-newline", "u2028"],
)
def test_git_apply_accepts_it(tmp_path: Path, old: str, new: str) -> None:
    diff = unified_diff(old, new, path="policies/scp.json")
    git_apply(tmp_path / "repo", "policies/scp.json", old, new, diff)


def test_no_newline_marker_follows_the_last_line() -> None:
    diff = unified_diff("a\nb", "a\nc", path="f")
    assert diff.endswith("-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n")
    diff = unified_diff("a\nb\n", "a\nb", path="f")
    assert diff.endswith("-b\n+b\n\\ No newline at end of file\n")


def test_crlf_bytes_are_kept() -> None:
    diff = unified_diff("a\r\nb\r\n", "a\r\nc\r\n", path="f")
    assert " a\r\n-b\r\n+c\r\n" in diff
    assert diff.startswith("--- a/f\n+++ b/f\n")  # headers are git's, LF


def test_a_removed_line_that_looks_like_a_header() -> None:
    diff = unified_diff("--x\n++y\n", "z\n", path="f")
    assert diff.splitlines()[3:] == ["---x", "-++y", "+z"]
    colored = unified_diff("--x\n", "z\n", path="f", color=True)
    assert "\x1b[31m---x\x1b[0m\n" in colored


def test_absolute_path_under_the_current_directory_is_made_relative(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    absolute = str(tmp_path / "policies" / "scp.json")
    diff = unified_diff(OLD, NEW, path=absolute)
    assert diff.startswith("--- a/policies/scp.json\n+++ b/policies/scp.json\n")
    assert unified_diff(OLD, NEW, path="./scp.json").startswith("--- a/scp.json\n")


def test_path_with_spaces(tmp_path: Path) -> None:
    diff = unified_diff(OLD, NEW, path="my policies/scp one.json")
    git_apply(tmp_path / "repo", "my policies/scp one.json", OLD, NEW, diff)


def test_colour_only_when_asked() -> None:
    plain = unified_diff(OLD.replace("\n", "\r\n"), NEW.replace("\n", "\r\n"), path="f")
    colored = unified_diff(OLD.replace("\n", "\r\n"), NEW.replace("\n", "\r\n"), path="f", color=True)
    assert "\x1b" not in plain
    assert colored.startswith("\x1b[1m--- a/f\x1b[0m\n\x1b[1m+++ b/f\x1b[0m\n\x1b[36m@@ -1,6 +1,7 @@\x1b[0m\n")
    assert '\x1b[32m+    "ap-northeast-3"\x1b[0m\r\n' in colored
    assert '\x1b[31m-    "us-west-2"\x1b[0m\r\n' in colored
    assert "\x1b" not in "".join(line for line in split_lines(colored) if line.startswith(" "))
    # Taking the colour away gives the plain diff back.
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == plain


def test_split_lines_splits_at_newline_only() -> None:
    assert split_lines("a\r\nb\u2028c\x0cd\re\nf") == ["a\r\n", "b\u2028c\x0cd\re\n", "f"]
    assert split_lines("") == []
    assert split_lines("\n\n") == ["\n", "\n"]
