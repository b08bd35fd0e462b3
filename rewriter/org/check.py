"""Per account: do the inference profiles work through every SCP from the root down (``org check``)?

Accounts whose paths carry the same SCPs are evaluated once. The cache key is the tuple of policy
ids per level, first reduced to what can decide a Bedrock request: a policy none of whose
statements names a checked action (``Deny s3:DeleteBucket``) can neither allow nor deny one, so it
is left out, and a level that only allows (FullAWSAccess alone) is left out entirely. Both are
exact under SCP evaluation, and they make a large organization collapse to a few distinct checks.
A policy that names an account id in its text (a profile ARN pattern, say) keeps the account in the
key, because the requests carry that account's ARNs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rewriter import check as check_module
from rewriter.check import CheckResult, check_with
from rewriter.cris import INFERENCE_ACTIONS
from rewriter.errors import InputError
from rewriter.evaluate import ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY, Decision, Evaluator, Request, StatementRef, action_matches
from rewriter.org.snapshot import Finding, OrgNode, OrgPolicy, Snapshot, account_ids_in
from rewriter.vocabulary import AccountStatus, Code, Finding as Reason

if TYPE_CHECKING:
    from rewriter.catalog import Profile
    from rewriter.model import Policy

__all__ = ["OrgDenial", "AccountCheck", "OrgCheck", "check_org", "select_accounts", "Relevance", "relevance"]


@dataclass(frozen=True, slots=True)
class Relevance:
    """What one policy can do to the checked actions."""

    denies: bool  # some Deny statement names a checked action
    allows: bool  # some Allow statement names a checked action
    allows_all: bool  # an unconditional Allow of every checked action on every resource

    @property
    def relevant(self) -> bool:
        return self.denies or self.allows


_UNKNOWN = Relevance(True, True, False)  # unreadable: evaluate it (and let the parser report it)


def _strings(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _may_match(pattern: str, action: str) -> bool:
    """``action_matches`` after a cheap test of the service prefix (most patterns name another service)."""
    service, _, _ = pattern.partition(":")
    if "*" not in service and "?" not in service and "$" not in service and service.isascii():
        if service.lower() != action.partition(":")[0].lower():
            return False
    return action_matches(pattern, action)


def relevance(content: str, actions: Sequence[str]) -> Relevance:
    """Read from the JSON alone, without the full parser: a check may span a thousand policies."""
    try:
        document = json.loads(content)
    except (ValueError, RecursionError):
        return _UNKNOWN
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return _UNKNOWN
    denies = allows = allows_all = False
    for statement in statements:
        if not isinstance(statement, dict):
            return _UNKNOWN
        if "Action" in statement:
            patterns = _strings(statement["Action"])
            if patterns is None:
                return _UNKNOWN
            matched = [a for a in actions if any(_may_match(p, a) for p in patterns)]
        elif "NotAction" in statement:
            patterns = _strings(statement["NotAction"])
            if patterns is None:
                return _UNKNOWN
            matched = [a for a in actions if not any(_may_match(p, a) for p in patterns)]
        else:
            return _UNKNOWN
        if not matched:
            continue
        effect = statement.get("Effect")
        if effect == "Deny":
            denies = True
        elif effect == "Allow":
            allows = True
            if (
                len(matched) == len(actions)
                and "Condition" not in statement
                and "NotResource" not in statement
                and _strings(statement.get("Resource")) == ["*"]
            ):
                allows_all = True
        else:
            return _UNKNOWN
    return Relevance(denies, allows, allows_all)


@dataclass(frozen=True, slots=True)
class OrgDenial:
    """One denied request of one profile, and what denies it.

    ``policy`` is None for an implicit deny: no policy at that level allows the request.
    """

    profile: str
    source_region: str
    region: str
    action: str
    node: OrgNode  # the level: root, OU or account
    level_label: str
    policy: OrgPolicy | None
    statement_index: int | None
    sid: str | None
    pointer: str | None
    reason: str
    statement_line: int | None = None  # in the policy's content, as a reader counts
    code: Code | None = None  # the finding's code (vocabulary.Code), beside ``reason``

    @property
    def level_kind(self) -> str:
        return self.node.kind


@dataclass(frozen=True, slots=True, eq=False)
class _Evaluation:
    """One check of one reduced SCP path, shared by every account with that path."""

    account: str  # the account whose id the requests carried
    result: CheckResult
    policy_ids: tuple[str, ...]  # flattened, as StatementRef.policy_index counts
    # ((profile, source, region, action, reduced level, flat index or -1, statement index, sid, pointer, finding or None))
    raw: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True, slots=True, eq=False)
class AccountCheck:
    """One account's result. ``denials`` are resolved to this account's own levels on demand."""

    account: OrgNode
    path: tuple[OrgNode, ...]
    invalid: tuple[OrgPolicy, ...] = ()  # on the path and unreadable: the account cannot be checked
    _evaluation: _Evaluation | None = None
    _levels: tuple[int, ...] = ()  # reduced level -> index in ``path``
    _snapshot: Snapshot | None = field(default=None, repr=False)

    @property
    def status(self) -> AccountStatus:
        if self.invalid:
            return AccountStatus.ERROR
        return AccountStatus.BLOCKED if self.blocked else AccountStatus.OK

    @property
    def result(self) -> CheckResult | None:
        return self._evaluation.result if self._evaluation else None

    @property
    def evaluated_as(self) -> str | None:
        return self._evaluation.account if self._evaluation else None

    @property
    def blocked(self) -> bool:
        return self._evaluation is not None and self._evaluation.result.blocked

    @property
    def denials(self) -> tuple[OrgDenial, ...]:
        if self._evaluation is None or self._snapshot is None:
            return ()
        snapshot = self._snapshot
        out: list[OrgDenial] = []
        for profile, source, region, action, level, flat, index, sid, pointer, why in self._evaluation.raw:
            node = self.path[self._levels[level]] if level is not None else self.account
            policy = snapshot.policy(self._evaluation.policy_ids[flat]) if flat >= 0 else None
            parsed = snapshot.parsed(policy.id) if policy is not None and index is not None else None
            out.append(OrgDenial(
                profile, source, region, action, node, snapshot.level_label(node), policy,
                index, sid, pointer, why.message if why else "", parsed.statements[index].line if parsed else None,
                why.code if why else None,
            ))
        return tuple(out)

    @property
    def denying_nodes(self) -> tuple[str, ...]:
        """The ids of the levels the denials name, in order, each once: ``denials``' nodes, without
        building the denials."""
        if self._evaluation is None:
            return ()
        levels = dict.fromkeys(raw[4] for raw in self._evaluation.raw)
        return tuple(self.path[self._levels[level]].id if level is not None else self.account.id for level in levels)

    @property
    def denying_policies(self) -> tuple[tuple[OrgNode, OrgPolicy | None], ...]:
        """(level, policy) pairs that deny something, in path order, each once."""
        seen: dict[tuple[str, str | None], tuple[OrgNode, OrgPolicy | None]] = {}
        for d in self.denials:
            seen.setdefault((d.node.id, d.policy.id if d.policy else None), (d.node, d.policy))
        order = {n.id: i for i, n in enumerate(self.path)}
        return tuple(sorted(seen.values(), key=lambda pair: order[pair[0].id]))


@dataclass(frozen=True, slots=True)
class OrgCheck:
    profiles: tuple[str, ...]
    accounts: tuple[AccountCheck, ...]
    findings: tuple[Finding, ...]
    evaluations: int  # distinct SCP paths actually evaluated

    @property
    def blocked(self) -> bool:
        return any(a.blocked for a in self.accounts)

    @property
    def errors(self) -> bool:
        return any(a.invalid for a in self.accounts)


def select_accounts(
    snapshot: Snapshot, *, accounts: Iterable[str] = (), ous: Iterable[str] = ()
) -> tuple[OrgNode, ...]:
    """The named accounts, or every account under the named OUs (or root), or all accounts."""
    accounts, ous = tuple(accounts), tuple(ous)
    if accounts and ous:
        raise InputError("pass accounts or OUs, not both")
    if accounts:
        chosen = []
        for account_id in accounts:
            node = snapshot.node(account_id)
            if node.kind != "account":
                raise InputError(f"{account_id} is {'an OU' if node.kind == 'ou' else 'the root'}, not an account; use --ou")
            chosen.append(node)
        return tuple(dict.fromkeys(chosen))
    if ous:
        chosen = []
        for ou_id in ous:
            node = snapshot.node(ou_id)
            if node.kind == "account":
                raise InputError(f"{ou_id} is an account, not an OU; use --account")
            chosen.extend(snapshot.accounts_under(ou_id))
        return tuple(dict.fromkeys(chosen))
    return snapshot.accounts


@dataclass(frozen=True, slots=True, eq=False)
class _Prefix:
    """The reduced levels of a path from the root down to one node (see ``_Reducer``)."""

    levels: tuple[tuple[str, ...], ...]  # the kept levels' relevant policy ids
    where: tuple[int, ...]  # each kept level's index in the path
    mentioned: frozenset[str]  # the account ids the kept policies' texts name
    invalid: tuple[str, ...]  # unreadable policies on the path (kept or not)


class _Reducer:
    """Per-policy relevance and per-account reduced paths, for one set of actions.

    An account's path is its parent's plus its own level, and thousands of accounts share a few
    hundred parents, so each OU's prefix is reduced once (``prefix``) and an account adds its level."""

    def __init__(
        self, snapshot: Snapshot, actions: Sequence[str], overrides: dict[str, Policy], invalid_ids: frozenset[str]
    ) -> None:
        self.snapshot = snapshot
        self.actions = tuple(actions)
        self.overrides = overrides
        self.invalid_ids = invalid_ids
        self.memo: dict[str, Relevance] = {}
        self.prefixes: dict[str, _Prefix] = {}

    def of(self, policy_id: str) -> Relevance:
        found = self.memo.get(policy_id)
        if found is None:
            override = self.overrides.get(policy_id)
            text = override.source.text if override is not None else self.snapshot.policy(policy_id).content
            found = self.memo[policy_id] = relevance(text, self.actions)
        return found

    def mentions(self, policy_id: str) -> frozenset[str]:
        override = self.overrides.get(policy_id)
        return account_ids_in(override.source.text) if override is not None else self.snapshot.mentions(policy_id)

    def _extend(self, prefix: _Prefix, node_id: str, index: int) -> _Prefix:
        ids = self.snapshot.attached(node_id)
        invalid = prefix.invalid + tuple(pid for pid in ids if pid in self.invalid_ids)
        facts = [(pid, self.of(pid)) for pid in ids]
        if not any(r.denies for _, r in facts) and any(r.allows_all for _, r in facts):
            # allows every checked request and denies none: cannot change a decision
            return prefix if invalid == prefix.invalid else _Prefix(prefix.levels, prefix.where, prefix.mentioned, invalid)
        level = tuple(pid for pid, r in facts if r.relevant)
        mentioned = prefix.mentioned.union(*(self.mentions(pid) for pid in level))
        return _Prefix(prefix.levels + (level,), prefix.where + (index,), mentioned, invalid)

    def prefix(self, node_id: str) -> _Prefix:
        found = self.prefixes.get(node_id)
        if found is None:
            path = self.snapshot.path(node_id)
            parent = self.prefix(path[-2].id) if len(path) > 1 else _Prefix((), (), frozenset(), ())
            found = self.prefixes[node_id] = self._extend(parent, node_id, len(path) - 1)
        return found

    def reduce(self, account: OrgNode) -> tuple[tuple[tuple[str, ...], ...], tuple[int, ...], bool, tuple[str, ...]]:
        """(kept levels of relevant policy ids, their indexes in the path, whether the account id
        matters, the unreadable policies on the path)."""
        path = self.snapshot.path(account.id)
        parent = self.prefix(path[-2].id) if len(path) > 1 else _Prefix((), (), frozenset(), ())
        reduced = self._extend(parent, account.id, len(path) - 1)
        return reduced.levels, reduced.where, account.id in reduced.mentioned, reduced.invalid


