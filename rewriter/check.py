"""Profiles x policy -> the decision on every authorization Bedrock makes (``scp-fix check``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, TypeVar, NamedTuple

from rewriter.cris import (
    APPLY_GUARDRAIL,
    BATCH_ACTION,
    DEFAULT_ACCOUNT,
    INFERENCE_ACTIONS,
    Authorization,
    authorizations,
    originating_authorizations,
)
from rewriter.evaluate import PRINCIPAL_KEY, Decision, Evaluator, Request
from rewriter.model import Policy, Statement
from rewriter.regions import RegionRestriction, restrictions_by_statement
from rewriter.i18n import Text, join
from rewriter.vocabulary import Actor, Code, Finding, Outcome, Role

if TYPE_CHECKING:
    from rewriter.catalog import Profile

__all__ = [
    "RequestResult",
    "ProfileCheck",
    "Unreachable",
    "CheckResult",
    "check",
    "allows_all",
    "callable_sources",
    "check_levels",
    "check_with",
    "reason",
    "finding",
    "batch_note",
    "batch_notes",
]

T = TypeVar("T")
Decide = Callable[[Request], Decision]
Judge = Callable[[Request], "tuple[Decision, Finding | None]"]  # a decision and, when denied, why


class RequestResult(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    authorization: Authorization
    decision: Decision
    finding: Finding | None  # why it is denied (a code and words); None when allowed

    @property
    def request(self) -> Request:
        return self.authorization.request

    @property
    def reason(self) -> str | None:
        return self.finding.message if self.finding else None

    @property
    def code(self) -> Code | None:
        return self.finding.code if self.finding else None


class ProfileCheck(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """One profile called from one source Region."""

    profile: Profile
    source_region: str
    results: tuple[RequestResult, ...]
    # identity policies: needed actions no Allow grants on the profile or model anywhere (not checked)
    not_granted: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        return any(not r.decision.allowed for r in self.results)

    @property
    def denied_regions(self) -> tuple[str, ...]:
        """The ``aws:RequestedRegion`` values of the requests not allowed, sorted."""
        return tuple(sorted({r.request.region for r in self.results if not r.decision.allowed}))


class Unreachable(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """A profile none of whose source Regions the policy lets a caller use."""

    profile: Profile
    sources: tuple[str, ...]
    reason: str

    @property
    def code(self) -> Code:
        return Code.UNREACHABLE


class CheckResult(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    policy_path: str
    checks: tuple[ProfileCheck, ...]
    unreachable: tuple[Unreachable, ...] = ()
    kind: str = "scp"  # "scp" | "identity" (rewriter.identity)
    notes: tuple[str, ...] = ()  # how the check read the policy, where a reader should know
    guardrail: Profile | None = None  # the guardrail profile every call was checked with, when named
    batch: bool = False  # batch jobs were checked too (cris)
    batch_role: str | None = None  # their service role, when named

    @property
    def blocked(self) -> bool:
        return bool(self.unreachable) or any(c.blocked for c in self.checks)


def check(
    policies: Policy | Sequence[Policy],
    profiles: Sequence[Profile],
    *,
    source_region: str | None = None,
    full_access: bool = True,
    account: str = DEFAULT_ACCOUNT,
    principal: str | None = None,
    actions: tuple[str, ...] = INFERENCE_ACTIONS,
    evaluator: Evaluator | None = None,
    guardrail: Profile | None = None,
    batch_role: str | None = None,
) -> CheckResult:
    """Check every authorization of every profile against one level of SCPs.

    Without ``source_region``, every source Region of a profile from which the policy allows the
    originating call is checked: a caller cannot be in a Region the policy blocks outright.
    ``evaluator`` is the run's, when the caller checks more than once. With a ``guardrail`` profile,
    each call is checked with its ApplyGuardrail authorizations, from the source Regions both share.
    """
    group = (policies,) if isinstance(policies, Policy) else tuple(policies)
    evaluator = evaluator or Evaluator()

    def decide(request: Request) -> Decision:
        return evaluator.evaluate(group, request, full_access=full_access)

    path = group[0].path if group else "<policies>"
    return _run(decide, group, profiles, path, source_region, account, principal, actions, guardrail, batch_role,
                _originating_allowed(group, full_access, evaluator))


def allows_all(
    policies: Policy | Sequence[Policy],
    profiles: Sequence[Profile],
    *,
    source_region: str | None = None,
    full_access: bool = True,
    account: str = DEFAULT_ACCOUNT,
    principal: str | None = None,
    actions: tuple[str, ...] = INFERENCE_ACTIONS,
    evaluator: Evaluator | None = None,
    guardrail: Profile | None = None,
    batch_role: str | None = None,
) -> bool:
    """``not check(...).blocked``, without deciding which statements decide or wording why: the
    yes or no that verifying a fix needs, at a third of the cost."""
    group = (policies,) if isinstance(policies, Policy) else tuple(policies)
    evaluator = evaluator or Evaluator()

    for profile in profiles:
        callable_from = () if source_region is not None else callable_sources(
            group, profile, full_access=full_access, account=account, actions=actions, principal=principal,
            evaluator=evaluator,
        )

        def judge_source(profile: Profile, source: str, whole: bool) -> tuple[bool, bool]:
            originating = source in callable_from
            if not (originating or whole):
                return False, False
            auths = authorizations(
                profile, source, account=account, actions=actions, principal=principal, guardrail=guardrail,
                batch_role=batch_role,
            )
            return all(evaluator.allowed(group, a.request, full_access=full_access) for a in auths), originating

        _, usable = _usable_sources(profile, source_region, judge_source, guardrail)
        if not usable or not all(usable):
            return False
    return True


def callable_sources(
    policies: Policy | Sequence[Policy],
    profile: Profile,
    *,
    full_access: bool = True,
    account: str = DEFAULT_ACCOUNT,
    actions: tuple[str, ...] = INFERENCE_ACTIONS,
    principal: str | None = None,
    evaluator: Evaluator | None = None,
) -> tuple[str, ...]:
    """The source Regions of ``profile`` from which the policies let a caller make the originating call:
    where a caller can call it from (what ``check`` counts when no source Region is named)."""
    group = (policies,) if isinstance(policies, Policy) else tuple(policies)
    evaluator = evaluator or Evaluator()

    def sources() -> tuple[str, ...]:
        allowed = _originating_allowed(group, full_access, evaluator)
        return tuple(
            source
            for source in profile.sources
            if all(
                allowed(a.request)
                for a in originating_authorizations(
                    profile, source, account=account, actions=actions, principal=principal
                )
            )
        )

    # PERF: verifying a fix and the grid's routes ask the same of each policy and profile; with 33
    # profiles, a policy's every source Region each time
    for policy in group:
        evaluator.compiled(policy)  # held by the evaluator: its id names it in the key
    key = ("callable sources", *map(id, group), profile, full_access, account, actions, principal)
    return evaluator.shared(key, sources)


def _originating_allowed(
    group: tuple[Policy, ...], full_access: bool, evaluator: Evaluator
) -> Callable[[Request], bool]:
    """``evaluator.allowed`` for originating calls (``originating_authorizations``).

    PERF: where no statement of the policies reads the resource, a profile's originating call is answered
    as any other profile's from the same Region: with 33 profiles, each of their ~600 source Regions
    is asked once per action for all of them, and the answers are kept by the evaluator (a proposal asks
    of each policy twice)."""

    def ask(request: Request) -> bool:
        return evaluator.allowed(group, request, full_access=full_access)

    if not all(_reads_no_resource(s) for policy in group for s in policy.statements):
        return ask
    for policy in group:
        evaluator.compiled(policy)  # held by the evaluator: its id names it in the key
    answers: dict[tuple[str, str, str | None], bool] = evaluator.shared(
        ("originating answers", *map(id, group), full_access), dict
    )

    def allowed(request: Request) -> bool:
        if request.context:  # an originating call has none; anything else is asked as it is
            return ask(request)
        key = (request.action, request.region, request.principal)
        found = answers.get(key)
        if found is None:
            found = answers[key] = ask(request)
        return found

    return allowed


def _reads_no_resource(statement: Statement) -> bool:
    """Whether a statement applies to every resource alike (no Resource element, or one with ``*``)."""
    return statement.not_resource is None and (statement.resource is None or "*" in statement.resource.items)


def _originating(authorization: Authorization) -> bool:
    """Whether a request is the caller's call on the profile in the source Region: where it is denied,
    no caller is there. A batch job's service role is not the caller; its denied hops are findings."""
    return authorization.role is Role.PROFILE and authorization.actor is Actor.CALLER


