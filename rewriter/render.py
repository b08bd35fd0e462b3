"""Apply RFC 6902 edits to a policy's original text, keeping the author's formatting.

The document is never re-serialised. The original text is read into a tree whose nodes remember where
they stand in the text; the operations are applied to that tree in order, as RFC 6902 says; then every
unchanged value, key, separator and stretch of whitespace is copied from the original, and only new
values are written, in the style of their nearest siblings (indent unit, line ends, a list one item a
line or inline, ``": "`` or ``":"``).

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
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from rewriter.errors import PolicyParseError, VerificationError
from rewriter.jsontext import scan
from rewriter.model import Source, escape_pointer_token

__all__ = ["render"]

_INDEX = re.compile(r"0|[1-9][0-9]*")
_INDENT = re.compile(r"[ \t]*")
_OPS = ("add", "remove", "replace", "test")


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


class _Scalar:
    """An original scalar; its text is copied as written."""

    __slots__ = ("pointer", "value")

    def __init__(self, pointer: str, value: Any) -> None:
        self.pointer = pointer
        self.value = value


class _New:
    """A value that an operation brought in; written in the document's style."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = copy.deepcopy(value)


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


class _Container:
    """An original list or object, or a list made by wrapping a value (``wrapped`` is that value)."""

    __slots__ = ("anchor", "entries", "kind", "pointer", "wrapped")

    def __init__(
        self,
        kind: str,
        pointer: str | None,
        entries: list[_Entry],
        anchor: int,
        wrapped: _Node | None = None,
    ) -> None:
        self.kind = kind  # "array" | "object"
        self.pointer = pointer  # None for a wrapping list, which has no text of its own
        self.entries = entries
        self.wrapped = wrapped
        self.anchor = anchor  # an offset in the original text near this value, to find its siblings

    def live(self) -> list[_Entry]:
        return [entry for entry in self.entries if not entry.removed]

    def member(self, key: str) -> _Entry | None:
        for entry in self.entries:
            if not entry.removed and entry.key == key:
                return entry
        return None


_Node = _Scalar | _New | _Container


def _value_of(node: _Node) -> Any:
    if isinstance(node, _Scalar):
        return node.value
    if isinstance(node, _New):
        return node.value
    if node.kind == "array":
        return [_value_of(entry.node) for entry in node.entries]
    return {entry.key: _value_of(entry.node) for entry in node.live()}


def _fingerprint(value: Any) -> str:
    # json.dumps tells 1, 1.0 and true apart, which == does not.
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _same(a: Any, b: Any) -> bool:
    return _fingerprint(a) == _fingerprint(b)


@dataclass(frozen=True, slots=True)
class _Layout:
    """How an original container is written: bracket offsets, item offsets and the text between."""

    open: int
    close: int
    starts: tuple[int, ...]  # item (or member key) starts
    value_starts: tuple[int, ...]  # value starts (for a list, the same as starts)
    ends: tuple[int, ...]
    pre: str  # between the opening bracket and the first item
    post: str  # between the last item and the closing bracket
    seps: tuple[str, ...]  # between item i and item i+1, comma included
    indents: tuple[str, ...]  # the indentation of the line each item starts on
    shape: str  # "lines" (items on their own lines) | "compact" ("[{ ... }]") | "inline" | "empty"


@dataclass(frozen=True, slots=True)
class _Style:
    lines: bool
    sep: str = ", "
    pad_open: str = ""
    pad_close: str = ""


@dataclass(frozen=True, slots=True)
class _Reference:
    tokens: tuple[str, ...]
    kind: str
    scalar_items: bool
    style: _Style
    offset: int


