"""A syntax-neutral tree of a policy as it stands in a file, and the text edits that change it.

Every reader (JSON, YAML, HCL) builds the same ``TextNode`` tree with character spans into the text it
read. The editors here turn one RFC 6902 operation into a few ``TextEdit``s on those spans, in the style
the container already has (one line or one item a line, trailing commas, indentation), so a diff
touches only the lines that carry the change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from rewriter.errors import ScpFixError
from rewriter.model import escape_pointer_token, pointer_tokens

__all__ = [
    "TextNode",
    "Key",
    "TextEdit",
    "Embedding",
    "Syntax",
    "HCL_SYNTAX",
    "UnsupportedEditError",
    "apply_edits",
    "to_value",
    "walk",
    "split_pointer",
    "line_indent",
    "append_item",
    "add_member",
    "replace_value",
    "remove_child",
    "rename_member",
    "render_bracketed",
]


class UnsupportedEditError(ScpFixError):
    """An operation that this source form cannot express as a text edit."""


class Key(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    name: str
    start: int
    end: int


class TextNode(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """One value in the text. ``kind`` is object, list, scalar or ref (an intrinsic or a variable)."""

    kind: str
    start: int
    end: int  # exclusive; for block YAML collections, the end of the last scalar inside
    value: Any = None  # scalar value; for a ref, the resolved value or a placeholder
    items: tuple[TextNode, ...] = ()
    keys: tuple[Key, ...] = ()  # objects only, parallel to items
    style: str = ""  # YAML: "block" | "flow"; scalars: the quote character used, "" when plain
    text: str = ""  # a ref as written


class TextEdit(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """``text[start:end]`` replaced by ``text``: a span edit of a file (``fixes.Edit`` is the RFC 6902
    operation it carries out)."""

    start: int
    end: int
    text: str


class Embedding(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """A JSON text held inside a string of the file: a quoted string, a block scalar, a heredoc.

    ``offsets[i]`` is where the i-th decoded character stands in the file (one extra entry for the
    end), and ``encode`` writes new decoded text in the string's own escaping and indentation.
    """

    inner: str
    offsets: tuple[int, ...]
    encode: Callable[[str], str]

    def outer(self, edit: TextEdit) -> TextEdit:
        return TextEdit(self.offsets[edit.start], self.offsets[edit.end], self.encode(edit.text))


def apply_edits(text: str, edits: Sequence[TextEdit]) -> str:
    """``text`` with every edit made, each at its offsets in ``text``; insertions at one offset stay
    in the order given. Edits must not overlap (that would be a bug of the editor)."""
    # PERF: the text is copied once, whatever the number of edits: a fix that edits every statement
    # of a long policy copied the whole text once per edit
    pieces = []
    done = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):  # a stable sort
        if edit.start < done:
            raise ValueError(f"overlapping text edits at {edit.start}")
        pieces += (text[done : edit.start], edit.text)
        done = edit.end
    pieces.append(text[done:])
    return "".join(pieces)


split_pointer = pointer_tokens  # a pointer's reference tokens, unescaped


def to_value(node: TextNode) -> Any:
    if node.kind == "object":
        return {k.name: to_value(v) for k, v in zip(node.keys, node.items)}
    if node.kind == "list":
        return [to_value(v) for v in node.items]
    return node.value


def walk(node: TextNode, pointer: str = ""):
    """Yield (pointer, node) for every node, parents first."""
    yield pointer, node
    if node.kind == "object":
        for key, child in zip(node.keys, node.items):
            yield from walk(child, f"{pointer}/{escape_pointer_token(key.name)}")
    elif node.kind == "list":
        for index, child in enumerate(node.items):
            yield from walk(child, f"{pointer}/{index}")


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def line_end(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    return len(text) if end < 0 else end


def line_indent(text: str, offset: int) -> str:
    start = line_start(text, offset)
    return re.match(r"[ \t]*", text[start:]).group(0)


# --- syntaxes with brackets: HCL expressions, YAML flow collections (JSON has its own editor, _json) -------------------------


class Syntax(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    name: str
    scalar: Callable[[Any, str], str]  # (value, quote style of a sibling) -> text
    key: Callable[[str], str]
    assign: str  # between key and value
    comment: str  # what starts a comment, "" when the syntax has none
    member_comma_multiline: bool  # does a multi-line object separate members with commas?
    align: bool  # pad keys so that consecutive one-line members align (terraform fmt)


def _hcl_string(value: str) -> str:
    body = json.dumps(value, ensure_ascii=False)[1:-1]
    return '"' + body.replace("${", "$${").replace("%{", "%%{") + '"'


def _hcl_scalar(value: Any, quote: str) -> str:
    if isinstance(value, str):
        return _hcl_string(value)
    return json.dumps(value)


def _hcl_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", name) else _hcl_string(name)


HCL_SYNTAX = Syntax("hcl", _hcl_scalar, _hcl_key, " = ", "#", False, True)

_WIDTH = 100  # a new list of strings stays on one line when it fits


def render_bracketed(value: Any, syntax: Syntax, *, indent: str, unit: str, multiline: bool, quote: str = "") -> str:
    """A new value in a bracketed syntax; objects spread over lines when their container does."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = indent + unit
        rendered = [
            (syntax.key(k), render_bracketed(v, syntax, indent=inner, unit=unit, multiline=multiline, quote=quote))
            for k, v in value.items()
        ]
        if not multiline:
            sep = ", "
            body = sep.join(k + syntax.assign + v for k, v in rendered)
            return "{ " + body + " }"
        lines = _aligned(rendered, syntax)
        sep = ",\n" if syntax.member_comma_multiline else "\n"
        return "{\n" + sep.join(inner + line for line in lines) + "\n" + indent + "}"
    if isinstance(value, list):
        parts = [render_bracketed(v, syntax, indent=indent + unit, unit=unit, multiline=multiline, quote=quote) for v in value]
        one_line = "[" + ", ".join(parts) + "]"
        if not multiline or (all(not isinstance(v, (dict, list)) for v in value) and len(indent) + len(one_line) <= _WIDTH):
            return one_line
        trailing = "," if syntax.name == "hcl" else ""
        return "[\n" + ",\n".join(indent + unit + p for p in parts) + trailing + "\n" + indent + "]"
    return syntax.scalar(value, quote)


