"""Policy templates: JSON policies with ``${NAME}`` placeholders a pipeline fills in before upload.

Landing Zone Accelerator writes ``arn:${PARTITION}:iam::*:role/${ACCELERATOR_PREFIX}-*`` and
``"aws:RequestedRegion": "${HOME_REGION}"``; Innovation Sandbox writes ``["${isbManagedRegions}"]``.
A placeholder is ``${`` a name without a colon ``}``; IAM policy variables always have one
(``${aws:PrincipalTag/team}``), and ``${*}``, ``${?}``, ``${$}`` are IAM's escapes, so neither is one.

scp-fix never evaluates a placeholder as a literal Region: it renders the template with the values
given (``--parameter NAME=value``), decides on the rendered policy, measures that for the size limit,
and writes a fix into the template. A placeholder standing alone as a list item takes a
comma-separated value as several items, the way a list parameter is given on the command line.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rewriter.errors import InputError, ScpFixError
from rewriter.model import Policy, escape_pointer_token, pointer_tokens

__all__ = ["PLACEHOLDER", "Placeholder", "has_placeholders", "find_placeholders", "render_template", "template_codec"]

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str
    pointer: str  # the string value that holds it
    line: int
    column: int


def has_placeholders(text: str) -> bool:
    return PLACEHOLDER.search(text) is not None


def _strings(value: Any, pointer: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield pointer, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{pointer}/{escape_pointer_token(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{pointer}/{index}")


def find_placeholders(template: Policy) -> tuple[Placeholder, ...]:
    """Every placeholder in the template's values, in document order, located in its text."""
    found = []
    for pointer, value in _strings(template.document):
        for match in PLACEHOLDER.finditer(value):
            line, column = template.source.locate(pointer) or (1, 1)
            found.append(Placeholder(match.group(1), pointer, line, column + 1 + match.start()))
    return tuple(found)


def render_template(template: Policy, parameters: Mapping[str, str]) -> Policy:
    """The policy the template becomes with ``parameters``. Raises ``InputError`` (bad input: exit 2)
    naming the first placeholder without a value, where it is written."""
    from rewriter.parse import parse_policy

    placeholders = find_placeholders(template)
    for placeholder in placeholders:
        if placeholder.name not in parameters:
            name = placeholder.name
            raise InputError(
                f"needs a value for {name} ({template.path}:{placeholder.line}:{placeholder.column}); "
                f"pass --parameter {name}=..."
            )
    text = template.source.text
    pieces: list[tuple[int, int, str]] = []
    for pointer in dict.fromkeys(p.pointer for p in placeholders):
        span = template.source.spans[pointer]
        value = _value_at(template.document, pointer)
        pieces.append((span.start, span.end, ", ".join(json.dumps(v, ensure_ascii=False) for v in _rendered(value, pointer, parameters))))
    for start, end, replacement in sorted(pieces, reverse=True):
        text = text[:start] + replacement + text[end:]
    try:
        return parse_policy(text, path=template.path)
    except ScpFixError as error:  # a value that breaks the policy, e.g. a Region given to a Version
        raise InputError(f"the template with the --parameter values given is not a valid policy: {error.message}", path=template.path) from None


def template_codec(template: Policy, parameters: Mapping[str, str]) -> Callable[[Policy], Any]:
    """A codec for a policy read from ``template``: a fix is written into the template (its placeholders
    kept), read back rendered, and measured as rendered."""
    from rewriter.codec import Codec
    from rewriter.parse import parse_policy
    from rewriter.sources._json import rewrite_json

    def for_policy(_policy: Policy) -> Codec:
        def write(operations: Sequence[Mapping[str, Any]]) -> str:
            _refuse_placeholder_edits(template, operations)
            return rewrite_json(
                template.source.text, operations, path=template.path, verify=False,
                document=template.document, source=template.source,
            )

        return Codec(
            render=write,
            read=lambda text: render_template(parse_policy(text, path=template.path), parameters),
            size=lambda _text, policy: len(policy.source.text.removeprefix("\ufeff")),
        )

    return for_policy


def _rendered(value: str, pointer: str, parameters: Mapping[str, str]) -> list[str]:
    whole = PLACEHOLDER.fullmatch(value)
    in_list = pointer_tokens(pointer)[-1:] != [] and pointer_tokens(pointer)[-1].isdigit()
    if whole and in_list and "," in parameters[whole.group(1)]:
        return [part.strip() for part in parameters[whole.group(1)].split(",") if part.strip()]
    return [PLACEHOLDER.sub(lambda m: parameters[m.group(1)], value)]


def _value_at(document: Any, pointer: str) -> Any:
    value = document
    for token in pointer_tokens(pointer):
        value = value[int(token)] if isinstance(value, list) else value[token]
    return value


def _refuse_placeholder_edits(template: Policy, operations: Sequence[Mapping[str, Any]]) -> None:
    """A fix may add beside a placeholder, never rewrite one: its value is set in the pipeline that
    fills the template, which is where such a change belongs."""
    for operation in operations:
        tokens = pointer_tokens(str(operation.get("path", "")))
        value = template.document
        for depth, token in enumerate(tokens):
            if isinstance(value, list):
                if any(isinstance(v, str) and PLACEHOLDER.fullmatch(v) for v in value) and not (
                    depth == len(tokens) - 1 and token == "-" and operation.get("op") == "add"
                ):
                    raise _placeholder_error(template, value, operation)
                if token == "-" or not token.isdigit() or int(token) >= len(value):
                    break
                value = value[int(token)]
            elif isinstance(value, dict) and token in value:
                value = value[token]
            else:
                break
        else:
            if operation.get("op") in ("replace", "remove") and any(
                PLACEHOLDER.search(s) for _, s in _strings(value)
            ):
                raise _placeholder_error(template, value, operation)


def _placeholder_error(template: Policy, value: Any, operation: Mapping[str, Any]) -> ScpFixError:
    names = sorted({m.group(1) for _, s in _strings(value) for m in PLACEHOLDER.finditer(s)})
    return ScpFixError(
        f"{operation.get('path')} holds ${{{names[0]}}}; change the value of {names[0]} where the pipeline "
        "that fills the template sets it",
        path=template.path,
    )
