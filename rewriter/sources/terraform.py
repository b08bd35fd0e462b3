"""Policies in Terraform: service control policies (``aws_organizations_policy``'s ``content``) and identity
policies (the ``policy`` of ``aws_iam_policy`` and ``aws_iam_{role,user,group}_policy``), given as
``jsonencode({...})``, a heredoc of JSON, or ``data.aws_iam_policy_document.X.json``.

Read with python-hcl2's parser (its lark tree carries character positions); written by editing spans.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rewriter.errors import InputError, PolicyParseError
from rewriter.files import read_text
from rewriter.limits import check_nesting
from rewriter.model import Source, escape_pointer_token
from rewriter.sources import EmbeddedPolicy, Location, Reference
from rewriter.sources._embed import heredoc_embedding
from rewriter.sources._ops import BracketEditor, Found, referenced_value_error
from rewriter.sources._tree import (
    HCL_SYNTAX,
    TextEdit,
    Key,
    TextNode,
    UnsupportedEditError,
    append_item,
    line_indent,
    remove_child,
    render_bracketed,
    replace_value,
    split_pointer,
    to_value,
)

__all__ = ["load"]

_SKIP = ("new_line_or_comment",)
_ESC = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _tree(path: str, text: str):
    import hcl2
    from lark.exceptions import LarkError

    check_nesting(text, path=path)  # lark recurses per level
    try:
        return hcl2.parses_to_tree(text)
    except LarkError as error:
        line = getattr(error, "line", None)
        column = getattr(error, "column", None)
        raise PolicyParseError(f"not valid HCL: {str(error).splitlines()[0]}", path=path, line=line, column=column) from None


def _subtrees(tree) -> list:
    from lark import Tree

    return [c for c in tree.children if isinstance(c, Tree) and c.data not in _SKIP]


def _name(tree) -> str:
    return tree.children[0].value


def _blocks(body) -> list[tuple[str, list[str], Any]]:
    """(type, labels, block tree) of each block directly in a body."""
    out = []
    for child in _subtrees(body):
        if child.data == "block":
            parts = _subtrees(child)
            labels = [_string(p) for p in parts[1:] if p.data in ("string", "identifier")]
            out.append((_name(parts[0]), labels, child))
    return out


def _body(block):
    return next(c for c in _subtrees(block) if c.data == "body")


def _attributes(body) -> dict[str, tuple[Any, Any]]:
    """name -> (identifier tree, expression tree)."""
    out = {}
    for child in _subtrees(body):
        if child.data == "attribute":
            parts = _subtrees(child)
            out[_name(parts[0])] = (parts[0], parts[1])
    return out


def _string(tree) -> str:
    if tree.data == "identifier":
        return _name(tree)
    return _unescape("".join(p.children[0].value for p in _subtrees(tree) if p.data == "string_part"))


def _unescape(raw: str) -> str:
    return re.sub(r'\\(.)|\$\$\{|%%\{', lambda m: _ESC.get(m.group(1), m.group(1) or "") if m.group(1) else m.group(0)[1:], raw)


def _unwrap(tree):
    while tree.data in ("expr_term", "object_elem_key") and len(_subtrees(tree)) == 1 and len(tree.children) == 1:
        tree = _subtrees(tree)[0]
    return tree


@dataclass
class _Context:
    path: str
    text: str
    source: Source
    variables: dict[str, tuple[Any, Location | None]]  # name -> (value, where it is set)
    declared: dict[str, Location]
    references: list[Reference]
    defaulted: frozenset[str] = frozenset()  # variables whose value is their declared default

    def ref(self, tree, pointer: str) -> TextNode:
        written = self.text[tree.meta.start_pos : tree.meta.end_pos]
        line, column = self.source.position(tree.meta.start_pos)
        m = re.fullmatch(r"var\.([A-Za-z_][A-Za-z0-9_-]*)", written)
        value, resolved, origin = "${" + written + "}", False, None
        hint = "left as written; scp-fix does not evaluate it"
        needs = default = None
        if m:
            name = m.group(1)
            if name in self.variables:
                value, origin = self.variables[name]
                resolved = True
                hint = f"set at {origin}"
                default = name if name in self.defaulted else None
            else:
                origin = self.declared.get(name)
                hint = "give its value with --var-file" + (f"; declared at {origin}" if origin else "")
                needs = name
        self.references.append(Reference(pointer, line, column, written, hint, resolved, origin, needs=needs, default=default))
        return TextNode("ref", tree.meta.start_pos, tree.meta.end_pos, value=value, text=written)


def _expr(ctx: _Context, tree, pointer: str) -> TextNode:
    tree = _unwrap(tree)
    start, end = tree.meta.start_pos, tree.meta.end_pos
    if tree.data == "string" and not any(p.data == "interpolation" for p in _subtrees(tree)):
        return TextNode("scalar", start, end, value=_string(tree), style='"')
    if tree.data in ("int_lit", "float_lit"):
        try:
            value = json.loads(tree.children[0].value)
        except ValueError:  # an integer over Python's 4,300 digits
            line, column = ctx.source.position(start)
            raise PolicyParseError(
                f"a number of {len(tree.children[0].value):,} characters is too long", path=ctx.path, line=line, column=column
            ) from None
        return TextNode("scalar", start, end, value=value)
    if tree.data == "literal_value":
        return TextNode("scalar", start, end, value={"TRUE": True, "FALSE": False}.get(tree.children[0].type))
    if tree.data == "tuple":
        items = tuple(_expr(ctx, c, f"{pointer}/{i}") for i, c in enumerate(_subtrees(tree)))
        return TextNode("list", start, end, items=items)
    if tree.data == "object":
        keys, items = [], []
        for elem in _subtrees(tree):
            parts = _subtrees(elem)
            key_tree = _unwrap(parts[0])
            name = _string(key_tree)
            keys.append(Key(name, key_tree.meta.start_pos, key_tree.meta.end_pos))
            items.append(_expr(ctx, parts[1], f"{pointer}/{escape_pointer_token(name)}"))
        return TextNode("object", start, end, items=tuple(items), keys=tuple(keys))
    return ctx.ref(tree, pointer)


def _module_files(path: str) -> list[tuple[str, str, Any]]:
    """The other ``.tf`` files of the module (the folder) ``path`` is in, parsed: Terraform reads a
    module's variable declarations from all of them (``variables.tf`` beside ``main.tf``)."""
    import os

    folder = os.path.dirname(path) or "."
    if not os.path.isfile(path):
        return []
    out = []
    for name in sorted(os.listdir(folder)):
        other = os.path.join(folder, name)
        if name.endswith(".tf") and os.path.isfile(other) and not os.path.samefile(other, path):
            other_text = read_text(other, what="module file")
            out.append((other, other_text, _tree(other, other_text).children[0]))
    return out