def _usable_sources(
    profile: Profile,
    source_region: str | None,
    judge_source: Callable[[Profile, str, bool], tuple[T, bool]],
    guardrail: Profile | None = None,
) -> tuple[tuple[str, ...], list[T]]:
    """Which source Regions of a profile a check counts (the one rule ``check`` and ``allows_all`` share):
    the named ``source_region`` (an unknown one is an error, not a silent pass), else every source whose
    originating call is allowed, since a caller cannot be in a Region the policy blocks outright. With a
    ``guardrail`` profile, only the sources both can be called from: a guardrail lives in the caller's
    Region, and a guardrail profile serves only its own sources.

    ``judge_source(profile, source, whole)`` gives a source's result and whether its originating call is
    allowed; unless ``whole``, it may judge only the originating call when that is denied (the result
    is then left out). Returns the sources looked at and the results of those that count."""
    if source_region is not None:
        profile.destinations(source_region)
        if guardrail is not None:
            guardrail.destinations(source_region)
        return (source_region,), [judge_source(profile, source_region, True)[0]]
    sources = profile.sources
    if guardrail is not None:
        sources = tuple(s for s in sources if s in guardrail.routes)
        if not sources and profile.sources:
            from rewriter.errors import ProfileNotFoundError

            raise ProfileNotFoundError(
                f"no source Region of {profile.label} ({', '.join(profile.sources)}) is one of guardrail "
                f"profile {guardrail.id} ({', '.join(guardrail.sources)}): a call cannot use both"
            )
    usable = []
    for source in sources:
        # PERF: a source whose originating call is denied does not count, so its destinations are not
        # asked about: a global profile has some 30 sources, and a Region allow-list lets callers use few.
        result, originating_allowed = judge_source(profile, source, False)
        if originating_allowed:
            usable.append(result)
    return sources, usable


