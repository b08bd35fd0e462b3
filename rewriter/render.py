"""Apply RFC 6902 edits to a policy's original text, keeping the author's formatting.

The document is never re-serialised. The original text is read into a tree whose nodes remember where
they stand in the text; the operations are applied to that tree in order, as RFC 6902 says; then every
unchanged value, key, separator and stretch of whitespace is copied from the original, and only new
values are written, in the style of their nearest siblings (indent unit, line ends, a list one item a
line or inline, ``": "`` or ``":"``).

Only what the operations reach is read into the tree: a container on an operation's path becomes a
node, everything else stays a stretch of the original text and is copied as one slice, and the
document's style is worked out only when new text has to be written. So a rendering costs about what
its operations touch, not what the document holds (``propose`` renders every candidate it verifies).

A ``replace`` is reconciled with what it replaces, so that it changes only what differs: replacing a
list with a longer one appends, replacing a scalar (or an object) with a list that starts with it wraps
the existing text instead of rewriting it. When a key is removed and another added to the same object,
the new key takes the removed key's place (``"Action": "*"`` -> ``"NotAction": [...]``).

Finally the text is read back and compared with ``jsonpatch.apply_patch`` of the same operations, so a
rendering that means something else than the patch is never returned.
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any, NamedTuple

from rewriter.errors import PolicyParseError, VerificationError
from rewriter.jsontext import scan
from rewriter.model import LIST_INDEX, Source, Span, escape_pointer_token, pointer_tokens

__all__ = ["render"]

_INDENT = re.compile(r"[ \t]*")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_OPS = ("add", "remove", "replace", "test")
# The types a scanned scalar has; a list holding only these holds no container.
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


def render(
    source: Source, operations: Sequence[Mapping[str, Any]], *, document: Any = None, verify: bool = True
) -> str:
    """The text of ``source`` with ``operations`` (RFC 6902: add, remove, replace, test) applied.

    Raises ``VerificationError`` when an operation's path does not exist, an operation is malformed
    or unsupported, or (a bug) the rendered text would not parse to the patched document.
    ``document`` is the value ``source`` holds, when the caller has it (it is only read), and
    ``verify=False`` leaves the read-back check to a caller that makes it anyway (``propose``).
    """
    if not operations:
        return source.text
    if document is None or not source.spans:
        document, source = scan(source.text, path=source.path)
    tree = _Tree(source, document)
    for operation in operations:
        tree.apply(operation)
    text = tree.text()
    if verify:
        _verify(source, document, operations, text)
    return text


# --- the tree --------------------------------------------------------------------------------------
# Working state while operations are applied: mutable on purpose, and never leaves this module.


class _Original:
    """An original value (scalar or container) that no operation has reached: copied as written."""

    __slots__ = ("pointer", "value")

    def __init__(self, pointer: str, value: Any) -> None:
        self.pointer = pointer
        self.value = value  # the caller's document: only read


class _New:
    """A value that an operation brought in; written in the document's style.

    It is the operation's own object, only read, until an operation edits inside it: then a copy.
    """

    __slots__ = ("owned", "value")

    def __init__(self, value: Any) -> None:
        self.value = value
        self.owned = False

    def editable(self) -> Any:
        if not self.owned:
            self.value = copy.deepcopy(self.value)
            self.owned = True
        return self.value


class _Entry:
    """A list item or an object member. ``origin`` is its index in the original container."""

    __slots__ = ("key", "node", "origin", "removed")

    def __init__(self, key: str | None, node: _Node, origin: int | None) -> None:
        self.key = key
        self.node = node
        self.origin = origin
        # An original object member that was removed stays as a tombstone, so that a key added to
        # the same object can be written in its place.
        self.removed = False


class _Layout:
    """Where an original container's brackets and items stand in the text.

    An item's span is looked up when it is asked for: an edit reads where the items next to it
    stand, not where every item of a long list does.
    """

    __slots__ = ("_keys", "_last", "_pointer", "_spans", "close", "count", "open", "pre", "shape", "text")

    def __init__(
        self, text: str, spans: Mapping[str, Span], pointer: str, keys: list[str] | None, count: int
    ) -> None:
        self.text = text
        self._spans = spans
        self._pointer = pointer
        self._keys = keys  # an object's keys; None for a list
        self._last: tuple[int, Span] | None = None  # an entry is often asked for a few times in a row
        self.count = count
        span = spans[pointer]
        self.open = span.start
        self.close = span.end - 1
        # pre: between the opening bracket and the first item. shape: "lines" (items on their own
        # lines), "compact" ("[{ ... }]"), "inline" or "empty".
        if not count:
            self.pre, self.shape = "", "empty"
            return
        self.pre = _WHITESPACE.match(text, self.open + 1).group()  # type: ignore[union-attr]
        if "\n" in self.pre:
            self.shape = "lines"
        elif text.find("\n", self.open, self.close) != -1:
            self.shape = "compact"
        else:
            self.shape = "inline"

    def _span(self, index: int) -> Span:
        last = self._last
        if last is not None and last[0] == index:
            return last[1]
        if self._keys is None:
            span = self._spans[f"{self._pointer}/{index}"]
        else:
            span = self._spans[f"{self._pointer}/{escape_pointer_token(self._keys[index])}"]
        self._last = (index, span)
        return span

    def start(self, index: int) -> int:
        """Where item ``index`` starts: an object member at its key."""
        span = self._span(index)
        return span.start if self._keys is None else span.key_start  # type: ignore[return-value]

    def value_start(self, index: int) -> int:
        return self._span(index).start

    def end(self, index: int) -> int:
        return self._span(index).end

    def post(self) -> str:
        """Between the last item and the closing bracket."""
        return self.text[self.end(self.count - 1) : self.close] if self.count else ""

    def sep(self, index: int) -> str:
        """Between item ``index`` and the next, comma included."""
        return self.text[self.end(index) : self.start(index + 1)]

    def seps(self) -> list[str]:
        return [self.sep(index) for index in range(self.count - 1)]

    def last_sep(self) -> str | None:
        return self.sep(self.count - 2) if self.count >= 2 else None

    def indent(self, index: int) -> str:
        """The indentation of the line item ``index`` starts on."""
        return _line_indent(self.text, self.start(index))


class _Container:
    """An original list or object, or a list made by wrapping a value (``wrapped`` is that value).

    In an original container, an entry no operation has reached is its original index, a plain int,
    until one does (``item``): making an ``_Entry`` for every item of a long list would cost more
    than the edit.
    """

    __slots__ = ("anchor", "entries", "keys", "kind", "layout", "original", "pointer", "wrapped")

    def __init__(
        self,
        kind: str,
        pointer: str | None,
        entries: list[Any],
        anchor: int,
        wrapped: _Node | None = None,
        layout: _Layout | None = None,
        original: Any = None,
        keys: list[str] | None = None,
    ) -> None:
        self.kind = kind  # "array" | "object"
        self.pointer = pointer  # None for a wrapping list, which has no text of its own
        self.entries: list[Any] = entries  # _Entry, or int (see above)
        self.wrapped = wrapped
        self.anchor = anchor  # an offset in the original text near this value, to find its siblings
        self.layout = layout  # None for a wrapping list
        self.original = original  # the original value, for a container read from the text
        self.keys = keys  # an original object's keys, in the original order

    def item(self, index: int) -> _Entry:
        """Entry ``index``, made an ``_Entry`` if no operation had reached it."""
        entry = self.entries[index]
        if isinstance(entry, int):
            if self.keys is None:
                node = _Original(f"{self.pointer}/{entry}", self.original[entry])
                entry = self.entries[index] = _Entry(None, node, entry)
            else:
                key = self.keys[entry]
                node = _Original(f"{self.pointer}/{escape_pointer_token(key)}", self.original[key])
                entry = self.entries[index] = _Entry(key, node, entry)
        return entry

    def live(self) -> list[_Entry]:
        """An object's members that were not removed."""
        return [entry for entry in map(self.item, range(len(self.entries))) if not entry.removed]

    def member(self, key: str) -> _Entry | None:
        for index, entry in enumerate(self.entries):
            if isinstance(entry, int):
                if self.keys[entry] == key:  # type: ignore[index]
                    return self.item(index)
            elif not entry.removed and entry.key == key:
                return entry
        return None