def _auto_var_files(path: str) -> list[str]:
    """``terraform.tfvars`` and ``*.auto.tfvars`` beside the file, which Terraform loads unasked."""
    import os

    folder = os.path.dirname(path) or "."
    if not os.path.isfile(path):
        return []
    names = sorted(os.listdir(folder))
    auto = [n for n in names if n in ("terraform.tfvars", "terraform.tfvars.json")]
    auto += [n for n in names if n.endswith((".auto.tfvars", ".auto.tfvars.json"))]
    return [os.path.join(folder, n) for n in auto]


def _variables(path: str, text: str, body, var_files: Sequence[str], use_defaults: bool):
    variables: dict[str, tuple[Any, Location | None]] = {}
    declared: dict[str, Location] = {}
    for file_path, file_text, file_body in [(path, text, body), *_module_files(path)]:
        source = Source(path=file_path, text=file_text)
        for kind, labels, block in _blocks(file_body):
            if kind == "variable" and labels:
                line, column = source.position(block.meta.start_pos)
                declared[labels[0]] = Location(file_path, line, column)
                default = _attributes(_body(block)).get("default")
                if default is not None and use_defaults:
                    node = _expr(_Context(file_path, file_text, source, {}, {}, []), default[1], "")
                    line, column = source.position(node.start)
                    variables[labels[0]] = (to_value(node), Location(file_path, line, column))
    defaulted = set(variables)
    for var_file in [*_auto_var_files(path), *var_files]:
        var_text = read_text(var_file, what="var file")
        var_source = Source(path=var_file, text=var_text)
        if var_file.endswith(".json"):
            check_nesting(var_text, path=var_file, error=InputError)
            try:
                values = json.loads(var_text)
            except ValueError as error:
                where = dict(line=error.lineno, column=error.colno) if isinstance(error, json.JSONDecodeError) else {}
                raise InputError(f"not JSON: {getattr(error, 'msg', error)}", path=var_file, **where) from None
            if not isinstance(values, dict):
                raise InputError("a .tfvars.json file must hold a JSON object of variable values", path=var_file)
            for name, value in values.items():
                variables[name] = (value, Location(var_file, 1, 1))
                defaulted.discard(name)
            continue
        for name, (_, expr) in _attributes(_tree(var_file, var_text).children[0]).items():
            node = _expr(_Context(var_file, var_text, var_source, {}, {}, []), expr, "")
            line, column = var_source.position(node.start)
            variables[name] = (to_value(node), Location(var_file, line, column))
            defaulted.discard(name)
    return variables, declared, frozenset(defaulted)