def check_org(
    snapshot: Snapshot,
    profiles: Sequence[Profile],
    *,
    accounts: Iterable[str] = (),
    ous: Iterable[str] = (),
    source_region: str | None = None,
    actions: tuple[str, ...] = INFERENCE_ACTIONS,
    overrides: dict[str, Policy] | None = None,
    batch_role: str | None = None,
) -> OrgCheck:
    """Check every selected account (all by default) for every profile.

    ``overrides`` replaces policies by id (``org propose`` verifies its changes through it).
    ``batch_role``: a batch job's service role, when ``actions`` hold CreateModelInvocationJob.
    """
    overrides = dict(overrides or {})
    chosen = select_accounts(snapshot, accounts=accounts, ous=ous)
    invalid_ids = snapshot.invalid_ids() - set(overrides)
    reducer = _Reducer(snapshot, actions, overrides, invalid_ids)
    cache: dict[tuple[Any, ...], _Evaluation | tuple[OrgPolicy, ...]] = {}
    memo = _LevelMemo()
    results: list[AccountCheck] = []
    for account in chosen:
        path = snapshot.path(account.id)
        levels, where, names_account, bad = reducer.reduce(account)
        if bad:
            invalid = tuple(snapshot.policy(pid) for pid in dict.fromkeys(bad))
            results.append(AccountCheck(account, path, invalid, _snapshot=snapshot))
            continue
        key = (levels, account.id if names_account else None)
        evaluation = cache.get(key)
        if evaluation is None:
            # Requests carry an account id in their ARNs; one shared id lets levels share decisions.
            as_account = account.id if names_account else chosen[0].id
            evaluation = cache[key] = _evaluate(
                snapshot, levels, profiles, as_account, source_region, actions, overrides, memo, batch_role
            )
        if isinstance(evaluation, tuple):  # a policy failed to parse when first evaluated
            results.append(AccountCheck(account, path, evaluation, _snapshot=snapshot))
            continue
        results.append(AccountCheck(account, path, (), evaluation, where, snapshot))
    parsed_errors = tuple(
        f for entry in cache.values() if isinstance(entry, tuple) for f in _late_findings(snapshot, entry)
    )
    findings = snapshot.findings + tuple(f for f in parsed_errors if f not in snapshot.findings)
    return OrgCheck(tuple(p.label for p in profiles), tuple(results), findings, len(cache))


