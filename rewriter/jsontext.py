"""A JSON reader that records where every key and value stands in the text.

Python's ``json`` module gives no spans, and the source-map packages on PyPI let the last duplicate key
win silently and reject a byte-order mark, so scp-fix keeps this small scanner: RFC 8259 JSON, a leading
BOM allowed, duplicate keys an error at the second key, and a ``Span`` for every JSON Pointer.

A reader in Python that goes value by value costs some twenty JSON round trips, most of it making a
``Span`` for every pointer when a check needs none and a rewrite a few. So a document is read in two
steps. ``json.loads`` (in C) decodes it, with the rules it does not know (duplicate keys, NaN, depth)
checked around it; the spans are found later, when first asked for, from text that is valid by then.
Whatever that first step refuses goes to ``_Scanner``, the careful reader, which says what is wrong and
where. No document passes one and fails the other, so results and errors are the careful reader's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from rewriter.errors import PolicyParseError
from rewriter.model import Source, Span, escape_pointer_token

__all__ = ["scan", "strict_decode", "MAX_DEPTH"]

MAX_DEPTH = 64

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERALS = {"true": True, "false": False, "null": None}


def _quote(key: str) -> str:
    # as JSON writes it, so a key holding a line break still gives a one-line message
    return json.dumps(key, ensure_ascii=False)


def _string_problem(text: str, start: int) -> tuple[int, str]:
    """Where a string that ``_STRING`` rejects goes wrong, so the column points at the culprit."""
    i = start + 1
    while i < len(text) and text[i] != '"':
        char = text[i]
        if char == "\\":
            escape = text[i + 1 : i + 2]
            if escape == "u":
                if not re.fullmatch(r"[0-9a-fA-F]{4}", text[i + 2 : i + 6]):
                    return i, "invalid \\u escape: four hex digits must follow"
                i += 6
                continue
            if escape and escape in '"\\/bfnrt':
                i += 2
                continue
            return i, f"invalid escape {text[i : i + 2]!r} in a string"
        if char < " ":
            return i, f"control character {char!r} in a string: write it as an escape"
        i += 1
    return start, "unterminated string" if i >= len(text) else "invalid string"


class _Scanner:
    __slots__ = ("text", "path", "spans", "source")

    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.spans: dict[str, Span] = {}
        self.source = Source(path=path, text=text, spans=self.spans)

    def fail(self, offset: int, message: str, pointer: str | None = None) -> PolicyParseError:
        line, column = self.source.position(offset)
        return PolicyParseError(message, path=self.path, line=line, column=column, pointer=pointer)

    def skip(self, offset: int) -> int:
        return _WHITESPACE.match(self.text, offset).end()  # type: ignore[union-attr]

    def value(self, offset: int, pointer: str, depth: int) -> tuple[Any, int]:
        text = self.text
        if offset >= len(text):
            raise self.fail(offset, "unexpected end of file: a value was expected", pointer)
        char = text[offset]
        if char == "{":
            return self.object(offset, pointer, depth)
        if char == "[":
            return self.array(offset, pointer, depth)
        if char == '"':
            value, end = self.string(offset)
        elif char == "-" or char.isdigit():
            match = _NUMBER.match(text, offset)
            if not match:
                raise self.fail(offset, "invalid number", pointer)
            end = match.end()
            literal = match.group()
            try:
                value = json.loads(literal)
            except ValueError:  # an integer over Python's 4,300 digits: no policy value is one
                raise self.fail(offset, f"a number of {len(literal):,} characters is too long", pointer) from None
        else:
            for word, literal_value in _LITERALS.items():
                if text.startswith(word, offset):
                    value, end = literal_value, offset + len(word)
                    break
            else:
                # the one character, or a word JSON lacks: the file may be anything (/etc/passwd)
                found = next((w for w in ("NaN", "Infinity") if text.startswith(w, offset)), text[offset])
                raise self.fail(offset, f"expected a JSON value, found {found!r}", pointer)
        self.record(pointer, offset, end)
        return value, end

    def record(self, pointer: str, start: int, end: int) -> None:
        previous = self.spans.get(pointer)
        if previous is not None and previous.key_start is not None:
            self.spans[pointer] = Span(start, end, previous.key_start, previous.key_end)
        else:
            self.spans[pointer] = Span(start, end)

    def string(self, offset: int) -> tuple[str, int]:
        match = _STRING.match(self.text, offset)
        if not match:
            bad = self.text.find('"', offset + 1)
            if bad == -1 or "\n" in self.text[offset:bad]:
                raise self.fail(offset, "unterminated string")
            where, problem = _string_problem(self.text, offset)
            raise self.fail(where, problem)
        raw = match.group()
        value = raw[1:-1] if "\\" not in raw else json.loads(raw)
        return value, match.end()

    def object(self, start: int, pointer: str, depth: int) -> tuple[dict[str, Any], int]:
        if depth >= MAX_DEPTH:
            raise self.fail(start, f"nested deeper than {MAX_DEPTH} levels", pointer)
        result: dict[str, Any] = {}
        offset = self.skip(start + 1)
        text = self.text
        if offset < len(text) and text[offset] == "}":
            self.record(pointer, start, offset + 1)
            return result, offset + 1
        while True:
            if offset >= len(text) or text[offset] != '"':
                raise self.fail(offset, "expected a string key in double quotes", pointer)
            key_start = offset
            key, offset = self.string(offset)
            key_end = offset
            child = f"{pointer}/{escape_pointer_token(key)}"
            if key in result:
                raise self.fail(
                    key_start,
                    f"duplicate key {_quote(key)}: JSON readers disagree on which one wins, "
                    "so write it once",
                    child,
                )
            offset = self.skip(offset)
            if offset >= len(text) or text[offset] != ":":
                raise self.fail(offset, f'expected ":" after the key {_quote(key)}', child)
            self.spans[child] = Span(0, 0, key_start, key_end)
            offset = self.skip(offset + 1)
            result[key], offset = self.value(offset, child, depth + 1)
            offset = self.skip(offset)
            if offset < len(text) and text[offset] == ",":
                offset = self.skip(offset + 1)
                if offset < len(text) and text[offset] == "}":
                    raise self.fail(offset, "trailing comma before }", pointer)
                continue
            if offset < len(text) and text[offset] == "}":
                self.record(pointer, start, offset + 1)
                return result, offset + 1
            raise self.fail(offset, 'expected "," or "}" after an object member', pointer)

    def array(self, start: int, pointer: str, depth: int) -> tuple[list[Any], int]:
        if depth >= MAX_DEPTH:
            raise self.fail(start, f"nested deeper than {MAX_DEPTH} levels", pointer)
        result: list[Any] = []
        offset = self.skip(start + 1)
        text = self.text
        if offset < len(text) and text[offset] == "]":
            self.record(pointer, start, offset + 1)
            return result, offset + 1
        while True:
            item, offset = self.value(offset, f"{pointer}/{len(result)}", depth + 1)
            result.append(item)
            offset = self.skip(offset)
            if offset < len(text) and text[offset] == ",":
                offset = self.skip(offset + 1)
                if offset < len(text) and text[offset] == "]":
                    raise self.fail(offset, "trailing comma before ]", pointer)
                continue
            if offset < len(text) and text[offset] == "]":
                self.record(pointer, start, offset + 1)
                return result, offset + 1
            raise self.fail(offset, 'expected "," or "]" after a list item', pointer)


def scan(text: str, *, path: str = "<policy>") -> tuple[Any, Source]:
    """Decode JSON text; return the value and a ``Source`` with the span of every pointer."""
    if type(text) is str:
        offset = 1 if text.startswith("\ufeff") else 0
        try:
            value = _DECODER.decode(text[offset:] if offset else text)
        except Exception:  # what json.loads refuses, the careful reader explains
            pass
        else:
            if not _nests_too_deep(text, value):
                return value, Source(path=path, text=text, spans=_SpanTable.of(text, offset))
    return _careful_scan(text, path)


def _careful_scan(text: str, path: str) -> tuple[Any, Source]:
    scanner = _Scanner(text, path)
    offset = 1 if text.startswith("\ufeff") else 0
    offset = scanner.skip(offset)
    if offset >= len(text):
        raise scanner.fail(offset, "the file is empty: a JSON policy document was expected")
    value, end = scanner.value(offset, "", 0)
    end = scanner.skip(end)
    if end != len(text):
        raise scanner.fail(end, "extra text after the end of the JSON document")
    return value, scanner.source


# --- the first step: json.loads, and the rules it does not know ---------------------------------------


class _Refused(Exception):
    """JSON to ``json.loads`` but not to scp-fix."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _Refused
    return result


