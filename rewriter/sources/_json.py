"""JSON text edits in the document's own style: scp-fix's one writer for JSON, whether the JSON is a
policy file, a CloudFormation template or a policy held in a string.

An edit copies every unchanged character and writes only what is new. Separators are copied from
the container being edited (its last separator, its padding, its line breaks), and a new value
nested in what is added (a statement's ``Action`` list, a new condition) is written as the original
container most like it is written: in the same place, holding the same kind of items (scalars or
containers), nearest to it. So a NotAction list written one item a line gets a companion statement
whose lists are one item a line too, and a document written inline or minified stays so. The colon,
the indent unit and the line end are the document's most common ones.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from rewriter.model import Source, escape_pointer_token
from rewriter.sources._tree import TextEdit, Key, TextNode, to_value

__all__ = ["JsonEditor", "JsonStyle", "json_node", "rewrite_json"]

_INDENT = re.compile(r"[ \t]*")
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def json_node(value: Any, spans: Mapping[str, Any], pointer: str = "") -> TextNode:
    """The ``TextNode`` tree of a value read by ``jsontext.scan``, from the spans it recorded."""
    span = spans[pointer]
    if isinstance(value, dict):
        keys, items = [], []
        for key, item in value.items():
            child = f"{pointer}/{escape_pointer_token(key)}"
            member = spans[child]
            keys.append(Key(key, member.key_start, member.key_end))
            items.append(json_node(item, spans, child))
        return TextNode("object", span.start, span.end, items=tuple(items), keys=tuple(keys))
    if isinstance(value, list):
        return TextNode("list", span.start, span.end, items=tuple(json_node(v, spans, f"{pointer}/{i}") for i, v in enumerate(value)))
    return TextNode("scalar", span.start, span.end, value=value, style='"' if isinstance(value, str) else "")


def _write(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _line_indent(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    if start == 0 and text.startswith("\ufeff"):
        start = 1
    return _INDENT.match(text, start).group()  # type: ignore[union-attr]


def _is_container(node: TextNode) -> bool:
    return node.kind in ("object", "list")


# --- where an original container's items stand ------------------------------------------------------


def _start(node: TextNode, index: int) -> int:
    """Where item ``index`` starts: an object member at its key."""
    return node.keys[index].start if node.kind == "object" else node.items[index].start


def _pre(text: str, node: TextNode) -> str:
    """Between the opening bracket and the first item."""
    return _WHITESPACE.match(text, node.start + 1).group() if node.items else ""  # type: ignore[union-attr]


def _shape(text: str, node: TextNode) -> str:
    """"lines" (items on their own lines), "compact" ("[{ ... }]"), "inline" or "empty"."""
    if not node.items:
        return "empty"
    if "\n" in _pre(text, node):
        return "lines"
    return "compact" if text.find("\n", node.start, node.end - 1) != -1 else "inline"


def _sep(text: str, node: TextNode, index: int) -> str:
    """Between item ``index`` and the next, comma included."""
    return text[node.items[index].end : _start(node, index + 1)]


def _last_sep(text: str, node: TextNode) -> str | None:
    return _sep(text, node, len(node.items) - 2) if len(node.items) >= 2 else None


def _post(text: str, node: TextNode) -> str:
    """Between the last item and the closing bracket."""
    return text[node.items[-1].end : node.end - 1] if node.items else ""


def rewrite_json(
    text: str,
    operations: Sequence[Mapping[str, Any]],
    *,
    path: str = "<policy>",
    verify: bool = True,
    document: Any = None,
    source: Source | None = None,
) -> str:
    """The JSON ``text`` with ``operations`` (RFC 6902 add, remove, replace, against the document the
    text holds) applied, each editing only the spans it changes, in the document's style.

    Raises ``UnsupportedEditError`` for an operation the writer does not make (an insertion inside a
    list, ``move``, ``copy``, ``test``) or whose path does not exist, and, with ``verify``, a
    ``VerificationError`` (a bug) when the text would not read back as the patched document.
    ``document`` and ``source`` are what ``jsontext.scan`` read from ``text``, when the caller has them.
    """
    from rewriter.jsontext import scan
    from rewriter.sources import EmbeddedPolicy
    from rewriter.sources._ops import Found, batch_edits
    from rewriter.sources._tree import apply_edits

    if document is None or source is None or source.text is not text or not source.spans:
        document, source = scan(text, path=path)
    original = document
    embedded = EmbeddedPolicy(name=path, document=document, policy=None, unresolved=(), path=path, kind="json-policy")  # type: ignore[arg-type]
    style: JsonStyle | None = None  # read from the original: every operation of a patch writes alike
    ops = [dict(op) for op in operations]
    current = text
    while ops:
        if current is not text:
            document, source = scan(current, path=path)
        root = json_node(document, source.spans)
        style = style or JsonStyle.of(current, root)
        found = Found(embedded, root, JsonEditor(root, style))
        edits, taken = batch_edits(current, found, ops)
        current = apply_edits(current, edits)
        del ops[:taken]
    if verify:
        _verify(original, operations, current, path)
    return current


def _verify(document: Any, operations: Sequence[Mapping[str, Any]], text: str, path: str) -> None:
    import jsonpatch  # heavy enough to keep out of `scp-fix --help`

    from rewriter.errors import PolicyParseError, VerificationError
    from rewriter.jsontext import scan

    expected = jsonpatch.apply_patch(document, [dict(op) for op in operations])
    try:
        written, _ = scan(text, path=path)
    except PolicyParseError as error:
        raise VerificationError(f"the rewritten text is not valid JSON ({error.message}); this is a bug in scp-fix", path=path) from error
    if _fingerprint(written) != _fingerprint(expected):
        raise VerificationError("the rewritten text does not read back as the patched document; this is a bug in scp-fix", path=path)


# --- the document's style ----------------------------------------------------------------------------


# PERF: the three style records are named tuples, not dataclasses: every `scp-fix propose` defines
# them, and on Python 3.11 a frozen slotted dataclass costs about a millisecond to define, a named
# tuple a tenth of that (the command-line budgets in benchmarks/ are ratios to importing typer).
class ContainerStyle(NamedTuple):
    """How a container writes its items: one a line, or inline with this separator and padding."""

    lines: bool
    sep: str = ", "
    pad_open: str = ""
    pad_close: str = ""


_ANY_INDEX = None  # any two list indexes are the same place when a new value looks for a container to follow


def _place(tokens: tuple[str, ...]) -> tuple[str | None, ...]:
    return tuple(_ANY_INDEX if token == "-" or token.isdigit() else token for token in tokens)


class _Example(NamedTuple):
    """An original container whose style new values near it follow."""

    place: tuple[str | None, ...]
    scalar_items: bool
    style: ContainerStyle
    offset: int
    order: int  # in the listing children first: of two examples equally near, the earlier wins


def _shared(place: tuple[str | None, ...], other: tuple[str | None, ...]) -> int:
    shared = 0
    for mine, theirs in zip(place, other):
        if mine != theirs:
            break
        shared += 1
    return shared


def _offset(example: _Example) -> int:
    return example.offset


def _most_common(found: list[str], default: str) -> str:
    """The most common of ``found`` (the first seen, of equally common ones), or ``default``."""
    if not found:
        return default
    counts = Counter(found)
    return max(counts, key=counts.__getitem__)


class JsonStyle(NamedTuple):
    """How a document writes what is new: line end, indent unit, ``": "``, inline separator, and the
    containers a new one follows."""

    newline: str
    colon: str
    inline_sep: str
    unit: str
    fallback: ContainerStyle  # for a value with no original container of its kind to follow
    # by kind, "object" or "list", then by place and kind of items: the non-empty containers, by offset
    examples: Mapping[str, Mapping[tuple[tuple[str | None, ...], bool], tuple[_Example, ...]]]

    @classmethod
    def of(cls, text: str, root: TextNode) -> JsonStyle:
        """Read from the layout of every container under ``root``. A list of scalars is not read item
        by item unless it is inline (then its separators count)."""
        colons: list[str] = []
        containers: list[tuple[tuple[str, ...], str, bool, TextNode]] = []

        # Colons are counted parent first and containers listed children first: the orders that
        # break ties between equally common styles.
        def visit(node: TextNode, tokens: tuple[str, ...]) -> None:
            scalar_items = True
            if node.kind == "object":
                colons.extend(text[key.end : item.start] for key, item in zip(node.keys, node.items))
                names = [key.name for key in node.keys]
            else:
                names = [str(index) for index in range(len(node.items))]
            for name, item in zip(names, node.items):
                if _is_container(item):
                    scalar_items = False
                    visit(item, tokens + (name,))
            if node.items:  # an empty container shows no layout to follow
                containers.append((tokens, node.kind, scalar_items, node))

        if _is_container(root):
            visit(root, ())
        units: list[str] = []
        inline_seps: list[str] = []
        for _, _, _, node in containers:
            shape = _shape(text, node)
            if shape == "lines":
                outer = _line_indent(text, node.start)
                pre = _pre(text, node)
                inner = _INDENT.match(pre, pre.rfind("\n") + 1).group()  # type: ignore[union-attr]
                if inner.startswith(outer):
                    units.append(inner[len(outer) :])
            elif shape == "inline":
                inline_seps += [_sep(text, node, index) for index in range(len(node.items) - 1)]
        colon = _most_common(colons, ": ")
        inline_sep = _most_common(inline_seps, ", " if colon.endswith(" ") else ",")
        examples: dict[str, dict[tuple[tuple[str | None, ...], bool], list[_Example]]] = {"list": {}, "object": {}}
        for order, (tokens, kind, scalar_items, node) in enumerate(containers):
            if _shape(text, node) == "inline":
                # a one-item inline list has no separator of its own: use the document's
                style = ContainerStyle(False, _last_sep(text, node) or inline_sep, _pre(text, node), _post(text, node))
            else:
                style = ContainerStyle(True)
            place = _place(tokens)
            examples[kind].setdefault((place, scalar_items), []).append(_Example(place, scalar_items, style, node.start, order))
        crlf = text.count("\r\n")
        return cls(
            newline="\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n",
            colon=colon,
            inline_sep=inline_sep,
            unit=_most_common(units, "\t" if "\n\t" in text else "  "),
            fallback=ContainerStyle(text.find("\n", root.start, root.end) != -1, inline_sep),
            examples={
                kind: {group: tuple(sorted(found, key=_offset)) for group, found in groups.items()}
                for kind, groups in examples.items()
            },
        )

    def for_new(self, kind: str, tokens: tuple[str, ...], scalar_items: bool, anchor: int) -> ContainerStyle:
        """The style of the original container most like a new one: the longest place shared, then
        the same kind of items, then the nearest (of two as near, the one listed first)."""
        # PERF: the containers are grouped by place and kind of items, a group searched by bisection:
        # a fix that writes new values into every statement of a long policy looked at every
        # container of it for each new value
        place = _place(tokens)
        groups = self.examples[kind]
        if not groups:
            return self.fallback
        likeness = {group: (_shared(place, group[0]), group[1] == scalar_items) for group in groups}
        most = max(likeness.values())
        nearest: tuple[int, int, ContainerStyle] | None = None
        for group, found in groups.items():
            if likeness[group] != most:
                continue
            at = bisect.bisect_left(found, anchor, key=_offset)
            for example in found[max(at - 1, 0) : at + 1]:
                here = (abs(example.offset - anchor), example.order, example.style)
                if nearest is None or here[:2] < nearest[:2]:
                    nearest = here
        return nearest[2]  # type: ignore[index]


# --- the editor ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JsonEditor:
    """Text edits for one operation on a JSON ``TextNode`` tree (the ``Editor`` of ``_ops``).

    ``root`` is the policy document's node in the text being edited, ``style`` read from the original
    text (so every operation of a patch writes alike).
    """

    root: TextNode
    style: JsonStyle
    # PERF: id(node) -> (its container, the tokens of its pointer, its index there), made on the first
    # look-up: a walk of the tree per edit made a fix to every statement of a long policy quadratic
    _parents: dict[int, tuple[TextNode, tuple[str, ...], int]] = field(default_factory=dict, compare=False, repr=False)

    def append(self, text: str, node: TextNode, values: Sequence[Any]) -> tuple[list[TextEdit], int]:
        if not node.items:
            # the first item into an empty list writes the whole list anew, in a layout the items
            # after it follow: they wait for the next reading of the text
            return [self._insert(text, node, None, values[0])], 1
        # PERF: every value goes after the last item in one edit, as one append after another would
        # write them (the separator and indent come from the items before): a NotAction fix adds two
        # actions to every statement, and a reading of the text per statement made it quadratic
        _, tokens = self._parent_of(node)
        return self._insert_many(text, node, [(None, value) for value in values], tokens), len(values)

    def add(self, text: str, node: TextNode, key: str, value: Any) -> list[TextEdit]:
        return [self._insert(text, node, key, value)]

    def replace(self, text: str, node: TextNode, value: Any) -> list[TextEdit]:
        parent, tokens = self._parent_of(node)
        inline = parent is not None and _shape(text, parent) == "inline"
        anchor = parent.start if parent is not None else node.start
        indent = _line_indent(text, self._item_start(node))
        current = to_value(node)
        if _fingerprint(current) == _fingerprint(value):
            return []
        if node.kind == "list" and isinstance(value, list) and len(value) > len(node.items) and (
            _fingerprint(value[: len(node.items)]) == _fingerprint(current)
        ):
            # a longer list that starts with this one: what is added is appended
            return self._insert_many(text, node, [(None, item) for item in value[len(node.items) :]], tokens)
        if isinstance(value, list) and value and _fingerprint(value[0]) == _fingerprint(current):
            return [TextEdit(node.start, node.end, self._wrap(text, node, value, indent, tokens, inline, anchor))]
        return [TextEdit(node.start, node.end, self._dump(value, indent, tokens, inline, anchor))]

    def remove(self, text: str, node: TextNode, index: int) -> list[TextEdit]:
        count = len(node.items)
        if count == 1:
            return [TextEdit(node.start, node.end, "{}" if node.kind == "object" else "[]")]
        if index == 0:
            return [TextEdit(_start(node, 0), _start(node, 1), "")]
        if index == count - 1:
            return [TextEdit(node.items[index - 1].end, node.items[index].end, "")]
        return [TextEdit(node.items[index - 1].end, _start(node, index + 1), _last_sep(text, node) or "")]

    def rename(self, text: str, node: TextNode, index: int, key: str, value: Any) -> list[TextEdit]:
        """The member at ``index`` replaced by ``key`` with ``value``, in its place."""
        _, tokens = self._parent_of(node)
        inline = _shape(text, node) == "inline"
        indent = _line_indent(text, _start(node, index))
        written = self._dump(value, indent, tokens + (key,), inline, node.start)
        return [TextEdit(node.keys[index].start, node.items[index].end, _write(key) + self.style.colon + written)]

    # --- writing what is new ------------------------------------------------------------------------

    def _insert(self, text: str, node: TextNode, key: str | None, value: Any) -> TextEdit:
        _, tokens = self._parent_of(node)
        (edit,) = self._insert_many(text, node, [(key, value)], tokens)
        return edit

    def _insert_many(self, text: str, node: TextNode, new: list[tuple[str | None, Any]], tokens: tuple[str, ...]) -> list[TextEdit]:
        """Items after the last of ``node`` (``key`` None) or members (a key each)."""
        shape = _shape(text, node)
        parent, _ = self._parent_of(node)
        inline_parent = parent is not None and _shape(text, parent) == "inline"
        count = len(node.items)
        if shape == "empty":
            indent = _line_indent(text, self._item_start(node))
            values = [v for _, v in new]
            scalar_items = not any(isinstance(v, (dict, list)) for v in values)
            style = self.style.for_new(node.kind, tokens, scalar_items, node.start)
            child, child_inline, before, between, after = self._frame("{}" if node.kind == "object" else "[]", indent, style, inline_parent)
            texts = [
                self._member(k, v, child, tokens + (k if k is not None else str(i),), child_inline, node.start)
                for i, (k, v) in enumerate(new)
            ]
            return [TextEdit(node.start, node.end, before + between.join(texts) + after)]
        sep = _last_sep(text, node)
        if sep is None:
            sep = "," + _pre(text, node) if shape == "lines" else self.style.inline_sep
        if shape == "inline":
            indent = _line_indent(text, node.start)
        elif shape == "lines":
            indent = _line_indent(text, _start(node, count - 1))
        else:
            indent = _line_indent(text, node.start)
        written = "".join(
            sep + self._member(k, v, indent, tokens + (k if k is not None else str(count + i),), shape == "inline", node.start)
            for i, (k, v) in enumerate(new)
        )
        end = node.items[-1].end
        return [TextEdit(end, end, written)]

    def _member(self, key: str | None, value: Any, indent: str, tokens: tuple[str, ...], inline: bool, anchor: int) -> str:
        written = self._dump(value, indent, tokens, inline, anchor)
        return written if key is None else _write(key) + self.style.colon + written

    def _wrap(self, text: str, node: TextNode, value: list[Any], indent: str, tokens: tuple[str, ...], inline: bool, anchor: int) -> str:
        """``node``'s text as the first item of a list: a value becoming a list that starts with it."""
        first = text[node.start : node.end]
        rest = value[1:]
        if "\n" in first:
            # A value written over several lines keeps its lines: "[{" ... "}, {" ... "}]".
            written = [self._dump(item, indent, tokens + (str(i),), inline, anchor) for i, item in enumerate(rest, 1)]
            return "[" + first + "".join(self.style.inline_sep + w for w in written) + "]"
        scalar_items = not any(isinstance(item, (dict, list)) for item in value)
        style = self.style.for_new("list", tokens, scalar_items, anchor)
        child, child_inline, before, between, after = self._frame("[]", indent, style, inline)
        written = [first] + [self._dump(item, child, tokens + (str(i),), child_inline, anchor) for i, item in enumerate(rest, 1)]
        return before + between.join(written) + after

    def _dump(self, value: Any, indent: str, tokens: tuple[str, ...], inline: bool, anchor: int) -> str:
        """A new value, written in the style of the nearest container of its kind."""
        if isinstance(value, dict):
            kind, brackets, items = "object", "{}", [(key, item) for key, item in value.items()]
        elif isinstance(value, list):
            kind, brackets, items = "list", "[]", [(None, item) for item in value]
        else:
            return _write(value)
        if not items:
            return brackets
        scalar_items = not any(isinstance(item, (dict, list)) for _, item in items)
        style = self.style.for_new(kind, tokens, scalar_items, anchor)
        child, child_inline, before, between, after = self._frame(brackets, indent, style, inline)
        texts = [
            self._member(key, item, child, tokens + (key if key is not None else str(index),), child_inline, anchor)
            for index, (key, item) in enumerate(items)
        ]
        return before + between.join(texts) + after

    def _frame(self, brackets: str, indent: str, style: ContainerStyle, inline: bool) -> tuple[str, bool, str, str, str]:
        """How a new container's items are written: their indent, whether inline, and the text before
        the first item, between two items and after the last."""
        if style.lines and not inline:
            child = indent + self.style.unit
            newline = self.style.newline
            return child, False, brackets[0] + newline + child, "," + newline + child, newline + indent + brackets[1]
        if style.lines:  # forced inline inside an inline container
            style = ContainerStyle(False, self.style.inline_sep)
        return indent, True, brackets[0] + style.pad_open, style.sep, style.pad_close + brackets[1]

    # --- where a node stands ----------------------------------------------------------------------

    def _parent_of(self, node: TextNode) -> tuple[TextNode | None, tuple[str, ...]]:
        """The container holding ``node`` and the tokens of the pointer to ``node`` from the root."""
        if node is self.root:
            return None, ()
        parent, tokens, _ = self._place_of(node)
        return parent, tokens

    def _item_start(self, node: TextNode) -> int:
        """Where ``node`` starts as an item of its container: an object member at its key."""
        if node is self.root:
            return node.start
        parent, _, index = self._place_of(node)
        return _start(parent, index)

    def _place_of(self, node: TextNode) -> tuple[TextNode, tuple[str, ...], int]:
        if not self._parents:

            def visit(container: TextNode, tokens: tuple[str, ...]) -> None:
                for index, item in enumerate(container.items):
                    name = container.keys[index].name if container.kind == "object" else str(index)
                    self._parents[id(item)] = (container, tokens + (name,), index)
                    if _is_container(item):
                        visit(item, tokens + (name,))

            if _is_container(self.root):
                visit(self.root, ())
        found = self._parents.get(id(node))
        if found is None:
            raise ValueError("the node is not in this document")
        return found


def _fingerprint(value: Any) -> str:
    # json.dumps tells 1, 1.0 and true apart, which == does not
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
