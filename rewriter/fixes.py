"""The vocabulary of a change: ``Edit``, ``Fix`` and ``Applicability``."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NamedTuple

__all__ = ["Applicability", "Edit", "Fix", "NotApplicable"]


class Applicability(IntEnum):
    """How safe a fix is to apply without reading it (ruff's scale)."""

    DISPLAY_ONLY = 0
    UNSAFE = 1
    SAFE = 2


@dataclass(frozen=True, slots=True)
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
        return {"op": self.op, "path": self.path, "value": copy.deepcopy(self.value)}


class Fix(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
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

    @property
    def reason(self) -> str:
        """The message as the strategy wrote it (an ``i18n.Text`` keeps its template for translation)."""
        return self.args[0] if self.args and isinstance(self.args[0], str) else str(self)