def _aligned(rendered: list[tuple[str, str]], syntax: Syntax) -> list[str]:
    if not syntax.align:
        return [k + syntax.assign + v for k, v in rendered]
    # terraform fmt aligns "=" over runs of one-line members; a multi-line value ends a run
    lines: list[str] = []
    run: list[tuple[str, str]] = []

    def flush() -> None:
        width = max((len(k) for k, _ in run), default=0)
        lines.extend(k.ljust(width) + syntax.assign + v for k, v in run)
        run.clear()

    for k, v in rendered:
        run.append((k, v))
        if "\n" in v:
            flush()
    flush()
    return lines


def _layout(text: str, node: TextNode, unit_hint: str) -> tuple[bool, str, str]:
    """(multiline, indent of children, indent unit) of a bracketed container."""
    outer = line_indent(text, node.start)
    first = node.keys[0].start if node.keys else (node.items[0].start if node.items else node.end - 1)
    multiline = "\n" in text[node.start : first] if node.items else False
    if multiline:
        inner = line_indent(text, first)
        unit = inner[len(outer) :] or unit_hint
        return True, inner, unit
    return False, outer + unit_hint, unit_hint


def _sibling_quote(node: TextNode) -> str:
    for item in node.items:
        if item.kind == "scalar" and isinstance(item.value, str):
            return item.style
    return ""


def _after(text: str, offset: int, syntax: Syntax) -> tuple[int, bool, bool]:
    """After a child: (offset past an optional comma, had a comma, only a comment or nothing follows on the line)."""
    m = re.match(r"[ \t]*,", text[offset:])
    pos = offset + m.end() if m else offset
    rest = text[pos : line_end(text, pos)].strip()
    tail_free = rest == "" or bool(syntax.comment and rest.startswith(syntax.comment)) or rest.startswith("//")
    return pos, bool(m), tail_free


