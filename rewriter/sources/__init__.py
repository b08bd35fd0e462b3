"""Policies where they live: inside CloudFormation templates and Terraform files.

``load_embedded`` finds every service control policy in a file and gives its document as a JSON
value, with the references (``!Ref``, ``!Sub``, ``var.x``) it holds. ``rewrite`` applies RFC 6902
operations, made against that document, to the file text by editing only the spans of the values
that change, so comments, key order, quoting and layout survive.

Example::

    found = load_embedded("main.tf", text, var_files=["prod.tfvars"])
    new_text = rewrite(text, found[0], [{"op": "add", "path": "/Statement/-", "value": {...}}])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple

from rewriter.errors import InputError, ScpFixError, VerificationError
from rewriter.model import Policy

__all__ = [
    "EmbeddedPolicy",
    "Reference",
    "Location",
    "ReferencedValueError",
    "SOURCES",
    "SourceKind",
    "detect_kind",
    "load_embedded",
    "rewrite",
    "rewrite_json",
]


class Location(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class Reference(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """An intrinsic function or a variable inside a policy."""

    pointer: str  # where it stands in the policy document
    line: int  # where it is written in the file (1-based)
    column: int
    text: str  # as written: "!Ref AllowedRegions", "var.allowed_regions"
    hint: str  # what a person does about it
    resolved: bool  # the document holds its value (from --parameter / --var-file / a default)
    origin: Location | None = None  # where its value is set, the place to change it
    needs: str | None = None  # the template parameter or variable with no value given and no default
    default: str | None = None  # the template parameter or variable whose declared default it took


class EmbeddedPolicy(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    name: str  # logical resource name (CloudFormation) or resource address (Terraform)
    document: dict[str, Any]
    policy: Policy
    unresolved: tuple[Reference, ...]
    references: tuple[Reference, ...] = ()  # resolved and unresolved
    path: str = "<source>"
    kind: str = ""  # "cloudformation" | "terraform"
    form: str = ""  # how the policy is written: yaml-object, yaml-string, json-object, json-string, jsonencode, heredoc, policy-document
    parameters: Mapping[str, str] = MappingProxyType({})  # read only: a default every record shares
    var_files: tuple[str, ...] = ()
    use_defaults: bool = False
    policy_kind: str = "scp"  # "scp" | "identity": which the resource makes it (rewriter.identity)


def rewrite_json(text: str, operations: Sequence[Mapping[str, Any]], *, path: str = "<policy>", verify: bool = True) -> str:
    """A JSON policy file's text with ``operations`` applied, format preserved (``sources._json``)."""
    from rewriter.sources._json import rewrite_json as rewrite

    return rewrite(text, operations, path=path, verify=verify)


class ReferencedValueError(ScpFixError):
    """A change falls on a value that comes from a parameter or variable: it must be made where that is set."""