def _not_json(name: str) -> Any:
    raise _Refused  # NaN, Infinity, -Infinity


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_not_json)


def strict_decode(text: str) -> Any:
    """The value of JSON text read by the C decoder alone, for text with no need of spans or of the
    careful reader's messages: ``ValueError`` for invalid JSON, a duplicate key, NaN or Infinity."""
    try:
        return _DECODER.decode(text)
    except _Refused:
        raise ValueError("a duplicate key, NaN or Infinity") from None


def _nests_too_deep(text: str, value: Any) -> bool:
    # each container opens with a bracket, so a text with few brackets is shallow enough
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    return _deeper_than_allowed(value, 0)


def _deeper_than_allowed(value: Any, depth: int) -> bool:
    """Whether a container at ``depth`` holds, or is, one the careful reader refuses (checked only
    down to the limit, so a very deep document costs no more than one at the limit)."""
    kind = type(value)
    if kind is not dict and kind is not list:
        return False
    if depth >= MAX_DEPTH:
        return True
    return any(_deeper_than_allowed(child, depth + 1) for child in (value.values() if kind is dict else value))


# --- the second step: spans, from text known to be valid ----------------------------------------------

# One token: a string (a key when a colon follows), an opening or closing bracket, or a number or
# literal, after the white space and comma that may come first.
_TOKEN = re.compile(
    r'[ \t\n\r,]*(?:("[^"\\]*(?:\\.[^"\\]*)*")([ \t\n\r]*:)?|([\[{])|[\]}]|([^ \t\n\r,\]}]+))'
)
# what Match.lastindex says the token is
_A_STRING, _A_KEY, _AN_OPENING, _A_CLOSING = 1, 2, 3, None
# One string or literal item of a list, after the white space and comma before it: most lists of a
# policy hold only these (a NotAction list runs to ~90), so they are read in a loop of their own.
_SCALAR_ITEM = re.compile(r'[ \t\n\r,]*("[^"\\]*(?:\\.[^"\\]*)*"|[^ \t\n\r,\]}\[{"][^ \t\n\r,\]}]*)')