# resource type -> (the attribute that holds its policy, the policy's kind)
_RESOURCES = {
    "aws_organizations_policy": ("content", "scp"),
    "aws_iam_policy": ("policy", "identity"),
    "aws_iam_role_policy": ("policy", "identity"),
    "aws_iam_user_policy": ("policy", "identity"),
    "aws_iam_group_policy": ("policy", "identity"),
}


def looks_like(text: str) -> bool:
    """HCL with a resource or data block (a JSON document is not Terraform here)."""
    return not text.lstrip("\ufeff \t\r\n").startswith("{") and ('resource "' in text or 'data "' in text)


def load(
    path: str, text: str, *, var_files: Sequence[str], use_defaults: bool, parameters: Mapping[str, str] = {}  # noqa: B006 - read only
) -> list[Found]:
    """Every policy of the file (``parameters`` are CloudFormation's: not used here)."""
    from rewriter.jsontext import scan
    from rewriter.parse import policy_from_document
    from rewriter.sources._json import JsonEditor, JsonStyle, json_node

    tree = _tree(path, text)
    body = tree.children[0]
    source = Source(path=path, text=text)
    variables, declared, defaulted = _variables(path, text, body, var_files, use_defaults)
    blocks = _blocks(body)
    documents = {labels[1]: block for kind, labels, block in blocks if kind == "data" and labels[:1] == ["aws_iam_policy_document"]}
    out: list[Found] = []
    for kind, labels, block in blocks:
        if kind != "resource" or len(labels) < 2 or labels[0] not in _RESOURCES:
            continue
        attrs = _attributes(_body(block))
        element, policy_kind = _RESOURCES[labels[0]]
        ptype = attrs.get("type")
        if policy_kind == "scp" and ptype is not None and _string(_unwrap(ptype[1])) != "SERVICE_CONTROL_POLICY":
            continue
        name = f"{labels[0]}.{labels[1]}"
        if element not in attrs:
            raise InputError(f"{name} has no {element}", path=path, line=source.position(block.meta.start_pos)[0])
        ctx = _Context(path, text, source, variables, declared, [], defaulted)
        content = _unwrap(attrs[element][1])
        written = text[content.meta.start_pos : content.meta.end_pos]
        embedding, custom, editor, node = None, None, None, None
        if content.data == "function_call" and _name(_subtrees(content)[0]) == "jsonencode":
            node = _expr(ctx, _subtrees(_subtrees(content)[1])[0], "")
            editor, form = BracketEditor(HCL_SYNTAX), "jsonencode"
        elif content.data.startswith("heredoc_template"):
            token = content.children[0]
            embedding = heredoc_embedding(text, token.start_pos, token.end_pos, path=path)
            document, inner = scan(embedding.inner, path=path)
            node = json_node(document, inner.spans)
            editor, form = JsonEditor(node, JsonStyle.of(embedding.inner, node)), "heredoc"
        elif (m := re.fullmatch(r"data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json", written)) and m.group(1) in documents:
            doc = _PolicyDocument.read(ctx, documents[m.group(1)])
            node, custom, form = doc.node, doc.edits, "policy-document"
        else:
            raise InputError(f"{name}: {element} is {written[:60]!r}; scp-fix reads jsonencode, a heredoc or an aws_iam_policy_document in the same file", path=path, line=source.position(content.meta.start_pos)[0])
        document = to_value(node)
        line, _ = source.position(block.meta.start_pos)
        policy = policy_from_document(document, source=Source(path=f"{path}:{line} ({name})", text=embedding.inner if embedding else text))
        refs = tuple(ctx.references)
        embedded = EmbeddedPolicy(name, document, policy, tuple(r for r in refs if not r.resolved), refs, path, "terraform", form,
                                  {}, tuple(var_files), use_defaults, policy_kind)
        found = Found(embedded, node, editor, embedding)
        if custom is not None:
            found = Found(embedded, node, None, None, lambda t, ops, f=found, d=doc: d.edits(t, ops, f))
        out.append(found)
    return out


