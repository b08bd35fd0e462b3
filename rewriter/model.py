"""An immutable model of a policy document; no I/O.

Every node keeps its JSON Pointer into the original document, and whether a value was written as
a scalar or a list, so that a rewrite can keep the author's shape. Positions in the source text live
in a side table (``Source.spans``), keyed by pointer.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple


__all__ = [
    "Span",
    "Source",
    "Values",
    "Operator",
    "ConditionClause",
    "Statement",
    "statement_label",
    "Policy",
    "escape_pointer_token",
    "pointer_tokens",
    "LIST_INDEX",
]


def escape_pointer_token(token: str | int) -> str:
    """One RFC 6901 reference token."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer_tokens(pointer: str) -> list[str]:
    """An RFC 6901 pointer's reference tokens, unescaped ("" is the whole document: none)."""
    return [token.replace("~1", "/").replace("~0", "~") for token in pointer.split("/")[1:]]


_NEWLINE = re.compile("\n")

# A list index in a pointer: digits with no leading zero (RFC 6901).
LIST_INDEX = re.compile(r"0|[1-9][0-9]*")


class Span(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """Where a value (and, for an object member, its key) stands in the text: character offsets."""

    start: int
    end: int
    key_start: int | None = None
    key_end: int | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Source:
    """The text a policy was read from, with the span of every value by JSON Pointer."""

    path: str
    text: str
    spans: dict[str, Span] = field(default_factory=dict)
    _line_starts: list[int] = field(default_factory=list, repr=False)

    @property
    def has_bom(self) -> bool:
        return self.text.startswith("\ufeff")

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column), 1-based, of a character offset. A BOM does not count as a column."""
        starts = self._line_starts
        if not starts:
            starts.append(0)
            # PERF: found by the regex engine, not a Python step per character (every policy read back
            # to verify a fix has its statements' lines found)
            starts.extend(match.end() for match in _NEWLINE.finditer(self.text))
        line = bisect.bisect_right(starts, offset) - 1
        column = offset - starts[line] + 1
        if line == 0 and self.has_bom and offset > 0:
            column -= 1
        return line + 1, column

    def locate(self, pointer: str, *, key: bool = False) -> tuple[int, int] | None:
        """(line, column) of the value at a pointer, or of its key; None when unknown."""
        span = self.spans.get(pointer)
        if span is None:
            return None
        offset = span.key_start if key and span.key_start is not None else span.start
        return self.position(offset)


@dataclass(frozen=True, slots=True)
class Values:
    """A "string or list of strings" element, remembering which it was."""

    items: tuple[str, ...]
    is_list: bool
    pointer: str

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class Operator(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """A condition operator split into its parts: ``ForAnyValue:StringNotEqualsIgnoreCaseIfExists``."""

    name: str  # as written in the policy
    base: str  # StringNotEqualsIgnoreCase (the operator without qualifier and IfExists)
    qualifier: str | None = None  # "ForAnyValue" | "ForAllValues" | None
    if_exists: bool = False

    @property
    def negated(self) -> bool:
        return self.base.startswith(
            ("StringNot", "NumericNotEquals", "DateNotEquals", "ArnNot", "NotIpAddress")
        )


@dataclass(frozen=True, slots=True)
class ConditionClause:
    """One key under one operator, with its values."""

    operator: Operator
    key: str  # as written
    values: Values
    pointer: str  # /Statement/0/Condition/<operator>/<key>


def statement_label(index: int, sid: str | None = None, line: int | None = None) -> str:
    """A statement as a reader counts it: ``statement 1 (DenyOutsideTokyo, line 4)``.

    ``index`` is the 0-based position of the JSON Pointer (``/Statement/0``); people count from 1.
    The Sid and the line are shown when known. This is the one place the wording lives: check,
    propose, explain, org and errors all name statements through it."""
    from rewriter.i18n import Text

    number = index + 1
    if sid and line:
        return Text("statement {number} ({sid}, line {line})", number=number, sid=sid, line=line)
    if sid:
        return Text("statement {number} ({sid})", number=number, sid=sid)
    if line:
        return Text("statement {number} (line {line})", number=number, line=line)
    return Text("statement {number}", number=number)


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    pointer: str  # /Statement/0, or /Statement when Statement is a single object
    effect: str  # "Allow" | "Deny"
    sid: str | None = None
    action: Values | None = None
    not_action: Values | None = None
    resource: Values | None = None
    not_resource: Values | None = None
    principal: Any = None  # kept as written; SCPs do not use it for matching
    conditions: tuple[ConditionClause, ...] = ()
    condition_operators: tuple[str, ...] = ()  # operator names in written order
    keys: tuple[str, ...] = ()  # element names in written order
    line: int | None = None  # where a reader finds it: the Sid's line, else the opening brace's
    column: int | None = None  # on that line

    @property
    def label(self) -> str:
        """How a person names this statement: ``statement 1 (DenyOutsideTokyo, line 4)``."""
        return statement_label(self.index, self.sid, self.line)

    def clauses(self, operator: str) -> tuple[ConditionClause, ...]:
        return tuple(c for c in self.conditions if c.operator.name == operator)


@dataclass(frozen=True, slots=True, eq=False)
class Policy:
    """A parsed policy. ``document`` is the plain JSON value as read; treat it as read-only."""

    statements: tuple[Statement, ...]
    statement_is_list: bool
    document: dict[str, Any]
    source: Source
    version: str | None = None
    id: str | None = None

    @property
    def path(self) -> str:
        return self.source.path

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Policy) and self.document == other.document

    # Equal policies are equal documents, and a document (a dict) has no hash: neither has a policy.
    __hash__ = None  # type: ignore[assignment]
