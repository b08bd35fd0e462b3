"""Turning command-line request options into request context."""

from __future__ import annotations

from collections.abc import Iterable

from rewriter.errors import InputError

__all__ = ["check_request_options", "parse_context", "parse_parameters"]


def parse_context(pairs: Iterable[str]) -> dict[str, str | tuple[str, ...]]:
    """``KEY=VALUE`` strings -> context; a key given twice becomes a multivalued key."""
    context: dict[str, str | tuple[str, ...]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--context takes KEY=VALUE, not {pair!r}")
        key = key.strip()
        if key in context:
            previous = context[key]
            context[key] = (*previous, value) if isinstance(previous, tuple) else (previous, value)
        else:
            context[key] = value
    return context


def parse_parameters(pairs: Iterable[str]) -> dict[str, str]:
    """``Name=value`` CloudFormation parameters; a list parameter is comma-separated, as CloudFormation takes it."""
    parameters: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"--parameter takes Name=value, not {pair!r}")
        parameters[name.strip()] = value
    return parameters


def check_request_options(*, action: str, region: str, resource: str) -> None:
    """The one request ``simulate`` is given must name something: an empty action or Region would be
    evaluated (and matched by ``*``) as if it were one."""
    from rewriter.errors import quoted

    service, colon, name = action.partition(":")
    if not colon or not service.strip() or not name.strip() or action != action.strip():
        raise InputError(f"--action takes service:Action (bedrock:InvokeModel), not {quoted(action)}")
    if not region.strip() or region != region.strip() or any(c.isspace() for c in region):
        raise InputError(f"--region takes a Region code (us-east-1) or 'unspecified', not {quoted(region)}")
    if not resource.strip():
        raise InputError("--resource takes an ARN or *, not ''")
