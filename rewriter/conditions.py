"""IAM condition operators, as an SCP can use them; no I/O.

A condition is compiled once per (operator, policy values) into a predicate over the request's
values for the key, so the evaluator's hot loop does a dict lookup and one call per clause.

Request values are ``None`` when the key is absent, else a tuple of strings (one item for a
single-valued key). An empty tuple counts as absent, as IAM treats an empty set.

Semantics (IAM "Condition operators" and "Conditions with multiple context keys or values"):
- several policy values for one key: OR; for a negated operator: NOR;
- a key the request lacks: false, except negated operators (true), ``...IfExists`` (true) and
  ``Null`` (which tests exactly that);
- ``ForAllValues:`` is true when every request value passes (so true on an absent key);
  ``ForAnyValue:`` is true when some request value passes (so false on an absent key).
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import functools
import re
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Optional

from rewriter.model import ConditionClause, Operator

if TYPE_CHECKING:
    import ipaddress

__all__ = [
    "KNOWN_OPERATORS",
    "QUALIFIERS",
    "RequestValues",
    "Predicate",
    "split_operator",
    "close_operators",
    "compile_condition",
    "condition_matches",
    "clause_matches",
    "glob_regex",
    "arn_regex",
]

# The request's values for one key: None when the key is absent.
RequestValues = Optional[tuple[str, ...]]
Predicate = Callable[[RequestValues], bool]

QUALIFIERS: tuple[str, ...] = ("ForAnyValue", "ForAllValues")

# base operator -> (family, negated)
_OPERATORS: dict[str, tuple[str, bool]] = {
    "StringEquals": ("string", False),
    "StringNotEquals": ("string", True),
    "StringEqualsIgnoreCase": ("string_ci", False),
    "StringNotEqualsIgnoreCase": ("string_ci", True),
    "StringLike": ("string_like", False),
    "StringNotLike": ("string_like", True),
    "NumericEquals": ("numeric_eq", False),
    "NumericNotEquals": ("numeric_eq", True),
    "NumericLessThan": ("numeric_lt", False),
    "NumericLessThanEquals": ("numeric_le", False),
    "NumericGreaterThan": ("numeric_gt", False),
    "NumericGreaterThanEquals": ("numeric_ge", False),
    "DateEquals": ("date_eq", False),
    "DateNotEquals": ("date_eq", True),
    "DateLessThan": ("date_lt", False),
    "DateLessThanEquals": ("date_le", False),
    "DateGreaterThan": ("date_gt", False),
    "DateGreaterThanEquals": ("date_ge", False),
    "Bool": ("bool", False),
    "BinaryEquals": ("binary", False),
    "IpAddress": ("ip", False),
    "NotIpAddress": ("ip", True),
    "ArnEquals": ("arn", False),
    "ArnLike": ("arn", False),
    "ArnNotEquals": ("arn", True),
    "ArnNotLike": ("arn", True),
    "Null": ("null", False),
}

KNOWN_OPERATORS: frozenset[str] = frozenset(_OPERATORS)

_IF_EXISTS = "IfExists"


@functools.lru_cache(maxsize=1024)
def split_operator(name: str) -> Operator | None:
    """``ForAnyValue:StringLikeIfExists`` -> its parts; None for a name IAM does not know.

    Kept per name: the policies ``propose`` reads back share their operators, and a shared Operator
    is found in the compiled-condition cache by identity, without comparing its fields."""
    qualifier: str | None = None
    rest = name
    if ":" in name:
        qualifier, _, rest = name.partition(":")
        if qualifier not in QUALIFIERS:
            return None
    if rest in _OPERATORS:
        return Operator(name=name, base=rest, qualifier=qualifier, if_exists=False)
    if rest.endswith(_IF_EXISTS):
        base = rest[: -len(_IF_EXISTS)]
        if base in _OPERATORS and base != "Null":  # NullIfExists is not an operator
            return Operator(name=name, base=base, qualifier=qualifier, if_exists=True)
    return None


def close_operators(name: str, *, limit: int = 3) -> tuple[str, ...]:
    """Known operator names that look like a misspelt one, best first (for error messages)."""
    import difflib

    qualifier, sep, rest = name.rpartition(":")
    candidates = sorted(KNOWN_OPERATORS) + sorted(f"{o}{_IF_EXISTS}" for o in KNOWN_OPERATORS if o != "Null")
    found = difflib.get_close_matches(rest, candidates, n=limit, cutoff=0.6)
    if sep:
        prefix = difflib.get_close_matches(qualifier, QUALIFIERS, n=1, cutoff=0.5)
        if prefix:
            return tuple(f"{prefix[0]}:{f}" for f in found)
    return tuple(found)


# ---------------------------------------------------------------------------------------------
# Wildcard patterns


@functools.lru_cache(maxsize=16384)
def glob_regex(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    """``*`` (any run) and ``?`` (one character) over a whole string; use ``fullmatch``.

    ``${*}``, ``${?}`` and ``${$}`` stand for the literal characters, as in IAM policies.
    """
    return re.compile(_glob_body(pattern, "(?s:.*)", "(?s:.)"), re.IGNORECASE if ignore_case else 0)


_LITERAL_ESCAPES = {"${*}": "*", "${?}": "?", "${$}": "$"}
_TOKEN = re.compile(r"\$\{[*?$]\}|[*?]")


def _glob_body(pattern: str, star: str, question: str) -> str:
    if "$" not in pattern:  # no ${*} escapes: every * and ? is a wildcard
        return star.join(question.join(map(_escaped, part.split("?"))) for part in pattern.split("*"))
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(pattern):
        out.append(re.escape(pattern[pos : m.start()]))
        token = m.group()
        if token == "*":
            out.append(star)
        elif token == "?":
            out.append(question)
        else:
            out.append(re.escape(_LITERAL_ESCAPES[token]))
        pos = m.end()
    out.append(re.escape(pattern[pos:]))
    return "".join(out)


# Names, Regions and ARNs hold no regex syntax but the dot (a hyphen means nothing outside a
# character class): re.escape goes character by character, a replace of the dot does not.
_PLAIN_TEXT = re.compile(r"[\w:/.\-]*", re.ASCII).fullmatch


def _escaped(text: str) -> str:
    return text.replace(".", r"\.") if _PLAIN_TEXT(text) else re.escape(text)


@functools.lru_cache(maxsize=16384)
def arn_regex(pattern: str) -> re.Pattern[str]:
    """An ARN pattern matched per segment; use ``fullmatch``.

    The pattern splits into at most six parts on its first five colons. A wildcard stays inside
    its segment, except in the last part written, which may span colons: in a full ARN that is
    the resource (which may hold colons); in a short pattern such as ``arn:aws:*`` it is the
    rest of the ARN, and ``*`` alone matches everything. Case-sensitive, as IAM's ARN operators.
    """
    return re.compile(_arn_body(pattern))


def _arn_body(pattern: str) -> str:
    """``arn_regex``'s regular expression, uncompiled."""
    parts = pattern.split(":", 5)
    segments = [_glob_body(p, "[^:]*", "[^:]") for p in parts[:-1]]
    segments.append(_glob_body(parts[-1], "(?s:.*)", "(?s:.)"))
    return ":".join(segments)