def check_levels(
    levels: Sequence[Sequence[Policy]],
    profiles: Sequence[Profile],
    *,
    source_region: str | None = None,
    account: str = DEFAULT_ACCOUNT,
    principal: str | None = None,
    actions: tuple[str, ...] = INFERENCE_ACTIONS,
    path: str = "<organization>",
    evaluator: Evaluator | None = None,
    batch_role: str | None = None,
) -> CheckResult:
    """The same check across the SCPs of every level from the root to an account."""
    evaluator = evaluator or Evaluator()

    def decide(request: Request) -> Decision:
        return evaluator.evaluate_levels(levels, request)

    flat = tuple(p for level in levels for p in level)
    return _run(decide, flat, profiles, path, source_region, account, principal, actions, batch_role=batch_role)


def _run(
    decide: Decide,
    policies: tuple[Policy, ...],
    profiles: Sequence[Profile],
    path: str,
    source_region: str | None,
    account: str,
    principal: str | None,
    actions: tuple[str, ...],
    guardrail: Profile | None = None,
    batch_role: str | None = None,
    allowed: Callable[[Request], bool] | None = None,
) -> CheckResult:
    found: dict[int, Mapping[int, RegionRestriction]] = {}  # a policy's restrictions, by position

    def restrictions(index: int) -> Mapping[int, RegionRestriction]:
        if index not in found:
            found[index] = restrictions_by_statement(policies[index])
        return found[index]

    def judge(request: Request) -> tuple[Decision, Finding | None]:
        decision = decide(request)
        return decision, None if decision.allowed else _finding(policies, request, decision, restrictions)

    return check_with(
        judge, profiles, path=path, source_region=source_region, account=account, principal=principal,
        actions=actions, guardrail=guardrail, batch_role=batch_role, allowed=allowed,
    )