_Node = _Original | _New | _Container


def _value_of(node: _Node) -> Any:
    if isinstance(node, (_Original, _New)):
        return node.value
    if node.kind == "array":
        original = node.original
        return [original[entry] if isinstance(entry, int) else _value_of(entry.node) for entry in node.entries]
    members = {}
    for entry in node.entries:
        if isinstance(entry, int):
            key = node.keys[entry]  # type: ignore[index]
            members[key] = node.original[key]
        elif not entry.removed:
            members[entry.key] = _value_of(entry.node)
    return members


def _untouched(entry: Any) -> bool:
    """Whether an entry is an original one that no operation changed: its text, key and all, is copied."""
    return isinstance(entry, int) or (entry.origin is not None and isinstance(entry.node, _Original))


def _original_run(entries: list[Any], start: int) -> int:
    """How many list entries from ``start`` on (an untouched item) are untouched items that follow
    each other in the original: compared a slice at a time, a long list is not walked item by item."""
    first = entries[start]
    low, high = 1, len(entries) - start
    while low < high:
        middle = (low + high + 1) // 2
        if entries[start : start + middle] == list(range(first, first + middle)):
            low = middle
        else:
            high = middle - 1
    return low


# json.dumps(value, sort_keys=True, ensure_ascii=False), without making an encoder at every call.
# It tells 1, 1.0 and true apart, which == does not.
_fingerprint: Callable[[Any], str] = json.JSONEncoder(sort_keys=True, ensure_ascii=False).encode
# json.dumps(value, ensure_ascii=False): how a new key or value is written.
_write: Callable[[Any], str] = json.JSONEncoder(ensure_ascii=False).encode


