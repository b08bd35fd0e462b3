"""The limits scp-fix sets on what it reads, so hostile input fails at once instead of hanging,
exhausting memory or overflowing the stack. (The size of a file is limited where it is read,
``files.MAX_INPUT_BYTES``.)

- ``check_nesting``: text whose brackets nest deeper than ``MAX_DEPTH``, checked before a parser
  that recurses per level (json, python-hcl2's lark, ruamel.yaml, whose scanner is also quadratic in
  flow depth) sees it.
- ``check_yaml``: a composed YAML document that nests too deep in block style, whose aliases expand
  past ``MAX_YAML_NODES`` ("billion laughs"), or whose mapping names a key twice (YAML says keys are
  unique; the libraries let the last one win, as JSON readers do, and scp-fix refuses both). It works
  on ruamel.yaml and PyYAML nodes alike (``id`` is "scalar", "sequence" or "mapping") and visits each
  node once however many aliases name it, so it takes the time of reading the text.
"""

from __future__ import annotations

from typing import Any

from rewriter.errors import BadInputError, PolicyParseError, quoted

__all__ = ["MAX_DEPTH", "MAX_YAML_NODES", "check_nesting", "check_yaml"]

MAX_DEPTH = 64  # as jsontext.MAX_DEPTH: a policy nests five levels, a template a few more
MAX_YAML_NODES = 1_000_000  # nodes after alias expansion; a multi-MB template holds a few hundred thousand


def check_nesting(text: str, *, path: str, error: type[BadInputError] = PolicyParseError) -> None:
    """Refuse text whose ``[``, ``{`` and ``(`` nest deeper than ``MAX_DEPTH``. Brackets inside
    strings count too: a real policy source never has dozens unclosed, and this must stay a scan."""
    import re

    depth = 0
    for match in re.finditer(r"[\[\]{}()]", text):
        depth = depth + 1 if match.group() in "[{(" else max(depth - 1, 0)
        if depth > MAX_DEPTH:
            start = match.start()
            line = text.count("\n", 0, start) + 1
            column = start - (text.rfind("\n", 0, start) + 1) + 1
            raise error(f"nested deeper than {MAX_DEPTH} levels", path=path, line=line, column=column)


def check_yaml(root: Any, *, path: str, error: type[BadInputError] = PolicyParseError) -> None:
    """Raise ``error`` (located) when the composed document ``root`` nests too deep, expands too far
    through aliases, or repeats a key in a mapping."""
    expanded: dict[int, int] = {}  # id(node) -> its node count with aliases expanded
    # an explicit stack (node, depth, children left to do) instead of recursion: depth is what is checked
    stack: list[tuple[Any, int, bool]] = [(root, 1, True)]
    while stack:
        node, depth, entering = stack.pop()
        if not entering:
            expanded[id(node)] = 1 + sum(expanded[id(child)] for child in _children(node))
            if expanded[id(node)] > MAX_YAML_NODES:
                raise _fail(error, node, path, f"aliases expand this document past {MAX_YAML_NODES:,} nodes")
            continue
        if id(node) in expanded:
            continue  # an alias of a node already counted
        if depth > MAX_DEPTH:
            raise _fail(error, node, path, f"nested deeper than {MAX_DEPTH} levels")
        if node.id == "mapping":
            _unique_keys(node, path, error)
        stack.append((node, depth, False))
        stack.extend((child, depth + 1, True) for child in _children(node) if id(child) not in expanded)


def _children(node: Any) -> list[Any]:
    if node.id == "mapping":
        return [part for pair in node.value for part in pair]
    if node.id == "sequence":
        return list(node.value)
    return []


def _unique_keys(node: Any, path: str, error: type[BadInputError]) -> None:
    seen: set[tuple[str, str]] = set()
    for key, _ in node.value:
        if key.id != "scalar":
            continue  # a complex key is refused by whoever reads the mapping
        name = (str(key.tag), key.value)
        if name in seen:
            raise _fail(error, key, path, f"duplicate key {quoted(key.value)}")
        seen.add(name)


def _fail(error: type[BadInputError], node: Any, path: str, message: str) -> BadInputError:
    mark = node.start_mark
    return error(message, path=path, line=mark.line + 1, column=mark.column + 1)
