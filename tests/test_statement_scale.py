"""check grows linearly with the number of statements (issue 18: 10,000 statements took 5.7 s, because
each deciding statement was searched for among all the policy's Region restrictions). Counted, not
timed: the lines of Python a check runs (as sys.settrace sees them, a search's every step included)
must grow no faster than the policy. benchmarks/statement_scale.py prints
the times."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from statement_scale import PROFILE, policy_text  # noqa: E402

from rewriter.catalog import load_catalog  # noqa: E402
from rewriter.check import check  # noqa: E402
from rewriter.parse import parse_policy  # noqa: E402


def _calls(statements: int) -> int:
    policy = parse_policy(policy_text(statements))
    profile = load_catalog().get(PROFILE)
    check(policy, [profile])  # warm: catalogs and compiled patterns are not what is measured
    lines = 0

    def count(frame, event, arg):
        nonlocal lines
        lines += event == "line"
        return count

    sys.settrace(count)
    try:
        result = check(policy, [profile])
    finally:
        sys.settrace(None)
    denying = [r for c in result.checks for r in c.results if not r.decision.allowed]
    assert denying and all(len(r.decision.statements) == statements for r in denying)  # each statement decides
    return lines


def test_check_runs_the_same_lines_per_statement_at_any_size() -> None:
    small, large = _calls(100), _calls(400)
    assert large <= 4.5 * small, (small, large)  # quadratic would be 16x
