"""The one exception hierarchy, in two halves that say whose fault an error is.

``BadInputError``: something the caller gave is wrong (a file, an option, a profile id); the command
line exits 2. ``InternalError``: scp-fix itself is wrong (a proposal that fails its own verification);
the command line exits 70, as in sysexits' EX_SOFTWARE, and asks for a report. Both are
``ScpFixError``, so a caller that catches that one class still catches everything scp-fix raises.
"""

from __future__ import annotations

__all__ = [
    "ScpFixError",
    "BadInputError",
    "InternalError",
    "PolicyParseError",
    "PolicyShapeError",
    "ProfileNotFoundError",
    "CatalogError",
    "InputError",
    "FixNotIdempotentError",
    "VerificationError",
    "quoted",
]

QUOTE_LIMIT = 40


def quoted(text: str, *, limit: int = QUOTE_LIMIT) -> str:
    """``text`` as ``repr`` shows it, cut to ``limit`` characters: a message names what is wrong
    without echoing a whole file (which may be anything, ``/etc/passwd`` included) back."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."


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


class BadInputError(ScpFixError):
    """The input is wrong, not scp-fix: the message says what to change."""


class InternalError(ScpFixError):
    """A bug in scp-fix: its own result failed a check it makes on itself. Never caused by input alone."""


class PolicyParseError(BadInputError):
    """The text is not JSON (or not UTF-8): the document could not be read."""


class PolicyShapeError(BadInputError):
    """Valid JSON, but not a valid policy document."""


class InputError(BadInputError):
    """A command-line input is wrong: a file that cannot be read or written, a bad option value."""


class CatalogError(BadInputError):
    """An inference-profile catalog file is malformed."""


class ProfileNotFoundError(BadInputError):
    """An inference profile id, ARN or model id that the catalog does not know."""


class VerificationError(InternalError):
    """A proposed change did not survive its own verification (the patch does not apply, the written
    text does not read back as the patched document); it is never shown or written. A bug."""


class FixNotIdempotentError(VerificationError):
    """Proposing again on a fixed policy still proposed a change.

    Not raised since a fix is verified to allow every authorization, which is what makes ``propose``
    leave it unchanged; kept for callers that catch it."""