def _same(a: Any, b: Any) -> bool:
    return _fingerprint(a) == _fingerprint(b)


def _line_indent(text: str, offset: int) -> str:
    line_start = text.rfind("\n", 0, offset) + 1
    if line_start == 0 and text.startswith("\ufeff"):
        line_start = 1
    return _INDENT.match(text, line_start).group()  # type: ignore[union-attr]


# Named tuples rather than dataclasses: quicker to make, and to define at import.
class _Style(NamedTuple):
    lines: bool
    sep: str = ", "
    pad_open: str = ""
    pad_close: str = ""


class _Reference(NamedTuple):
    """An original container whose style new values near it follow."""

    path: tuple[Any, ...]  # its pointer's tokens, list indexes as _ANY_INDEX
    scalar_items: bool
    style: _Style
    offset: int


class _DocumentStyle(NamedTuple):
    """How the document writes what is new: line end, indent unit, ``": "``, inline separator."""

    newline: str
    colon: str
    inline_sep: str
    unit: str
    fallback: _Style  # for a value with no original container of its kind to follow
    references: dict[str, tuple[_Reference, ...]]  # "array"/"object": non-empty containers, innermost first
    # Every new container is written one item a line: no original one is inline, and the colon is on
    # one line (``_style_for`` then need not look for a container to follow).
    lines_only: bool = False


def _most_common(found: list[str], default: str) -> str:
    """The most common of ``found`` (the first seen, of equally common ones), or ``default``."""
    if not found:
        return default
    if found.count(found[0]) == len(found):  # the usual case: one style throughout
        return found[0]
    counts = Counter(found)
    return max(counts, key=counts.__getitem__)