class SourceKind(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """A kind of file policies live in, read by one module of this package that has
    ``looks_like(text) -> bool`` and ``load(path, text, *, parameters, var_files, use_defaults)``, which
    gives a ``_ops.Found`` for every policy, with the span editor of its syntax. A new kind is such a
    module and a line in ``SOURCES``."""

    name: str  # as detect_kind and EmbeddedPolicy.kind say it
    module: str  # rewriter.sources.<module>, imported when a file of its kind is read
    extensions: tuple[str, ...]

    def reader(self) -> Any:
        import importlib

        return importlib.import_module(f"rewriter.sources.{self.module}")


# By extension first; without one they know, each kind looks at the content in this order.
SOURCES: tuple[SourceKind, ...] = (
    SourceKind("cloudformation", "cloudformation", (".yaml", ".yml", ".template")),
    SourceKind("terraform", "terraform", (".tf", ".tfvars", ".hcl")),
)


# What a file holding a policy resource names somewhere, in each form read here (CloudFormation's
# types, then Terraform's): a file that names none holds a plain policy or none.
POLICY_RESOURCE_MARKERS = ("AWS::Organizations::Policy", "AWS::IAM::", "aws_organizations_policy", "aws_iam_")
# and a JSON text that names none of these as a string is no CloudFormation template
TEMPLATE_MARKERS = ("AWSTemplateFormatVersion", "AWS::Organizations::Policy", "AWS::IAM::")


def plain_json_policy(path: str, text: str) -> bool:
    """A JSON file (or stdin) that names no template marker as a JSON string: a policy, read as one
    without looking for a template in it."""
    return (path.lower().endswith(".json") or path == "<stdin>") and not any(
        f'"{marker}' in text for marker in TEMPLATE_MARKERS
    )


def detect_kind(path: str, text: str) -> str:
    """"json-policy", or the name of the ``SOURCES`` kind the file is, by extension first and content second."""
    lower = path.lower()
    for kind in SOURCES:
        if lower.endswith(kind.extensions):
            return kind.name
    for kind in SOURCES:
        if kind.reader().looks_like(text):
            return kind.name
    return "json-policy"


def load_embedded(
    path: str,
    text: str,
    *,
    parameters: Mapping[str, str] = {},  # noqa: B006 - read only
    var_files: Sequence[str] = (),
    use_defaults: bool = False,
) -> tuple[EmbeddedPolicy, ...]:
    """Every SCP in a CloudFormation template or Terraform file, in file order.

    ``parameters`` resolve ``!Ref`` to template parameters; ``var_files`` (.tfvars, .tfvars.json) resolve
    ``var.x``; with ``use_defaults`` a parameter's Default or a variable's default is used when nothing
    else gives a value. Anything unresolved is kept as a ``${...}`` placeholder and listed in ``unresolved``.
    """
    return tuple(f.embedded for f in _load(path, text, parameters, tuple(var_files), use_defaults))


def _load(path: str, text: str, parameters: Mapping[str, str], var_files: tuple[str, ...], use_defaults: bool):
    return tuple(_placed(text, found) for found in _found(path, text, parameters, var_files, use_defaults))


def _placed(text: str, found):
    """The policy's statements with their lines in the file (the template's, as its reader counts
    them): a Sid's key, else where the statement starts."""
    from dataclasses import replace

    from rewriter.model import Source
    from rewriter.sources._tree import walk

    if found.root is None:
        return found
    nodes = dict(walk(found.root))
    file_source = Source(path=found.embedded.path, text=text)
    statements = []
    for statement in found.embedded.policy.statements:
        node = nodes.get(statement.pointer)
        if node is None:
            statements.append(statement)
            continue
        sid = next((k for k in node.keys if k.name == "Sid"), None) if statement.sid is not None else None
        offset = sid.start if sid is not None else node.start
        if found.embedding is not None:  # a JSON string inside the file: offsets are the string's
            offset = found.embedding.offsets[offset]
        line, column = file_source.position(offset)
        statements.append(replace(statement, line=line, column=column))
    policy = replace(found.embedded.policy, statements=tuple(statements))
    return found._replace(embedded=found.embedded._replace(policy=policy))


def _found(path: str, text: str, parameters: Mapping[str, str], var_files: tuple[str, ...], use_defaults: bool):
    name = detect_kind(path, text)
    kind = next((k for k in SOURCES if k.name == name), None)
    if kind is None:
        raise InputError("not a CloudFormation template or Terraform file; read it as a policy", path=path)
    return kind.reader().load(path, text, parameters=parameters, var_files=var_files, use_defaults=use_defaults)


def rewrite(text: str, embedded: EmbeddedPolicy, operations: Sequence[dict[str, Any]]) -> str:
    """The file text with ``operations`` (RFC 6902, against ``embedded.document``) applied to that policy.

    Operations are applied in order; each edits only the text spans of the values it changes. The result
    is read again and must give exactly ``jsonpatch.apply_patch(embedded.document, operations)``.
    Raises ``ReferencedValueError`` (located where the value is set) for a change to a value that comes
    from a parameter or variable, and ``UnsupportedEditError`` for an operation the form cannot express.
    """
    import jsonpatch

    from rewriter.sources._ops import batch_edits
    from rewriter.sources._tree import apply_edits

    from dataclasses import replace

    from rewriter.sources._json import JsonEditor

    ops = [dict(op) for op in operations]
    current = text
    style = None  # of JSON, read from the original: every operation of a patch writes alike
    while ops:
        found = _find(current, embedded)
        if isinstance(found.editor, JsonEditor):
            style = style or found.editor.style
            found = found._replace(editor=replace(found.editor, style=style))
        edits, used = batch_edits(current, found, ops)
        current = apply_edits(current, edits)
        del ops[:used]
    expected = jsonpatch.apply_patch(embedded.document, list(operations))
    after = _find(current, embedded).embedded.document
    if embedded.form == "policy-document":
        # aws_iam_policy_document writes every element as a list; IAM reads "x" and ["x"] alike
        expected, after = _lists(expected), _lists(after)
    if after != expected:
        raise VerificationError(
            f"rewriting {embedded.name} did not give the patched document", path=embedded.path
        )
    return current


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _lists([v] if isinstance(v, str) and k not in ("Version", "Sid", "Effect") else v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lists(v) for v in value]
    return value


def _find(text: str, embedded: EmbeddedPolicy):
    for found in _load(embedded.path, text, embedded.parameters, embedded.var_files, embedded.use_defaults):
        if found.embedded.name == embedded.name:
            return found
    raise InputError(f"{embedded.name} is no longer in the file", path=embedded.path)