def _condition_blocks(ctx: _Context, body, scope: dict[str, Any] | None):
    """(condition block, scope to read it in: None for a static one) of a statement body, with each
    dynamic "condition" block expanded."""
    for kind, labels, cblock in _blocks(body):
        if kind == "condition":
            yield cblock, scope
        elif kind == "dynamic" and labels[:1] == ["condition"]:
            content = _content(ctx, cblock, "condition")
            for inner in _expansions(ctx, cblock, scope or {}, "condition"):
                yield content, inner


def _to_string(node: TextNode) -> str:
    return node.value if isinstance(node.value, str) else json.dumps(node.value)


# --- aws_iam_policy_document ----------------------------------------------------------------------

_ELEMENTS = (("sid", "Sid"), ("effect", "Effect"), ("actions", "Action"), ("not_actions", "NotAction"),
             ("resources", "Resource"), ("not_resources", "NotResource"))
_ATTRIBUTE = {element: attr for attr, element in _ELEMENTS}


@dataclass
class _Statement:
    block: Any
    attrs: dict[str, tuple[Any, TextNode]]  # HCL name -> (identifier tree, value node)
    conditions: list[tuple[Any, str, str, TextNode]]  # (block, test, variable, values node)
    dynamic: bool = False  # expanded from a dynamic "statement" block: read, never edited


class _Unknown(Exception):
    """An expression scp-fix cannot evaluate; the message says what it reads."""


