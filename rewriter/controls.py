"""Statements scp-fix does not change on its own: the ones AWS Control Tower manages, and the ones an
organization wrote to deny Bedrock on purpose.

Control Tower writes its guardrails with Sids of its own (``GRREGIONDENY``, ``GRCLOUDTRAILENABLED``,
``CTMULTISERVICEPV1``) into policies named ``aws-guardrails-…``. Exempting the role
``AWSControlTowerExecution`` is no such marker: landing zones (LZA, CfCT, Innovation Sandbox) and
hand-written SCPs exempt it in statements Control Tower never touches, so it is only a hint that a
pipeline may deploy the policy.

A deliberate control is a Deny whose condition or target is Bedrock itself: AWS's "disable global
cross-Region inference" SCP (``aws:RequestedRegion = unspecified``), a profile allow-list
(``Null bedrock:InferenceProfileArn = false`` with ``ArnNotLike``), a Bedrock deny with no Region
condition, a deny aimed at named models or profiles. Letting a profile through it cancels the
organization's decision, so it takes ``--override``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from rewriter.cris import UNSPECIFIED
from rewriter.errors import InputError
from rewriter.model import Policy, Statement
from rewriter.regions import INFERENCE_PROFILE_ARN, REQUESTED_REGION

if TYPE_CHECKING:
    from rewriter.check import RequestResult

__all__ = [
    "CONTROL_TOWER_ROLE",
    "Deliberate",
    "control_tower_marker",
    "control_tower_role_hint",
    "deliberate_reason",
    "deliberate_denials",
    "resolve_overrides",
]

CONTROL_TOWER_ROLE = "AWSControlTowerExecution"
GUARDRAILS_POLICY_PREFIX = "aws-guardrails-"
# Control Tower's own Sids: the landing-zone guardrails (GRREGIONDENY, GRIAMROLEPOLICY, ...) and the
# Control Catalog's SCP controls (CT.MULTISERVICE.PV.1 -> CTMULTISERVICEPV1).
_CONTROL_TOWER_SID = re.compile(r"GR[A-Z0-9]{3,}|CT[A-Z0-9]+PV[0-9]+")


class Deliberate(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """A statement that denies a profile on purpose, and why scp-fix reads it so."""

    statement: Statement
    why: str


def control_tower_marker(policy: Policy, *, policy_name: str | None = None) -> Statement | None:
    """The statement that shows Control Tower manages this policy: one with a Sid Control Tower writes
    (or, for a policy named ``aws-guardrails-…`` in an organization, its first statement)."""
    for statement in policy.statements:
        if statement.sid and _CONTROL_TOWER_SID.fullmatch(statement.sid):
            return statement
    if policy_name and policy_name.startswith(GUARDRAILS_POLICY_PREFIX) and policy.statements:
        return policy.statements[0]
    return None


def control_tower_role_hint(policy: Policy) -> Statement | None:
    """A statement exempting Control Tower's execution role, when nothing marks the policy as Control
    Tower's own: a pipeline (LZA, CfCT) may deploy it."""
    for statement in policy.statements:
        for clause in statement.conditions:
            if any(CONTROL_TOWER_ROLE in v for v in clause.values.items):
                return statement
    return None


def deliberate_reason(statement: Statement) -> str | None:
    """Why a Deny statement is a deliberate Bedrock control, or None when it is not one."""
    if statement.effect != "Deny":
        return None
    region_clauses = [c for c in statement.conditions if c.key.lower() == REQUESTED_REGION]
    for clause in region_clauses:
        values = {v.lower() for v in clause.values.items}
        if not clause.operator.negated and values == {UNSPECIFIED}:
            return (
                "it denies Bedrock global cross-Region inference (aws:RequestedRegion = unspecified), "
                "as AWS's SCP to disable global cross-Region inference does"
            )
    for clause in statement.conditions:
        if clause.key.lower() != INFERENCE_PROFILE_ARN:
            continue
        if clause.operator.base == "Null":
            if "false" in {v.lower() for v in clause.values.items}:
                allowed = _profile_exemptions(statement)
                return (
                    "it is an inference-profile allow-list: calls through a profile are denied unless its "
                    f"ARN matches {', '.join(allowed)}" if allowed else
                    "it denies calls made through an inference profile"
                )
            return "it denies Bedrock calls made without an inference profile"
        if not clause.operator.negated:
            return f"it denies calls through inference profiles matching {', '.join(clause.values.items)}"
    if region_clauses:
        return None  # a Region restriction: making room for the profile is what scp-fix is for
    if statement.action is not None and statement.action.items and all(
        _is_bedrock(a) for a in statement.action.items
    ):
        named = _named_bedrock_resources(statement)
        if named:
            return f"it denies {', '.join(statement.action.items)} on {named}, with no Region condition"
        return f"it denies {', '.join(statement.action.items)} with no Region condition"
    named = _named_bedrock_resources(statement)
    if named:
        return f"it denies access to {named}, with no Region condition"
    return None


def deliberate_denials(
    policies: Sequence[Policy],
    results: Iterable[RequestResult],
    *,
    overridden: frozenset[tuple[int, int]] = frozenset(),
) -> tuple[Deliberate, ...]:
    """The deliberate controls among the statements deciding denied requests, first seen first;
    ``overridden`` holds (policy index, statement index) pairs the user lifted on purpose."""
    found: dict[tuple[int, int], Deliberate] = {}
    for result in results:
        decision = result.decision
        if decision.allowed:
            continue
        for ref in decision.statements:
            key = (ref.policy_index, ref.index)
            if key in found or key in overridden or not 0 <= ref.policy_index < len(policies):
                continue
            statement = policies[ref.policy_index].statements[ref.index]
            why = deliberate_reason(statement)
            if why is not None:
                found[key] = Deliberate(statement, why)
    return tuple(found.values())


def resolve_overrides(policy: Policy, names: Sequence[str]) -> frozenset[int]:
    """``--override`` values (a Sid, or a statement number counted from 1) -> statement indexes."""
    indexes: set[int] = set()
    for name in names:
        text = name.strip()
        match = next((s for s in policy.statements if s.sid == text), None)
        if match is None and text.isdigit() and 1 <= int(text) <= len(policy.statements):
            match = policy.statements[int(text) - 1]
        if match is None:
            raise InputError(
                f"--override {name}: {policy.path} has no statement with that Sid or number "
                f"(1 to {len(policy.statements)})"
            )
        indexes.add(match.index)
    return frozenset(indexes)


def _profile_exemptions(statement: Statement) -> list[str]:
    return [
        v for c in statement.conditions
        if c.key.lower() == INFERENCE_PROFILE_ARN and c.operator.negated for v in c.values.items
    ]


def _is_bedrock(action: str) -> bool:
    # bedrock-agentcore, bedrock-mantle and the like are other services, which CRIS does not use
    return action.partition(":")[0].lower() == "bedrock"


def _named_bedrock_resources(statement: Statement) -> str | None:
    """The Bedrock models or profiles a statement names in Resource or NotResource, in words."""
    for element, words in ((statement.resource, ""), (statement.not_resource, "everything but ")):
        if element is None:
            continue
        named = [r for r in element.items if _bedrock_target(r)]
        if named:
            return words + ", ".join(named)
    return None


def _bedrock_target(resource: str) -> bool:
    parts = resource.split(":", 5)
    if len(parts) < 6 or parts[2] != "bedrock":
        return False
    kind = parts[5].partition("/")[0]
    return kind in ("foundation-model", "inference-profile", "application-inference-profile", "custom-model")
