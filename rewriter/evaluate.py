"""Evaluate an authorization request against SCPs; name the statements that decide it.

At one level (the SCPs attached at one node) a request is allowed when some Allow statement
matches and no Deny does; an explicit deny wins over any allow. Across the levels of an
organization (root, OUs, account) every level must allow.

Statements are compiled on first use (wildcards to regexes, conditions to predicates) and the
compiled form keeps per-action and per-resource answers, because a check asks about the same
statement for thousands of actions in dozens of Regions.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import field
from types import MappingProxyType
from typing import Any

from rewriter.conditions import Predicate, _glob_body, arn_regex, compile_condition, glob_regex
from rewriter.model import Policy, Source, Statement, Values
from rewriter.records import record
from rewriter.vocabulary import Outcome

__all__ = [
    "Request",
    "StatementRef",
    "Decision",
    "ALLOWED",
    "EXPLICIT_DENY",
    "IMPLICIT_DENY",
    "evaluate",
    "allowed",
    "allowed_test",
    "allowed_grid",
    "allowed_grids",
    "evaluate_levels",
    "statement_matches",
    "action_listed",
    "action_matches",
    "resource_matches",
    "full_aws_access",
    "FULL_AWS_ACCESS",
]

ALLOWED = Outcome.ALLOWED
EXPLICIT_DENY = Outcome.EXPLICIT_DENY
IMPLICIT_DENY = Outcome.IMPLICIT_DENY

REGION_KEY = "aws:requestedregion"
PRINCIPAL_KEY = "aws:principalarn"

_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _as_values(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if type(value) is tuple and all(type(v) is str for v in value):
        return value
    if isinstance(value, bool):  # JSON true in a hand-written context
        return ("true" if value else "false",)
    if isinstance(value, (tuple, list, set, frozenset)):
        return tuple(item for v in value for item in _as_values(v))
    return (str(value),)


@record
class Request:
    """One authorization: an action on a resource, in a Region, with its context keys.

    ``aws:RequestedRegion`` and ``aws:PrincipalArn`` come from ``region`` and ``principal`` (and
    win over the same keys in ``context``). Keys compare case-insensitively.
    """

    action: str
    resource: str
    region: str
    principal: str | None = None
    # hash=False: a Request stays hashable although a caller may pass a dict
    context: Mapping[str, str | tuple[str, ...]] = field(default_factory=lambda: _EMPTY, hash=False)

    def get(self, key: str) -> tuple[str, ...] | None:
        """The request's values for a condition key (any case); None when absent."""
        return _getter(key.lower())(self)


def _context_value(context: Mapping[str, Any], key: str) -> tuple[str, ...] | None:
    """``key`` is lower-case; a context usually holds a handful of keys, so scan on a miss."""
    value = context.get(key)
    if value is None:
        for name, item in context.items():
            if name.lower() == key:
                value = item
                break
        else:
            return None
    return _as_values(value)


def _region(request: Request) -> tuple[str, ...]:
    return (request.region,)


def _principal(request: Request) -> tuple[str, ...] | None:
    if request.principal is not None:
        return (request.principal,)
    return _context_value(request.context, PRINCIPAL_KEY)


@functools.lru_cache(maxsize=1024)
def _getter(key: str) -> Callable[[Request], tuple[str, ...] | None]:
    """How to read one (lower-case) condition key from a request, decided once per key."""
    if key == REGION_KEY:
        return _region
    if key == PRINCIPAL_KEY:
        return _principal
    return lambda request: _context_value(request.context, key) if request.context else None


@record
class StatementRef:
    """Names a statement: its policy's position in the evaluated list, and its own.

    ``policy_index`` is -1 for the AWS-managed FullAWSAccess policy. From ``evaluate_levels`` it
    counts the policies of all levels in order (an index into the flattened levels), and
    ``level`` is the level's position; from ``evaluate``, ``level`` is None.
    """

    policy_index: int
    index: int
    sid: str | None
    pointer: str
    effect: str
    level: int | None = None


@record
class Decision:
    """``outcome`` is "allowed", "explicit_deny" or "implicit_deny".

    ``statements``: for an explicit deny every matching Deny; when allowed the matching Allows;
    for an implicit deny none. ``level`` is the first level that denied (``evaluate_levels`` only).
    """

    outcome: str
    statements: tuple[StatementRef, ...] = ()
    level: int | None = None

    @property
    def allowed(self) -> bool:
        return self.outcome == ALLOWED


# ---------------------------------------------------------------------------------------------
# Matching


