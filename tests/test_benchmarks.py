"""The benchmark entry point runs in quick mode and prints every figure (not that it is fast)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIGURES = (
    "scp-fix --version",
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


def test_quick_run_prints_every_figure_with_a_baseline() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    assert done.returncode == 0, done.stderr
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
