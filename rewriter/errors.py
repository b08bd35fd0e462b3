"""The one exception hierarchy. Every error a user can cause is an ``ScpFixError``."""

from __future__ import annotations

__all__ = [
    "ScpFixError",
    "PolicyParseError",
    "PolicyShapeError",
    "ProfileNotFoundError",
    "CatalogError",
    "InputError",
    "FixNotIdempotentError",
    "VerificationError",
]


class ScpFixError(Exception):
    """Base of every scp-fix error. ``str()`` gives ``path:line:col: message``."""

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
        pointer: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.pointer = pointer

    @property
    def location(self) -> str:
        parts = [p for p in (self.path, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def __str__(self) -> str:
        text = self.message
        if self.pointer is not None and (self.pointer == "" or self.pointer not in self.message):
            text = f"{text} (at {self.pointer or '/'})"
        return f"{self.location}: {text}" if self.location else text


class PolicyParseError(ScpFixError):
    """The text is not JSON (or not UTF-8): the document could not be read."""


class PolicyShapeError(ScpFixError):
    """Valid JSON, but not a valid policy document."""


class InputError(ScpFixError):
    """A command-line input is wrong: a file that cannot be read or written, a bad option value."""


class CatalogError(ScpFixError):
    """An inference-profile catalog file is malformed."""


class ProfileNotFoundError(ScpFixError):
    """An inference profile id, ARN or model id that the catalog does not know."""


class VerificationError(ScpFixError):
    """A proposed change did not pass verification; it is never shown or written."""


class FixNotIdempotentError(VerificationError):
    """Proposing again on a fixed policy still proposed a change.

    Not raised since a fix is verified to allow every authorization, which is what makes ``propose``
    leave it unchanged; kept for callers that catch it."""