# ---------------------------------------------------------------------------------------------
# Value parsers; each returns None for a value it cannot read, which then matches nothing.


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


_EPOCH = re.compile(r"-?\d+(?:\.\d+)?")
_BASIC_FORMATS = ("%Y%m%dT%H%M%SZ", "%Y%m%dT%H%M%S.%fZ", "%Y%m%d")


@functools.lru_cache(maxsize=4096)
def _date(text: str) -> float | None:
    """ISO 8601 (extended or basic) or epoch seconds -> epoch seconds; naive times are UTC."""
    text = text.strip()
    if _EPOCH.fullmatch(text):
        return float(text)
    iso = text[:-1] + "+00:00" if text[-1:] in ("Z", "z") else text
    try:
        moment = _dt.datetime.fromisoformat(iso)
    except ValueError:
        moment = None
        for fmt in _BASIC_FORMATS:
            try:
                moment = _dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.timestamp()


def _binary(text: str) -> bytes | str:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text  # not base64: compare as written


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    import ipaddress

    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    import ipaddress

    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        # a request may carry a CIDR for an address; take its network address
        network = _network(text)
        return network.network_address if network is not None else None


# ---------------------------------------------------------------------------------------------
# Positive per-value tests: request value -> does it match any policy value?

ValueTest = Callable[[str], bool]