def action_matches(pattern: str, action: str) -> bool:
    """``service:action`` with ``*``/``?`` wildcards, case-insensitive."""
    if pattern == "*":
        return True
    # Most NotAction entries name one action: no regex. Outside ASCII, lower() and the case-blind regex
    # the evaluator's own test uses differ (a long s is an "s" to the regex), so the regex decides.
    if "*" not in pattern and "?" not in pattern and pattern.isascii() and action.isascii():
        return pattern.lower() == action.lower()
    return glob_regex(pattern, ignore_case=True).fullmatch(action) is not None


def resource_matches(pattern: str, arn: str) -> bool:
    """An ARN pattern against a resource, segment by segment; ``*`` matches everything."""
    return pattern == "*" or arn_regex(pattern).fullmatch(arn) is not None


_CACHE_LIMIT = 1 << 16  # per-statement memo size before it is dropped


class _Memo(dict):
    """string -> bool, computed by ``test`` once; bounded so long runs do not grow without end.

    A dict subclass, so a hit is one C-level lookup (``memo[value]``) with no Python call."""

    __slots__ = ("test",)

    def __init__(self, test: Callable[[str], bool]) -> None:
        super().__init__()
        self.test = test

    def __missing__(self, value: str) -> bool:
        answer = self.test(value)
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        self[value] = answer
        return answer

    def __call__(self, value: str) -> bool:
        return self[value]


def _any_pattern(patterns: tuple[str, ...], matches: Callable[[str, str], bool]) -> Callable[[str], bool]:
    if "*" in patterns:
        return lambda _value: True
    return lambda value: any(matches(p, value) for p in patterns)


# The split of the list read last, its sets only read from then on: a fix that adds to a NotAction
# list repeats it (see _action_test).
_last_split: tuple[tuple[str, ...], set[str], set[str], list[str]] | None = None


