"""A JSON reader that records where every key and value stands in the text.

Python's ``json`` module gives no spans, and the source-map packages on PyPI let the last duplicate key
win silently and reject a byte-order mark, so scp-fix keeps this small scanner: RFC 8259 JSON, a leading
BOM allowed, duplicate keys an error at the second key, and a ``Span`` for every JSON Pointer.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rewriter.errors import PolicyParseError
from rewriter.model import Source, Span, escape_pointer_token

__all__ = ["scan", "MAX_DEPTH"]

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
