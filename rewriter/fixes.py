"""The vocabulary of a change: ``Edit`` and ``Fix``; ``apply_patch`` and ``additions``, what a patch does
to a decoded document; and ``copy_json``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import IntEnum
from typing import Any

from rewriter.model import LIST_INDEX, pointer_tokens
from rewriter.records import record

__all__ = ["Applicability", "Edit", "Fix", "NotApplicable", "additions", "apply_patch", "copy_json"]


def copy_json(value: Any) -> Any:
    """A copy of a decoded JSON value: its containers are new, its strings and numbers shared (they
    cannot change). A fraction of what ``copy.deepcopy`` costs, which the verification of every
    candidate pays several times."""
    if isinstance(value, dict):
        return {key: item if isinstance(item, str) else copy_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [item if isinstance(item, str) else copy_json(item) for item in value]
    return value


_BAD_ESCAPE = re.compile(r"~[^01]|~$")  # in a JSON Pointer "~" stands only in "~0" and "~1"


def apply_patch(document: Any, operations: Iterable[Mapping[str, Any]]) -> Any:
    """``document`` with RFC 6902 ``add``, ``remove`` and ``replace`` operations applied, in order, as
    a new value: each container on an operation's path is copied, everything else is shared with
    ``document`` and with the operations' values, and neither is changed. Raises ``ValueError`` naming
    the operation that cannot be applied.

    What ``jsonpatch.apply_patch`` gives for these operations (the tests hold it to that), at a tenth of
    the cost: ``propose`` applies every candidate's patch, and jsonpatch copied the whole document and
    parsed each path with a regex and abstract-class checks. jsonpatch stays the reference where any
    RFC 6902 patch may come (``render``'s own check, the rewrite of a policy inside IaC code).
    """
    for operation in operations:
        op, path = operation.get("op"), operation.get("path")
        if op not in ("add", "remove", "replace"):
            raise ValueError(f"unsupported operation {op!r}")
        if not isinstance(path, str) or (path and not path.startswith("/")) or _BAD_ESCAPE.search(path):
            raise ValueError(f"{op} {path!r}: a path must be a JSON Pointer")
        if op != "remove" and "value" not in operation:
            raise ValueError(f"{op} {path}: the operation has no value")
        if not path:
            if op == "remove":
                raise ValueError("remove '': the whole document cannot be removed")
            document = operation["value"]
            continue
        document = _applied(document, pointer_tokens(path), 0, op, operation.get("value"), path)
    return document


def _applied(node: Any, tokens: list[str], depth: int, op: str, value: Any, path: str) -> Any:
    """A copy of ``node`` with the operation applied at ``tokens[depth:]`` below it."""
    token = tokens[depth]
    last = depth == len(tokens) - 1
    if isinstance(node, dict):
        if token not in node and not (last and op == "add"):
            raise ValueError(f"{op} {path}: there is no member {token!r}")
        copy = dict(node)
        if not last:
            copy[token] = _applied(node[token], tokens, depth + 1, op, value, path)
        elif op == "remove":
            del copy[token]
        else:  # add puts a member in, or in place of one of the same name; replace needs one there
            copy[token] = value
        return copy
    if isinstance(node, list):
        copy = list(node)
        if token == "-" and last and op == "add":
            copy.append(value)
            return copy
        if not LIST_INDEX.fullmatch(token):
            raise ValueError(f"{op} {path}: {token!r} is not an index of the list")
        index = int(token)
        if index > len(node) or (index == len(node) and not (last and op == "add")):
            raise ValueError(f"{op} {path}: index {index} is past the end of the list ({len(node)} items)")
        if not last:
            copy[index] = _applied(node[index], tokens, depth + 1, op, value, path)
        elif op == "add":
            copy.insert(index, value)
        elif op == "replace":
            copy[index] = value
        else:
            del copy[index]
        return copy
    raise ValueError(f"{op} {path}: {token!r} is below a value that is neither an object nor a list")


Added = dict[str, tuple[Any, list[tuple["str | None", Any]]]]  # pointer -> container, (key or None, value)s


def additions(document: Any, operations: Iterable[Mapping[str, Any]]) -> Added | None:
    """What the operations add, when each adds an item after the last of a list, or a new member to an
    object, that ``document`` itself holds and that is not empty (what fixes do): for each such
    container, by its pointer, the container and the items added to it, in order. None when any
    operation does anything else. Such a patch is written, and measured, without applying it.
    """
    added: Added = {}
    for operation in operations:
        if not isinstance(operation, Mapping) or operation.get("op") != "add" or "value" not in operation:
            return None
        path = operation.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            return None
        parent, _, last = path.rpartition("/")
        entry = added.get(parent)
        if entry is None:
            node = document
            for token in pointer_tokens(parent):
                if isinstance(node, dict) and token in node:
                    node = node[token]
                elif isinstance(node, list) and LIST_INDEX.fullmatch(token) and int(token) < len(node):
                    node = node[int(token)]
                else:
                    return None
            if not isinstance(node, (dict, list)) or not node:
                return None
            entry = added[parent] = (node, [])
        node, new = entry
        if isinstance(node, list):
            if last != "-" and last != str(len(node) + len(new)):
                return None  # an insertion before an item
            new.append((None, operation["value"]))
        else:
            (key,) = pointer_tokens("/" + last)
            if key in node or any(key == k for k, _ in new):
                return None  # a member replaced, not added
            new.append((key, operation["value"]))
    return added


class Applicability(IntEnum):
    """How safe a fix is to apply without reading it (ruff's scale)."""

    DISPLAY_ONLY = 0
    UNSAFE = 1
    SAFE = 2


@record
class Edit:
    """One RFC 6902 operation on the original document."""

    op: str  # "add" | "replace" | "remove"
    path: str
    value: Any = None

    def __post_init__(self) -> None:
        if self.op not in ("add", "replace", "remove"):
            raise ValueError(f"unsupported JSON Patch operation {self.op!r}")

    def to_json(self) -> dict[str, Any]:
        if self.op == "remove":
            return {"op": "remove", "path": self.path}
        return {"op": self.op, "path": self.path, "value": copy_json(self.value)}


@record
class Fix:
    """A strategy's proposal: its edits, and in words why and what it changes."""

    strategy: str
    title: str
    rationale: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.UNSAFE
    notes: tuple[str, ...] = ()  # what a reviewer must know: widening beyond the profiles, limits

    @property
    def patch(self) -> list[dict[str, Any]]:
        return [edit.to_json() for edit in self.edits]


class NotApplicable(Exception):
    """A strategy cannot fix this policy safely; the message says why. Not a user error."""