def _insert_child(text: str, node: TextNode, piece: str, syntax: Syntax, *, multiline: bool, inner: str, comma_between: bool) -> list[TextEdit]:
    if not node.items:
        if multiline:
            return [TextEdit(node.start + 1, node.end - 1, "\n" + inner + piece + "\n" + line_indent(text, node.start))]
        pad = " " if syntax.name == "hcl" and node.kind == "object" else ""
        return [TextEdit(node.start + 1, node.end - 1, pad + piece + pad)]
    last = node.items[-1]
    pos, trailing_comma, tail_free = _after(text, last.end, syntax)
    if trailing_comma:
        # the container ends every child with a comma: so does the new one
        lead = "\n" + inner if multiline else " "
        if multiline and tail_free:
            return [TextEdit(line_end(text, pos), line_end(text, pos), lead + piece + ",")]
        return [TextEdit(pos, pos, lead + piece + ",")]
    if not multiline:
        return [TextEdit(last.end, last.end, ("," if comma_between else "") + " " + piece)]
    at = line_end(text, last.end) if tail_free else last.end
    comma = "," if comma_between else ""
    if at == last.end:
        return [TextEdit(at, at, comma + "\n" + inner + piece)]
    # a comment follows the last child: the comma goes before it, the new child after it
    return ([TextEdit(last.end, last.end, comma)] if comma else []) + [TextEdit(at, at, "\n" + inner + piece)]


def append_item(text: str, node: TextNode, value: Any, syntax: Syntax, *, unit: str = "  ") -> list[TextEdit]:
    multiline, inner, unit = _layout(text, node, unit)
    piece = render_bracketed(value, syntax, indent=inner, unit=unit, multiline=multiline or isinstance(value, dict) and "\n" in text[node.start:node.end], quote=_sibling_quote(node))
    return _insert_child(text, node, piece, syntax, multiline=multiline, inner=inner, comma_between=True)


def add_member(text: str, node: TextNode, key: str, value: Any, syntax: Syntax, *, unit: str = "  ") -> list[TextEdit]:
    multiline, inner, unit = _layout(text, node, unit)
    rendered = render_bracketed(value, syntax, indent=inner, unit=unit, multiline=multiline)
    name = syntax.key(key)
    if syntax.align and node.items and "\n" not in rendered:
        # line up with the previous one-line member, as terraform fmt does
        prev = node.keys[-1]
        eq = text.find("=", prev.end)
        if 0 <= eq < node.items[-1].start and "\n" not in text[node.items[-1].start : node.items[-1].end]:
            name = name.ljust(eq - prev.start - 1)
    piece = name + syntax.assign + rendered
    comma_between = True
    if multiline and not syntax.member_comma_multiline:
        comma_between = len(node.items) > 1 and "," in text[node.items[0].end : node.keys[1].start]
    return _insert_child(text, node, piece, syntax, multiline=multiline, inner=inner, comma_between=comma_between)


def replace_value(text: str, node: TextNode, value: Any, syntax: Syntax, *, unit: str = "  ") -> list[TextEdit]:
    indent = line_indent(text, node.start)
    multiline = "\n" in text[node.start : node.end]
    if node.kind in ("list", "object") and node.items:
        multiline, inner, unit = _layout(text, node, unit)
    rendered = render_bracketed(value, syntax, indent=indent, unit=unit, multiline=multiline or isinstance(value, dict), quote=_sibling_quote(node) or node.style)
    return [TextEdit(node.start, node.end, rendered)]


def remove_child(text: str, node: TextNode, index: int) -> list[TextEdit]:
    starts = [k.start for k in node.keys] if node.kind == "object" else [i.start for i in node.items]
    child = node.items[index]
    if len(node.items) == 1:
        return [TextEdit(starts[0], child.end, "")]
    if index == 0:
        return [TextEdit(starts[0], starts[1], "")]
    return [TextEdit(node.items[index - 1].end, child.end, "")]


def rename_member(text: str, node: TextNode, index: int, new_key: str, value: Any, syntax: Syntax, *, unit: str = "  ") -> list[TextEdit]:
    key = node.keys[index]
    return [TextEdit(key.start, key.end, syntax.key(new_key)), *replace_value(text, node.items[index], value, syntax, unit=unit)]
