"""The text templates in ``templates/``.

A wheel installs them as the package ``rewriter.templates``; in a checkout (and an editable install,
whose import hooks do not map a subpackage to another folder) they are read from ``templates/`` beside
the package.
"""

from __future__ import annotations

import copy
import functools
import json
import os
from typing import Any


__all__ = ["template_text", "fill_json_template"]


# An installed wheel has rewriter/templates/; a checkout has templates/ beside the package. Which one
# is decided once, on import (by one look at the folder): a failed open, on each first read of a
# template, cost as much as the read itself.
_HERE = os.path.dirname(os.path.abspath(__file__))
_PACKAGED = os.path.join(_HERE, "templates")
_FOLDER = _PACKAGED if os.path.isdir(_PACKAGED) else os.path.join(os.path.dirname(_HERE), "templates")


@functools.cache
def template_text(name: str) -> str:
    # A plain file (importlib.resources costs more to import than the read), or a zipped install's.
    try:
        # bytes, unbuffered: a text-mode file sets up a decoder and a buffered one a buffer, each
        # costing more than this one read
        with open(os.path.join(_FOLDER, name), "rb", buffering=0) as handle:
            return handle.read().decode("utf-8").replace("\r\n", "\n")
    except FileNotFoundError:
        from importlib.resources import files

        return files("rewriter.templates").joinpath(name).read_text(encoding="utf-8")


def fill_json_template(name: str, values: dict[str, Any]) -> dict[str, Any]:
    """A JSON template whose string leaves ``"{{key}}"`` are replaced by values (any JSON value)."""

    def fill(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: fill(v) for k, v in node.items()}
        if isinstance(node, list):
            return [fill(v) for v in node]
        if isinstance(node, str) and node.startswith("{{") and node.endswith("}}"):
            return copy.deepcopy(values[node[2:-2]])
        return node

    return fill(json.loads(template_text(name)))