def _late_findings(snapshot: Snapshot, policies: tuple[OrgPolicy, ...]) -> tuple[Finding, ...]:
    from rewriter.org.snapshot import validate_policy

    return tuple(f for p in policies for f in validate_policy(p)[0])


def _evaluate(
    snapshot: Snapshot,
    levels: tuple[tuple[str, ...], ...],
    profiles: Sequence[Profile],
    account: str,
    source_region: str | None,
    actions: tuple[str, ...],
    overrides: dict[str, Policy],
    memo: _LevelMemo,
    batch_role: str | None = None,
) -> _Evaluation | tuple[OrgPolicy, ...]:
    parsed_levels: list[list[Policy]] = []
    unreadable: list[OrgPolicy] = []
    for ids in levels:
        level: list[Policy] = []
        for pid in ids:
            policy = overrides.get(pid) or snapshot.parsed(pid)
            if policy is None:
                unreadable.append(snapshot.policy(pid))
            else:
                level.append(policy)
        parsed_levels.append(level)
    if unreadable:
        return tuple(unreadable)
    flat = tuple(pid for ids in levels for pid in ids)
    result = _check_path(parsed_levels, levels, profiles, source_region, account, actions, memo, batch_role)
    raw: list[tuple[Any, ...]] = []
    for item in result.checks:
        for r in item.results:
            decision = r.decision
            if decision.allowed:
                continue
            request = r.request
            head = (item.profile.label, item.source_region, request.region, request.action)
            if decision.outcome == EXPLICIT_DENY:
                for ref in decision.statements:
                    if ref.policy_index >= 0:
                        # each level's line cites its own statements, not every level's (the combined reason)
                        own = memo.level(levels[ref.level], parsed_levels[ref.level], request)[1]
                        raw.append(head + (ref.level, ref.policy_index, ref.index, ref.sid, ref.pointer, own or r.finding))
            else:
                raw.append(head + (decision.level, -1, None, None, None, r.finding))
    return _Evaluation(account, result, flat, tuple(raw))