def _action_test(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    global _last_split
    if "*" in patterns:
        return lambda _value: True
    # NotAction lists run to ~80 entries, mostly "service:*" and exact names: those are set
    # look-ups, and only real wildcards go into one regex (compiling all of them cost ~50 ms).
    exact: set[str] = set()
    services: set[str] = set()
    wild: list[str] = []
    rest = patterns
    last = _last_split
    if last is not None and len(last[0]) < len(patterns) and patterns[: len(last[0])] == last[0]:
        # A list that extends the one split last (a fix appends to a NotAction list): only the new
        # entries are split.
        exact, services, wild = set(last[1]), set(last[2]), list(last[3])
        rest = patterns[len(last[0]) :]
    for pattern in rest:
        if not pattern.isascii() or "$" in pattern:
            wild.append(pattern)
            continue
        service, colon, name = pattern.partition(":")
        if "*" not in pattern and "?" not in pattern:
            exact.add(pattern.lower())
        elif colon and name == "*" and "*" not in service and "?" not in service:
            services.add(service.lower())
        else:
            wild.append(pattern)
    _last_split = (patterns, exact, services, wild)
    regex = _alternation(wild)
    everything: list[re.Pattern[str]] = []

    def test(value: str) -> bool:
        if not value.isascii():
            # re.IGNORECASE folds some non-ASCII letters onto ASCII ones (a long s onto s);
            # lower() does not, so such a value goes through the full regex.
            if not everything:
                everything.append(_alternation(patterns) or re.compile("(?!)"))
            return everything[0].fullmatch(value) is not None
        folded = value.lower()
        if folded in exact:
            return True
        service, colon, _ = folded.partition(":")
        if colon and service in services:
            return True
        return regex is not None and regex.fullmatch(value) is not None

    return test


def _alternation(patterns: Sequence[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{_glob_body(p, '(?s:.*)', '(?s:.)')})" for p in patterns), re.IGNORECASE)


@record
class _Compiled:
    statement: Statement  # held so its id() cannot be reused while cached
    action: _Memo | None  # None: no Action/NotAction (matches nothing)
    action_negated: bool
    resource: _Memo | None  # None: no Resource/NotResource (matches all)
    resource_negated: bool
    conditions: tuple[tuple[Callable[[Request], tuple[str, ...] | None], Predicate], ...]
    is_deny: bool
    # (policy_index, level) -> StatementRef: building a frozen dataclass per match is the
    # largest cost of an evaluation otherwise
    refs: dict[tuple[int, int | None], StatementRef] = field(default_factory=dict)


_COMPILED: dict[int, _Compiled] = {}


# Keyed by the patterns, not the statement: the policies propose compares (the original, each fix
# read back) repeat the same lists, and a long NotAction list costs a regex compile and its answers.
@functools.lru_cache(maxsize=256)
def _action_memo(patterns: tuple[str, ...]) -> _Memo:
    return _Memo(_action_test(patterns))


@functools.lru_cache(maxsize=256)
def _resource_memo(patterns: tuple[str, ...]) -> _Memo:
    return _Memo(_any_pattern(patterns, resource_matches))


def _compile(statement: Statement) -> _Compiled:
    compiled = _COMPILED.get(id(statement))
    if compiled is not None and compiled.statement is statement:
        return compiled
    actions = statement.action if statement.action is not None else statement.not_action
    resources = statement.resource if statement.resource is not None else statement.not_resource
    compiled = _Compiled(
        statement=statement,
        action=_action_memo(actions.items) if actions is not None else None,
        action_negated=statement.action is None,
        resource=_resource_memo(resources.items) if resources is not None else None,
        resource_negated=statement.resource is None,
        conditions=tuple(
            (_getter(c.key.lower()), compile_condition(c.operator, c.values.items))
            for c in statement.conditions
        ),
        is_deny=statement.effect == "Deny",
    )
    if len(_COMPILED) >= 4096:
        _COMPILED.clear()
    _COMPILED[id(statement)] = compiled
    return compiled


_POLICIES: dict[int, tuple[Policy, tuple[_Compiled, ...]]] = {}


def _compile_policy(policy: Policy) -> tuple[_Compiled, ...]:
    """A policy's compiled statements, kept per policy: one look-up per evaluation, not one per
    statement. The entry holds the policy, so its id() cannot be reused while cached."""
    entry = _POLICIES.get(id(policy))
    if entry is not None and entry[0] is policy:
        return entry[1]
    compiled = tuple(_compile(statement) for statement in policy.statements)
    if len(_POLICIES) >= 1024:
        _POLICIES.clear()
    _POLICIES[id(policy)] = (policy, compiled)
    return compiled


def _matches(compiled: _Compiled, request: Request) -> bool:
    # memo[value] is a C-level dict hit once the value has been seen
    if compiled.action is None or compiled.action[request.action] == compiled.action_negated:
        return False
    if compiled.resource is not None and compiled.resource[request.resource] == compiled.resource_negated:
        return False
    for getter, predicate in compiled.conditions:
        if not predicate(getter(request)):
            return False
    return True


def action_listed(statement: Statement, action: str) -> bool:
    """Does a pattern of the statement's Action (or NotAction) list match ``action``? The list is
    compiled once, as for evaluation, rather than each pattern tried in turn."""
    compiled = _compile(statement)
    return compiled.action is not None and compiled.action[action]


def statement_matches(statement: Statement, request: Request) -> bool:
    """Does the statement apply to the request (action, resource and every condition)?"""
    return _matches(_compile(statement), request)


# ---------------------------------------------------------------------------------------------
# The AWS-managed FullAWSAccess policy


# json.dumps(document, indent=2) of the document below, written out: encoding it cost more than the
# rest of a check
_FULL_AWS_ACCESS_TEXT = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    }
  ]
}"""


@functools.cache
def full_aws_access() -> Policy:
    """FullAWSAccess, which AWS attaches to every node unless someone detaches it."""
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    statement = Statement(
        index=0,
        pointer="/Statement/0",
        effect="Allow",
        action=Values(("*",), False, "/Statement/0/Action"),
        resource=Values(("*",), False, "/Statement/0/Resource"),
        keys=("Effect", "Action", "Resource"),
    )
    return Policy(
        statements=(statement,),
        statement_is_list=True,
        document=document,
        source=Source(path="<FullAWSAccess>", text=_FULL_AWS_ACCESS_TEXT),
        version="2012-10-17",
    )


def __getattr__(name: str) -> Any:
    # FULL_AWS_ACCESS is built on first use, not at import
    if name == "FULL_AWS_ACCESS":
        return full_aws_access()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------------------------
# Evaluation


def _ref(policy_index: int, compiled: _Compiled, level: int | None) -> StatementRef:
    ref = compiled.refs.get((policy_index, level))
    if ref is None:
        statement = compiled.statement
        ref = StatementRef(
            policy_index=policy_index,
            index=statement.index,
            sid=statement.sid,
            pointer=statement.pointer,
            effect=statement.effect,
            level=level,
        )
        compiled.refs[(policy_index, level)] = ref
    return ref


_DECISIONS: dict[tuple[Any, ...], Decision] = {}


def _decision(outcome: str, refs: list[StatementRef], level: int | None) -> Decision:
    """Decisions repeat across thousands of requests; share them (they are immutable).

    Keyed by the refs' ids: the cached Decision holds the refs, so no id is reused meanwhile.
    """
    key = (outcome, level, *map(id, refs))
    decision = _DECISIONS.get(key)
    if decision is None:
        decision = Decision(outcome, tuple(refs), level)
        if len(_DECISIONS) >= _CACHE_LIMIT:
            _DECISIONS.clear()
        _DECISIONS[key] = decision
    return decision


def _scan(
    policies: Sequence[Policy], request: Request, full_access: bool, level: int | None, first_index: int = 0
) -> tuple[list[StatementRef], list[StatementRef]]:
    denies: list[StatementRef] = []
    allows: list[StatementRef] = []
    for policy_index, policy in enumerate(policies, first_index):
        for compiled in _compile_policy(policy):
            if _matches(compiled, request):
                (denies if compiled.is_deny else allows).append(_ref(policy_index, compiled, level))
    if full_access:
        allows.append(_ref(-1, _compile(full_aws_access().statements[0]), level))
    return denies, allows


def evaluate(policies: Policy | Sequence[Policy], request: Request, *, full_access: bool = True) -> Decision:
    """The SCPs at one level against one request.

    ``full_access=True`` evaluates them beside FullAWSAccess (the usual attachment), so only a
    Deny can block; False evaluates them alone, so an allow-list SCP must itself allow.
    """
    if isinstance(policies, Policy):
        policies = (policies,)
    denies, allows = _scan(policies, request, full_access, None)
    if denies:
        return _decision(EXPLICIT_DENY, denies, None)
    if allows:
        return _decision(ALLOWED, allows, None)
    return _decision(IMPLICIT_DENY, [], None)


def allowed(policies: Policy | Sequence[Policy], request: Request, *, full_access: bool = True) -> bool:
    """``evaluate(policies, request, full_access=...).allowed``, without naming the statements:
    stops at the first matching Deny, for callers that ask thousands of requests a yes or no."""
    if isinstance(policies, Policy):
        policies = (policies,)
    any_allow = full_access
    for policy in policies:
        for compiled in _compile_policy(policy):
            if (any_allow and not compiled.is_deny) or not _matches(compiled, request):
                continue
            if compiled.is_deny:
                return False
            any_allow = True
    return any_allow


def allowed_test(policies: Policy | Sequence[Policy], *, full_access: bool = True) -> Callable[[Request], bool]:
    """``allowed`` for many requests against the same policies: the statements are compiled and
    split once, and with FullAWSAccess only the Deny statements are tried."""
    if isinstance(policies, Policy):
        policies = (policies,)
    compiled = [c for policy in policies for c in _compile_policy(policy)]
    denies = tuple(c for c in compiled if c.is_deny)
    allows = () if full_access else tuple(c for c in compiled if not c.is_deny)

    def test(request: Request) -> bool:
        for statement in denies:
            if _matches(statement, request):
                return False
        if full_access:
            return True
        for statement in allows:
            if _matches(statement, request):
                return True
        return False

    return test


# The rows below depend only on a statement's patterns or predicate (predicates are shared between
# equal conditions), so the statements of the policies a grid compares, mostly alike, share them.
@functools.lru_cache(maxsize=256)
def _resource_row(patterns: tuple[str, ...], resources: tuple[str, ...]) -> int:
    """Bit r: a pattern matches ``resources[r]``."""
    test = _resource_memo(patterns)
    return sum(1 << r for r, arn in enumerate(resources) if test[arn])


@functools.lru_cache(maxsize=256)
def _region_row(predicate: Predicate, regions: tuple[str, ...]) -> int:
    """Bit r: the Region condition holds for ``regions[r]``."""
    return sum(1 << r for r, region in enumerate(regions) if predicate((region,)))


def allowed_grid(
    policies: Policy | Sequence[Policy],
    actions: Sequence[str],
    regions: Sequence[str],
    resources: Sequence[str],
    contexts: Sequence[Mapping[str, Any]],
    *,
    full_access: bool = True,
) -> tuple[list[int], int]:
    """``allowed`` for every action x context x Region at once: one bit mask per action.

    Bit ``c * len(regions) + r`` of an action's mask is set when the request for that action on
    ``resources[r]`` in ``regions[r]``, with context keys ``contexts[c]``, is allowed. A statement
    applies when its action test, its resource test and every condition pass, and only the first reads
    the action: so each statement's cells are worked out once, and each action then costs one action
    test per statement. Also returns how many tests were made (the "newly allowed" grid reports it).
    """
    (masks,), tests = allowed_grids(policies, [(actions, resources)], regions, contexts, full_access=full_access)
    return masks, tests


def allowed_grids(
    policies: Policy | Sequence[Policy],
    groups: Sequence[tuple[Sequence[str], Sequence[str]]],
    regions: Sequence[str],
    contexts: Sequence[Mapping[str, Any]],
    *,
    full_access: bool = True,
) -> tuple[list[list[int]], int]:
    """``allowed_grid`` for groups of actions that each have their own resources, (actions, resources)
    each: a statement's conditions, which read neither, are worked out once for all the groups."""
    if isinstance(policies, Policy):
        policies = (policies,)
    width = len(regions)
    row = (1 << width) - 1
    every_context = sum(1 << (c * width) for c in range(len(contexts)))  # a row repeated per context
    everything = row * every_context
    # A context's requests differ only in their Region and resource, which the non-Region conditions
    # do not read: one request per context answers those.
    probes = [Request(action="", resource="", region="", context=context) for context in contexts]
    regions = tuple(regions)
    group_resources = [tuple(resources) for _, resources in groups]
    tests = 0
    cells: list[tuple[_Compiled, list[int]]] = []  # each statement's cells, in each group
    for compiled in (c for policy in policies for c in _compile_policy(policy)):
        if compiled.action is None:
            continue  # no Action/NotAction: matches nothing
        mask = everything
        for getter, predicate in compiled.conditions:
            if not mask:
                break
            if getter is _region:
                mask &= _region_row(predicate, regions) * every_context
                tests += width
            else:
                mask &= sum(row << (c * width) for c, probe in enumerate(probes) if predicate(getter(probe)))
                tests += len(probes)
        if compiled.resource is None or not mask:
            cells.append((compiled, [mask] * len(groups)))
            continue
        statement = compiled.statement
        listed = statement.resource if statement.resource is not None else statement.not_resource
        in_groups = []
        for resources in group_resources:
            hits = _resource_row(listed.items, resources)  # type: ignore[union-attr]
            in_groups.append(mask & (row & ~hits if compiled.resource_negated else hits) * every_context)
            tests += width
        cells.append((compiled, in_groups))
    answers: list[list[int]] = []
    for group, (actions, _) in enumerate(groups):
        denies = [(c.action, c.action_negated, masks[group]) for c, masks in cells if c.is_deny and masks[group]]
        allows = [] if full_access else [
            (c.action, c.action_negated, masks[group]) for c, masks in cells if not c.is_deny and masks[group]
        ]
        answer: list[int] = []
        for action in actions:
            allowed_cells = everything if full_access else 0
            for test, negated, mask in allows:
                if test[action] != negated:
                    allowed_cells |= mask
            for test, negated, mask in denies:
                if allowed_cells and test[action] != negated:
                    allowed_cells &= ~mask
            answer.append(allowed_cells)
        tests += len(actions) * (len(allows) + len(denies))
        answers.append(answer)
    return answers, tests


def evaluate_levels(
    levels: Sequence[Sequence[Policy]], request: Request, *, full_access: bool = False
) -> Decision:
    """Every level of an organization path (root, OUs, account) must allow.

    An explicit deny at any level wins and names every matching Deny at every level; otherwise
    the first level without a matching Allow gives an implicit deny (``Decision.level`` says
    which). Each level holds the policies attached there; FullAWSAccess counts only if it is
    among them, unless ``full_access`` adds it to every level.
    """
    denies: list[StatementRef] = []
    allows: list[StatementRef] = []
    first_without_allow: int | None = None
    first_deny: int | None = None
    first_index = 0
    for level, policies in enumerate(levels):
        level_denies, level_allows = _scan(policies, request, full_access, level, first_index)
        first_index += len(policies)
        if level_denies and first_deny is None:
            first_deny = level
        if not level_allows and first_without_allow is None:
            first_without_allow = level
        denies.extend(level_denies)
        allows.extend(level_allows)
    if denies:
        return _decision(EXPLICIT_DENY, denies, first_deny)
    if first_without_allow is not None:
        return _decision(IMPLICIT_DENY, [], first_without_allow)
    return _decision(ALLOWED, allows, None)