def _positions_of(text: str, offset: int) -> dict[str, tuple[int, ...]]:
    """Pointer -> the arguments of its ``Span``, in the order the careful reader records them: an
    object member when its key is read, anything else when it ends."""
    positions: dict[str, Any] = {}
    token_at = _TOKEN.match
    scalar_at = _SCALAR_ITEM.match
    # one entry per open container: [pointer, start, key_start, key_end, next index, or -1 in an object]
    open_containers: list[list[Any]] = []
    container: list[Any] | None = None
    pointer, key_start, key_end = "", None, None  # of the next value
    pos = offset
    while True:
        token = token_at(text, pos)
        pos = token.end()  # type: ignore[union-attr]
        kind = token.lastindex  # type: ignore[union-attr]
        if kind == _A_KEY:
            raw = token.group(_A_STRING)  # type: ignore[union-attr]
            key = raw[1:-1] if "\\" not in raw else json.loads(raw)
            pointer = f"{container[0]}/{escape_pointer_token(key)}"  # type: ignore[index]
            key_start, key_end = token.span(_A_STRING)  # type: ignore[union-attr]
            positions[pointer] = None  # holds the member's place until its value ends
            continue
        if kind is _A_CLOSING:
            pointer, start, key_start, key_end, _ = open_containers.pop()
            positions[pointer] = (start, pos) if key_start is None else (start, pos, key_start, key_end)
            if not open_containers:
                return positions
            container = open_containers[-1]
            continue
        if container is not None and container[4] >= 0:  # an item of a list
            pointer, key_start = f"{container[0]}/{container[4]}", None
            container[4] += 1
        if kind == _AN_OPENING:
            is_list = text[pos - 1] == "["
            container = [pointer, pos - 1, key_start, key_end, 0 if is_list else -1]
            open_containers.append(container)
            if is_list:  # its scalar items up to the first container or the end
                index = 0
                while (item := scalar_at(text, pos)) is not None:
                    pos = item.end()
                    positions[f"{pointer}/{index}"] = item.span(1)
                    index += 1
                container[4] = index
            continue
        start, end = token.span(kind)  # type: ignore[union-attr]
        positions[pointer] = (start, end) if key_start is None else (start, end, key_start, key_end)
        if container is None:  # the document is this one value
            return positions