class _LevelMemo:
    """Decisions of one level (its policy ids) on one request, shared by every path holding that level.

    The root's policies sit on every path: evaluated once per request, not once per path.
    """

    def __init__(self) -> None:
        # level ids -> id(request) -> (decision, why). Requests come from ``auths``, which keeps
        # them alive, so their ids are stable keys (cheaper than hashing the dataclass).
        self.decisions: dict[tuple[str, ...], dict[int, tuple[Decision, Reason | None]]] = {}
        self.authorizations: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self.combined: dict[tuple[Any, ...], Decision] = {}
        self.shifted: dict[tuple[int, int, int], StatementRef] = {}
        self.reasons: dict[tuple[Any, ...], Reason] = {}
        self.evaluator = Evaluator()

    def level(self, ids: tuple[str, ...], policies: Sequence[Policy], request: Request) -> tuple[Decision, Reason | None]:
        table = self.decisions.get(ids)
        if table is None:
            table = self.decisions[ids] = {}
        found = table.get(id(request))
        if found is None:
            decision = self.evaluator.evaluate_levels((policies,), request)
            why = None
            if not decision.allowed:
                # the words depend on the deciding statements, the Region, the action and the principal
                words = (ids, id(decision), request.region, request.action, request.principal)
                why = self.reasons.get(words)
                if why is None:
                    why = self.reasons[words] = check_module.finding(policies, request, decision)
            found = table[id(request)] = (decision, why)
        return found

    def auths(
        self, profile: Profile, source: str, account: str, actions: tuple[str, ...], batch_role: str | None = None
    ) -> tuple[Any, ...]:
        from rewriter.cris import authorizations

        key = (profile, source, account, actions, batch_role)
        found = self.authorizations.get(key)
        if found is None:
            found = self.authorizations[key] = authorizations(
                profile, source, account=account, actions=actions, batch_role=batch_role
            )
        return found


