"""The text templates in ``templates/``.

A wheel installs them as the package ``rewriter.templates``; in a checkout (and an editable install,
whose import hooks do not map a subpackage to another folder) they are read from ``templates/`` beside
the package.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

__all__ = ["template_text", "fill_json_template"]


@functools.cache
def template_text(name: str) -> str:
    from importlib.resources import files
    from pathlib import Path

    try:
        folder = files("rewriter.templates")
    except ModuleNotFoundError:
        folder = Path(__file__).resolve().parent.parent / "templates"
    return folder.joinpath(name).read_text(encoding="utf-8")


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