def check_with(
    judge: Judge,
    profiles: Sequence[Profile],
    *,
    path: str,
    source_region: str | None = None,
    account: str = DEFAULT_ACCOUNT,
    principal: str | None = None,
    actions: tuple[str, ...] = INFERENCE_ACTIONS,
    authorize: Callable[..., tuple[Authorization, ...]] = authorizations,
    guardrail: Profile | None = None,
    batch_role: str | None = None,
    allowed: Callable[[Request], bool] | None = None,
) -> CheckResult:
    """The check itself, for any way of deciding a request (one level, every level, a memoised org).
    ``allowed``: the yes or no alone, where that is cheaper than ``judge`` (which words why a request is
    denied); it tells which source Regions count."""
    is_allowed = allowed or (lambda request: judge(request)[0].allowed)
    checks: list[ProfileCheck] = []
    unreachable: list[Unreachable] = []
    with_guardrail = {"guardrail": guardrail} if guardrail is not None else {}  # an org's authorize has none

    def judge_source(profile: Profile, source: str, whole: bool) -> tuple[ProfileCheck | None, bool]:
        # PERF: the originating calls alone first: a global profile's ~30 sources each make a request
        # per destination, and a source whose originating call is denied does not count
        if not whole and not all(
            is_allowed(a.request)
            for a in originating_authorizations(profile, source, account=account, actions=actions, principal=principal)
        ):
            return None, False
        auths = authorize(
            profile, source, account=account, actions=actions, principal=principal, batch_role=batch_role,
            **with_guardrail,
        )
        results = tuple(RequestResult(a, *judge(a.request)) for a in auths)
        originating_allowed = all(r.decision.allowed for r in results if _originating(r.authorization))
        return ProfileCheck(profile, source, results), originating_allowed

    for profile in profiles:
        sources, usable = _usable_sources(profile, source_region, judge_source, guardrail)
        if not usable:
            unreachable.append(
                Unreachable(
                    profile,
                    sources,
                    Text(
                        "the policy denies the originating call in every source Region of {profile} "
                        "({sources}): no caller can use it",
                        profile=profile.id, sources=", ".join(sources),
                    ),
                )
            )
        checks.extend(usable)
    batch = BATCH_ACTION in actions
    notes = batch_notes(batch_role, account, guardrail) if batch else ()
    return CheckResult(path, tuple(checks), tuple(unreachable), notes=notes, guardrail=guardrail,
                       batch=batch, batch_role=batch_role)


def batch_notes(batch_role: str | None, account: str, guardrail: Profile | None = None) -> tuple[Text, ...]:
    """The notes of a batch check: who makes which call and, with a guardrail, which calls apply it."""
    if guardrail is None:
        return (batch_note(batch_role, account),)
    # CreateModelInvocationJob's request has no guardrail setting, and AWS documents none for the
    # batch service role's calls (reference: UNCONFIRMED), so only the caller's own calls apply it.
    return batch_note(batch_role, account), Text(
        "guardrail with batch jobs: bedrock:ApplyGuardrail on guardrail profile {guardrail} was checked for "
        "the caller's own calls only. A batch job's request (CreateModelInvocationJob) names no guardrail, "
        "and AWS does not document one for the batch service role's calls, so the role was not checked for "
        "ApplyGuardrail.",
        guardrail=guardrail.id,
    )