class _Evaluator:
    """Evaluates the small part of HCL that ``dynamic`` blocks use: literals, ``var.x``, the block's
    iterator (``statement.value.sid``, ``statement.key``), ``cond ? a : b``, comparisons, ``!``,
    ``&&``/``||`` and ``length``/``keys``/``values``/``toset``/``tolist``/``concat``/``contains``."""

    def __init__(self, ctx: _Context, scope: dict[str, Any]) -> None:
        self.ctx, self.scope = ctx, scope

    def written(self, tree) -> str:
        return self.ctx.text[tree.meta.start_pos : tree.meta.end_pos]

    def value(self, tree) -> Any:
        tree = _unwrap(tree)
        kind = tree.data
        if kind == "tuple":
            return [self.value(c) for c in _subtrees(tree)]
        if kind == "object":
            return {_string(_unwrap(_subtrees(e)[0])): self.value(_subtrees(e)[1]) for e in _subtrees(tree)}
        if kind == "literal_value":
            return {"TRUE": True, "FALSE": False}.get(tree.children[0].type)
        if kind in ("int_lit", "float_lit"):
            return json.loads(tree.children[0].value)
        if kind == "string":
            parts = []
            for part in _subtrees(tree):
                inner = [c for c in _subtrees(part) if c.data == "interpolation"]
                parts.append(str(self.value(_subtrees(inner[0])[0])) if inner else _unescape(part.children[0].value))
            return "".join(parts)
        if kind == "identifier":
            name = _name(tree)
            if name in self.scope:
                return self.scope[name]
            raise _Unknown(name)
        if kind == "get_attr_expr_term":
            base, attr = _subtrees(tree)
            name = _name(_subtrees(attr)[0])
            if _unwrap(base).data == "identifier" and _name(_unwrap(base)) == "var":
                return self.variable(name, tree)
            return self.member(self.value(base), name, tree)
        if kind == "index_expr_term":
            base, index = _subtrees(tree)
            return self.member(self.value(base), self.value(_subtrees(index)[0]), tree)
        if kind == "conditional":
            test, yes, no = _subtrees(tree)
            return self.value(yes) if self.value(test) else self.value(no)
        if kind == "unary_op":
            operand = self.value(_subtrees(tree)[-1])
            return not operand if tree.children[0] == "!" or getattr(tree.children[0], "value", "") == "!" else -operand
        if kind == "binary_op":
            left, term = _subtrees(tree)
            operator, right = _subtrees(term)
            return self.binary(operator.children[0].value, self.value(left), self.value(right), tree)
        if kind == "function_call":
            name = _name(_subtrees(tree)[0])
            arguments = [self.value(a) for args in _subtrees(tree)[1:] for a in _subtrees(args)]
            return self.call(name, arguments, tree)
        raise _Unknown(self.written(tree))

    def variable(self, name: str, tree) -> Any:
        if name in self.ctx.variables:
            return self.ctx.variables[name][0]
        raise _Unknown(f"var.{name}")

    def member(self, value: Any, key: Any, tree) -> Any:
        try:
            return value[key] if not isinstance(value, list) else value[int(key)]
        except (KeyError, IndexError, TypeError, ValueError):
            raise _Unknown(self.written(tree)) from None

    def binary(self, operator: str, left: Any, right: Any, tree) -> Any:
        table = {"==": lambda: left == right, "!=": lambda: left != right, "&&": lambda: left and right,
                 "||": lambda: left or right, ">": lambda: left > right, ">=": lambda: left >= right,
                 "<": lambda: left < right, "<=": lambda: left <= right}
        if operator not in table:
            raise _Unknown(self.written(tree))
        try:
            return table[operator]()
        except TypeError:
            raise _Unknown(self.written(tree)) from None

    def call(self, name: str, arguments: list[Any], tree) -> Any:
        functions = {
            "length": lambda a: len(a), "keys": lambda a: sorted(a), "values": lambda a: [a[k] for k in sorted(a)],
            "toset": lambda a: sorted(set(a), key=str), "tolist": lambda a: list(a), "tomap": lambda a: dict(a),
            "concat": lambda *a: [x for part in a for x in part], "contains": lambda a, v: v in a,
        }
        if name not in functions:
            raise _Unknown(f"{name}()")
        try:
            return functions[name](*arguments)
        except TypeError:
            raise _Unknown(self.written(tree)) from None