class _Tree:
    def __init__(self, source: Source, document: Any) -> None:
        self.source = source
        self.text_ = source.text
        self.layouts: dict[str, _Layout] = {}
        self._containers: list[_Container] = []
        self._colons: Counter[str] = Counter()
        self.root: _Node = self._build(document, "")
        self._detect_style()

    # --- reading ------------------------------------------------------------------------------
    def _build(self, value: Any, pointer: str) -> _Node:
        span = self.source.spans[pointer]
        if isinstance(value, dict):
            children = [f"{pointer}/{escape_pointer_token(key)}" for key in value]
            spans = [self.source.spans[child] for child in children]
            starts = tuple(s.key_start for s in spans)  # type: ignore[misc]
            self._colons.update(self.text_[s.key_end : s.start] for s in spans)
            entries = [
                _Entry(key, self._build(item, child), index)
                for index, (key, item, child) in enumerate(zip(value, value.values(), children))
            ]
            kind = "object"
        elif isinstance(value, list):
            children = [f"{pointer}/{index}" for index in range(len(value))]
            spans = [self.source.spans[child] for child in children]
            starts = tuple(s.start for s in spans)
            entries = [
                _Entry(None, self._build(item, child), index)
                for index, (item, child) in enumerate(zip(value, children))
            ]
            kind = "array"
        else:
            return _Scalar(pointer, value)
        self.layouts[pointer] = self._layout(span.start, span.end - 1, starts, spans)
        node = _Container(kind, pointer, entries, span.start)
        self._containers.append(node)
        return node

    def _layout(self, open_: int, close: int, starts: tuple[int, ...], spans: list[Any]) -> _Layout:
        text = self.text_
        if not starts:
            return _Layout(open_, close, (), (), (), "", "", (), (), "empty")
        ends = tuple(s.end for s in spans)
        pre = text[open_ + 1 : starts[0]]
        if "\n" in pre:
            shape = "lines"
        elif "\n" in text[open_:close]:
            shape = "compact"
        else:
            shape = "inline"
        return _Layout(
            open=open_,
            close=close,
            starts=starts,
            value_starts=tuple(s.start for s in spans),
            ends=ends,
            pre=pre,
            post=text[ends[-1] : close],
            seps=tuple(text[ends[i] : starts[i + 1]] for i in range(len(starts) - 1)),
            indents=tuple(self._line_indent(start) for start in starts),
            shape=shape,
        )

    def _line_indent(self, offset: int) -> str:
        text = self.text_
        line_start = text.rfind("\n", 0, offset) + 1
        if line_start == 0 and text.startswith("\ufeff"):
            line_start = 1
        return _INDENT.match(text, line_start).group()  # type: ignore[union-attr]

    def _detect_style(self) -> None:
        """The document's line end, indent unit, ``": "`` and inline separator, and its containers."""
        text = self.text_
        crlf = text.count("\r\n")
        self.newline = "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"
        units: Counter[str] = Counter()
        inline_seps: Counter[str] = Counter()
        written = [(node, self.layouts[node.pointer or ""]) for node in self._containers]
        written = [(node, layout) for node, layout in written if layout.shape != "empty"]
        for _, layout in written:
            if layout.shape == "lines":
                outer = self._line_indent(layout.open)
                inner = layout.indents[0]
                if inner.startswith(outer):
                    units[inner[len(outer) :]] += 1
            elif layout.shape == "inline":
                inline_seps.update(layout.seps)
        self.colon = self._colons.most_common(1)[0][0] if self._colons else ": "
        if inline_seps:
            self.inline_sep = inline_seps.most_common(1)[0][0]
        else:
            self.inline_sep = ", " if self.colon.endswith(" ") else ","
        self.references = [
            _Reference(
                tokens=_tokens(node.pointer or ""),
                kind=node.kind,
                scalar_items=all(isinstance(entry.node, _Scalar) for entry in node.entries),
                style=_Style(
                    lines=False,
                    # a one-item inline list has no separator of its own: use the document's
                    sep=layout.seps[-1] if layout.seps else self.inline_sep,
                    pad_open=layout.pre,
                    pad_close=layout.post,
                )
                if layout.shape == "inline"
                else _Style(lines=True),
                offset=layout.open,
            )
            for node, layout in written
        ]
        if units:
            self.unit = units.most_common(1)[0][0]
        else:
            self.unit = "\t" if "\n\t" in text else "  "
        root_span = self.source.spans[""]
        self.multiline = "\n" in text[root_span.start : root_span.end]

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
        node: Any = self.root
        for token in tokens:
            if isinstance(node, _New):
                node = node.value
            if isinstance(node, _Container):
                entry = self._entry(node, token, operation)
                node = entry.node
            elif isinstance(node, list):
                node = node[self._index(token, len(node), operation)]
            elif isinstance(node, dict):
                if token not in node:
                    raise self.fail(operation, f'there is no "{token}" here')
                node = node[token]
            else:
                raise self.fail(operation, "the path goes through a value that is not a list or object")
        if isinstance(node, _New):
            node = node.value
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
            return node.entries[self._index(token, len(node.entries), operation)]
        entry = node.member(token)
        if entry is None:
            raise self.fail(operation, f'there is no "{token}" here')
        return entry

    def _index(self, token: str, size: int, operation: Mapping[str, Any], *, add: bool = False) -> int:
        if token == "-" and add:
            return size
        if not _INDEX.fullmatch(token):
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
                entry = parent.entries[index]
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
            if entry.removed and entry.key == key:  # removed earlier and added back: keep its text
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
        if _same(current, value):
            return node
        if isinstance(node, _Container) and node.wrapped is not None and _same(value, _value_of(node.wrapped)):
            return node.wrapped
        wraps = isinstance(value, list) and bool(value) and _same(value[0], current)
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
            _same(value[0], current) or (isinstance(current, dict) and isinstance(value[0], dict))
        ):
            # A value becoming a list that starts with it (or, for an object, with an edited copy
            # of it): wrap the existing text rather than write it again.
            anchor = node.anchor if isinstance(node, _Container) else self.source.spans[node.pointer].start
            node = self._reconcile(node, value[0])
            entries = [_Entry(None, node, None)] + [_Entry(None, _New(item), None) for item in value[1:]]
            return _Container("array", None, entries, anchor, wrapped=node)
        return _New(value)

    def _reconcile_list(self, node: _Container, value: list[Any]) -> None:
        old = [_fingerprint(_value_of(entry.node)) for entry in node.entries]
        new = [_fingerprint(item) for item in value]
        entries: list[_Entry] = []
        matcher = SequenceMatcher(None, old, new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                entries.extend(node.entries[i1:i2])
                continue
            paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
            for k in range(paired):
                entry = node.entries[i1 + k]
                entry.node = self._reconcile(entry.node, value[j1 + k])
                entries.append(entry)
            entries.extend(_Entry(None, _New(item), None) for item in value[j1 + paired : j2])
        node.entries = entries

    # --- writing -------------------------------------------------------------------------------
    def text(self) -> str:
        span = self.source.spans[""]
        body = self._render(self.root, self._line_indent(span.start), (), False, span.start)
        return self.text_[: span.start] + body + self.text_[span.end :]

    def _render(self, node: _Node, indent: str, tokens: tuple[str, ...], inline: bool, anchor: int) -> str:
        if isinstance(node, _Scalar):
            span = self.source.spans[node.pointer]
            return self.text_[span.start : span.end]
        if isinstance(node, _New):
            return self._dump(node.value, indent, tokens, inline, anchor)
        if node.wrapped is not None:
            return self._render_wrap(node, indent, tokens, inline)
        return self._render_container(node, indent, tokens, inline)

    def _arrange(self, node: _Container) -> list[tuple[_Entry, int | None]]:
        """The entries to write, each with the original position whose separators it may reuse."""
        if node.kind == "array":
            return [(entry, entry.origin) for entry in node.entries]
        waiting = [entry for entry in node.entries if entry.origin is None]
        placed: set[int] = set()
        arranged: list[tuple[_Entry, int | None]] = []
        for entry in node.entries:
            if entry.removed:
                if waiting:  # a key added to this object takes the removed key's place
                    new = waiting.pop(0)
                    placed.add(id(new))
                    arranged.append((new, entry.origin))
            elif entry.origin is None:
                if id(entry) not in placed:
                    arranged.append((entry, None))
            else:
                arranged.append((entry, entry.origin))
        return arranged

    def _render_container(self, node: _Container, indent: str, tokens: tuple[str, ...], inline: bool) -> str:
        assert node.pointer is not None
        layout = self.layouts[node.pointer]
        brackets = "[]" if node.kind == "array" else "{}"
        arranged = self._arrange(node)
        if not arranged:
            return self.text_[layout.open : layout.close + 1] if layout.shape == "empty" else brackets
        if layout.shape == "empty":
            parts = [self._part(node, entry, i, tokens, layout.open) for i, (entry, _) in enumerate(arranged)]
            style = self._style_for(node.kind, tokens, _scalar_items(node), layout.open)
            return self._compose(brackets, parts, indent, style, inline)
        if layout.seps:
            new_sep = layout.seps[-1]
        elif layout.shape == "lines":
            new_sep = "," + layout.pre
        else:
            new_sep = self.inline_sep
        out = [brackets[0], layout.pre]
        previous: int | None = None
        for i, (entry, slot) in enumerate(arranged):
            if i:
                adjacent = previous is not None and slot is not None and slot == previous + 1
                out.append(layout.seps[previous] if adjacent else new_sep)  # type: ignore[index]
            if layout.shape == "inline":
                child_indent = indent
            elif slot is not None:
                child_indent = layout.indents[slot]
            elif layout.shape == "lines":
                child_indent = layout.indents[-1]
            else:
                child_indent = indent
            child_tokens = tokens + (entry.key if node.kind == "object" else str(i),)  # type: ignore[operator]
            text = self._render(entry.node, child_indent, child_tokens, layout.shape == "inline", layout.open)
            if node.kind == "object":
                if entry.origin is not None:
                    key = self.text_[layout.starts[entry.origin] : layout.value_starts[entry.origin]]
                else:
                    key = json.dumps(entry.key, ensure_ascii=False) + self.colon
                text = key + text
            out.append(text)
            previous = slot
        out.append(layout.post)
        out.append(brackets[1])
        return "".join(out)

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
                return "[" + first + "".join(self.inline_sep + text for text in rest) + "]"
        parts = [self._part(node, entry, i, tokens, node.anchor) for i, entry in enumerate(entries)]
        style = self._style_for("array", tokens, _scalar_items(node), node.anchor)
        return self._compose("[]", parts, indent, style, inline)

    def _part(
        self, node: _Container, entry: _Entry, index: int, tokens: tuple[str, ...], anchor: int
    ) -> Callable[[str, bool], str]:
        def part(indent: str, inline: bool) -> str:
            if node.kind == "object":
                key = entry.key or ""
                text = self._render(entry.node, indent, tokens + (key,), inline, anchor)
                return json.dumps(key, ensure_ascii=False) + self.colon + text
            return self._render(entry.node, indent, tokens + (str(index),), inline, anchor)

        return part

    def _dump(self, value: Any, indent: str, tokens: tuple[str, ...], inline: bool, anchor: int) -> str:
        """A new value, written in the style of the nearest container of its kind."""
        if isinstance(value, dict):
            kind, brackets, items = "object", "{}", list(value.items())
        elif isinstance(value, list):
            kind, brackets, items = "array", "[]", list(enumerate(value))
        else:
            return json.dumps(value, ensure_ascii=False)
        if not items:
            return brackets
        scalar_items = not any(isinstance(item, (dict, list)) for _, item in items)
        style = self._style_for(kind, tokens, scalar_items, anchor)

        def member(key: Any, item: Any) -> Callable[[str, bool], str]:
            def part(child_indent: str, child_inline: bool) -> str:
                text = self._dump(item, child_indent, tokens + (str(key),), child_inline, anchor)
                if kind == "object":
                    return json.dumps(key, ensure_ascii=False) + self.colon + text
                return text

            return part

        return self._compose(brackets, [member(k, v) for k, v in items], indent, style, inline)

    def _compose(
        self,
        brackets: str,
        parts: list[Callable[[str, bool], str]],
        indent: str,
        style: _Style,
        inline: bool,
    ) -> str:
        if style.lines and not inline:
            child = indent + self.unit
            joint = "," + self.newline + child
            body = joint.join(part(child, False) for part in parts)
            return brackets[0] + self.newline + child + body + self.newline + indent + brackets[1]
        if style.lines:  # forced inline inside an inline container
            style = _Style(False, self.inline_sep)
        body = style.sep.join(part(indent, True) for part in parts)
        return brackets[0] + style.pad_open + body + style.pad_close + brackets[1]

    def _style_for(self, kind: str, tokens: tuple[str, ...], scalar_items: bool, anchor: int) -> _Style:
        """The style of the original container most like this one: same place, same kind of items."""
        best: tuple[int, int, int] | None = None
        style = _Style(lines=self.multiline, sep=self.inline_sep)
        for reference in self.references:
            if reference.kind != kind:
                continue
            score = (
                _common_prefix(reference.tokens, tokens),
                int(reference.scalar_items == scalar_items),
                -abs(reference.offset - anchor),
            )
            if best is None or score > best:
                best, style = score, reference.style
        return style


def _scalar_items(node: _Container) -> bool:
    return not any(isinstance(_value_of(entry.node), (dict, list)) for entry in node.live())


def _tokens(pointer: str) -> tuple[str, ...]:
    if not pointer:
        return ()
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/"))


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """How many leading tokens two paths share, counting any two list indexes as the same."""
    count = 0
    for x, y in zip(a, b):
        if x != y and not (_is_index(x) and _is_index(y)):
            break
        count += 1
    return count


def _is_index(token: str) -> bool:
    return token == "-" or token.isdigit()


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
