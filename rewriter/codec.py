"""How a policy's text is rewritten and read back: a loose JSON file, or a policy inside IaC code.

``propose`` verifies a change on the text it will show, so it needs both directions for the file the
policy lives in, and the size the policy will have when uploaded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rewriter.model import Policy
from rewriter.records import record

__all__ = ["Codec", "json_codec", "minified_size", "minified_size_after"]


# json.dumps(document, separators=(",", ":"), ensure_ascii=False), without making an encoder at every call
_minified = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def minified_size(document: Any) -> int:
    """Characters of the policy with the whitespace outside strings removed (how AWS can store it)."""
    return len(_minified(document))


def minified_size_after(document: Any, size: int, operations: Sequence[Mapping[str, Any]]) -> int | None:
    """``minified_size`` of ``document`` with ``operations`` applied, from ``size``, its own: what they
    add, when they only add items and members (``fixes.additions``); None otherwise."""
    from rewriter.fixes import additions

    added = additions(document, operations)
    if added is None:
        return None
    # each item and member added to a container that holds some already: its text and a comma
    return size + sum(
        len(_minified(value)) + 1 + (0 if key is None else len(_minified(key)) + 1)
        for _, new in added.values() for key, value in new
    )


@record
class Codec:
    render: Callable[[Sequence[Mapping[str, Any]]], str]  # edits -> the file's new text
    read: Callable[[str], Policy]  # the file's text -> the policy in it
    size: Callable[[str, Policy], int]  # the file's text -> characters as uploaded


def _upload_size(text: str, policy: Policy) -> int:
    return len(text[1:] if text.startswith("\ufeff") else text)


def _read_rendered(text: str, path: str) -> Policy:
    """Read back text scp-fix itself rendered. It needs no positions (an error in it is a bug, not the
    user's), so the C decoder reads it, still refusing duplicate keys."""
    from rewriter.errors import VerificationError
    from rewriter.jsontext import strict_decode
    from rewriter.model import Source
    from rewriter.parse import policy_from_document

    try:
        document = strict_decode(text[1:] if text.startswith("\ufeff") else text)
    except ValueError as error:
        raise VerificationError(f"the rewritten text is not JSON scp-fix reads ({error}); this is a bug in scp-fix", path=path) from None
    return policy_from_document(document, source=Source(path=path, text=text))


def json_codec(policy: Policy) -> Codec:
    """A policy file that is the JSON document itself: uploaded as written."""
    from rewriter.render import render

    return Codec(
        # propose reads the text back and compares it with the patched document itself.
        render=lambda operations: render(policy.source, operations, document=policy.document, verify=False),
        read=lambda text: _read_rendered(text, policy.path),
        size=_upload_size,
    )