def batch_note(batch_role: str | None, account: str) -> Text:
    """How a batch job was checked, in words: who makes which call, and what an exemption must name."""
    if batch_role is None:
        return Text(
            "batch jobs: the caller creates the job in the source Region (bedrock:CreateModelInvocationJob); "
            "the cross-Region calls are bedrock:InvokeModel by the job's batch service role, which was not "
            "named, so they were checked as an unnamed role of account {account} that no "
            "exemption by principal is assumed to cover. An exemption by principal (such as aws:PrincipalArn) "
            "must include the batch service role, not only the caller: name it with --batch-role ARN.",
            account=account,
        )
    return Text(
        "batch jobs: the caller creates the job in the source Region (bedrock:CreateModelInvocationJob); "
        "the cross-Region calls are bedrock:InvokeModel by the batch service role {role}, checked as that "
        "principal. An exemption by principal (such as aws:PrincipalArn) must include that role, not only "
        "the caller.",
        role=batch_role,
    )


def reason(policies: Sequence[Policy], request: Request, decision: Decision) -> str:
    """Why a request is denied, in words a reviewer acts on."""
    return finding(policies, request, decision).message


def finding(policies: Sequence[Policy], request: Request, decision: Decision) -> Finding:
    """Why a request is denied: the code of its kind and the words."""
    return _finding(policies, request, decision, lambda index: restrictions_by_statement(policies[index]))


def _not_exempt(statement: Statement, request: Request) -> list[Text]:
    """Where the statement exempts principals by ``aws:PrincipalArn`` and the request's principal is not
    one of them, say so: a batch job's service role is a principal of its own (cris)."""
    if request.principal is None:
        return []
    return [
        Text(
            "{statement} exempts only the principals {patterns} ({key}), and {principal} is not one of them",
            statement=statement.label, patterns=", ".join(clause.values.items), key=clause.key,
            principal=request.principal,
        )
        for clause in statement.conditions
        if clause.key.lower() == PRINCIPAL_KEY and clause.operator.negated
    ]


def _finding(
    policies: Sequence[Policy],
    request: Request,
    decision: Decision,
    restrictions: Callable[[int], Mapping[int, RegionRestriction]],  # policy position -> by statement index
) -> Finding:
    if decision.outcome == Outcome.IMPLICIT_DENY:
        return Finding(Code.NO_ALLOW, Text(
            "no Allow statement matches {action} in {region} (an SCP allows only what an Allow statement names)",
            action=request.action, region=request.region,
        ))
    unspecified = request.region == "unspecified"
    codes: list[Code] = []
    phrases: list[str] = []
    for ref in decision.statements:
        if ref.policy_index < 0 or ref.policy_index >= len(policies):
            continue
        policy = policies[ref.policy_index]
        statement = policy.statements[ref.index]
        label = statement.label
        restriction = restrictions(ref.policy_index).get(ref.index)
        if restriction is None or restriction.kind == "deny-list":
            from rewriter.controls import deliberate_reason

            why = deliberate_reason(statement)
            if why is not None:
                phrases.append(f"{label} deliberately denies {request.action}: {why}")
                continue
        if restriction is None:
            codes.append(Code.STATEMENT_DENIES)
            phrases.append(Text("{statement} denies {action}", statement=label, action=request.action))
        elif restriction.kind == "allow-list":
            codes.append(Code.UNSPECIFIED_REGION_DENIED if unspecified else Code.REGION_NOT_ALLOWED)
            phrases.append(Text("{region} is not in the allowed Regions of {statement}", region=request.region, statement=label))
        else:
            codes.append(Code.UNSPECIFIED_REGION_DENIED if unspecified else Code.REGION_DENIED)
            phrases.append(Text("{region} is in the denied Regions of {statement}", region=request.region, statement=label))
        phrases.extend(_not_exempt(statement, request))
    # the first deciding statement names the kind; the words name every one
    code = codes[0] if codes else Code.STATEMENT_DENIES
    if request.action == APPLY_GUARDRAIL and code in (Code.REGION_NOT_ALLOWED, Code.REGION_DENIED):
        code = Code.GUARDRAIL_REGION_DENIED  # its own code: no profile-ARN exemption can cover it
    return Finding(code, join("; ", phrases) if phrases else Text("denied by a service control policy"))