def _document_style(source: Source, document: Any) -> _DocumentStyle:
    """Read from the layout of every container. A list of scalars is not read item by item unless it
    is inline (then its separators count)."""
    text = source.text
    spans = source.spans
    colons: list[str] = []
    containers: list[tuple[tuple[str, ...], str, bool, _Layout]] = []

    # Colons are counted parent first and containers listed children first: the orders that break
    # ties between equally common styles.
    def visit(value: Any, pointer: str, tokens: tuple[str, ...]) -> None:
        scalar_items = True
        if isinstance(value, dict):
            keys = list(value)
            members = [f"{pointer}/{escape_pointer_token(key)}" for key in keys]
            colons.extend([text[span.key_end : span.start] for span in map(spans.__getitem__, members)])
            for key, item, member in zip(keys, value.values(), members):
                if isinstance(item, (dict, list)):
                    scalar_items = False
                    visit(item, member, tokens + (key,))
            kind = "object"
        else:
            keys = None
            if not set(map(type, value)) <= _SCALAR_TYPES:
                for index, item in enumerate(value):
                    if isinstance(item, (dict, list)):
                        scalar_items = False
                        visit(item, f"{pointer}/{index}", tokens + (str(index),))
            kind = "array"
        if value:  # an empty container shows no layout to follow
            containers.append((tokens, kind, scalar_items, _Layout(text, spans, pointer, keys, len(value))))

    if isinstance(document, (dict, list)):
        visit(document, "", ())

    units: list[str] = []
    inline_seps: list[str] = []
    for _, _, _, layout in containers:
        if layout.shape == "lines":
            outer = _line_indent(text, layout.open)
            inner = _INDENT.match(layout.pre, layout.pre.rfind("\n") + 1).group()  # type: ignore[union-attr]
            if inner.startswith(outer):
                units.append(inner[len(outer) :])
        elif layout.shape == "inline":
            inline_seps += layout.seps()
    colon = _most_common(colons, ": ")
    inline_sep = _most_common(inline_seps, ", " if colon.endswith(" ") else ",")
    lines = _Style(lines=True)
    references: dict[str, list[_Reference]] = {"array": [], "object": []}
    for tokens, kind, scalar_items, layout in containers:
        if layout.shape == "inline":
            last_sep = layout.last_sep()
            # a one-item inline list has no separator of its own: use the document's
            sep = inline_sep if last_sep is None else last_sep
            style = _Style(lines=False, sep=sep, pad_open=layout.pre, pad_close=layout.post())
        else:
            style = lines
        references[kind].append(_Reference(_path(tokens), scalar_items, style, layout.open))
    crlf = text.count("\r\n")
    root = spans[""]
    unit = _most_common(units, "\t" if "\n\t" in text else "  ")
    fallback = _Style(lines=text.find("\n", root.start, root.end) != -1, sep=inline_sep)
    lines_only = fallback.lines and "\n" not in colon and all(r.style.lines for found in references.values() for r in found)
    return _DocumentStyle(
        newline="\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n",
        colon=colon,
        inline_sep=inline_sep,
        unit=unit,
        fallback=fallback,
        references={kind: tuple(found) for kind, found in references.items()},
        lines_only=lines_only,
    )


# The style of the source rendered last, with the source and document it was read from. They are
# held, so that ``is`` cannot match another object made later at the same address.
_last_style: tuple[Source, Any, _DocumentStyle] | None = None