def _expansions(ctx: _Context, block, scope: dict[str, Any], what: str) -> list[dict[str, Any]]:
    """The scopes a ``dynamic`` block's content is read in, one per element of its ``for_each``.
    Raises ``InputError`` naming the block when ``for_each`` cannot be evaluated."""
    attrs = _attributes(_body(block))
    line, _ = ctx.source.position(block.meta.start_pos)
    where = f'the dynamic "{what}" block at {ctx.path}:{line}'
    if "for_each" not in attrs:
        raise InputError(f"{where} has no for_each", path=ctx.path, line=line)
    iterator = _string(_unwrap(attrs["iterator"][1])) if "iterator" in attrs else what
    try:
        collection = _Evaluator(ctx, scope).value(attrs["for_each"][1])
    except _Unknown as unknown:
        name = str(unknown)
        if name.startswith("var.") and name[4:] in ctx.declared:
            raise InputError(f"needs a value for {name[4:]} ({ctx.declared[name[4:]]}); set {name[4:]} in a --var-file") from None
        raise InputError(f"{where} cannot be expanded: its for_each reads {name}, which scp-fix does not evaluate",
                         path=ctx.path, line=line) from None
    _note_defaults(ctx, attrs["for_each"][1])
    if isinstance(collection, dict):
        pairs = list(collection.items())
    elif isinstance(collection, (list, tuple)):
        pairs = [(item, item) if what == "set" else (i, item) for i, item in enumerate(collection)]
    else:
        raise InputError(f"{where} cannot be expanded: its for_each is {collection!r}, not a list or a map", path=ctx.path, line=line)
    return [{**scope, iterator: {"key": key, "value": value}} for key, value in pairs]


def _note_defaults(ctx: _Context, tree) -> None:
    """Record, once per variable, that a for_each took a variable's declared default: the expansion,
    and so the decision, holds only while nobody sets it."""
    written = ctx.text[tree.meta.start_pos : tree.meta.end_pos]
    line, column = ctx.source.position(tree.meta.start_pos)
    seen = {r.default for r in ctx.references}
    for name in dict.fromkeys(re.findall(r"\bvar\.([A-Za-z_][A-Za-z0-9_-]*)", written)):
        if name in ctx.defaulted and name not in seen:
            _, origin = ctx.variables[name]
            # "#for_each" is no JSON Pointer, so no edit is ever attributed to this reference
            ctx.references.append(Reference("#for_each", line, column, f"for_each = {written}", "resolved", True, origin, default=name))


def _content(ctx: _Context, block, what: str):
    content = next((b for kind, _, b in _blocks(_body(block)) if kind == "content"), None)
    if content is None:
        line, _ = ctx.source.position(block.meta.start_pos)
        raise InputError(f'the dynamic "{what}" block at {ctx.path}:{line} has no content block', path=ctx.path, line=line)
    return content


def _evaluated(ctx: _Context, tree, scope: dict[str, Any], pointer: str) -> TextNode:
    """A value inside a dynamic block's content, as a read-only node."""
    try:
        value = _Evaluator(ctx, scope).value(tree)
    except _Unknown as unknown:
        name = str(unknown)
        if name.startswith("var.") and name[4:] in ctx.declared:
            raise InputError(f"needs a value for {name[4:]} ({ctx.declared[name[4:]]}); set {name[4:]} in a --var-file") from None
        return ctx.ref(tree, pointer)
    return TextNode("ref", tree.meta.start_pos, tree.meta.end_pos, value=value, text=ctx.text[tree.meta.start_pos : tree.meta.end_pos])