def _value_test(family: str, values: tuple[str, ...]) -> ValueTest:
    if family == "string":
        exact = frozenset(values)
        return exact.__contains__
    if family == "string_ci":
        folded = frozenset(v.lower() for v in values)
        return lambda r: r.lower() in folded
    if family == "string_like":
        regex = _alternation(values, lambda v: _glob_body(v, "(?s:.*)", "(?s:.)"))
        return lambda r: regex.fullmatch(r) is not None
    if family == "arn":
        # PERF: one regex for the list, each pattern's not compiled on its own (a condition on the
        # profile ARN that exempts 33 profiles took 15 ms to compile twice)
        regex = _alternation(values, _arn_body)
        return lambda r: regex.fullmatch(r) is not None
    if family == "bool":
        folded = frozenset(v.strip().lower() for v in values)
        return lambda r: r.strip().lower() in folded
    if family == "binary":
        decoded = {_binary(v) for v in values}
        return lambda r: _binary(r) in decoded
    if family == "ip":
        networks = tuple(n for n in map(_network, values) if n is not None)

        def ip_test(r: str) -> bool:
            address = _address(r)
            return address is not None and any(
                address.version == n.version and address in n for n in networks
            )

        return ip_test
    if family.startswith("numeric_"):
        return _ordered_test(family[8:], tuple(n for n in map(_number, values) if n is not None), _number)
    if family.startswith("date_"):
        return _ordered_test(family[5:], tuple(d for d in map(_date, values) if d is not None), _date)
    raise AssertionError(f"unknown operator family {family}")  # pragma: no cover - table is closed


def _alternation(values: tuple[str, ...], body: Callable[[str], str]) -> re.Pattern[str]:
    if not values:
        return re.compile(r"(?!)")  # matches nothing
    return re.compile("|".join(f"(?:{body(v)})" for v in values))


_COMPARE: dict[str, Callable[[object, object], bool]] = {
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,  # type: ignore[operator]
    "le": lambda a, b: a <= b,  # type: ignore[operator]
    "gt": lambda a, b: a > b,  # type: ignore[operator]
    "ge": lambda a, b: a >= b,  # type: ignore[operator]
}


def _ordered_test(kind: str, bounds: tuple, parse: Callable[[str], object]) -> ValueTest:
    compare = _COMPARE[kind]

    def test(r: str) -> bool:
        value = parse(r)
        return value is not None and any(compare(value, b) for b in bounds)

    return test


# ---------------------------------------------------------------------------------------------
# Compiled conditions


def _null_predicate(values: tuple[str, ...]) -> Predicate:
    wanted = {v.strip().lower() for v in values}

    def null(request: RequestValues) -> bool:
        absent = not request
        # several values: OR, like any other operator ("true" or "false" = always true)
        return ("true" in wanted and absent) or ("false" in wanted and not absent)

    return null


@functools.lru_cache(maxsize=8192)
def compile_condition(operator: Operator, values: tuple[str, ...]) -> Predicate:
    """The predicate for one key under one operator: request values (None = absent) -> bool."""
    family, negated = _OPERATORS[operator.base]
    if family == "null":
        return _null_predicate(values)
    matches = _value_test(family, values)
    qualifier = operator.qualifier
    if_exists = operator.if_exists

    if qualifier is None:

        def single(request: RequestValues) -> bool:
            if not request:
                return if_exists or negated
            hit = any(matches(r) for r in request) if len(request) != 1 else matches(request[0])
            return not hit if negated else hit

        return single

    if qualifier == "ForAllValues":

        def for_all(request: RequestValues) -> bool:
            if not request:
                return True
            return all(matches(r) != negated for r in request)

        return for_all

    def for_any(request: RequestValues) -> bool:
        if not request:
            return if_exists
        return any(matches(r) != negated for r in request)

    return for_any


def condition_matches(
    operator: Operator, request: RequestValues, values: Sequence[str]
) -> bool:
    """One key under one operator: does the request's value set satisfy it?"""
    return compile_condition(operator, tuple(values))(request)


def clause_matches(clause: ConditionClause, request: RequestValues) -> bool:
    return compile_condition(clause.operator, clause.values.items)(request)
