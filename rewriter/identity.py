"""Identity-based (IAM) policies: which authorizations of a profile call the caller's own policy allows.

The caller's identity policy sees the same requests as an SCP (``cris.authorizations``), and evaluates
them as ``evaluate`` does an SCP without FullAWSAccess: a request needs an Allow that matches it (else
an implicit deny), and a matching Deny wins. So a call through a profile needs the profile ARN allowed
in the source Region and the model allowed in every destination Region (the Region-less model ARN too,
for a global profile), usually only through the profile (``bedrock:InferenceProfileArn``).

Two things differ from an SCP check, because an identity policy grants rather than restricts:

- Actions. A policy that grants a model only ``bedrock:InvokeModel`` (Converse, no streaming) chose
  so: a needed action that no Allow grants on the profile or its model anywhere is reported once as
  "not granted anywhere" and not checked Region by Region.
- Source Regions. Without ``--source-region`` the sources checked are those where the policy allows
  the profile's originating call; when it allows it in none, those where it grants the model for
  direct calls (a policy that pins the model to one Region says where its callers are).
"""

from __future__ import annotations

import re
from dataclasses import replace
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rewriter.check import CheckResult, ProfileCheck, RequestResult, Unreachable, check
from rewriter.cris import DEFAULT_ACCOUNT, INFERENCE_ACTIONS, authorizations
from rewriter.errors import InputError
from rewriter.evaluate import IMPLICIT_DENY, Evaluator, Request
from rewriter.model import Policy
from rewriter.regions_data import partition_of
from rewriter.vocabulary import Code, Finding

if TYPE_CHECKING:
    from rewriter.catalog import Profile

__all__ = [
    "IDENTITY",
    "SCP",
    "KINDS",
    "IAM_POLICY_SIZE_LIMIT",
    "check_identity",
    "granted_actions",
    "policy_account",
]

SCP = "scp"
IDENTITY = "identity"
KINDS = (SCP, IDENTITY)
# A customer managed policy: 6,144 characters, whitespace not counted (IAM quotas). Inline policies
# share a larger per-identity budget, so the managed limit is the one a fix must stay within.
IAM_POLICY_SIZE_LIMIT = 6144

_BEDROCK_ACCOUNT = re.compile(r"arn:[a-z-]+:bedrock:[a-z0-9-]*:([0-9]{12}):")


def policy_account(policy: Policy) -> str | None:
    """The one account the policy's Bedrock ARNs name (resources and condition values), or None when
    they name none. Several accounts are bad input: which one callers are in is for the user to say."""
    found: dict[str, None] = {}
    for statement in policy.statements:
        values = [v for element in (statement.resource, statement.not_resource) if element for v in element.items]
        values += [v for clause in statement.conditions for v in clause.values.items]
        for value in values:
            for match in _BEDROCK_ACCOUNT.finditer(value):
                found.setdefault(match.group(1))
    if len(found) > 1:
        raise InputError(
            f"the policy's Bedrock ARNs name several accounts ({', '.join(found)}); pass --account "
            "with the one callers are in",
            path=policy.path,
        )
    return next(iter(found), None)


def _profile_resources(profile: Profile, account: str) -> tuple[str, ...]:
    """Every resource a call through the profile is authorized on, from any of its source Regions."""
    seen: dict[str, None] = {}
    for source in profile.sources:
        for item in authorizations(profile, source, account=account, actions=INFERENCE_ACTIONS[:1]):
            seen.setdefault(item.request.resource)
    return tuple(seen)


def granted_actions(
    policy: Policy, profile: Profile, actions: Sequence[str], *, account: str, evaluator: Evaluator | None = None
) -> tuple[str, ...]:
    """The actions of ``actions`` that some Allow statement grants on the profile or its model, in any
    Region and under any condition: those the policy means callers to have."""
    evaluator = evaluator or Evaluator()
    resources = _profile_resources(profile, account)
    unconditioned = [replace(s, conditions=()) for s in policy.statements if s.effect == "Allow"]
    return tuple(
        action for action in actions
        if any(
            evaluator.matches(statement, Request(action=action, resource=resource, region=""))
            for statement in unconditioned
            for resource in resources
        )
    )


