"""The fix patterns, one module each, and their registry.

A new pattern is a module here with a planning function (``Problem -> Fix``, raising
``NotApplicable`` when it cannot fix the policy safely), one line in ``STRATEGIES``, and its case
table, ``tests/strategies/<module>.yaml``. Everything else (``--strategy``'s choices, ``auto``, the
JSON output, the size retry) reads this registry. It names modules instead of importing them, so the
command line knows the names without loading what plans.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from rewriter.fixes import Fix
    from rewriter.strategies.base import Problem

__all__ = ["AUTO", "STRATEGIES", "Strategy", "names", "of_kind", "strategy"]

AUTO = "auto"  # every strategy of the policy's kind; the verified one that opens least wins


class Strategy(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    name: str  # as --strategy, the JSON output and a Fix spell it
    module: str  # rewriter.strategies.<module>, imported when the strategy first plans
    function: str = "plan"
    kind: str = "scp"  # the policies it fixes: "scp" or "identity" (rewriter.identity)
    prefix_form: bool = False  # --prefix widens its profile patterns to the geography; a fix too large is retried so
    broad_form: bool = False  # --broad widens its exemption to every Bedrock action

    @property
    def plan(self) -> Callable[[Problem], Fix]:
        return getattr(importlib.import_module(f"rewriter.strategies.{self.module}"), self.function)


# In each kind, the order is the tie-break for `auto`: the narrower pattern first (for identity
# policies, extending an existing grant is smaller than a new one).
STRATEGIES: tuple[Strategy, ...] = (
    Strategy("profile-arn", "profile_arn", prefix_form=True),
    Strategy("notaction", "notaction", prefix_form=True, broad_form=True),
    Strategy("regions", "regions"),
    Strategy("extend-grant", "identity", "plan_extend", kind="identity"),
    Strategy("grant-through-profile", "identity", "plan_grant", kind="identity"),
)


def of_kind(kind: str) -> tuple[Strategy, ...]:
    return tuple(s for s in STRATEGIES if s.kind == kind)


def names(kind: str | None = None) -> tuple[str, ...]:
    """What ``--strategy`` takes: ``auto`` and the strategies of ``kind`` (of every kind by default)."""
    return (AUTO, *(s.name for s in STRATEGIES if kind is None or s.kind == kind))


def strategy(name: str) -> Strategy:
    return next(s for s in STRATEGIES if s.name == name)
