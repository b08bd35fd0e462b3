"""Propose the smallest verified change that lets the named inference profiles through an SCP.

Every candidate is verified before it is shown: its patch applies to the original document, its text
parses back to exactly the patched document, every authorization of every profile is allowed in the new
policy, and proposing again on the new policy proposes nothing. ``auto`` keeps the verified candidate
that newly allows the least.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from rewriter import strategies
from rewriter.check import CheckResult, allows_all, batch_notes, check
from rewriter.controls import (
    CONTROL_TOWER_ROLE,
    Deliberate,
    control_tower_marker,
    control_tower_role_hint,
    deliberate_denials,
    resolve_overrides,
)
from rewriter.codec import Codec, json_codec, minified_size
from rewriter.cris import APPLY_GUARDRAIL, BATCH_ACTION, DEFAULT_ACCOUNT, INFERENCE_ACTIONS, UNSPECIFIED
from rewriter.errors import ScpFixError, VerificationError
from rewriter.evaluate import Evaluator
from rewriter.fixes import Fix, NotApplicable
from rewriter.i18n import Text, join
from rewriter.model import Policy
from rewriter.regions import find_region_restrictions
from rewriter.vocabulary import Status

if TYPE_CHECKING:
    from rewriter.catalog import Profile
    from rewriter.newly_allowed import Delta
    from rewriter.strategies.base import Options

__all__ = [
    "SCP_SIZE_LIMIT",
    "Size",
    "Candidate",
    "ControlTowerAdvice",
    "Proposal",
    "propose",
    "control_tower_statement",
    "STRATEGY_NAMES",
    "IDENTITY_STRATEGY_NAMES",
]

SCP_SIZE_LIMIT = 5120
STRATEGY_NAMES = strategies.names("scp")
IDENTITY_STRATEGY_NAMES = strategies.names("identity")


class Size(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """Characters, as AWS counts an SCP: as uploaded, and with the whitespace outside strings removed."""

    before: int
    after: int
    after_minified: int
    limit: int = SCP_SIZE_LIMIT

    @property
    def fits(self) -> bool:
        return self.after_minified <= self.limit

    @property
    def fits_as_is(self) -> bool:
        return self.after <= self.limit

    def to_json(self) -> dict[str, int]:
        return {"before": self.before, "after": self.after, "after_minified": self.after_minified, "limit": self.limit}


class Candidate(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """One strategy's outcome: a verified fix, or the reason there is none."""

    strategy: str
    fix: Fix | None = None
    document: dict[str, Any] | None = None
    text: str | None = None
    size: Size | None = None
    delta: Delta | None = None
    rejected: str | None = None
    notes: tuple[str, ...] = ()  # what verification adds to the fix's own notes (size, compact form)
    policy: Policy | None = None  # ``text`` read back

    @property
    def verified(self) -> bool:
        return self.fix is not None and self.rejected is None


