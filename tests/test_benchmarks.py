"""The benchmark entry point, in quick mode, measures this checkout and prints every figure.

Whether the figures meet their targets is for a person reading the table (benchmarks/README.md):
the machine is shared and noisy, and a test that fails on a timing fails on the weather.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow  # a minute of commands and library runs

FIGURES = (
    "scp-fix --version",
    "scp-fix --help",
    "scp-fix check (Control Tower)",
    "scp-fix propose (Control Tower, exit 3)",
    "scp-fix propose --force (Control Tower)",
    "scp-fix propose (Tokyo)",
    "scp-fix propose (Tokyo), cold: no cache yet",
    "scp-fix propose --force (Control Tower), ",
    "scp-fix propose, 100 files, nothing to change",
    "scp-fix propose, 100 files, each needs a change",
    "propose(force=True), newly_allowed=True",
    "propose(force=True), newly_allowed=False",
    "newly allowed grid, profile-arn (",
    "newly allowed grid, notaction (",
    "newly allowed grid, regions (",
    "newly allowed grid, the 3 together (",
    "IAM action catalogue load (bundled index)",
    "inference-profile catalog load",
    "evaluate(), ",
    "evaluate(), one request repeated",
)


def test_quick_run_measures_this_checkout_and_prints_every_figure_with_a_baseline(tmp_path) -> None:
    # from elsewhere, with another tree first on the path: the benchmark still measures this one
    decoy = tmp_path / "rewriter"
    decoy.mkdir()
    (decoy / "__init__.py").write_text("raise ImportError('not the checkout under test')\n")
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].endswith(f" from {ROOT / 'rewriter'}"), done.stdout[:200]
    rows = {line.split("  ")[0]: line for line in done.stdout.splitlines()}
    for figure in FIGURES:
        matching = [line for name, line in rows.items() if name.startswith(figure)]
        assert matching, f"{figure!r} missing from:\n{done.stdout}"
        for line in matching:
            # a row that errored has no figure: the command or the library call failed
            assert "error:" not in line, line
            assert line.rstrip().endswith(("met", "missed", "info")), line
    # every "newly allowed" row names how many evaluator calls it made (and, per strategy, how many
    # classes of callers the grid told apart: the sample exempts AWSControlTowerExecution, so two)
    grid = [line for name, line in rows.items() if name.startswith("newly allowed grid")]
    assert grid and all("evaluator calls" in line for line in grid)
    assert all("2 caller classes)" in line for line in grid if "together" not in line)
    assert "targets met" in done.stdout
