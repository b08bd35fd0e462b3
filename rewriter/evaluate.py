"""Evaluate an authorization request against SCPs; name the statements that decide it.

At one level (the SCPs attached at one node) a request is allowed when some Allow statement
matches and no Deny does; an explicit deny wins over any allow. Across the levels of an
organization (root, OUs, account) every level must allow.

An ``Evaluator`` compiles statements on first use (wildcards to regexes, conditions to predicates)
and keeps per-action and per-resource answers, because a check asks about the same statement for
thousands of actions in dozens of Regions. It lives as long as the run that made it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, NamedTuple

from rewriter.conditions import Predicate, _glob_body, arn_regex, compile_condition, glob_regex
from rewriter.model import Policy, Source, Statement, Values
from rewriter.vocabulary import Outcome

__all__ = [
    "Request",
    "StatementRef",
    "Decision",
    "Evaluator",
    "CompiledPolicy",
    "ALLOWED",
    "EXPLICIT_DENY",
    "IMPLICIT_DENY",
    "REGION_KEY",
    "evaluate",
    "evaluate_levels",
    "statement_matches",
    "action_listed",
    "action_matches",
    "resource_matches",
    "full_aws_access",
    "FULL_AWS_ACCESS",  # noqa: F822 (the module's __getattr__ builds it on first use)
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


@dataclass(frozen=True, slots=True)
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


def _getter(key: str) -> Callable[[Request], tuple[str, ...] | None]:
    """How to read one (lower-case) condition key from a request, decided once per key."""
    if key == REGION_KEY:
        return _region
    if key == PRINCIPAL_KEY:
        return _principal
    return lambda request: _context_value(request.context, key) if request.context else None


class StatementRef(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
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


class Decision(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
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


def _action_test(patterns: tuple[str, ...]) -> Callable[[str], bool]:
    if "*" in patterns:
        return lambda _value: True
    # NotAction lists run to ~80 entries, mostly "service:*" and exact names: those are set
    # look-ups, and only real wildcards go into one regex (compiling all of them cost ~50 ms).
    exact: set[str] = set()
    services: set[str] = set()
    wild: list[str] = []
    for pattern in patterns:
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


# PERF: the evaluator's internal records are named tuples: every check and propose defines them,
# and a frozen dataclass costs ~0.7 ms to define, a named tuple a tenth (benchmarks/README.md)
class _Compiled(NamedTuple):
    statement: Statement
    action: _Memo | None  # None: no Action/NotAction (matches nothing)
    action_negated: bool
    resource: _Memo | None  # None: no Resource/NotResource (matches all)
    resource_negated: bool
    conditions: tuple[tuple[Callable[[Request], tuple[str, ...] | None], Predicate], ...]
    is_deny: bool
    # (policy_index, level) -> StatementRef: building a frozen dataclass per match is the
    # largest cost of an evaluation otherwise; a new dict for each statement (Evaluator.statement)
    refs: dict[tuple[int, int | None], StatementRef]

    def matches(self, request: Request) -> bool:
        # memo[value] is a C-level dict hit once the value has been seen
        if self.action is None or self.action[request.action] == self.action_negated:
            return False
        if self.resource is not None and self.resource[request.resource] == self.resource_negated:
            return False
        for getter, predicate in self.conditions:
            if not predicate(getter(request)):
                return False
        return True

    def ref(self, policy_index: int, level: int | None) -> StatementRef:
        ref = self.refs.get((policy_index, level))
        if ref is None:
            statement = self.statement
            ref = self.refs[(policy_index, level)] = StatementRef(
                policy_index=policy_index, index=statement.index, sid=statement.sid, pointer=statement.pointer,
                effect=statement.effect, level=level,
            )
        return ref


class CompiledPolicy(NamedTuple):  # PERF: a named tuple, as _Compiled
    """A policy's statements compiled, and split by effect (a yes or no tries the Denies first)."""

    statements: tuple[_Compiled, ...]
    denies: tuple[_Compiled, ...]
    allows: tuple[_Compiled, ...]


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


