"""JSON held inside a string of a file: decode it while remembering where each character came from."""

from __future__ import annotations

import json

from rewriter.sources._tree import Embedding, UnsupportedEditError

__all__ = ["quoted_embedding", "block_embedding", "heredoc_embedding"]

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "/": "/", "\\": "\\", '"': '"'}


def quoted_embedding(text: str, start: int, end: int, *, path: str) -> Embedding:
    """A one-line quoted string, ``text[start]`` being its opening quote (JSON or YAML " or ')."""
    quote = text[start]
    close = end - 1
    chars: list[str] = []
    offsets: list[int] = []
    i = start + 1
    while i < close:
        c = text[i]
        step = 1
        if c == "\n":
            raise UnsupportedEditError("a policy in a multi-line quoted string cannot be rewritten in place", path=path)
        if quote == '"' and c == "\\":
            n = text[i + 1]
            if n == "u":
                c, step = chr(int(text[i + 2 : i + 6], 16)), 6
            elif n in _ESCAPES:
                c, step = _ESCAPES[n], 2
            else:
                raise UnsupportedEditError(f"unsupported escape \\{n} in the policy string", path=path)
        elif quote == "'" and c == "'":
            step = 2
        chars.append(c)
        offsets.append(i)
        i += step
    offsets.append(close)
    if quote == "'":
        return Embedding("".join(chars), tuple(offsets), lambda s: s.replace("'", "''"))
    return Embedding("".join(chars), tuple(offsets), lambda s: json.dumps(s, ensure_ascii=False)[1:-1])


def _lines(text: str, start: int, end: int, indent: int | None, unescape_template: bool):
    """Decode indented lines text[start:end]; returns (chars, offsets, indent)."""
    if indent is None:
        widths = [len(l) - len(l.lstrip(" ")) for l in text[start:end].split("\n") if l.strip()]
        indent = min(widths, default=0)
    chars: list[str] = []
    offsets: list[int] = []
    pos = start
    while pos < end:
        eol = text.find("\n", pos)
        eol = end if eol < 0 or eol > end else eol
        i = pos + min(indent, len(text[pos:eol]) - len(text[pos:eol].lstrip(" ")))
        while i < eol:
            if unescape_template and text.startswith(("$${", "%%{"), i):
                i += 1  # Terraform writes a literal ${ as $${
            chars.append(text[i])
            offsets.append(i)
            i += 1
        if eol < end:
            chars.append("\n")
            offsets.append(eol)
        pos = eol + 1
    return chars, offsets, indent


def block_embedding(text: str, content_start: int, end: int, value: str, *, path: str) -> Embedding:
    """A YAML literal block scalar whose content lines start at ``content_start``."""
    chars, offsets, indent = _lines(text, content_start, end, None, False)
    inner = "".join(chars)
    if not inner.startswith(value.rstrip("\n")):
        raise UnsupportedEditError("this block scalar cannot be rewritten in place", path=path)
    n = len(value.rstrip("\n"))
    tail = offsets[n] if n < len(offsets) else end
    pad = " " * indent
    return Embedding(value.rstrip("\n"), tuple(offsets[:n]) + (tail,), lambda s: s.replace("\n", "\n" + pad))


def heredoc_embedding(text: str, start: int, end: int, *, path: str) -> Embedding:
    """A Terraform heredoc token text[start:end] (``<<EOF`` or ``<<-EOF``, ending after the marker line)."""
    token = text[start:end]
    first_newline = token.index("\n")
    marker = token[2:first_newline].lstrip("-").strip()
    trim = token.startswith("<<-")
    body_start = start + first_newline + 1
    closing = text.rfind("\n", body_start - 1, end - 1)  # the newline before the marker line
    if text[closing + 1 : end].strip() != marker:
        raise UnsupportedEditError("heredoc marker not found", path=path)
    chars, offsets, indent = _lines(text, body_start, closing, None if trim else 0, True)
    offsets.append(closing)
    pad = " " * indent

    def encode(s: str) -> str:
        return s.replace("${", "$${").replace("%{", "%%{").replace("\n", "\n" + pad)

    return Embedding("".join(chars), tuple(offsets), encode)
