"""The text templates in ``templates/``.

A wheel installs them as the package ``rewriter.templates``; in a checkout (and an editable install,
whose import hooks do not map a subpackage to another folder) they are read from ``templates/`` beside
the package.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from rewriter.fixes import copy_json

__all__ = ["template_text", "fill_json_template"]


@functools.cache
def template_text(name: str) -> str:
    import os

    # An installed wheel has rewriter/templates/; a checkout has templates/ beside the package. Plain
    # files first (importlib.resources costs more to import than the read), then a zipped install.
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (os.path.join(here, "templates"), os.path.join(os.path.dirname(here), "templates")):
        try:
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            continue
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
            return copy_json(values[node[2:-2]])
        return node

    return fill(json.loads(template_text(name)))
