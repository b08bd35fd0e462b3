"""The pre-commit hook, run by the real pre-commit on a temporary git repository."""

from __future__ import annotations

import os
import shlex
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


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory) -> Path:
    """One pre-commit cache for the module: the hook's environment is installed once."""
    return tmp_path_factory.mktemp("pre-commit-cache")


def make_project(tmp_path: Path, hook_repo: tuple[Path, str], files: dict[str, str]) -> Path:
    repo, rev = hook_repo
    project = tmp_path / "project"
    project.mkdir()
    git("init", "-q", cwd=project)
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {repo}\n  rev: {rev}\n  hooks:\n  - id: scp-fix\n"
        f"    args: [--profile, {JP}]\n",
        encoding="utf-8",
    )
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    git("add", "-A", cwd=project)
    return project


def run_hook(project: Path, home: Path, *names: str, verbose: bool = False) -> subprocess.CompletedProcess:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    pre_commit = shutil.which("pre-commit") or "pre-commit"
    # --verbose shows a passing hook's output too
    command = [pre_commit, "run", *(["--verbose"] if verbose else []), "--files", *names]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)


def fix_with_the_printed_command(project: Path, output: str, name: str) -> None:
    """Run the `scp-fix propose ... --write` command the failing hook printed, as a user would."""
    (line,) = [line for line in output.splitlines() if f"to fix {name}, run: " in line]
    command = shlex.split(line.split(", run: ", 1)[1])
    assert command[:3] == ["scp-fix", "propose", name] and command[-1] == "--write"
    fixed = subprocess.run(command, cwd=project, capture_output=True, text=True)
    assert fixed.returncode == 1, fixed.stderr  # a change was written
    git("add", "-A", cwd=project)


def test_hook_fails_on_a_blocking_policy_and_passes_when_fixed(hook_repo, pre_commit_home, tmp_path):
    tokyo = (ROOT / "samples" / "tokyo-only.json").read_text(encoding="utf-8")
    project = make_project(tmp_path, hook_repo, {"scp.json": tokyo})
    blocked = run_hook(project, pre_commit_home, "scp.json")
    assert blocked.returncode != 0, blocked.stdout + blocked.stderr
    assert "ap-northeast-3 is not in the allowed Regions" in blocked.stdout
    fix_with_the_printed_command(project, blocked.stdout, "scp.json")
    passed = run_hook(project, pre_commit_home, "scp.json")
    assert passed.returncode == 0, passed.stdout + passed.stderr


CFN_YAML = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  RegionDeny:
    Type: AWS::Organizations::Policy
    Properties:
      Name: region-deny
      Type: SERVICE_CONTROL_POLICY
      Content:
        Version: "2012-10-17"
        Statement:
          - Sid: DenyOutsideTokyo
            Effect: Deny
            NotAction: ["iam:*", "organizations:*", "sts:*", "support:*"]
            Resource: "*"
            Condition:
              StringNotEquals:
                aws:RequestedRegion: [ap-northeast-1]
"""


@pytest.mark.parametrize(
    "name, text",
    [
        ("scp/region-deny.yaml", CFN_YAML),
        ("scp/region-deny.tf", (ROOT / "samples" / "iac" / "tf-jsonencode.tf").read_text(encoding="utf-8")),
    ],
)
def test_hook_runs_on_cloudformation_yaml_and_terraform(hook_repo, pre_commit_home, tmp_path, name, text):
    """types: [json] skipped these silently; the hook now sees every kind of file scp-fix reads."""
    project = make_project(tmp_path, hook_repo, {name: text})
    blocked = run_hook(project, pre_commit_home, name)
    assert blocked.returncode != 0, blocked.stdout + blocked.stderr
    assert f"{JP} from ap-northeast-1: BLOCKED" in blocked.stdout
    fix_with_the_printed_command(project, blocked.stdout, name)
    passed = run_hook(project, pre_commit_home, name)
    assert passed.returncode == 0, passed.stdout + passed.stderr


def test_hook_skips_files_that_hold_no_policy(hook_repo, pre_commit_home, tmp_path):
    others = {
        "package.json": '{"name": "app", "version": "1.0.0"}\n',
        ".github/workflows/ci.yaml": "name: ci\non: push\njobs: {}\n",
        "prod.tfvars": 'region = "ap-northeast-1"\n',
    }
    project = make_project(tmp_path, hook_repo, others)
    result = run_hook(project, pre_commit_home, *others, verbose=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("skipped:") == len(others)
    # A broken file that may hold a policy is still an error, not skipped.
    (project / "broken.json").write_text('{"Statement": [', encoding="utf-8")
    git("add", "-A", cwd=project)
    broken = run_hook(project, pre_commit_home, "broken.json")
    assert broken.returncode != 0 and "broken.json:" in broken.stdout