class _Tree:
    def __init__(self, source: Source, document: Any) -> None:
        self.source = source
        self.text_ = source.text
        self.document = document
        self.root: _Node = _Original("", document)
        self._style: _DocumentStyle | None = None

    @property
    def style(self) -> _DocumentStyle:
        """Worked out when new text is first written (most edits to a list need none of it), and
        kept for the next rendering of the same source: ``propose`` renders each candidate from it."""
        global _last_style
        if self._style is None:
            last = _last_style
            if last is not None and last[0] is self.source and last[1] is self.document:
                self._style = last[2]
            else:
                self._style = _document_style(self.source, self.document)
                _last_style = (self.source, self.document, self._style)
        return self._style

    # --- reading ------------------------------------------------------------------------------
    def _open(self, node: _Node) -> _Node:
        """``node`` as a container node an operation can change, if it is an original container."""
        if not isinstance(node, _Original) or not isinstance(node.value, (dict, list)):
            return node
        value, pointer = node.value, node.pointer
        keys = list(value) if isinstance(value, dict) else None
        layout = _Layout(self.text_, self.source.spans, pointer, keys, len(value))
        kind = "array" if keys is None else "object"
        entries = list(range(len(value)))
        return _Container(kind, pointer, entries, layout.open, layout=layout, original=value, keys=keys)

    # --- applying operations -------------------------------------------------------------------
    def fail(self, operation: Mapping[str, Any], why: str) -> VerificationError:
        path = operation.get("path") if isinstance(operation, Mapping) else None
        pointer = path if isinstance(path, str) else None
        line = column = None
        if pointer is not None:
            # Locate the deepest part of the path that exists in the original.
            tokens = list(_tokens(pointer)) if pointer.startswith("/") or pointer == "" else []
            while True:
                where = self.source.locate("".join("/" + escape_pointer_token(t) for t in tokens))
                if where is not None or not tokens:
                    break
                tokens.pop()
            if where is not None:
                line, column = where
        name = operation.get("op") if isinstance(operation, Mapping) else None
        return VerificationError(
            f"cannot apply the edit {name} {pointer}: {why}",
            path=self.source.path,
            line=line,
            column=column,
            pointer=pointer,
        )

    def apply(self, operation: Mapping[str, Any]) -> None:
        if not isinstance(operation, Mapping):
            raise VerificationError(f"an edit must be a JSON object, not {operation!r}", path=self.source.path)
        name = operation.get("op")
        path = operation.get("path")
        if name not in _OPS:
            raise self.fail(operation, f"only {', '.join(_OPS)} are supported")
        if not isinstance(path, str) or (path and not path.startswith("/")):
            raise self.fail(operation, "the path must be a JSON Pointer")
        if name != "remove" and "value" not in operation:
            raise self.fail(operation, 'the edit has no "value"')
        value = operation.get("value")
        tokens = _tokens(path)
        if name == "test":
            found = self._value_at(tokens, operation)
            if not _same(found, value):
                raise self.fail(operation, "the test failed: the value differs")
            return
        if not tokens:
            if name == "remove":
                raise self.fail(operation, "the whole document cannot be removed")
            self.root = self._reconcile(self.root, value)
            return
        parent = self._resolve(tokens[:-1], operation)
        last = tokens[-1]
        if isinstance(parent, _Container):
            self._apply_node(parent, name, last, value, operation)
        else:
            self._apply_python(parent, name, last, value, operation)

    def _resolve(self, tokens: tuple[str, ...], operation: Mapping[str, Any]) -> _Container | list | dict:
        self.root = self._open(self.root)
        node: Any = self.root
        for token in tokens:
            if isinstance(node, _New):
                node = node.editable()
            if isinstance(node, _Container):
                entry = self._entry(node, token, operation)
                node = entry.node = self._open(entry.node)
            elif isinstance(node, list):
                node = node[self._index(token, len(node), operation)]
            elif isinstance(node, dict):
                if token not in node:
                    raise self.fail(operation, f'there is no "{token}" here')
                node = node[token]
            else:
                raise self.fail(operation, "the path goes through a value that is not a list or object")
        if isinstance(node, _New):
            node = node.editable()
        if not isinstance(node, (_Container, list, dict)):
            raise self.fail(operation, "the parent is not a list or an object")
        return node

    def _value_at(self, tokens: tuple[str, ...], operation: Mapping[str, Any]) -> Any:
        if not tokens:
            return _value_of(self.root)
        parent = self._resolve(tokens[:-1], operation)
        last = tokens[-1]
        if isinstance(parent, _Container):
            return _value_of(self._entry(parent, last, operation).node)
        if isinstance(parent, list):
            return parent[self._index(last, len(parent), operation)]
        if last not in parent:
            raise self.fail(operation, f'there is no "{last}" here')
        return parent[last]

    def _entry(self, node: _Container, token: str, operation: Mapping[str, Any]) -> _Entry:
        if node.kind == "array":
            return node.item(self._index(token, len(node.entries), operation))
        entry = node.member(token)
        if entry is None:
            raise self.fail(operation, f'there is no "{token}" here')
        return entry

    def _index(self, token: str, size: int, operation: Mapping[str, Any], *, add: bool = False) -> int:
        if token == "-" and add:
            return size
        if not LIST_INDEX.fullmatch(token):
            raise self.fail(operation, f'"{token}" is not a list index')
        index = int(token)
        if index > size or (index == size and not add):
            raise self.fail(operation, f"the list has {size} item(s); index {index} is out of range")
        return index

    def _apply_node(
        self, parent: _Container, name: str, last: str, value: Any, operation: Mapping[str, Any]
    ) -> None:
        if parent.kind == "array":
            if name == "add":
                index = self._index(last, len(parent.entries), operation, add=True)
                parent.entries.insert(index, _Entry(None, _New(value), None))
                return
            index = self._index(last, len(parent.entries), operation)
            if name == "remove":
                del parent.entries[index]
            else:
                entry = parent.item(index)
                entry.node = self._reconcile(entry.node, value)
            return
        entry = parent.member(last)
        if name == "add":
            if entry is not None:
                entry.node = self._reconcile(entry.node, value)
            else:
                self._add_member(parent, last, value)
            return
        if entry is None:
            raise self.fail(operation, f'there is no "{last}" here')
        if name == "remove":
            self._remove_member(parent, entry)
        else:
            entry.node = self._reconcile(entry.node, value)

    def _apply_python(
        self, parent: list | dict, name: str, last: str, value: Any, operation: Mapping[str, Any]
    ) -> None:
        value = copy.deepcopy(value)
        if isinstance(parent, list):
            if name == "add":
                parent.insert(self._index(last, len(parent), operation, add=True), value)
                return
            index = self._index(last, len(parent), operation)
            if name == "remove":
                del parent[index]
            else:
                parent[index] = value
            return
        if name != "add" and last not in parent:
            raise self.fail(operation, f'there is no "{last}" here')
        if name == "remove":
            del parent[last]
        else:
            parent[last] = value

    def _add_member(self, parent: _Container, key: str, value: Any) -> None:
        for entry in parent.entries:
            # removed earlier and added back: keep its text
            if not isinstance(entry, int) and entry.removed and entry.key == key:
                entry.removed = False
                entry.node = self._reconcile(entry.node, value)
                return
        parent.entries.append(_Entry(key, _New(value), None))

    @staticmethod
    def _remove_member(parent: _Container, entry: _Entry) -> None:
        if entry.origin is None:
            parent.entries.remove(entry)
        else:
            entry.removed = True

    def _reconcile(self, node: _Node, value: Any) -> _Node:
        """``node`` replaced by ``value``, keeping every part of its text that stays the same."""
        if isinstance(node, _New):
            return _New(value)
        current = _value_of(node)
        written = _fingerprint(current)
        if written == _fingerprint(value):
            return node
        node = self._open(node)
        if isinstance(node, _Container) and node.wrapped is not None and _same(value, _value_of(node.wrapped)):
            return node.wrapped
        wraps = isinstance(value, list) and bool(value) and _fingerprint(value[0]) == written
        if isinstance(node, _Container) and node.kind == "array" and isinstance(value, list) and not wraps:
            self._reconcile_list(node, value)
            return node
        if isinstance(node, _Container) and node.kind == "object" and isinstance(value, dict):
            for entry in node.live():
                if entry.key in value:
                    entry.node = self._reconcile(entry.node, value[entry.key])
                else:
                    self._remove_member(node, entry)
            for key, item in value.items():
                if node.member(key) is None:
                    self._add_member(node, key, item)
            return node
        if isinstance(value, list) and value and (
            wraps or (isinstance(current, dict) and isinstance(value[0], dict))
        ):
            # A value becoming a list that starts with it (or, for an object, with an edited copy
            # of it): wrap the existing text rather than write it again.
            anchor = node.anchor if isinstance(node, _Container) else self.source.spans[node.pointer].start
            node = self._reconcile(node, value[0])
            entries = [_Entry(None, node, None)] + [_Entry(None, _New(item), None) for item in value[1:]]
            return _Container("array", None, entries, anchor, wrapped=node)
        return _New(value)

    def _reconcile_list(self, node: _Container, value: list[Any]) -> None:
        old = [_fingerprint(item) for item in _value_of(node)]
        new = [_fingerprint(item) for item in value]
        entries: list[Any] = []
        matcher = SequenceMatcher(None, old, new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                entries.extend(node.entries[i1:i2])
                continue
            paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            for k in range(paired):
                entry = node.item(i1 + k)
                entry.node = self._reconcile(entry.node, value[j1 + k])
                entries.append(entry)
            entries.extend(_Entry(None, _New(item), None) for item in value[j1 + paired : j2])
        node.entries = entries

    # --- writing -------------------------------------------------------------------------------
    def text(self) -> str:
        if isinstance(self.root, _Original):  # no operation changed anything
            return self.text_
        span = self.source.spans[""]
        body = self._render(self.root, _line_indent(self.text_, span.start), (), False, span.start)
        return self.text_[: span.start] + body + self.text_[span.end :]

    def _render(self, node: _Node, indent: str, tokens: tuple[str, ...], inline: bool, anchor: int) -> str:
        if isinstance(node, _Original):
            span = self.source.spans[node.pointer]
            return self.text_[span.start : span.end]
        if isinstance(node, _New):
            return self._dump(node.value, indent, tokens, inline, anchor)
        if node.wrapped is not None:
            return self._render_wrap(node, indent, tokens, inline)
        return self._render_container(node, indent, tokens, inline)

    def _arrange(self, node: _Container) -> list[tuple[Any, int | None, int]]:
        """The entries to write, each with the original position whose separators it may reuse, and
        how many entries it stands for: more than one for a stretch of untouched list items."""
        if node.kind == "array":
            entries = node.entries
            arranged: list[tuple[Any, int | None, int]] = []
            index = 0
            while index < len(entries):
                entry = entries[index]
                if isinstance(entry, int):
                    count = _original_run(entries, index)
                    arranged.append((entry, entry, count))
                    index += count
                else:
                    arranged.append((entry, entry.origin, 1))
                    index += 1
            return arranged
        waiting = [entry for entry in node.entries if not isinstance(entry, int) and entry.origin is None]
        placed: set[int] = set()
        arranged = []
        for entry in node.entries:
            if isinstance(entry, int):
                arranged.append((entry, entry, 1))
            elif entry.removed:
                if waiting:  # a key added to this object takes the removed key's place
                    new = waiting.pop(0)
                    placed.add(id(new))
                    arranged.append((new, entry.origin, 1))
            elif entry.origin is None:
                if id(entry) not in placed:
                    arranged.append((entry, None, 1))
            else:
                arranged.append((entry, entry.origin, 1))
        return arranged

    def _render_container(self, node: _Container, indent: str, tokens: tuple[str, ...], inline: bool) -> str:
        layout = node.layout
        assert layout is not None
        brackets = "[]" if node.kind == "array" else "{}"
        arranged = self._arrange(node)
        if not arranged:
            return self.text_[layout.open : layout.close + 1] if layout.shape == "empty" else brackets
        if layout.shape == "empty":
            style = self._style_for(node.kind, tokens, _scalar_items(node), layout.open)
            entries = [entry for entry, _, _ in arranged]
            return self._write_entries(node, entries, brackets, indent, tokens, style, inline, layout.open)
        # The original text is copied from ``cursor`` on, cut only where new text goes: a changed value,
        # a new entry, a separator between entries that were not neighbours.
        text = self.text_
        out: list[str] = []
        cursor: int | None = layout.open
        previous: int | None = -1  # the original position of the entry written last; -1: the bracket
        position = 0  # of the entry in the container, as the new document counts
        for entry, slot, count in arranged:
            if slot is None or previous is None or slot != previous + 1:
                if cursor is not None:  # up to the end of the entry before, or of the text after "["
                    stop = layout.start(0) if previous == -1 else layout.end(previous)  # type: ignore[arg-type]
                    out.append(text[cursor:stop])
                if position:
                    out.append(self._new_sep(layout))
                cursor = None if slot is None else layout.start(slot)
            if _untouched(entry):
                previous = slot + count - 1  # type: ignore[operator]
                position += count
                continue
            if layout.shape == "inline":
                child_indent = indent
            elif slot is not None:
                child_indent = layout.indent(slot)
            elif layout.shape == "lines":
                child_indent = layout.indent(layout.count - 1)
            else:
                child_indent = indent
            child_tokens = tokens + (entry.key if node.kind == "object" else str(position),)
            value = self._render(entry.node, child_indent, child_tokens, layout.shape == "inline", layout.open)
            kept_key = node.kind == "object" and entry.origin is not None
            if node.kind == "object" and not kept_key:
                value = _write(entry.key) + self.style.colon + value
            if slot is not None:  # in an original entry's place: what stands before it is kept
                out.append(text[cursor : layout.value_start(slot) if kept_key else layout.start(slot)])
                cursor = layout.end(slot)
            out.append(value)
            previous = slot
            position += 1
        if cursor is not None and previous == layout.count - 1:
            out.append(text[cursor : layout.close + 1])
        else:
            if cursor is not None:
                out.append(text[cursor : layout.end(previous)])  # type: ignore[arg-type]
            out.append(layout.post() + brackets[1])
        return "".join(out)

    def _new_sep(self, layout: _Layout) -> str:
        """The separator before an item that has no original neighbour to copy one from."""
        last_sep = layout.last_sep()
        if last_sep is not None:
            return last_sep
        if layout.shape == "lines":
            return "," + layout.pre
        return self.style.inline_sep

    def _render_wrap(self, node: _Container, indent: str, tokens: tuple[str, ...], inline: bool) -> str:
        entries = node.entries
        if entries and entries[0].node is node.wrapped:
            first = self._render(entries[0].node, indent, tokens + ("0",), inline, node.anchor)
            if "\n" in first:
                # A value written over several lines keeps its lines: "[{" ... "}, {" ... "}]".
                rest = [
                    self._render(entry.node, indent, tokens + (str(i),), inline, node.anchor)
                    for i, entry in enumerate(entries[1:], 1)
                ]
                return "[" + first + "".join(self.style.inline_sep + text for text in rest) + "]"
        style = self._style_for("array", tokens, _scalar_items(node), node.anchor)
        return self._write_entries(node, entries, "[]", indent, tokens, style, inline, node.anchor)

    def _write_entries(
        self,
        node: _Container,
        entries: list[_Entry],
        brackets: str,
        indent: str,
        tokens: tuple[str, ...],
        style: _Style,
        inline: bool,
        anchor: int,
    ) -> str:
        """A container with no original layout to follow, written in ``style``."""
        child, child_inline, before, between, after = self._frame(brackets, indent, style, inline)
        texts = []
        for index, entry in enumerate(entries):
            if node.kind == "object":
                key = entry.key or ""
                text = self._render(entry.node, child, tokens + (key,), child_inline, anchor)
                texts.append(_write(key) + self.style.colon + text)
            else:
                texts.append(self._render(entry.node, child, tokens + (str(index),), child_inline, anchor))
        return before + between.join(texts) + after

    def _dump(self, value: Any, indent: str, tokens: tuple[str, ...], inline: bool, anchor: int) -> str:
        """A new value, written in the style of the nearest container of its kind."""
        if isinstance(value, dict):
            kind, brackets, items = "object", "{}", list(value.items())
        elif isinstance(value, list):
            kind, brackets, items = "array", "[]", list(enumerate(value))
        else:
            return _write(value)
        if not items:
            return brackets
        scalar_items = not any(isinstance(item, (dict, list)) for _, item in items)
        style = self._style_for(kind, tokens, scalar_items, anchor)
        child, child_inline, before, between, after = self._frame(brackets, indent, style, inline)
        texts = []
        for key, item in items:
            text = self._dump(item, child, tokens + (str(key),), child_inline, anchor)
            texts.append(_write(key) + self.style.colon + text if kind == "object" else text)
        return before + between.join(texts) + after

    def _frame(self, brackets: str, indent: str, style: _Style, inline: bool) -> tuple[str, bool, str, str, str]:
        """How a new container's items are written: their indent, whether inline, and the text before
        the first item, between two items and after the last."""
        if style.lines and not inline:
            child = indent + self.style.unit
            newline = self.style.newline
            return child, False, brackets[0] + newline + child, "," + newline + child, newline + indent + brackets[1]
        if style.lines:  # forced inline inside an inline container
            style = _Style(False, self.style.inline_sep)
        return indent, True, brackets[0] + style.pad_open, style.sep, style.pad_close + brackets[1]

    def _style_for(self, kind: str, tokens: tuple[str, ...], scalar_items: bool, anchor: int) -> _Style:
        """The style of the original container most like this one: same place, same kind of items."""
        if self.style.lines_only:  # every one is one item a line
            return self.style.fallback
        path = _path(tokens)
        best: tuple[int, bool, int] | None = None
        style = self.style.fallback
        for reference in self.style.references[kind]:
            shared = 0
            for mine, theirs in zip(path, reference.path):
                if mine != theirs:
                    break
                shared += 1
            score = (shared, reference.scalar_items == scalar_items, -abs(reference.offset - anchor))
            if best is None or score > best:
                best, style = score, reference.style
        return style


def _scalar_items(node: _Container) -> bool:
    value = _value_of(node)
    items = value if isinstance(value, list) else value.values()
    return not any(isinstance(item, (dict, list)) for item in items)


def _tokens(pointer: str) -> tuple[str, ...]:
    return tuple(pointer_tokens(pointer))


# Any two list indexes count as the same place when a new value looks for a container to follow.
_ANY_INDEX = object()


def _path(tokens: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(_ANY_INDEX if token == "-" or token.isdigit() else token for token in tokens)


def _verify(source: Source, document: Any, operations: Sequence[Mapping[str, Any]], text: str) -> None:
    import jsonpatch  # heavy enough to keep out of `scp-fix --help`

    try:
        expected = jsonpatch.apply_patch(document, [dict(op) for op in operations])
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException) as error:
        raise VerificationError(f"the edits do not apply: {error}", path=source.path) from error
    try:
        rendered, _ = scan(text, path=source.path)
    except PolicyParseError as error:
        raise VerificationError(
            f"the rewritten text is not valid JSON ({error.message}); this is a bug in scp-fix",
            path=source.path,
        ) from error
    if not _same(rendered, expected):
        raise VerificationError(
            "the rewritten text does not read back as the patched document; this is a bug in scp-fix",
            path=source.path,
        )
