"""The fix patterns, one module each, and their registry."""

from __future__ import annotations

from collections.abc import Callable

from rewriter.fixes import Fix
from rewriter.strategies import identity, notaction, profile_arn, regions
from rewriter.strategies.base import Options, Problem

__all__ = ["STRATEGIES", "IDENTITY_STRATEGIES", "Options", "Problem"]

# Order is the tie-break for `auto`: the narrower pattern first.
STRATEGIES: dict[str, Callable[[Problem], Fix]] = {
    profile_arn.NAME: profile_arn.plan,
    notaction.NAME: notaction.plan,
    regions.NAME: regions.plan,
}

# For identity-based policies (rewriter.identity). Extending an existing grant is smaller, so it wins a tie.
IDENTITY_STRATEGIES: dict[str, Callable[[Problem], Fix]] = {
    identity.EXTEND: identity.plan_extend,
    identity.GRANT: identity.plan_grant,
}
