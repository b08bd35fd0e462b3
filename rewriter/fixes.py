"""The vocabulary of a change: ``Edit`` and ``Fix``. No logic beyond their invariants, and ``copy_json``."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from rewriter.records import record

__all__ = ["Applicability", "Edit", "Fix", "NotApplicable", "copy_json"]


def copy_json(value: Any) -> Any:
    """A copy of a decoded JSON value: its containers are new, its strings and numbers shared (they
    cannot change). A fraction of what ``copy.deepcopy`` costs, which the verification of every
    candidate pays several times."""
    if isinstance(value, dict):
        return {key: item if isinstance(item, str) else copy_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [item if isinstance(item, str) else copy_json(item) for item in value]
    return value


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