@dataclass
class _PolicyDocument:
    block: Any
    statements: list[_Statement]
    node: TextNode

    @classmethod
    def read(cls, ctx: _Context, block) -> _PolicyDocument:
        statements, nodes = [], []
        bodies: list[tuple[Any, Any, dict[str, Any] | None]] = []  # (block, body, scope of a dynamic one)
        for kind, labels, sblock in _blocks(_body(block)):
            if kind == "statement":
                bodies.append((sblock, _body(sblock), None))
            elif kind == "dynamic" and labels[:1] == ["statement"]:
                content = _content(ctx, sblock, "statement")
                bodies.extend((sblock, _body(content), scope) for scope in _expansions(ctx, sblock, {}, "statement"))
        for index, (sblock, body, scope) in enumerate(bodies):
            pointer = f"/Statement/{index}"
            attrs = {}
            for name, (ident, expr) in _attributes(body).items():
                element = dict(_ELEMENTS).get(name)
                if element:
                    at = f"{pointer}/{element}"
                    attrs[name] = (ident, _expr(ctx, expr, at) if scope is None else _evaluated(ctx, expr, scope, at))
            conditions = []
            for cblock, cscope in _condition_blocks(ctx, body, scope):
                cattrs = _attributes(_body(cblock))
                read = (lambda t, at, sc=cscope: _to_string(_evaluated(ctx, t, sc, at))) if cscope is not None else (lambda t, at: _string(_unwrap(t)))
                test = read(cattrs["test"][1], "")
                variable = read(cattrs["variable"][1], "")
                at = f"{pointer}/Condition/{escape_pointer_token(test)}/{escape_pointer_token(variable)}"
                values = _expr(ctx, cattrs["values"][1], at) if cscope is None else _evaluated(ctx, cattrs["values"][1], cscope, at)
                conditions.append((cblock, test, variable, values))
            statements.append(_Statement(sblock, attrs, conditions, dynamic=scope is not None))
            keys, items = [], []
            if "effect" not in attrs:
                keys.append(Key("Effect", -1, -1))
                items.append(TextNode("scalar", -1, -1, value="Allow"))
            for name, element in _ELEMENTS:
                if name in attrs:
                    keys.append(Key(element, -1, -1))
                    items.append(attrs[name][1])
            if conditions:
                ops: dict[str, list[tuple[str, TextNode]]] = {}
                for _, test, variable, values in conditions:
                    ops.setdefault(test, []).append((variable, values))
                cond = TextNode("object", -1, -1, keys=tuple(Key(t, -1, -1) for t in ops),
                            items=tuple(TextNode("object", -1, -1, keys=tuple(Key(v, -1, -1) for v, _ in vs), items=tuple(n for _, n in vs)) for vs in ops.values()))
                keys.append(Key("Condition", -1, -1))
                items.append(cond)
            nodes.append(TextNode("object", -1, -1, keys=tuple(keys), items=tuple(items)))
        root = TextNode("object", -1, -1, keys=(Key("Version", -1, -1), Key("Statement", -1, -1)),
                    items=(TextNode("scalar", -1, -1, value="2012-10-17"), TextNode("list", -1, -1, items=tuple(nodes))))
        return cls(block, statements, root)

    # Each operation on the rendered document becomes an edit of the blocks that render it.
    def edits(self, text: str, ops: list[dict[str, Any]], found: Found) -> tuple[list[TextEdit], int]:
        op = ops[0]
        kind, tokens, value = op.get("op"), split_pointer(op.get("path", "")), op.get("value")
        path = found.embedded.path
        unsupported = UnsupportedEditError(f"cannot express {kind} {op.get('path')} in an aws_iam_policy_document", path=path, pointer=op.get("path"))
        if tokens == ["Statement", "-"] and kind == "add":
            last = self.statements[-1].block if self.statements else None
            indent = line_indent(text, last.meta.start_pos) if last else "  "
            at = last.meta.end_pos if last else self.block.meta.end_pos - 1
            return [TextEdit(at, at, "\n\n" + indent + _render_statement(value, indent))], 1
        if len(tokens) < 3 or tokens[0] != "Statement" or not tokens[1].isdigit() or int(tokens[1]) >= len(self.statements):
            raise unsupported
        statement = self.statements[int(tokens[1])]
        if statement.dynamic:
            raise UnsupportedEditError(
                f"statement {int(tokens[1]) + 1} comes from a dynamic \"statement\" block; change the values it is made from",
                path=path, pointer=op.get("path"),
            )
        indent = line_indent(text, statement.block.meta.start_pos) + "  "
        rest = tokens[2:]
        if rest[0] == "Condition":
            if kind == "add" and len(rest) in (2, 3):
                pairs = value.items() if len(rest) == 2 else [(rest[2], value)]
                if len(rest) == 2 and rest[1] == "-":
                    raise unsupported
                if any(t == rest[1] and v == var for _, t, v, _ in statement.conditions for var, _ in pairs):
                    raise unsupported  # would replace an existing condition block
                blocks = "".join("\n\n" + indent + _render_condition(rest[1], var, vals, indent) for var, vals in pairs)
                anchor = statement.conditions[-1][0] if statement.conditions else None
                at = anchor.meta.end_pos if anchor else _last_line_end(text, statement.block)
                return [TextEdit(at, at, blocks)], 1
            if len(rest) == 4:
                match = [n for _, t, v, n in statement.conditions if t == rest[1] and v == rest[2]]
                if not match:
                    raise unsupported
                values = match[0]
                if values.kind == "ref":
                    raise referenced_value_error(found, "/" + "/".join(escape_pointer_token(t) for t in tokens[:-1]))
                if kind == "add" and rest[3] in ("-", str(len(values.items))):
                    return append_item(text, values, value, HCL_SYNTAX), 1
                if kind == "remove" and rest[3].isdigit() and int(rest[3]) < len(values.items):
                    return remove_child(text, values, int(rest[3])), 1
            raise unsupported
        if len(rest) != 1 or rest[0] not in _ATTRIBUTE:
            raise unsupported
        attr = _ATTRIBUTE[rest[0]]
        if kind == "remove" and attr in ("actions", "not_actions", "resources", "not_resources") and len(ops) > 1:
            other = {"actions": "not_actions", "not_actions": "actions", "resources": "not_resources", "not_resources": "resources"}[attr]
            element = dict(_ELEMENTS)[other]
            follow = ops[1]
            if follow.get("op") == "add" and follow.get("path") == f"/Statement/{tokens[1]}/{element}" and attr in statement.attrs:
                ident, node = statement.attrs[attr]
                if node.kind == "ref":
                    raise referenced_value_error(found, op["path"])
                new = follow["value"] if isinstance(follow["value"], list) else [follow["value"]]
                # keep the "=" where terraform fmt aligned it, when the new name fits
                eq = text.index("=", ident.meta.end_pos)
                width = max(eq - ident.meta.start_pos, len(other) + 1)
                return [TextEdit(ident.meta.start_pos, eq, other.ljust(width)),
                        *replace_value(text, node, new, HCL_SYNTAX)], 2
        if kind in ("add", "replace") and attr in statement.attrs:
            node = statement.attrs[attr][1]
            if node.kind == "ref":
                raise referenced_value_error(found, op["path"])
            new = value if attr in ("sid", "effect") or isinstance(value, list) else [value]
            return replace_value(text, node, new, HCL_SYNTAX), 1
        raise unsupported