def _combine(
    parts: list[tuple[Decision, Reason | None]], offsets: tuple[int, ...], memo: _LevelMemo
) -> tuple[Decision, Reason | None]:
    """``evaluate_levels`` over levels decided one by one: any explicit deny (all of them named),
    else the first level without an allow, else allowed. Reasons join as ``check.reason`` joins them."""
    key = (offsets, *[id(d) for d, _ in parts])  # per-level decisions are shared objects
    decision = memo.combined.get(key)
    if decision is None:
        decision = memo.combined[key] = _combined_decision([d for d, _ in parts], offsets, memo)
    if decision.outcome == ALLOWED:
        return decision, None
    if decision.outcome == IMPLICIT_DENY:
        return decision, parts[decision.level][1]
    whys = [why for d, why in parts if d.outcome == EXPLICIT_DENY and why]
    return decision, Reason(whys[0].code, "; ".join(why.message for why in whys)) if whys else None


def _combined_decision(decisions: list[Decision], offsets: tuple[int, ...], memo: _LevelMemo) -> Decision:
    denying = [i for i, d in enumerate(decisions) if d.outcome == EXPLICIT_DENY]
    if denying:
        refs = tuple(_shift(ref, offsets[i], i, memo) for i in denying for ref in decisions[i].statements)
        return Decision(EXPLICIT_DENY, refs, denying[0])
    implicit = next((i for i, d in enumerate(decisions) if d.outcome == IMPLICIT_DENY), None)
    if implicit is not None:
        return Decision(IMPLICIT_DENY, (), implicit)
    refs = tuple(_shift(ref, offsets[i], i, memo) for i, d in enumerate(decisions) for ref in d.statements)
    return Decision(ALLOWED, refs, None)


def _shift(ref: StatementRef, offset: int, level: int, memo: _LevelMemo) -> StatementRef:
    key = (id(ref), offset, level)
    found = memo.shifted.get(key)
    if found is None:
        index = ref.policy_index if ref.policy_index < 0 else ref.policy_index + offset
        found = memo.shifted[key] = StatementRef(index, ref.index, ref.sid, ref.pointer, ref.effect, level)
    return found


def _check_path(
    levels: list[list[Policy]],
    ids: tuple[tuple[str, ...], ...],
    profiles: Sequence[Profile],
    source_region: str | None,
    account: str,
    actions: tuple[str, ...],
    memo: _LevelMemo,
    batch_role: str | None = None,
) -> CheckResult:
    """What ``check.check_levels`` returns for these levels, with each level's decisions memoised.

    The tests hold it to ``check_levels`` itself, request by request."""
    starts: list[int] = []
    total = 0
    for level in levels:
        starts.append(total)
        total += len(level)
    offsets = tuple(starts)
    def judge(request: Request) -> tuple[Decision, Reason | None]:
        parts = [memo.level(level_ids, level, request) for level_ids, level in zip(ids, levels)]
        return _combine(parts, offsets, memo)

    def authorize(profile: Profile, source: str, *, account: str, actions: tuple[str, ...], principal=None,
                  batch_role=None):
        return memo.auths(profile, source, account, actions, batch_role)

    return check_with(
        judge, profiles, path=f"account {account}", source_region=source_region, account=account,
        actions=actions, authorize=authorize, batch_role=batch_role,
    )

