"""The "diff noise" measure shared by the render and propose tests: every line a diff changes must
carry an added or changed value (or differ from its old line only by punctuation)."""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections import Counter
from typing import Any

import jsonpatch

from rewriter.diff import split_lines

def _tokens(value: Any) -> Counter[str]:
    """Every scalar and key of a value, JSON-encoded, as they would stand in the text."""
    found: Counter[str] = Counter()
    if isinstance(value, dict):
        for key, item in value.items():
            found += _tokens(key)
            found += _tokens(item)
    elif isinstance(value, list):
        for item in value:
            found += _tokens(item)
    else:
        found[json.dumps(value, ensure_ascii=False)] += 1
        if not isinstance(value, str) or not value.isascii():  # as an author may have written it
            found[json.dumps(value)] += 1
    return found


def _changed_tokens(document: Any, operations: list[dict]) -> tuple[set[str], set[str]]:
    """(tokens a removed line may carry, tokens an added line may carry)."""
    old: Counter[str] = Counter()
    new: Counter[str] = Counter()
    current = copy.deepcopy(document)
    for op in operations:
        pointer = jsonpatch.JsonPointer(op["path"])
        parent_pointer = "/".join(op["path"].split("/")[:-1])
        parent = jsonpatch.JsonPointer(parent_pointer).resolve(current) if op["path"] else None
        key = op["path"].split("/")[-1].replace("~1", "/").replace("~0", "~")
        member = isinstance(parent, dict)
        if op["op"] == "remove":
            old += _tokens(pointer.resolve(current))
            if member:
                old += _tokens(key)
        elif op["op"] == "add" and not (member and key in parent):
            new += _tokens(op["value"])
            if member:
                new += _tokens(key)
        else:
            before = pointer.resolve(current)
            if member:  # the key's line holds the start of the value that changes
                old += _tokens(key)
                new += _tokens(key)
            if isinstance(before, (dict, list)) and isinstance(op["value"], (dict, list)):
                old += _tokens(before) - _tokens(op["value"])
                new += _tokens(op["value"]) - _tokens(before)
            else:  # a scalar replaced, or replaced by one: its line is the change
                old += _tokens(before)
                new += _tokens(op["value"])
        current = jsonpatch.apply_patch(current, [op])
    return set(old), set(new)


def _residue(line: str, tokens: set[str]) -> str:
    """A line with the changed values and the punctuation taken out, its indentation kept."""
    body = line.rstrip("\r\n")
    indent = body[: len(body) - len(body.lstrip())]
    for token in sorted(tokens, key=len, reverse=True):
        body = body.replace(token, "")
    return indent + re.sub(r"[\s\[\]{},:]", "", body)


def diff_noise(old: str, new: str, document: Any, operations: list[dict]) -> list[str]:
    """Changed lines that carry no added, removed or changed value (re-indentation, reordering...).

    A removed and an added line that differ only by changed values and punctuation (the comma put on
    the line before an appended item, an inline list with one more item, "{" becoming "[{") are one
    edited line; a line of brackets alone is the frame of a new or removed value.
    """
    old_tokens, new_tokens = _changed_tokens(document, operations)
    tokens = old_tokens | new_tokens
    a, b = split_lines(old), split_lines(new)
    noise: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        added = list(b[j1:j2])
        for line in a[i1:i2]:
            twin = next((x for x in added if _residue(x, tokens) == _residue(line, tokens)), None)
            if twin is not None:
                added.remove(twin)
            elif _residue(line, set()).strip() and not any(t in line for t in old_tokens):
                noise.append("-" + line)
        for line in added:
            if _residue(line, set()).strip() and not any(t in line for t in new_tokens):
                noise.append("+" + line)
    return noise
