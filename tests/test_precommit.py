"""The pre-commit hook, run by the real pre-commit on a temporary git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JP = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"

pytestmark = [
    pytest.mark.integration,  # the real pre-commit, which installs the hook's environment
    pytest.mark.skipif(shutil.which("pre-commit") is None or shutil.which("git") is None,
                       reason="pre-commit and git are needed"),
]


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory) -> tuple[Path, str]:
    """A committed copy of this repository, as pre-commit clones a hook repository by revision."""
    repo = tmp_path_factory.mktemp("hook") / "scp-fix"
    shutil.copytree(ROOT, repo, ignore=shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info",
                                                              "__pycache__", ".pytest_cache", ".hypothesis"))
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "hook", cwd=repo)
    return repo, git("rev-parse", "HEAD", cwd=repo).strip()


def test_hook_fails_on_a_blocking_policy_and_passes_when_fixed(hook_repo, tmp_path):
    repo, rev = hook_repo
    project = tmp_path / "project"
    project.mkdir()
    git("init", "-q", cwd=project)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {repo}\n  rev: {rev}\n  hooks:\n  - id: scp-fix\n"
        f"    args: [--profile, {JP}]\n",
        encoding="utf-8",
    )
    shutil.copy(ROOT / "samples" / "tokyo-only.json", project / "scp.json")
    git("add", "-A", cwd=project)
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    pre_commit = [shutil.which("pre-commit") or "pre-commit"]
    blocked = subprocess.run([*pre_commit, "run", "--files", "scp.json"], cwd=project, env=env,
                             capture_output=True, text=True)
    assert blocked.returncode != 0, blocked.stdout + blocked.stderr
    assert "ap-northeast-3 is not in the allowed Regions" in blocked.stdout

    fixed = subprocess.run(
        ["scp-fix", "propose", "scp.json", "--profile", JP, "--write"], cwd=project, capture_output=True, text=True
    )
    assert fixed.returncode == 1, fixed.stderr
    git("add", "-A", cwd=project)
    passed = subprocess.run([*pre_commit, "run", "--files", "scp.json"], cwd=project, env=env,
                            capture_output=True, text=True)
    assert passed.returncode == 0, passed.stdout + passed.stderr
