"""The README's CI recipe, run as the shell script it is: a change opens a pull request, nothing to
change does nothing (an empty patch once made ``git apply`` fail), bad input fails the job."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or shutil.which("sh") is None or shutil.which("scp-fix") is None,
    reason="git, sh and the scp-fix command are needed",
)


def recipe() -> str:
    """The sh block that follows "In CI," in the README."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"In CI,.*?```sh\n(.*?)```", readme, re.S)
    assert match, "the README's CI recipe"
    return match.group(1)


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def ci(tmp_path: Path):
    """A repository with the policy, a stand-in for ``gh`` on PATH, and a way to run the recipe."""
    repo = tmp_path / "repo"
    (repo / "scp").mkdir(parents=True)
    shutil.copy(ROOT / "samples" / "tokyo-only.json", repo / "scp" / "region-deny.json")
    git("init", "-q", "-b", "main", cwd=repo)
    git("config", "user.name", "ci", cwd=repo)
    git("config", "user.email", "ci@example.com", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "policy", cwd=repo)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    calls = tmp_path / "gh-calls"
    gh.write_text(f'#!/bin/sh\necho "$@" >> {calls}\ncp pr-body.md {tmp_path}/pr-body.seen\n', encoding="utf-8")
    gh.chmod(gh.stat().st_mode | stat.S_IXUSR)
    script = tmp_path / "ci.sh"
    script.write_text("set -e\n" + recipe(), encoding="utf-8")
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}

    def run() -> subprocess.CompletedProcess:
        return subprocess.run(["sh", str(script)], cwd=repo, env=env, capture_output=True, text=True)

    return repo, run, calls, tmp_path


def test_a_proposed_change_becomes_a_branch_a_commit_and_a_pull_request(ci):
    repo, run, calls, tmp = ci
    result = run()
    assert result.returncode == 0, result.stdout + result.stderr
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=repo).strip() == "scp-fix/bedrock-cris"
    assert "inference-profile/jp.anthropic.claude-sonnet-4-5" in git("show", "HEAD", cwd=repo)
    assert calls.read_text(encoding="utf-8").split() == ["pr", "create", "--body-file", "pr-body.md"]
    assert "jp.anthropic.claude-sonnet-4-5-20250929-v1:0" in (tmp / "pr-body.seen").read_text(encoding="utf-8")


def test_nothing_to_change_is_a_green_job_that_does_nothing(ci):
    repo, run, calls, _ = ci
    assert run().returncode == 0  # the first run fixes the policy on its branch
    head = git("rev-parse", "HEAD", cwd=repo)
    again = run()  # the policy is fixed: the patch is empty
    assert again.returncode == 0, again.stdout + again.stderr
    assert git("rev-parse", "HEAD", cwd=repo) == head
    assert len(calls.read_text(encoding="utf-8").splitlines()) == 1  # no second pull request
    assert git("status", "--porcelain", "--untracked-files=no", cwd=repo) == ""


def test_bad_input_fails_the_job_with_its_exit_code(ci):
    repo, run, calls, _ = ci
    (repo / "scp" / "region-deny.json").write_text('{"Statement": [', encoding="utf-8")
    result = run()
    assert result.returncode == 2
    assert "region-deny.json:" in result.stderr
    assert not calls.exists()
