"""Which statements of a policy restrict AWS Regions, and how.

Three shapes occur: a Deny with a negated string operator on ``aws:RequestedRegion`` (an allow-list:
the listed Regions are the allowed ones), a Deny with a positive one (a deny-list: the listed Regions are
blocked), and, since SCPs took the full IAM language, an Allow whose condition names the Regions.
"""

from __future__ import annotations

from typing import NamedTuple

from rewriter.model import ConditionClause, Policy, Statement

__all__ = [
    "REQUESTED_REGION",
    "PRINCIPAL_ARN",
    "INFERENCE_PROFILE_ARN",
    "Exemptions",
    "RegionRestriction",
    "find_region_restrictions",
]

REQUESTED_REGION = "aws:requestedregion"
PRINCIPAL_ARN = "aws:principalarn"
INFERENCE_PROFILE_ARN = "bedrock:inferenceprofilearn"

_ALLOW_LIST_OPERATORS = frozenset({"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike"})
_DENY_LIST_OPERATORS = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike"})


# PERF: named tuples, not frozen dataclasses: every check and propose defines them, and a dataclass
# costs ~0.7 ms to define, a named tuple a tenth (benchmarks/README.md)
class Exemptions(NamedTuple):
    """What a region-deny statement lets through although the Region is not allowed."""

    not_actions: tuple[str, ...] = ()
    principal_patterns: tuple[str, ...] = ()
    inference_profile_patterns: tuple[str, ...] = ()
    other_conditions: tuple[ConditionClause, ...] = ()


class RegionRestriction(NamedTuple):  # PERF: a named tuple, as Exemptions
    statement: Statement
    kind: str  # "allow-list" | "deny-list" | "allow-statement"
    clause: ConditionClause  # the aws:RequestedRegion clause
    exemptions: Exemptions

    @property
    def regions(self) -> tuple[str, ...]:
        """The Regions (or patterns) the clause names: allowed for an allow-list, blocked for a deny-list."""
        return self.clause.values.items

    @property
    def uses_patterns(self) -> bool:
        return self.clause.operator.base.endswith("Like")

    @property
    def ignore_case(self) -> bool:
        return self.clause.operator.base.endswith("IgnoreCase")

    def describe(self) -> str:
        names = ", ".join(self.regions)
        if self.kind == "allow-list":
            return f"{self.statement.label} denies every Region except {names}"
        if self.kind == "deny-list":
            return f"{self.statement.label} denies {names}"
        return f"{self.statement.label} allows only {names}"


def find_region_restrictions(policy: Policy) -> tuple[RegionRestriction, ...]:
    """Every statement that restricts Regions through ``aws:RequestedRegion``, in document order."""
    found: list[RegionRestriction] = []
    for statement in policy.statements:
        for clause in statement.conditions:
            # ForAllValues:/ForAnyValue: on this single-valued key decide as the plain operator does
            # for every request (each carries one Region), so they restrict Regions as well.
            if clause.key.lower() != REQUESTED_REGION:
                continue
            base = clause.operator.base
            if statement.effect == "Deny" and base in _ALLOW_LIST_OPERATORS:
                kind = "allow-list"
            elif statement.effect == "Deny" and base in _DENY_LIST_OPERATORS:
                kind = "deny-list"
            elif statement.effect == "Allow" and base in _DENY_LIST_OPERATORS:
                kind = "allow-statement"
            else:
                continue
            found.append(RegionRestriction(statement, kind, clause, _exemptions(statement, clause)))
    return tuple(found)


def restrictions_by_statement(policy: Policy) -> dict[int, RegionRestriction]:
    """``find_region_restrictions`` by statement index (a statement's first), for callers that ask
    about one deciding statement at a time: a look-up, where a search per statement made check and
    propose quadratic in the number of statements."""
    found: dict[int, RegionRestriction] = {}
    for restriction in find_region_restrictions(policy):
        found.setdefault(restriction.statement.index, restriction)
    return found


def _exemptions(statement: Statement, region_clause: ConditionClause) -> Exemptions:
    principals: list[str] = []
    profiles: list[str] = []
    others: list[ConditionClause] = []
    for clause in statement.conditions:
        if clause is region_clause:
            continue
        key = clause.key.lower()
        if key == PRINCIPAL_ARN and clause.operator.negated:
            principals.extend(clause.values)
        elif key == INFERENCE_PROFILE_ARN and clause.operator.negated:
            profiles.extend(clause.values)
        else:
            others.append(clause)
    return Exemptions(
        not_actions=statement.not_action.items if statement.not_action else (),
        principal_patterns=tuple(principals),
        inference_profile_patterns=tuple(profiles),
        other_conditions=tuple(others),
    )


def region_listed(clause: ConditionClause, region: str, *, values: tuple[str, ...] | None = None) -> bool:
    """Whether a Region equals (or, for a ``Like`` operator, matches) one of the clause's values,
    whatever the operator's polarity."""
    from rewriter.conditions import glob_regex

    base = clause.operator.base
    ignore_case = base.endswith("IgnoreCase")
    for value in clause.values.items if values is None else values:
        if base.endswith("Like"):
            if glob_regex(value).fullmatch(region):
                return True
        elif (value.lower() == region.lower()) if ignore_case else value == region:
            return True
    return False