class _SpanTable(dict):  # type: ignore[type-arg]
    """``Source.spans`` of a document read by ``json.loads``: positions are found on first use, and each
    ``Span`` is made when first looked up (a check needs none, a rewrite a few, and making all of them
    would cost more than reading the document). To every caller it is the dict of every pointer, in
    the order the careful reader records them, and ``table[pointer]`` runs at dict speed once made.
    Anything that reads or changes the table as a whole makes every ``Span`` first; from then on the
    dict itself is the table. A copy is a plain dict.
    """

    __slots__ = ("_text", "_offset", "_positions", "_complete")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # as dict() does, for code that copies a dict by calling its type (dataclasses.asdict)
        super().__init__(*args, **kwargs)
        self._text, self._offset, self._complete = "", 0, True
        self._positions: dict[str, tuple[int, ...]] | None = None

    @classmethod
    def of(cls, text: str, offset: int) -> _SpanTable:
        """The table of ``text``, valid JSON from ``offset`` on, with nothing found yet."""
        table = cls()
        table._text, table._offset, table._complete = text, offset, False
        return table

    def _all_positions(self) -> dict[str, tuple[int, ...]]:
        if self._positions is None:
            self._positions = _positions_of(self._text, self._offset)
        return self._positions

    def __missing__(self, pointer: str) -> Span:
        if self._complete:
            raise KeyError(pointer)
        span = Span(*self._all_positions()[pointer])  # KeyError, as from any dict, if there is none
        dict.__setitem__(self, pointer, span)
        return span

    def get(self, pointer: str, default: Any = None) -> Any:  # type: ignore[override]
        if dict.__contains__(self, pointer):
            return dict.__getitem__(self, pointer)
        if self._complete or pointer not in self._all_positions():
            return default
        return self.__missing__(pointer)

    def __contains__(self, pointer: object) -> bool:
        return dict.__contains__(self, pointer) if self._complete else pointer in self._all_positions()

    def __len__(self) -> int:
        return dict.__len__(self) if self._complete else len(self._all_positions())

    def __iter__(self) -> Iterator[str]:
        return dict.__iter__(self) if self._complete else iter(self._all_positions())

    def _complete_table(self) -> None:
        """Make every ``Span``, in document order, keeping those already handed out."""
        if self._complete:
            return
        made = dict(dict.items(self))  # not dict.copy(self), which would come back through keys()
        dict.clear(self)
        for pointer, position in self._all_positions().items():
            dict.__setitem__(self, pointer, made[pointer] if pointer in made else Span(*position))
        self._complete = True

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        self._complete_table()
        return dict, (dict(dict.items(self)),)

    def _completed(method: Callable[..., Any]) -> Callable[..., Any]:  # type: ignore[misc]
        def completed(self: _SpanTable, *args: Any, **kwargs: Any) -> Any:
            self._complete_table()
            if args and isinstance(args[0], _SpanTable):  # ==, |, update with another table
                args[0]._complete_table()
            return method(self, *args, **kwargs)

        completed.__name__ = method.__name__
        return completed

    keys = _completed(dict.keys)
    values = _completed(dict.values)
    items = _completed(dict.items)
    __reversed__ = _completed(dict.__reversed__)
    __eq__ = _completed(dict.__eq__)
    __ne__ = _completed(dict.__ne__)
    __repr__ = _completed(dict.__repr__)
    __or__ = _completed(dict.__or__)
    __ror__ = _completed(dict.__ror__)
    __ior__ = _completed(dict.__ior__)
    copy = _completed(dict.copy)
    update = _completed(dict.update)
    setdefault = _completed(dict.setdefault)
    pop = _completed(dict.pop)
    popitem = _completed(dict.popitem)
    clear = _completed(dict.clear)
    __setitem__ = _completed(dict.__setitem__)
    __delitem__ = _completed(dict.__delitem__)
    __hash__ = None  # type: ignore[assignment]
    del _completed