def _sources(
    policy: Policy, profile: Profile, granted: tuple[str, ...], account: str, evaluator: Evaluator
) -> tuple[tuple[str, ...], str | None]:
    """The source Regions to check when none is given, and a note when they were inferred."""
    calling = tuple(
        source for source in profile.sources
        if any(
            evaluator.allowed(policy, item.request, full_access=False)
            for item in authorizations(profile, source, account=account, actions=granted)
            if item.role == "profile"
        )
    )
    if calling:
        return calling, None
    direct = tuple(
        source for source in profile.sources
        if any(
            evaluator.allowed(policy, Request(action, _model_arn(profile, source), source), full_access=False)
            for action in granted
        )
    )
    if not direct:
        return (), None
    return direct, (
        f"the policy allows no call of {profile.id} itself, so callers are taken to call it from where it "
        f"grants {profile.model} for direct calls: {', '.join(direct)} (name another with --source-region)"
    )


def _model_arn(profile: Profile, region: str) -> str:
    return f"arn:{partition_of(region)}:bedrock:{region}::foundation-model/{profile.model}"


def _implicit_reason(result: RequestResult) -> str:
    request = result.request
    role = result.authorization.role
    if role == "profile":
        where = f"in {request.region} (the originating call)"
    elif role == "destination":
        where = f"in {request.region} through the profile"
    elif role == "batch-job":
        where = f"in {request.region} (the batch job's creation)"
    else:
        where = "with aws:RequestedRegion unspecified (the Region-less global model)"
    return f"no Allow statement grants {request.action} on {request.resource} {where}"


def _worded(result: RequestResult) -> RequestResult:
    if result.decision.outcome != IMPLICIT_DENY:
        return result
    return result._replace(finding=Finding(Code.NO_ALLOW, _implicit_reason(result)))


def check_identity(
    policy: Policy,
    profiles: Sequence[Profile],
    *,
    source_region: str | None = None,
    account: str | None = None,
    actions: tuple[str, ...] = INFERENCE_ACTIONS,
    evaluator: Evaluator | None = None,
) -> CheckResult:
    """Every authorization of every profile against an identity policy, implicit denies included.

    ``account`` defaults to the one the policy's Bedrock ARNs name (``policy_account``); ``evaluator``
    is the run's, when the caller checks more than once."""
    evaluator = evaluator or Evaluator()
    account = account or policy_account(policy) or DEFAULT_ACCOUNT
    checks: list[ProfileCheck] = []
    unreachable: list[Unreachable] = []
    notes: list[str] = []
    for profile in profiles:
        granted = granted_actions(policy, profile, actions, account=account, evaluator=evaluator)
        if not granted:
            unreachable.append(Unreachable(
                profile, profile.sources,
                f"no Allow statement grants {' or '.join(actions)} on {profile.id} or its model anywhere: "
                "the policy does not grant this model, and scp-fix does not add an action",
            ))
            continue
        missing = tuple(a for a in actions if a not in granted)
        if source_region is not None:
            sources: tuple[str, ...] = (source_region,)
        else:
            sources, note = _sources(policy, profile, granted, account, evaluator)
            if note:
                notes.append(note)
        if not sources:
            unreachable.append(Unreachable(
                profile, profile.sources,
                f"no Allow statement grants the originating call of {profile.id} in any of its source Regions "
                f"({', '.join(profile.sources)}), nor {profile.model} for direct calls in one: name the Region "
                "callers call from with --source-region",
            ))
            continue
        for source in sources:
            result = check(
                policy, (profile,), source_region=source, full_access=False, account=account, actions=granted,
                evaluator=evaluator,
            )
            # a batch job's hops are its service role's, authorized by that role's policy, not this one
            checks.extend(
                item._replace(results=tuple(_worded(r) for r in item.results if r.authorization.actor == "caller"),
                              not_granted=missing)
                for item in result.checks
            )
    return CheckResult(policy.path, tuple(checks), tuple(unreachable), kind=IDENTITY, notes=tuple(notes))