def _last_line_end(text: str, block) -> int:
    """Just before the line of a block's closing brace."""
    close = block.meta.end_pos - 1
    return text.rfind("\n", 0, close)


def _hcl(value: Any, indent: str) -> str:
    return render_bracketed(value, HCL_SYNTAX, indent=indent, unit="  ", multiline=True)


def _render_condition(test: str, variable: str, values: Any, indent: str) -> str:
    values = values if isinstance(values, list) else [values]
    inner = indent + "  "
    return ("condition {\n" + inner + f"test     = {_hcl(test, inner)}\n" + inner + f"variable = {_hcl(variable, inner)}\n"
            + inner + f"values   = {_hcl(values, inner)}\n" + indent + "}")


def _render_statement(statement: dict[str, Any], indent: str) -> str:
    inner = indent + "  "
    lines = []
    for attr, element in _ELEMENTS:
        if element in statement:
            value = statement[element]
            if attr not in ("sid", "effect") and not isinstance(value, list):
                value = [value]
            lines.append((attr, _hcl(value, inner)))
    width = max(len(a) for a, _ in lines)
    body = "".join(inner + a.ljust(width) + " = " + v + "\n" for a, v in lines)
    for test, keys in statement.get("Condition", {}).items():
        for variable, values in keys.items():
            body += "\n" + inner + _render_condition(test, variable, values, inner) + "\n"
    return "statement {\n" + body + indent + "}"
