"""scp-fix: find and fix SCP region restrictions that break Amazon Bedrock cross-Region inference.

The public API, imported on first use so that ``scp-fix --help`` stays fast::

    from rewriter import parse_policy, load_catalog, propose_file, check_file

The functions named like their modules (``rewriter.propose.propose``, ``rewriter.check.check``,
``rewriter.evaluate.evaluate``, ``rewriter.sources.rewrite``) are imported from those modules.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "parse_policy": "rewriter.parse",
    "Policy": "rewriter.model",
    "Request": "rewriter.evaluate",
    "Decision": "rewriter.evaluate",
    "find_region_restrictions": "rewriter.regions",
    "load_catalog": "rewriter.catalog",
    "Profile": "rewriter.catalog",
    "authorizations": "rewriter.cris",
    "Proposal": "rewriter.propose",
    "parse_denial": "rewriter.messages",
    "diagnose": "rewriter.explain",
    "check_file": "rewriter.policy_files",
    "propose_file": "rewriter.policy_files",
    "ScpFixError": "rewriter.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rewriter' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
