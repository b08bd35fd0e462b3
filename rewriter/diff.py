"""A unified diff of two texts that ``git apply`` accepts, line ends kept byte for byte."""

from __future__ import annotations

import difflib
import os
import re

__all__ = ["split_lines", "unified_diff"]

_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")
_NO_NEWLINE = "\\ No newline at end of file\n"
_RESET = "\x1b[0m"
_HEADER, _HUNK, _REMOVED, _ADDED = "\x1b[1m", "\x1b[36m", "\x1b[31m", "\x1b[32m"


def split_lines(text: str) -> list[str]:
    """Lines with their endings, split at "\\n" only.

    ``str.splitlines`` also splits at U+2028, form feeds and lone "\\r", which may stand inside a
    JSON string; git counts lines by "\\n", and so must the hunk headers.
    """
    return _LINE.findall(text)


def unified_diff(old: str, new: str, *, path: str, color: bool = False, context: int = 3) -> str:
    """The change from ``old`` to ``new`` as a unified diff of ``a/<path>`` and ``b/<path>``.

    ``path`` is written relative to the current directory when it lies under it, with "/" separators,
    so that ``git apply`` at the repository root takes it. Empty when the texts are equal.
    """
    if old == new:
        return ""
    name = _display_path(path)
    out: list[str] = []
    lines = difflib.unified_diff(
        split_lines(old), split_lines(new), fromfile=f"a/{name}", tofile=f"b/{name}", n=context, lineterm=""
    )
    for number, line in enumerate(lines):
        # Two file headers, then hunk headers; a content line starts with " ", "-" or "+", so a
        # removed line reading "--x" is not a header.
        if number < 2 or line.startswith("@@"):
            out.append(line.rstrip("\n") + "\n")
        elif line.endswith("\n"):
            out.append(line)
        else:  # the last line of a text that does not end with a newline
            out.append(line + "\n" + _NO_NEWLINE)
    diff = "".join(out)
    return _colorize(diff) if color else diff


def _display_path(path: str) -> str:
    if os.path.isabs(path):
        relative = os.path.relpath(path)
        if not relative.startswith(".."):
            path = relative
    path = path.replace(os.sep, "/")
    while path.startswith("./"):
        path = path[2:]
    return path.lstrip("/") if os.path.isabs(path) else path


def _colorize(diff: str) -> str:
    out = []
    for number, line in enumerate(split_lines(diff)):
        if number < 2:
            code = _HEADER
        else:
            code = {"@": _HUNK, "-": _REMOVED, "+": _ADDED}.get(line[:1], "")
        if code:
            # The reset goes before the line end, so a CRLF line keeps its "\r\n" together.
            body = line.rstrip("\r\n")
            line = code + body + _RESET + line[len(body) :]
        out.append(line)
    return "".join(out)
