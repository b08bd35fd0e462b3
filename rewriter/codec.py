"""How a policy's text is rewritten and read back: a loose JSON file, or a policy inside IaC code.

``propose`` verifies a change on the text it will show, so it needs both directions for the file the
policy lives in, and the size the policy will have when uploaded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from rewriter.model import Policy

__all__ = ["Codec", "json_codec", "minified_size"]


def minified_size(document: Any) -> int:
    """Characters of the policy with the whitespace outside strings removed (how AWS can store it)."""
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


class Codec(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    render: Callable[[Sequence[Mapping[str, Any]]], str]  # edits -> the file's new text
    read: Callable[[str], Policy]  # the file's text -> the policy in it
    size: Callable[[str, Policy], int]  # the file's text -> characters as uploaded


def _upload_size(text: str, policy: Policy) -> int:
    return len(text[1:] if text.startswith("\ufeff") else text)


def _read_rendered(text: str, path: str) -> Policy:
    """Read back text scp-fix itself rendered: an error in it is a bug of ours, not the user's."""
    from rewriter.errors import PolicyParseError, VerificationError
    from rewriter.parse import parse_policy

    try:
        return parse_policy(text, path=path)
    except PolicyParseError as error:
        raise VerificationError(f"the rewritten text is not a policy scp-fix reads ({error.message}); this is a bug in scp-fix", path=path) from None


def json_codec(policy: Policy) -> Codec:
    """A policy file that is the JSON document itself: uploaded as written."""
    from rewriter.sources._json import rewrite_json

    return Codec(
        # propose reads the text back and compares it with the patched document itself.
        render=lambda operations: rewrite_json(
            policy.source.text, operations, path=policy.path, verify=False, document=policy.document, source=policy.source
        ),
        read=lambda text: _read_rendered(text, policy.path),
        size=_upload_size,
    )