class ControlTowerAdvice(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """What to change in Control Tower instead of hand-editing a managed SCP (which causes drift)."""

    statement_label: str
    allowed_regions: tuple[str, ...]
    exempted_actions: tuple[str, ...]
    needs_unspecified: bool

    @property
    def parameters(self) -> list[dict[str, Any]]:
        return [
            {"key": "AllowedRegions", "value": list(self.allowed_regions)},
            {"key": "ExemptedActions", "value": list(self.exempted_actions)},
        ]


class Proposal(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    policy: Policy
    before: CheckResult
    status: Status
    chosen: Candidate | None = None
    candidates: tuple[Candidate, ...] = ()
    reason: str = ""
    control_tower: ControlTowerAdvice | None = None
    choice: str = ""  # why ``auto`` chose this candidate over one that newly allows as much
    notes: tuple[str, ...] = ()  # about the policy, beside any fix: a control lifted, a pipeline hint
    deliberate: tuple[Deliberate, ...] = ()  # the deliberate controls that deny a profile

    @property
    def changed(self) -> bool:
        return self.status is Status.CHANGED

    @property
    def alternatives(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c is not self.chosen)


class _Settings(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    profiles: tuple[Profile, ...]
    source_region: str | None
    full_access: bool
    account: str | None  # an identity policy's is None unless given: the one its ARNs name
    batch: bool
    broad: bool
    prefix: bool
    newly_allowed: bool
    # the run's evaluator: the original and every fix share their compiled lists
    evaluator: Evaluator
    regions: tuple[str, ...] | None = None
    codec: Callable[[Policy], Codec] = json_codec
    overridden: frozenset[int] = frozenset()  # statements --override lets a fix change on purpose
    policy_name: str | None = None  # the policy's name in the organization, when known
    kind: str = "scp"  # "scp" | "identity" (rewriter.identity)
    actions: tuple[str, ...] | None = None  # identity policies: the actions callers need
    batch_role: str | None = None  # --batch: the jobs' service role (an unnamed one when None)
    principal: str | None = None  # the caller's aws:PrincipalArn, when known
    guardrail: Profile | None = None  # the guardrail profile the calls use: its ApplyGuardrail must pass too

    @property
    def identity(self) -> bool:
        return self.kind == "identity"

    @property
    def scp_actions(self) -> tuple[str, ...]:
        """The actions an SCP is checked for: inference, and with --batch a batch job (cris)."""
        return INFERENCE_ACTIONS + ((BATCH_ACTION,) if self.batch else ())

    @property
    def size_limit(self) -> int:
        if not self.identity:
            return SCP_SIZE_LIMIT
        from rewriter.identity import IAM_POLICY_SIZE_LIMIT  # here: an SCP's run needs no rewriter.identity

        return IAM_POLICY_SIZE_LIMIT

    @property
    def what(self) -> str:
        return "IAM managed policy" if self.identity else "SCP"


def propose(
    policy: Policy,
    profiles: Sequence[Profile],
    *,
    source_region: str | None = None,
    strategy: str = "auto",
    batch: bool = False,
    broad: bool = False,
    prefix: bool = False,
    force: bool = False,
    full_access: bool = True,
    account: str | None = None,
    newly_allowed: bool = True,
    grid_regions: Sequence[str] | None = None,
    codec: Callable[[Policy], Codec] = json_codec,
    kind: str = "scp",
    actions: Sequence[str] | None = None,
    override: Sequence[str] = (),
    policy_name: str | None = None,
    evaluator: Evaluator | None = None,
    batch_role: str | None = None,
    principal: str | None = None,
    guardrail: Profile | None = None,
) -> Proposal:
    """The smallest verified change to ``policy`` that lets every profile through, or why there is none.

    ``codec`` says how the policy's file is rewritten and read back; the default is a JSON policy file.
    ``override`` names statements (Sid, or number from 1) that are deliberate controls the change may
    weaken on purpose; ``policy_name`` is the policy's name in an organization (``aws-guardrails-…``
    is Control Tower's).
    ``kind="identity"`` reads the policy as a caller's IAM policy (``rewriter.identity``): it is evaluated
    alone, ``account`` defaults to the one its ARNs name, and ``actions`` are those callers need.
    ``evaluator``: one run's evaluator, shared by the files of one command (their policies repeat the
    same statement patterns, compiled once); a new one by default. ``guardrail``: the guardrail profile
    the calls use; its ApplyGuardrail authorizations are checked, fixed and verified with the calls (SCPs).
    ``batch`` checks batch jobs too, whose cross-Region hops are made by their service role,
    ``batch_role`` (reference R.2): the change must let that role through, not only the caller.
    ``principal``: the caller's ``aws:PrincipalArn``, for a policy that exempts principals.
    """
    names = IDENTITY_STRATEGY_NAMES if kind == "identity" else STRATEGY_NAMES
    if strategy not in names:
        raise ScpFixError(f"unknown strategy {strategy!r}; choose one of {', '.join(names)}")
    identity = kind == "identity"
    if identity and guardrail is not None:
        raise ScpFixError("--guardrail is checked for service control policies, not identity policies", path=policy.path)
    settings = _Settings(
        tuple(profiles), source_region, full_access and not identity,
        account if identity else account or DEFAULT_ACCOUNT,
        batch, broad, prefix, newly_allowed, evaluator or Evaluator(),
        regions=tuple(grid_regions) if grid_regions is not None else None,
        codec=codec, kind=kind, actions=tuple(actions) if actions else None,
        overridden=resolve_overrides(policy, override),
        policy_name=policy_name,
        batch_role=batch_role, principal=principal,
        guardrail=guardrail,
    )
    proposal = _propose_checked(policy, _check(policy, settings), strategy, force, settings)
    if settings.batch and not identity:  # who makes a batch job's calls, and what an exemption must name
        proposal = proposal._replace(
            notes=proposal.notes + batch_notes(settings.batch_role, settings.account, settings.guardrail))
    return proposal


def _propose_checked(policy: Policy, before: CheckResult, strategy: str, force: bool, settings: _Settings) -> Proposal:
    """``propose`` once the policy has been checked."""
    if not before.blocked:
        return Proposal(policy, before, Status.UNCHANGED, reason=Text("every profile's authorizations are already allowed"))
    deliberate = _deliberate_denials(policy, before, settings)
    if deliberate:
        first = deliberate[0]
        name = first.statement.sid or str(first.statement.index + 1)
        return Proposal(
            policy, before, Status.UNSAFE, deliberate=deliberate,
            reason=Text(
                "the profile is forbidden by {statement}: {why}. That is the organization's decision, which "
                "scp-fix does not weaken; to change it on purpose, pass --override {name}",
                statement=first.statement.label, why=first.why, name=name,
            ),
        )
    if before.unreachable:
        return Proposal(
            policy, before, Status.UNSAFE,
            # an identity check's reasons say themselves what to do
            reason=join("; ", (u.reason for u in before.unreachable)) if settings.identity else Text(
                "{reasons}. Name the Region callers use with --source-region to have it allowed.",
                reasons=join("; ", (u.reason for u in before.unreachable)),
            ),
        )
    marker = None if settings.identity else control_tower_marker(policy, policy_name=settings.policy_name)
    if marker is not None and not force:
        return Proposal(
            policy, before, Status.UNSAFE,
            reason=Text(
                "the policy is managed by AWS Control Tower: {statement} is one of its guardrails, and "
                "editing it by hand causes drift. Change the Control Tower control's parameters instead "
                "(shown), or pass --force to patch it anyway.",
                statement=marker.label,
            ),
            control_tower=_control_tower_advice(policy, before, settings),
        )
    notes: tuple[Any, ...] = ()
    hint = control_tower_role_hint(policy) if marker is None else None
    if hint is not None:
        notes += (
            Text(
                "{statement} exempts {role}, but nothing marks the policy as Control Tower's own; if a "
                "pipeline such as Landing Zone Accelerator or Customizations for Control Tower deploys this "
                "SCP, make the change in that pipeline's source.",
                statement=hint.label, role=CONTROL_TOWER_ROLE,
            ),
        )
    names = tuple(_registry(settings)) if strategy == "auto" else (strategy,)
    candidates = tuple(_candidate(name, policy, before, settings) for name in names)
    if settings.newly_allowed:
        candidates = _with_deltas(policy, before, candidates, settings)
    verified = [c for c in candidates if c.verified]
    if not verified:
        reasons = join("; ", (Text("{strategy}: {why}", strategy=c.strategy, why=c.rejected) for c in candidates))
        return Proposal(
            policy, before, Status.UNSAFE, candidates=candidates,
            reason=Text("no safe change found ({reasons})", reasons=reasons),
            notes=_lifted_notes(policy, before, settings, changed=False) + notes,
        )
    # Least opened over every class of the grid wins; ties go to fewer statements touched, then the
    # smaller policy, then the registry order (narrowest pattern first).
    def rank(c: Candidate) -> tuple[int, int, int, int]:
        return (c.delta.weight if c.delta else 0, _statements_touched(c.fix), c.size.after_minified if c.size else 0,
                names.index(c.strategy))

    ranked = sorted(verified, key=rank)
    chosen = ranked[0]
    return Proposal(
        policy, before, Status.CHANGED, chosen=chosen, candidates=candidates, reason=chosen.fix.rationale,
        notes=_lifted_notes(policy, before, settings, changed=True) + notes,
        choice=_why_chosen(ranked, rank) if settings.newly_allowed else "",
    )


def _statements_touched(fix: Fix | None) -> int:
    """How many statements a fix changes or adds."""
    touched: set[str] = set()
    added = 0
    for edit in fix.edits if fix else ():
        tokens = edit.path.split("/")
        if len(tokens) > 2 and tokens[1] == "Statement" and tokens[2] == "-":
            added += 1
        elif len(tokens) > 2 and tokens[1] == "Statement" and tokens[2].isdigit():
            touched.add(tokens[2])
        elif edit.path == "/Statement" and isinstance(edit.value, list):  # a lone statement becomes a list
            return len(edit.value)
        else:
            touched.add(edit.path)
    return len(touched) + added


def _why_chosen(ranked: list[Candidate], rank: Callable[[Candidate], tuple[int, ...]]) -> str:
    """Why the first candidate beat each that newly allows exactly as much, in words."""
    from rewriter.i18n import Text, join

    chosen, reasons = ranked[0], []
    weight, touched, size, _ = rank(chosen)
    name = chosen.strategy
    for other in ranked[1:]:
        o_weight, o_touched, o_size, _ = rank(other)
        if o_weight != weight:
            break
        if o_touched != touched:
            why = Text("{chosen} changes {count} statement(s), {other} {other_count}",
                       chosen=name, count=touched, other=other.strategy, other_count=o_touched)
        elif o_size != size:
            why = Text("both change {count} statement(s), and {chosen} leaves the policy smaller "
                       "({size} vs {other_size} characters minified)",
                       count=touched, chosen=name, size=size, other_size=o_size)
        else:
            why = Text("both change {count} statement(s) and are as large, and {chosen} comes first "
                       "(the narrower pattern)", count=touched, chosen=name)
        reasons.append(Text("{chosen} over {other}: both newly allow the same; {why}",
                            chosen=name, other=other.strategy, why=why))
    return join("; ", reasons) if reasons else ""


def control_tower_statement(policy: Policy) -> str | None:
    """The label of the statement that marks the policy as Control Tower's, if one does."""
    marker = control_tower_marker(policy)
    return marker.label if marker is not None else None


def _deliberate_denials(policy: Policy, before: CheckResult, settings: _Settings) -> tuple[Deliberate, ...]:
    """The deliberate controls that deny some authorization of a profile, not lifted by --override.
    A profile no caller can use is looked at from its first source Region, so a control that denies
    even the originating call is named too."""
    results = [r for c in before.checks for r in c.results]
    for unreachable in before.unreachable:
        if unreachable.sources:
            again = _check(policy, settings._replace(profiles=(unreachable.profile,), source_region=unreachable.sources[0]))
            results.extend(r for c in again.checks for r in c.results)
    return deliberate_denials([policy], results, overridden=frozenset((0, i) for i in settings.overridden))


def _lifted_notes(policy: Policy, before: CheckResult, settings: _Settings, *, changed: bool) -> tuple[Any, ...]:
    """In plain words, each deliberate control --override lets the change weaken (or, when no change
    could be made, that it stays as it is)."""
    if not settings.overridden:
        return ()
    lifted = _deliberate_denials(policy, before, settings._replace(overridden=frozenset()))
    return tuple(
        Text(
            "--override lifts {statement}, a deliberate control: {why}. The change lets the named profiles "
            "through it.", statement=d.statement.label, why=d.why,
        ) if changed else Text(
            "--override names {statement}, a deliberate control ({why}), but no strategy can let the named "
            "profiles through it: it stays as it is; change it by hand if that is the decision.",
            statement=d.statement.label, why=d.why,
        )
        for d in lifted if d.statement.index in settings.overridden
    )


def _registry(settings: _Settings) -> dict[str, strategies.Strategy]:
    """The strategies of the policy's kind, by name, in the registry's order."""
    return {s.name: s for s in strategies.of_kind("identity" if settings.identity else "scp")}


def _check(policy: Policy, settings: _Settings) -> CheckResult:
    if settings.identity:
        from rewriter.identity import check_identity

        return check_identity(
            policy, settings.profiles, source_region=settings.source_region, account=settings.account,
            evaluator=settings.evaluator, **({"actions": settings.actions} if settings.actions else {}),
        )
    return check(
        policy, settings.profiles, source_region=settings.source_region,
        full_access=settings.full_access, account=settings.account, evaluator=settings.evaluator,
        actions=settings.scp_actions, batch_role=settings.batch_role, principal=settings.principal,
        guardrail=settings.guardrail,
    )


def _candidate(name: str, policy: Policy, before: CheckResult, settings: _Settings) -> Candidate:
    from rewriter.strategies.base import Options

    options = Options(
        batch=settings.batch, broad=settings.broad, prefix=settings.prefix, overridden=settings.overridden,
        account=_account(policy, settings),
    )
    try:
        candidate = _planned(name, policy, before, options, settings)
    except NotApplicable as reason:
        return Candidate(name, rejected=reason.reason)
    # A candidate rejected for its size carries that size; any other rejection has none or one that fits.
    if candidate.size is None or candidate.size.fits or options.prefix or not strategies.strategy(name).prefix_form:
        return candidate
    # Too large with exact profile ARNs: the geography prefix form is shorter.
    compact = options._replace(prefix=True)
    try:
        retry = _planned(name, policy, before, compact, settings._replace(prefix=True))
    except NotApplicable as reason:  # pragma: no cover - the same problem planned once already
        return candidate._replace(rejected=reason.reason)
    if retry.rejected:
        return retry
    return retry._replace(
        notes=retry.notes + (
            Text(
                "The exact profile patterns made the policy {size} characters minified, over the {limit} "
                "limit; the geography prefix form is used instead.",
                size=candidate.size.after_minified, limit=SCP_SIZE_LIMIT,
            ),
        ),
    )


_MAX_STEPS = 8  # each step lets callers use a source Region more, and there are only so many


def _planned(name: str, policy: Policy, before: CheckResult, options: Options, settings: _Settings) -> Candidate:
    """The strategy's fix, verified. Without --source-region a caller may be in any Region the policy
    allows, so a fix can let callers use the profiles from a source Region the check did not look at,
    whose calls need more (the Region a fix allows, or exempts, is itself a source). Then the strategy
    plans again on the policy the fix makes, and both steps are the fix: proposing again must change
    nothing. Raises ``NotApplicable`` when the strategy cannot plan the first step."""
    from rewriter.strategies.base import Problem

    plan = _registry(settings)[name].plan
    fix = plan(Problem(policy, settings.profiles, before, options, settings.evaluator))
    candidate, still = _verify(name, fix, policy, settings)
    looked_at = {(c.profile.id, c.source_region) for c in before.checks}
    for _ in range(_MAX_STEPS):
        if still is None or settings.source_region is not None:
            break
        new_policy, after = still
        now = {(c.profile.id, c.source_region) for c in after.checks}
        blocked = {(c.profile.id, c.source_region) for c in after.checks if c.blocked}
        if after.unreachable or not blocked or not blocked.isdisjoint(looked_at):
            break  # a source the check looked at is still blocked: the fix itself falls short
        try:
            more = plan(Problem(new_policy, settings.profiles, after, options, settings.evaluator))
        except NotApplicable:
            break
        fix = _then(fix, more, sorted({source for _, source in blocked}))
        looked_at |= now
        candidate, still = _verify(name, fix, policy, settings)
    return candidate


def _then(fix: Fix, more: Fix, sources: list[str]) -> Fix:
    """``fix`` and, after it, ``more``, planned on the policy ``fix`` makes for the ``sources`` it opens."""
    step = more.title[:1].lower() + more.title[1:]
    return fix._replace(
        title=fix.title if more.title == fix.title else Text("{first}, then {step}", first=fix.title, step=step),
        edits=fix.edits + more.edits,
        applicability=min(fix.applicability, more.applicability),
        notes=tuple(dict.fromkeys((
            *fix.notes,
            *more.notes,
            Text(
                "The first step lets callers use the profiles from {sources}, whose calls also need more, so "
                "the fix goes on to {step}.", sources=", ".join(sources), step=step,
            ),
        ))),
    )


def _verify(
    name: str, fix: Fix, policy: Policy, settings: _Settings
) -> tuple[Candidate, tuple[Policy, CheckResult] | None]:
    """The fix checked as ``propose`` shows it; with, when the new policy still blocks a profile, that
    policy and its check."""
    patch = fix.patch
    import jsonpatch

    try:
        patched = jsonpatch.apply_patch(policy.document, patch)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as error:
        raise VerificationError(f"{name}: the patch does not apply: {error}", path=policy.path) from None
    codec = settings.codec(policy)
    try:
        text = codec.render(patch)
    except VerificationError:
        raise
    except ScpFixError as error:  # e.g. the value comes from a template parameter or a variable
        return Candidate(name, fix, rejected=Text("cannot be written into the file: {error}", error=str(error))), None
    new_policy = codec.read(text)
    if new_policy.document != patched:
        raise VerificationError(f"{name}: the rendered text does not parse to the patched document", path=policy.path)
    document = new_policy.document  # the same value, read from the text: it shares nothing with the original
    # Proposing again on the fixed policy must change nothing: propose leaves a policy that allows
    # every authorization as it is, so that is what is verified (the full check only says where not).
    if not _allows_all(new_policy, settings):
        after = _check(new_policy, settings)
        still = sorted({r for c in after.checks for r in c.denied_regions})
        rejected = (
            Text("verification failed: still denied in {regions}", regions=", ".join(still)) if still
            else Text("verification failed: still denied in a source Region")
        )
        return Candidate(name, fix, rejected=rejected), (new_policy, after)
    size = Size(
        before=codec.size(policy.source.text, policy),
        after=codec.size(text, new_policy),
        after_minified=minified_size(document),
        limit=settings.size_limit,
    )
    notes: tuple[str, ...] = ()  # beyond the fix's own notes
    if size.fits and not size.fits_as_is:
        notes += (
            Text(
                "The new policy is {size} characters as written, over the {limit} limit; upload it minified "
                "({minified} characters).", size=size.after, limit=size.limit, minified=size.after_minified,
            ),
        )
    if not size.fits:
        return Candidate(
            name, fix, document, text, size, rejected=Text(
                "the new policy would be {minified} characters minified, over the {limit}-character {what} limit",
                minified=size.after_minified, limit=size.limit, what=settings.what,
            ),
        ), None
    return Candidate(name, fix, document, text, size, notes=notes, policy=new_policy), None


def _allows_all(policy: Policy, settings: _Settings) -> bool:
    if settings.identity:  # an identity check is small: its full answer is the yes or no
        return not _check(policy, settings).blocked
    return allows_all(
        policy, settings.profiles, source_region=settings.source_region,
        full_access=settings.full_access, account=settings.account, evaluator=settings.evaluator,
        actions=settings.scp_actions, batch_role=settings.batch_role, principal=settings.principal,
        guardrail=settings.guardrail,
    )


def _account(policy: Policy, settings: _Settings) -> str | None:
    """Identity policies: the callers' account, when the user or the policy names it."""
    if not settings.identity:
        return None
    from rewriter.identity import policy_account

    return settings.account or policy_account(policy)


def _with_deltas(
    policy: Policy, before: CheckResult, candidates: tuple[Candidate, ...], settings: _Settings
) -> tuple[Candidate, ...]:
    """What each verified candidate newly allows and denies, compared in one pass over the grid; one
    that would newly deny anything is rejected."""
    from rewriter.newly_allowed import compare_many

    verified = [c for c in candidates if c.verified and c.policy is not None]
    if not verified:
        return candidates
    # an identity policy's grants name the profile ARN callers use: the grid asks about that one
    arns = {
        c.profile.id: r.request.resource for c in reversed(before.checks) for r in c.results
        if r.authorization.role == "profile"
    } if settings.identity else None
    deltas = compare_many(policy, [c.policy for c in verified], settings.profiles,  # type: ignore[misc]
                          full_access=settings.full_access, regions=settings.regions, profile_arns=arns,
                          evaluator=settings.evaluator, source_region=settings.source_region,
                          guardrail=settings.guardrail)
    by_candidate = {id(c): d for c, d in zip(verified, deltas)}
    result = []
    for candidate in candidates:
        delta = by_candidate.get(id(candidate))
        if delta is None:
            result.append(candidate)
        elif delta.newly_denied:
            lost = join("; ", (g.summary for g in delta.newly_denied))
            result.append(candidate._replace(delta=delta, rejected=Text("it would newly deny {lost}", lost=lost)))
        else:
            result.append(candidate._replace(delta=delta))
    return tuple(result)


def _control_tower_advice(policy: Policy, before: CheckResult, settings: _Settings) -> ControlTowerAdvice:
    """The Region deny control's parameters that let the profiles through, for the statement that denies."""
    denying = [
        policy.statements[ref.index]
        for c in before.checks for r in c.results if not r.decision.allowed
        for ref in r.decision.statements if ref.policy_index == 0
    ]
    label = denying[0].label if denying else "the Region deny control"
    allowed: dict[str, None] = {}
    for restriction in find_region_restrictions(policy):
        if restriction.kind == "allow-list" and denying and restriction.statement is denying[0]:
            allowed.update(dict.fromkeys(restriction.regions))
    denied = [r for c in before.checks for r in c.denied_regions]
    for region in denied:
        if region != UNSPECIFIED:
            allowed.setdefault(region)
    # A batch job's hops are InvokeModel calls by its service role (cris), exempted with the inference
    # actions; CreateModelInvocationJob is made in the source Region only, which the control allows.
    # A guardrail's ApplyGuardrail has no profile ARN to exempt it by: the control must exempt it too.
    actions = INFERENCE_ACTIONS + ((APPLY_GUARDRAIL,) if settings.guardrail is not None else ())
    return ControlTowerAdvice(label, tuple(allowed), actions, UNSPECIFIED in denied)