class Evaluator:
    """Evaluates requests against policies, compiling each statement once for as long as it lives.

    Compiling turns wildcards into regexes and conditions into predicates, and each compiled list keeps
    its answers per action and per resource: a check asks about the same statements for thousands of
    actions in dozens of Regions. ``check`` and ``propose`` make one evaluator for their run and pass it
    down, so nothing outlives the run: a library user who proposes a thousand times keeps no caches.
    The policies a run compares (the original, each fix read back) repeat the same lists, so lists are
    compiled once per evaluator, by their patterns.
    """

    __slots__ = ("_policies", "_actions", "_resources", "_decisions", "_full_access", "_shared")

    def __init__(self) -> None:
        # id(policy) -> (policy, compiled): the entry holds the policy, so its id cannot be reused
        # while the evaluator lives
        self._policies: dict[int, tuple[Policy, CompiledPolicy]] = {}
        self._actions: dict[tuple[str, ...], _Memo] = {}
        self._resources: dict[tuple[str, ...], _Memo] = {}
        # Decisions repeat across thousands of requests; they are immutable, so they are shared. Keyed
        # by the refs' ids: the refs are held by the compiled statements, so no id is reused meanwhile.
        self._decisions: dict[tuple[Any, ...], Decision] = {}
        self._full_access: _Compiled | None = None
        # what the parts of a run share, by what it is made from (``shared``)
        self._shared: dict[tuple[Any, ...], Any] = {}

    def shared(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """``make()``, made once per evaluator for ``key``, which names everything it depends on: the
        grid's classes of actions (the files of one command are mostly one template, whose action lists
        give the same classes whatever Regions each file allows), the source Regions a policy lets
        callers use a profile from (a proposal's verification and its grid both ask). The result is
        shared: not to be changed, but for a memo that only fills (the answers to originating calls,
        ``check``). A key may name a policy by its id once ``compiled`` holds it."""
        found = self._shared.get(key)
        if found is None:
            found = self._shared[key] = make()
        return found

    def compiled(self, policy: Policy) -> CompiledPolicy:
        """The policy's statements, compiled on first use."""
        entry = self._policies.get(id(policy))
        if entry is not None and entry[0] is policy:
            return entry[1]
        statements = tuple(self.statement(s) for s in policy.statements)
        compiled = CompiledPolicy(
            statements,
            tuple(c for c in statements if c.is_deny),
            tuple(c for c in statements if not c.is_deny),
        )
        self._policies[id(policy)] = (policy, compiled)
        return compiled

    def statement(self, statement: Statement) -> _Compiled:
        """One statement compiled (its lists shared with any statement of the same patterns)."""
        actions = statement.action if statement.action is not None else statement.not_action
        resources = statement.resource if statement.resource is not None else statement.not_resource
        return _Compiled(
            statement=statement,
            action=self._list(self._actions, actions.items, _action_test) if actions is not None else None,
            action_negated=statement.action is None,
            resource=(
                self._list(self._resources, resources.items, lambda p: _any_pattern(p, resource_matches))
                if resources is not None else None
            ),
            resource_negated=statement.resource is None,
            conditions=tuple(
                (_getter(c.key.lower()), compile_condition(c.operator, c.values.items)) for c in statement.conditions
            ),
            is_deny=statement.effect == "Deny",
            refs={},
        )

    @staticmethod
    def _list(memos: dict[tuple[str, ...], _Memo], patterns: tuple[str, ...], test: Callable) -> _Memo:
        memo = memos.get(patterns)
        if memo is None:
            memo = memos[patterns] = _Memo(test(patterns))
        return memo

    def matches(self, statement: Statement, request: Request) -> bool:
        """Does the statement apply to the request (action, resource and every condition)?"""
        return self.statement(statement).matches(request)

    def action_listed(self, statement: Statement, action: str) -> bool:
        """Does a pattern of the statement's Action (or NotAction) list match ``action``?"""
        actions = statement.action if statement.action is not None else statement.not_action
        return actions is not None and self._list(self._actions, actions.items, _action_test)[action]

    def evaluate(self, policies: Policy | Sequence[Policy], request: Request, *, full_access: bool = True) -> Decision:
        """The SCPs at one level against one request; see ``evaluate``."""
        if isinstance(policies, Policy):
            policies = (policies,)
        denies, allows = self._scan(policies, request, full_access, None)
        if denies:
            return self._decision(EXPLICIT_DENY, denies, None)
        if allows:
            return self._decision(ALLOWED, allows, None)
        return self._decision(IMPLICIT_DENY, [], None)

    def allowed(self, policies: Policy | Sequence[Policy], request: Request, *, full_access: bool = True) -> bool:
        """``evaluate(...).allowed`` without naming the statements: the Denies are tried first, and the
        first that matches answers. For the yes or no that verifying a fix asks thousands of times."""
        if isinstance(policies, Policy):
            policies = (policies,)
        compiled = [self.compiled(policy) for policy in policies]
        for policy in compiled:
            for statement in policy.denies:
                if statement.matches(request):
                    return False
        return full_access or any(s.matches(request) for policy in compiled for s in policy.allows)

    def evaluate_levels(
        self, levels: Sequence[Sequence[Policy]], request: Request, *, full_access: bool = False
    ) -> Decision:
        """Every level of an organization path must allow; see ``evaluate_levels``."""
        denies: list[StatementRef] = []
        allows: list[StatementRef] = []
        first_without_allow: int | None = None
        first_deny: int | None = None
        first_index = 0
        for level, policies in enumerate(levels):
            level_denies, level_allows = self._scan(policies, request, full_access, level, first_index)
            first_index += len(policies)
            if level_denies and first_deny is None:
                first_deny = level
            if not level_allows and first_without_allow is None:
                first_without_allow = level
            denies.extend(level_denies)
            allows.extend(level_allows)
        if denies:
            return self._decision(EXPLICIT_DENY, denies, first_deny)
        if first_without_allow is not None:
            return self._decision(IMPLICIT_DENY, [], first_without_allow)
        return self._decision(ALLOWED, allows, None)

    def _scan(
        self, policies: Sequence[Policy], request: Request, full_access: bool, level: int | None, first_index: int = 0
    ) -> tuple[list[StatementRef], list[StatementRef]]:
        denies: list[StatementRef] = []
        allows: list[StatementRef] = []
        for policy_index, policy in enumerate(policies, first_index):
            for compiled in self.compiled(policy).statements:
                if compiled.matches(request):
                    (denies if compiled.is_deny else allows).append(compiled.ref(policy_index, level))
        if full_access:
            if self._full_access is None:
                self._full_access = self.statement(full_aws_access().statements[0])
            allows.append(self._full_access.ref(-1, level))
        return denies, allows

    def _decision(self, outcome: str, refs: list[StatementRef], level: int | None) -> Decision:
        key = (outcome, level, *map(id, refs))
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._decisions[key] = Decision(outcome, tuple(refs), level)
        return decision


def evaluate(policies: Policy | Sequence[Policy], request: Request, *, full_access: bool = True) -> Decision:
    """The SCPs at one level against one request.

    ``full_access=True`` evaluates them beside FullAWSAccess (the usual attachment), so only a
    Deny can block; False evaluates them alone, so an allow-list SCP must itself allow. For many
    requests, make one ``Evaluator`` and ask it.
    """
    return Evaluator().evaluate(policies, request, full_access=full_access)


def evaluate_levels(
    levels: Sequence[Sequence[Policy]], request: Request, *, full_access: bool = False
) -> Decision:
    """Every level of an organization path (root, OUs, account) must allow.

    An explicit deny at any level wins and names every matching Deny at every level; otherwise
    the first level without a matching Allow gives an implicit deny (``Decision.level`` says
    which). Each level holds the policies attached there; FullAWSAccess counts only if it is
    among them, unless ``full_access`` adds it to every level.
    """
    return Evaluator().evaluate_levels(levels, request, full_access=full_access)


def statement_matches(statement: Statement, request: Request) -> bool:
    """Does the statement apply to the request (action, resource and every condition)?"""
    return Evaluator().matches(statement, request)


def action_listed(statement: Statement, action: str) -> bool:
    """Does a pattern of the statement's Action (or NotAction) list match ``action``?"""
    return Evaluator().action_listed(statement, action)
