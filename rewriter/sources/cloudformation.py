"""Service control policies in CloudFormation templates, YAML and JSON.

YAML is read with ruamel.yaml's composer, which gives the start and end of every node and keeps
CloudFormation's short tags (``!Ref``) without constructors; PyYAML's loader drops comments and
positions of scalars inside collections, and neither library can re-dump a template without
changing its layout, so the rewrite edits text spans and never dumps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewriter.errors import InputError, PolicyParseError
from rewriter.model import Source, escape_pointer_token
from rewriter.sources import EmbeddedPolicy, Location, Reference
from rewriter.sources._embed import block_embedding, quoted_embedding
from rewriter.sources._json import JsonEditor, JsonStyle, json_node
from rewriter.sources._ops import BracketEditor, Found
from rewriter.sources._tree import (
    TextEdit,
    Embedding,
    Key,
    TextNode,
    Syntax,
    UnsupportedEditError,
    line_end,
    line_start,
    to_value,
)

__all__ = ["load"]

_POLICY_TYPE = "AWS::Organizations::Policy"
_INTRINSIC = re.compile(r"^(Ref|Condition|Fn::[A-Za-z]+)$")


def looks_like(text: str) -> bool:
    """A template: a JSON object with Resources or a format version, or YAML that names either."""
    from rewriter.errors import ScpFixError
    from rewriter.jsontext import scan

    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        try:
            data, _ = scan(stripped)
        except ScpFixError:
            return False
        return isinstance(data, dict) and ("Resources" in data or "AWSTemplateFormatVersion" in data)
    return "AWSTemplateFormatVersion" in text or "Resources:" in text


def load(
    path: str, text: str, *, parameters: Mapping[str, str], use_defaults: bool, var_files: Sequence[str] = ()
) -> list[Found]:
    """Every policy of the template (``var_files`` are Terraform's: not used here)."""
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        from rewriter.jsontext import scan

        document, source = scan(text, path=path)
        root = json_node(document, source.spans)
        return _policies(path, text, root, parameters, use_defaults, yaml=False)
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    from rewriter.limits import MAX_DEPTH, check_nesting, check_yaml

    check_nesting(text, path=path)
    try:
        composed = YAML().compose(text)
    except RecursionError:  # block nesting: the composer recurses per level
        raise PolicyParseError(f"nested deeper than {MAX_DEPTH} levels", path=path) from None
    except YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise PolicyParseError(
            f"not valid YAML: {getattr(error, 'problem', error)}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    if composed is None:
        return []
    check_yaml(composed, path=path)
    return _policies(path, text, _yaml_node(text, composed), parameters, use_defaults, yaml=True)


# --- reading --------------------------------------------------------------------------------------


def _yaml_scalar_value(node: Any) -> Any:
    tag = node.tag
    raw = node.value
    if node.style:
        return raw
    if tag.endswith(":int"):
        try:
            return int(raw, 0) if raw.lower().startswith(("0x", "0o")) else int(raw)
        except ValueError:
            return raw
    if tag.endswith(":float"):
        return float(raw)
    if tag.endswith(":bool"):
        return raw.lower() in ("true", "yes", "on")
    if tag.endswith(":null"):
        return None
    return raw


def _yaml_node(text: str, node: Any) -> TextNode:
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    tag = node.tag or ""
    start = node.start_mark.index
    short = tag.startswith("!") and not tag.startswith("!!")
    if isinstance(node, MappingNode):
        keys, items = [], []
        for k, v in node.value:
            keys.append(Key(str(k.value), k.start_mark.index, k.end_mark.index))
            items.append(_yaml_node(text, v))
        flow = bool(node.flow_style)
        end = node.end_mark.index if flow or not items else items[-1].end
        built = TextNode("object", start, end, items=tuple(items), keys=tuple(keys), style="flow" if flow else "block")
    elif isinstance(node, SequenceNode):
        items = [_yaml_node(text, v) for v in node.value]
        flow = bool(node.flow_style)
        end = node.end_mark.index if flow or not items else items[-1].end
        built = TextNode("list", start, end, items=tuple(items), style="flow" if flow else "block")
    else:
        end = node.end_mark.index
        if node.style in ("|", ">"):
            end = start + len(text[start:end].rstrip())
        value = node.value if short else _yaml_scalar_value(node)
        built = TextNode("scalar", start, end, value=value, style=node.style or "")
    if short:
        # a short-form intrinsic is the long form {"Fn::X": argument}
        name = "Ref" if tag == "!Ref" else ("Condition" if tag == "!Condition" else "Fn::" + tag[1:])
        arg = TextNode(built.kind, built.start, built.end, built.value, built.items, built.keys, built.style)
        return TextNode("object", start, end, items=(arg,), keys=(Key(name, start, start),), style="tag", text=text[start:end])
    return built


@dataclass
class _Context:
    path: str
    text: str
    source: Source
    params: dict[str, tuple[str, Any, TextNode | None]]  # name -> (type, value or None, node of Default)
    given: Mapping[str, str]
    use_defaults: bool
    references: list[Reference] = field(default_factory=list)
    defaulted: set[str] = field(default_factory=set)  # parameters whose Default a value took

    def location(self, offset: int) -> Location:
        line, column = self.source.position(offset)
        return Location(self.path, line, column)

    def parameter(self, name: str) -> tuple[bool, Any, Location | None]:
        if name not in self.params:
            return False, None, None
        kind, default, node = self.params[name]
        origin = self.location(node.start) if node is not None else None
        raw = self.given.get(name)
        if raw is None and self.use_defaults and default is not None:
            raw = default
            self.defaulted.add(name)
        if raw is None:
            return False, None, origin
        if isinstance(raw, str) and (kind == "CommaDelimitedList" or kind.startswith("List<")):
            raw = [part.strip() for part in raw.split(",")]
        return True, raw, origin

    def needs(self, names: list[str]) -> str | None:
        """The first declared parameter among ``names`` with no value given and no Default."""
        return next((n for n in names if n in self.params and not self.parameter(n)[0]), None)


def _is_intrinsic(node: TextNode) -> bool:
    return node.kind == "object" and len(node.keys) == 1 and bool(_INTRINSIC.match(node.keys[0].name))


def _resolve(ctx: _Context, node: TextNode, pointer: str) -> TextNode:
    """Replace intrinsic functions by ref nodes, resolving what the parameters allow."""
    if _is_intrinsic(node):
        return _reference(ctx, node, pointer)
    if node.kind in ("object", "list"):
        items = []
        for i, child in enumerate(node.items):
            token = node.keys[i].name if node.kind == "object" else str(i)
            items.append(_resolve(ctx, child, f"{pointer}/{escape_pointer_token(token)}"))
        return TextNode(node.kind, node.start, node.end, node.value, tuple(items), node.keys, node.style, node.text)
    return node


def _reference(ctx: _Context, node: TextNode, pointer: str) -> TextNode:
    name = node.keys[0].name
    arg = node.items[0]
    written = node.text or " ".join(ctx.text[node.start : node.end].split())
    resolved, value, origin = False, None, None
    hint = "left as written; scp-fix does not evaluate it"
    if name == "Ref" and arg.kind == "scalar":
        param = str(arg.value)
        resolved, value, origin = ctx.parameter(param)
        if param.startswith("AWS::"):
            hint = "a pseudo parameter; its value is known only at deploy time"
        elif not resolved:
            hint = f"pass --parameter {param}=VALUE" + (f"; its Default is at {origin}" if origin else "")
        if not resolved:
            value = "${" + param + "}"
    elif name == "Fn::Sub":
        template = arg.value if arg.kind == "scalar" else to_value(arg.items[0]) if arg.kind == "list" else None
        value = template if isinstance(template, str) else written
        names = re.findall(r"\$\{([^!}][^}]*)\}", value)
        found = [ctx.parameter(n) for n in names]
        if names and all(ok and isinstance(v, str) for ok, v, _ in found):
            for n, (_, v, _) in zip(names, found):
                value = value.replace("${" + n + "}", v)
            resolved = True
        origin = next((o for _, _, o in found if o), None)
    elif name == "Fn::Join" and arg.kind == "list" and len(arg.items) == 2 and arg.items[1].kind == "list":
        parts = []
        for i, part in enumerate(arg.items[1].items):
            parts.append(_reference(ctx, part, pointer).value if _is_intrinsic(part) else part.value)
        resolved = all(isinstance(p, str) and "${" not in p for p in parts)
        value = str(arg.items[0].value).join(str(p) for p in parts)
    else:
        value = "${" + written + "}"
    line, column = ctx.source.position(node.start)
    names = [str(arg.value)] if name == "Ref" and arg.kind == "scalar" else re.findall(r"\$\{([^!}][^}]*)\}", value) if name == "Fn::Sub" and isinstance(value, str) else []
    ctx.references.append(Reference(
        pointer, line, column, written, "resolved" if resolved else hint, resolved, origin,
        needs=None if resolved else ctx.needs(names),
        default=next((n for n in names if n in ctx.defaulted and n not in ctx.given), None),
    ))
    return TextNode("ref", node.start, node.end, value=value, text=written)


def _child(node: TextNode | None, name: str) -> TextNode | None:
    if node is None or node.kind != "object":
        return None
    for key, item in zip(node.keys, node.items):
        if key.name == name:
            return item
    return None


def _parameters(root: TextNode) -> dict[str, tuple[str, Any, TextNode | None]]:
    params = {}
    section = _child(root, "Parameters")
    for key, item in zip(section.keys, section.items) if section and section.kind == "object" else ():
        kind = _child(item, "Type")
        default = _child(item, "Default")
        value = to_value(default) if default is not None else None
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        params[key.name] = (str(kind.value) if kind is not None else "String", value, default)
    return params


def _policies(path: str, text: str, root: TextNode, given: Mapping[str, str], use_defaults: bool, *, yaml: bool) -> list[Found]:
    from rewriter.jsontext import scan
    from rewriter.parse import policy_from_document

    resources = _child(root, "Resources")
    if resources is None or resources.kind != "object":
        raise InputError("a CloudFormation template needs a Resources section", path=path)
    out: list[Found] = []
    file_source = Source(path=path, text=text)
    for key, resource, name, property_name, content, policy_kind in _policy_slots(resources):
        if content is None:
            raise InputError(f"{name} has no {property_name}", path=path, line=file_source.position(key.start)[0])
        ctx = _Context(path, text, file_source, _parameters(root), given, use_defaults)
        embedding: Embedding | None = None
        if content.kind == "scalar" and isinstance(content.value, str):
            if content.style == "|":
                start = text.index("\n", content.start) + 1
                embedding = block_embedding(text, start, content.end, content.value, path=path)
            elif content.style in ('"', "'") or not yaml:
                embedding = quoted_embedding(text, content.start, content.end, path=path)
            else:
                raise UnsupportedEditError(f"{name}: write {property_name} as a block scalar (|) or a quoted string", path=path)
            document, inner = scan(embedding.inner, path=path)
            node = json_node(document, inner.spans)
            editor = JsonEditor(node, JsonStyle.of(embedding.inner, node))
        elif content.kind == "object" and not _is_intrinsic(content):
            node = _resolve(ctx, content, "")
            editor = _YamlEditor(_dash_offset(text, root)) if yaml else JsonEditor(node, JsonStyle.of(text, node))
        else:
            raise InputError(
                f"{name}: {property_name} is {content.text or 'not a policy object or JSON string'}; scp-fix cannot read it",
                path=path,
                line=file_source.position(content.start)[0],
            )
        document = to_value(node)
        line, _ = file_source.position(key.start)
        policy_source = Source(path=f"{path}:{line} ({name})", text=embedding.inner if embedding else text)
        policy = policy_from_document(document, source=policy_source)
        refs = tuple(ctx.references)
        embedded = EmbeddedPolicy(
            name=name,
            document=document,
            policy=policy,
            unresolved=tuple(r for r in refs if not r.resolved),
            references=refs,
            path=path,
            kind="cloudformation",
            form=("yaml-" if yaml else "json-") + ("string" if embedding else "object"),
            parameters=dict(given),
            use_defaults=use_defaults,
            policy_kind=policy_kind,
        )
        out.append(Found(embedded, node, editor, embedding))
    return out


_IDENTITY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
_INLINE_TYPES = ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group")


def _policy_slots(resources: TextNode):
    """(key, resource, name, element, its node, policy kind) for every policy the resources hold: an SCP's
    Content, an IAM policy's PolicyDocument, and each inline policy of a role, user or group (named
    ``Resource.PolicyName``)."""
    for key, resource in zip(resources.keys, resources.items):
        rtype = _child(resource, "Type")
        props = _child(resource, "Properties")
        kind = rtype.value if rtype is not None else None
        if kind == _POLICY_TYPE:
            ptype = _child(props, "Type")
            if ptype is not None and ptype.value == "SERVICE_CONTROL_POLICY":
                yield key, resource, key.name, "Content", _child(props, "Content"), "scp"
        elif kind in _IDENTITY_TYPES:
            yield key, resource, key.name, "PolicyDocument", _child(props, "PolicyDocument"), "identity"
        elif kind in _INLINE_TYPES:
            inline = _child(props, "Policies")
            for index, item in enumerate(inline.items if inline is not None and inline.kind == "list" else ()):
                label = _child(item, "PolicyName")
                suffix = label.value if label is not None and isinstance(label.value, str) else str(index)
                yield key, resource, f"{key.name}.{suffix}", "PolicyDocument", _child(item, "PolicyDocument"), "identity"


def _dash_offset(text: str, root: TextNode) -> str:
    """How far a block sequence's dash stands right of its key in this template."""
    m = re.search(r"^( *)[^\s#-][^\n]*:[ \t]*\n( *)- ", text, re.M)
    if m and len(m.group(2)) >= len(m.group(1)):
        return " " * (len(m.group(2)) - len(m.group(1)))
    return "  "


# --- writing YAML ---------------------------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z0-9_./-][A-Za-z0-9_./:*-]*")
_AMBIGUOUS = re.compile(r"(true|false|yes|no|on|off|null|y|n|~|[-+.0-9][-+.0-9_eEx]*)", re.I)


def _yaml_scalar(value: Any, quote: str, *, flow: bool = False) -> str:
    if not isinstance(value, str):
        return json.dumps(value)
    plain = bool(_PLAIN.fullmatch(value)) and not _AMBIGUOUS.fullmatch(value) and not value.startswith("-")
    if flow and ":" in value:
        plain = False
    if quote == "'":
        return "'" + value.replace("'", "''") + "'"
    if quote == '"' or not plain:
        return json.dumps(value, ensure_ascii=False)
    return value


def _yaml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.:/-]*", name) else json.dumps(name)


def _flow_syntax() -> Syntax:
    return Syntax("yaml-flow", lambda v, q: _yaml_scalar(v, q, flow=True), _yaml_key, ": ", "#", True, False)


def _quote_of(node: TextNode) -> str:
    for item in node.items:
        if item.kind == "scalar" and isinstance(item.value, str):
            return item.style
    return ""


def _column(text: str, offset: int) -> str:
    return " " * (offset - line_start(text, offset))


@dataclass(frozen=True, slots=True)
class _YamlEditor:
    """Block collections get new lines at their own indentation; flow collections are bracketed."""

    dash: str = "  "  # a sequence's dash, right of its key
    unit: str = "  "

    def _flow(self) -> BracketEditor:
        return BracketEditor(_flow_syntax(), self.unit)

    def value(self, value: Any, key_indent: str, quote: str = "") -> str:
        """What follows ``key:`` in block style."""
        if isinstance(value, dict):
            if not value:
                return " {}"
            return "".join(
                "\n" + key_indent + self.unit + _yaml_key(k) + ":" + self.value(v, key_indent + self.unit, quote)
                for k, v in value.items()
            )
        if isinstance(value, list):
            if not value:
                return " []"
            dash = key_indent + self.dash
            return "".join("\n" + dash + "- " + self.item(v, dash + "  ", quote) for v in value)
        return " " + _yaml_scalar(value, quote)

    def item(self, value: Any, indent: str, quote: str = "") -> str:
        """What follows ``- `` in block style; ``indent`` is the column of the item's content."""
        if isinstance(value, dict) and value:
            lines = [_yaml_key(k) + ":" + self.value(v, indent, quote) for k, v in value.items()]
            return ("\n" + indent).join(lines)
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return _yaml_scalar(value, quote)

    def append(self, text: str, node: TextNode, values: Sequence[Any]) -> tuple[list[TextEdit], int]:
        if node.style != "block":
            return self._flow().append(text, node, values)
        last = node.items[-1]
        dash = text.rfind("-", line_start(text, last.start), last.start + 1)
        indent = text[line_start(text, dash) : dash]
        at = line_end(text, last.end)
        return [TextEdit(at, at, "\n" + indent + "- " + self.item(values[0], indent + "  ", _quote_of(node)))], 1

    def add(self, text: str, node: TextNode, key: str, value: Any) -> list[TextEdit]:
        if node.style != "block":
            return self._flow().add(text, node, key, value)
        indent = _column(text, node.keys[0].start)
        at = line_end(text, node.items[-1].end)
        return [TextEdit(at, at, "\n" + indent + _yaml_key(key) + ":" + self.value(value, indent))]

    def replace(self, text: str, node: TextNode, value: Any) -> list[TextEdit]:
        if node.style == "flow" or not isinstance(value, (dict, list)):
            if node.kind == "scalar" and not isinstance(value, (dict, list)):
                return [TextEdit(node.start, node.end, _yaml_scalar(value, node.style if node.style in ("'", '"') else ""))]
            return self._flow().replace(text, node, value)
        colon = text.rfind(":", line_start(text, node.start) if node.kind == "scalar" else 0, node.start)
        if colon < 0 or node.kind == "object" and node.keys and text.rfind(":", 0, node.keys[0].start) != colon:
            raise UnsupportedEditError("cannot place the new value in block style here")
        key_line = line_start(text, colon)
        key_indent = " " * (len(text[key_line:colon]) - len(text[key_line:colon].lstrip(" -")))
        return [TextEdit(colon + 1, node.end, self.value(value, key_indent, _quote_of(node)))]

    def remove(self, text: str, node: TextNode, index: int) -> list[TextEdit]:
        if node.style != "block":
            return self._flow().remove(text, node, index)
        if len(node.items) == 1:
            raise UnsupportedEditError("removing the only entry of a block collection is not supported")
        child = node.items[index]
        first = node.keys[index].start if node.kind == "object" else text.rfind("-", 0, child.start + 1)
        start = line_start(text, first)
        if text[start:first].strip(" "):
            raise UnsupportedEditError("this entry shares its line with another; remove it by hand")
        return [TextEdit(start, line_end(text, child.end) + 1, "")]

    def rename(self, text: str, node: TextNode, index: int, key: str, value: Any) -> list[TextEdit]:
        k = node.keys[index]
        return [TextEdit(k.start, k.end, _yaml_key(key)), *self.replace(text, node.items[index], value)]
