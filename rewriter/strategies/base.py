"""What every strategy is given, and the edit helpers they share."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from rewriter.i18n import Text
from rewriter.check import CheckResult, RequestResult
from rewriter.cris import INFERENCE_ACTIONS
from rewriter.evaluate import Evaluator
from rewriter.fixes import Edit, NotApplicable
from rewriter.model import Policy, Statement, Values
from rewriter.regions import RegionRestriction, restrictions_by_statement
from rewriter.regions_data import partition_of
from rewriter.vocabulary import Actor, Outcome, Role

if TYPE_CHECKING:
    from rewriter.catalog import Profile

__all__ = ["Options", "Problem", "append_values", "append_statements", "profile_patterns"]


class Options(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    batch: bool = False  # batch jobs too: their service role's InvokeModel hops (cris) must get through
    broad: bool = False  # notaction: the blanket NotAction "bedrock:*"
    prefix: bool = False  # profile patterns widen to the geography: inference-profile/jp.*
    account: str | None = None  # identity policies: the callers' account, when the user or policy names it
    overridden: frozenset[int] = frozenset()  # deliberate controls (statement indexes) --override lifts

    @property
    def actions(self) -> tuple[str, ...]:
        """The actions an exemption names. A batch job needs no more: its cross-Region hops are
        InvokeModel calls by its service role, and CreateModelInvocationJob is made in the source
        Region only, which must already be allowed (reference R.2)."""
        return INFERENCE_ACTIONS


@dataclass(frozen=True, slots=True)
class Problem:
    """A policy, the profiles it must let through, and what the check found."""

    policy: Policy
    profiles: tuple[Profile, ...]
    result: CheckResult
    options: Options = Options()
    # the run's evaluator (propose's), for the strategies' own questions about statements
    evaluator: Evaluator = field(default_factory=Evaluator, repr=False, compare=False)
    # PERF: statement index -> the (profile id, role) of the requests it denies, made on the first look-up: every
    # denied request names every deciding statement, so a search per statement was quadratic
    _denied_by: dict[int, set[tuple[str, Role]]] = field(default_factory=dict, repr=False, compare=False)

    @property
    def denied(self) -> tuple[RequestResult, ...]:
        return tuple(r for c in self.result.checks for r in c.results if not r.decision.allowed)

    @property
    def guardrail_denied(self) -> tuple[RequestResult, ...]:
        """The denied ApplyGuardrail authorizations of the guardrail profile the calls use (``--guardrail``)."""
        return tuple(r for r in self.denied if r.authorization.role is Role.GUARDRAIL)

    def require_source_allowed(self, why: str) -> None:
        """Exemptions through the profile ARN cannot reach the originating call, which carries none, nor
        a batch job's creation or its service role's call on the profile (cris: none carries it)."""
        for result in self.denied:
            authorization, region = result.authorization, result.request.region
            if authorization.role is Role.BATCH_JOB:
                raise NotApplicable(Text(
                    "the batch job's creation (bedrock:CreateModelInvocationJob) in {region} is denied, and "
                    "{why}: {region} must already be allowed", region=region, why=why,
                ))
            if authorization.role is Role.PROFILE and authorization.actor is Actor.BATCH_ROLE:
                raise NotApplicable(Text(
                    "the batch service role's call on the profile in {region} is denied, and {why}: {region} "
                    "must be allowed for that role too (an exemption by principal must name it)",
                    region=region, why=why,
                ))
            if authorization.role is Role.PROFILE:
                raise NotApplicable(Text(
                    "the originating call in {region} is denied, and {why}: {region} must already be allowed",
                    region=region, why=why,
                ))

    def profiles_denied_by(self, index: int, *, roles: Collection[Role] | None = None) -> tuple[Profile, ...]:
        """The profiles some of whose requests statement ``index`` denies: an exemption in that statement
        names only these (a profile the statement already lets through needs nothing there). ``roles``:
        count only requests of these roles (not a guardrail's ApplyGuardrail, which no profile ARN covers)."""
        if not self._denied_by:
            for result in self.denied:
                for ref in result.decision.statements:
                    self._denied_by.setdefault(ref.index, set()).add((result.authorization.profile_id, result.authorization.role))
        ids = {profile_id for profile_id, role in self._denied_by.get(index, ()) if roles is None or role in roles}
        return tuple(p for p in self.profiles if p.id in ids)

    def restriction_of(self, statement: Statement) -> RegionRestriction | None:
        return restrictions_by_statement(self.policy).get(statement.index)

    def denying_restrictions(
        self, results: Iterable[RequestResult], *, lifted: dict[int, Statement] | None = None
    ) -> dict[int, RegionRestriction]:
        """The region restrictions that deny these requests, by statement index.

        Raises NotApplicable when a request is denied by something that is not a Region restriction:
        scp-fix never overrides a guardrail it was not asked about. A strategy that can exempt the
        profiles from a statement --override names passes ``lifted``, which collects those statements.
        """
        found: dict[int, RegionRestriction] = {}
        by_statement = restrictions_by_statement(self.policy)  # once: every request names every deciding statement
        for result in results:
            if result.decision.outcome != Outcome.EXPLICIT_DENY:
                raise NotApplicable(Text(
                    "{action} in {region} is denied because no Allow statement matches; add an Allow (or "
                    "evaluate beside FullAWSAccess)", action=result.request.action, region=result.request.region,
                )
                )
            for ref in result.decision.statements:
                statement = self.policy.statements[ref.index]
                restriction = by_statement.get(statement.index)
                if restriction is None and lifted is not None and statement.index in self.options.overridden:
                    lifted[statement.index] = statement
                    continue
                if restriction is None:
                    raise NotApplicable(Text(
                        "{statement} denies {action} for a reason other than the Region; scp-fix does not "
                        "override it", statement=statement.label, action=result.request.action,
                    )
                    )
                found[statement.index] = restriction
        return found


def append_values(values: Values, new: Sequence[str]) -> list[Edit]:
    """Edits that add items to a string-or-list element, keeping a list a list."""
    if not new:
        return []
    if values.is_list:
        return [Edit("add", f"{values.pointer}/-", item) for item in new]
    return [Edit("replace", values.pointer, [*values.items, *new])]


def append_statements(policy: Policy, edits: Sequence[Edit], statements: Sequence[dict]) -> list[Edit]:
    """``edits``, then edits that append ``statements`` to the policy's Statement list. A lone statement
    object becomes a list: the replace comes last and carries the statement as the edits before it left
    it, so the patch applies in order and nothing is lost."""
    if not statements:
        return list(edits)
    if policy.statement_is_list:
        return [*edits, *(Edit("add", "/Statement/-", s) for s in statements)]
    import jsonpatch  # heavy: only when a lone statement becomes a list

    edited = jsonpatch.apply_patch(policy.document, [e.to_json() for e in edits])["Statement"]
    return [*edits, Edit("replace", "/Statement", [edited, *statements])]


def profile_patterns(profiles: Sequence[Profile], *, prefix: bool) -> tuple[str, ...]:
    """The narrowest ``bedrock:InferenceProfileArn`` patterns that cover the profiles from any account
    and source Region; with ``prefix``, the whole geography (``inference-profile/jp.*``)."""
    patterns: dict[str, None] = {}
    for profile in profiles:
        if profile.arn:  # an application inference profile: its own ARN is already exact
            patterns.setdefault(profile.arn)
            continue
        partition = partition_of(profile.sources[0]) if profile.sources else "aws"
        # A profile whose id does not start with its geography (a custom one) keeps its exact id.
        widen = prefix and profile.id.startswith(f"{profile.geography}.")
        name = f"{profile.geography}.*" if widen else profile.id
        patterns.setdefault(f"arn:{partition}:bedrock:*:*:inference-profile/{name}")
    return tuple(patterns)
