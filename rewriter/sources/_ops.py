"""One RFC 6902 operation -> text edits on a ``TextNode`` tree, whatever the syntax."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, NamedTuple

from rewriter.model import escape_pointer_token
from rewriter.sources import EmbeddedPolicy, ReferencedValueError
from rewriter.sources._tree import (
    TextEdit,
    Embedding,
    TextNode,
    Syntax,
    UnsupportedEditError,
    add_member,
    append_item,
    remove_child,
    rename_member,
    replace_value,
    split_pointer,
)

__all__ = ["Found", "Editor", "BracketEditor", "next_edits"]


class Editor(Protocol):
    def append(self, text: str, node: TextNode, values: Sequence[Any]) -> tuple[list[TextEdit], int]:
        """``values`` are those of consecutive appends to ``node``: the edits for the first, or for as
        many as the editor writes from this one reading of the text, and how many."""
        ...

    def add(self, text: str, node: TextNode, key: str, value: Any) -> list[TextEdit]: ...
    def replace(self, text: str, node: TextNode, value: Any) -> list[TextEdit]: ...
    def remove(self, text: str, node: TextNode, index: int) -> list[TextEdit]: ...
    def rename(self, text: str, node: TextNode, index: int, key: str, value: Any) -> list[TextEdit]: ...


class BracketEditor(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """HCL expressions and YAML flow collections: every container has brackets."""

    syntax: Syntax
    unit: str = "  "

    def append(self, text: str, node: TextNode, values: Sequence[Any]) -> tuple[list[TextEdit], int]:
        return append_item(text, node, values[0], self.syntax, unit=self.unit), 1

    def add(self, text: str, node: TextNode, key: str, value: Any) -> list[TextEdit]:
        return add_member(text, node, key, value, self.syntax, unit=self.unit)

    def replace(self, text: str, node: TextNode, value: Any) -> list[TextEdit]:
        return replace_value(text, node, value, self.syntax, unit=self.unit)

    def remove(self, text: str, node: TextNode, index: int) -> list[TextEdit]:
        return remove_child(text, node, index)

    def rename(self, text: str, node: TextNode, index: int, key: str, value: Any) -> list[TextEdit]:
        return rename_member(text, node, index, key, value, self.syntax, unit=self.unit)


class Found(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """A policy found in a file, with what it takes to edit it."""

    embedded: EmbeddedPolicy
    root: TextNode | None = None  # spans are into ``embedding.inner`` when there is an embedding
    editor: Editor | None = None
    embedding: Embedding | None = None
    # forms that are not a tree of the document (Terraform policy documents) edit for themselves
    custom: Callable[[str, list[dict[str, Any]]], tuple[list[TextEdit], int]] | None = None


def next_edits(text: str, found: Found, ops: list[dict[str, Any]]) -> tuple[list[TextEdit], int]:
    """The edits for the first operation(s) of ``ops`` and how many operations they cover."""
    if found.custom is not None:
        return found.custom(text, ops)
    assert found.root is not None and found.editor is not None
    coordinates = found.embedding.inner if found.embedding else text
    edits, used = _edits(coordinates, found, ops)
    if found.embedding is not None:
        edits = [found.embedding.outer(e) for e in edits]
    return edits, used


def batch_edits(text: str, found: Found, ops: list[dict[str, Any]]) -> tuple[list[TextEdit], int]:
    """The edits for as many of the first operations of ``ops`` as one reading of ``text`` can make,
    and how many operations they cover.

    PERF: operations on containers none of which holds another edit disjoint stretches of the text, so
    they are made from one reading of it: a fix that edits every statement of a long policy reads it
    once, not once per statement (reading a template again is what costs). An operation inside a
    container an earlier one of the batch edits waits for the next reading. A policy held in a string
    (``found.embedding``) or edited by a form's own writer (``found.custom``) is edited one operation
    at a time: its edits are mapped onto the file's text, where two may touch the same stretch.
    """
    if found.custom is not None or found.embedding is not None:
        return next_edits(text, found, ops)
    edits: list[TextEdit] = []
    parents: set[tuple[str, ...]] = set()  # the containers the batch edits
    above: set[tuple[str, ...]] = set()  # and every container that holds one of them
    taken = 0
    while taken < len(ops):
        parent = tuple(split_pointer(ops[taken].get("path", ""))[:-1])
        nested = parent in above or any(parent[:depth] in parents for depth in range(len(parent) + 1))
        if nested and not (taken and _appends_again(found, ops[taken - 1], ops[taken], parent)):
            break
        more, used = next_edits(text, found, ops[taken:])
        edits.extend(more)
        parents.add(parent)
        above.update(parent[:depth] for depth in range(len(parent) + 1))
        taken += used
    return edits, taken


def _appends_again(found: Found, previous: dict[str, Any], op: dict[str, Any], parent: tuple[str, ...]) -> bool:
    """Whether ``op`` appends to the non-empty list ``previous`` appended to: both insert after its last
    item, in the order given, so one reading makes both (an empty list's first item writes no separator,
    so its second waits for the next reading)."""
    if not (op.get("op") == previous.get("op") == "add" and op.get("path") == previous.get("path") and str(op["path"]).endswith("/-")):
        return False
    node, _ = _descend(found, list(parent))
    return node.kind == "list" and bool(node.items)


def referenced_value_error(found: Found, pointer: str) -> ReferencedValueError:
    refs = [r for r in found.embedded.references if pointer == r.pointer or pointer.startswith(r.pointer + "/")]
    ref = refs[0] if refs else None
    path = found.embedded.path
    if ref is None:
        return ReferencedValueError(f"{pointer} is not written literally in the file", path=path, pointer=pointer)
    where = ref.origin or None
    message = f"{pointer} comes from {ref.text}; change the value where it is set"
    if where is not None:
        message += f" ({where})"
        return ReferencedValueError(message, path=where.path, line=where.line, column=where.column, pointer=pointer)
    return ReferencedValueError(f"{message}: {ref.hint}", path=path, line=ref.line, column=ref.column, pointer=pointer)


def _descend(found: Found, tokens: list[str]) -> tuple[TextNode, str]:
    node = found.root
    pointer = ""
    for token in tokens:
        if node.kind == "ref":
            raise referenced_value_error(found, pointer)
        if node.kind == "object":
            names = [k.name for k in node.keys]
            if token not in names:
                raise UnsupportedEditError(f"{pointer}/{token} does not exist", path=found.embedded.path, pointer=pointer)
            node = node.items[names.index(token)]
        elif node.kind == "list":
            index = _index(found, token, len(node.items) - 1, pointer)
            node = node.items[index]
        else:
            raise UnsupportedEditError("a scalar has no members", path=found.embedded.path, pointer=pointer)
        pointer += "/" + escape_pointer_token(token)
    if node.kind == "ref":
        raise referenced_value_error(found, pointer)
    return node, pointer


def _index(found: Found, token: str, highest: int, pointer: str) -> int:
    if not token.isdigit() or int(token) > highest:
        raise UnsupportedEditError(f"no item {token} in {pointer or '/'}", path=found.embedded.path, pointer=pointer)
    return int(token)


def _edits(text: str, found: Found, ops: list[dict[str, Any]]) -> tuple[list[TextEdit], int]:
    op = ops[0]
    kind = op.get("op")
    tokens = split_pointer(op.get("path", ""))
    path = found.embedded.path
    if kind not in ("add", "replace", "remove") or not tokens:
        raise UnsupportedEditError(f"cannot apply {kind!r} at {op.get('path')!r} to a source file", path=path)
    editor = found.editor
    parent, parent_pointer = _descend(found, tokens[:-1])
    last = tokens[-1]
    here = parent_pointer + "/" + escape_pointer_token(last)
    if parent.kind == "list":
        if kind == "add":
            if last == "-" or last == str(len(parent.items)):
                return editor.append(text, parent, [op["value"], *_more_appends(ops, op["path"])])
            raise UnsupportedEditError("inserting inside a list is not supported; append with /-", path=path, pointer=here)
        index = _index(found, last, len(parent.items) - 1, parent_pointer)
        if parent.items[index].kind == "ref":
            raise referenced_value_error(found, here)
        if kind == "remove":
            return editor.remove(text, parent, index), 1
        return editor.replace(text, parent.items[index], op["value"]), 1
    if parent.kind != "object":
        raise UnsupportedEditError(f"{parent_pointer or '/'} is not an object or a list", path=path, pointer=here)
    names = [k.name for k in parent.keys]
    if last not in names:
        if kind == "add":
            return editor.add(text, parent, last, op["value"]), 1
        raise UnsupportedEditError(f"{here} does not exist", path=path, pointer=here)
    index = names.index(last)
    child = parent.items[index]
    if kind == "remove":
        # Action "*" -> NotAction [...] is written as a remove and an add: rename the key in place
        if last in ("Action", "NotAction", "Resource", "NotResource") and len(ops) > 1:
            other = {"Action": "NotAction", "NotAction": "Action", "Resource": "NotResource", "NotResource": "Resource"}[last]
            follow = ops[1]
            if follow.get("op") == "add" and follow.get("path") == parent_pointer + "/" + other and other not in names:
                if child.kind == "ref":
                    raise referenced_value_error(found, here)
                return editor.rename(text, parent, index, other, follow["value"]), 2
        return editor.remove(text, parent, index), 1
    if child.kind == "ref":
        raise referenced_value_error(found, here)
    return editor.replace(text, child, op["value"]), 1


def _more_appends(ops: list[dict[str, Any]], path: str) -> list[Any]:
    """The values of the appends to the same list (``path`` ending in ``/-``) that follow ``ops[0]``."""
    if not path.endswith("/-"):
        return []
    values = []
    for op in ops[1:]:
        if op.get("op") != "add" or op.get("path") != path:
            break
        values.append(op["value"])
    return values
