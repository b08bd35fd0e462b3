"""An organization as data: its tree, its SCPs with their content, and where each is attached.

A snapshot is what ``scp-fix org snapshot`` writes and every other ``org`` command reads. It holds
the policies as AWS returned them, so a policy AWS would reject (moto accepts non-JSON and
over-long content) is kept and reported as a ``Finding`` rather than silently dropped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rewriter.errors import InputError, ScpFixError
from rewriter.model import Policy

__all__ = [
    "SNAPSHOT_FORMAT",
    "SCP_SIZE_LIMIT",
    "FULL_AWS_ACCESS_ID",
    "OrgNode",
    "OrgPolicy",
    "Finding",
    "Snapshot",
    "validate_policy",
    "build_snapshot",
    "snapshot_to_json",
    "snapshot_from_json",
    "load_snapshot",
    "policy_file_name",
]

SNAPSHOT_FORMAT = "scp-fix/org-snapshot@1"
SCP_SIZE_LIMIT = 5120
FULL_AWS_ACCESS_ID = "p-FullAWSAccess"
KINDS = ("root", "ou", "account")
MAX_SNAPSHOT_BYTES = 256 * 1024 * 1024  # a whole organization: thousands of accounts and SCPs
MAX_TREE_DEPTH = 7  # a root, at most five levels of OUs (an AWS Organizations quota), an account

_ACCOUNT_ID = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._+-]+")


@dataclass(frozen=True, slots=True)
class OrgNode:
    """A root, an OU or an account. ``parent`` is None for a root."""

    id: str
    name: str
    kind: str  # "root" | "ou" | "account"
    parent: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")


@dataclass(frozen=True, slots=True)
class OrgPolicy:
    """One SCP as Organizations returns it; ``content`` is the text exactly as stored."""

    id: str
    name: str
    content: str
    description: str = ""
    aws_managed: bool = False
    arn: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id})"


@dataclass(frozen=True, slots=True)
class Finding:
    """A policy that AWS would not accept as an SCP: ``code`` is "invalid-policy" or "too-large"."""

    policy_id: str
    policy_name: str
    code: str
    message: str
    line: int | None = None
    column: int | None = None
    pointer: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "policy": {"id": self.policy_id, "name": self.policy_name},
            "code": self.code,
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "pointer": self.pointer,
        }

    @property
    def evaluable(self) -> bool:
        """A too-large policy still reads as a policy; an invalid one cannot be evaluated."""
        return self.code != "invalid-policy"


def policy_file_name(policy: OrgPolicy) -> str:
    """``<policy-name>.json``, with characters a file name should not hold replaced."""
    stem = _UNSAFE_NAME.sub("_", policy.name).strip("._") or policy.id
    return f"{stem}.json"


def validate_policy(policy: OrgPolicy) -> tuple[tuple[Finding, ...], Policy | None]:
    """scp-fix's own parser plus the 5,120-character limit (counted minified, as AWS does after
    the console strips whitespace). Returns the findings and the parsed policy when it parses."""
    from rewriter.parse import parse_policy

    try:
        parsed = parse_policy(policy.content, path=policy_file_name(policy))
    except ScpFixError as error:
        finding = Finding(
            policy.id, policy.name, "invalid-policy", error.message,
            error.line, error.column, error.pointer,
        )
        return (finding,), None
    minified = json.dumps(parsed.document, separators=(",", ":"), ensure_ascii=False)
    if len(minified) > SCP_SIZE_LIMIT:
        message = (
            f"{len(minified)} characters minified, over the {SCP_SIZE_LIMIT}-character SCP limit "
            "(AWS rejects it; the API that stored it did not check)"
        )
        return (Finding(policy.id, policy.name, "too-large", message),), parsed
    return (), parsed


@dataclass(frozen=True, slots=True, eq=False)
class Snapshot:
    """The organization. ``attachments`` maps a target id (root, OU, account) to its SCP ids."""

    nodes: tuple[OrgNode, ...]
    policies: tuple[OrgPolicy, ...]
    attachments: Mapping[str, tuple[str, ...]]
    findings: tuple[Finding, ...] = ()
    created: str | None = None
    source: str | None = None
    # Indexes, built once: a check walks thousands of paths.
    _nodes: dict[str, OrgNode] = field(default_factory=dict, init=False, repr=False)
    _children: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False)
    _policies: dict[str, OrgPolicy] = field(default_factory=dict, init=False, repr=False)
    _parsed: dict[str, Policy | None] = field(default_factory=dict, init=False, repr=False)
    _paths: dict[str, tuple[OrgNode, ...]] = field(default_factory=dict, init=False, repr=False)
    _mentions: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for node in self.nodes:
            if node.id in self._nodes:
                raise InputError(f"the snapshot lists {node.id} twice")
            self._nodes[node.id] = node
        for node in self.nodes:
            if node.parent is not None:
                if node.parent not in self._nodes:
                    raise InputError(f"{node.id} names parent {node.parent}, which the snapshot does not hold")
                self._children.setdefault(node.parent, []).append(node.id)
        self._check_tree()
        for policy in self.policies:
            self._policies[policy.id] = policy
        for target, ids in self.attachments.items():
            if target not in self._nodes:
                raise InputError(f"a policy is attached to {target}, which the snapshot does not hold")
            for pid in ids:
                if pid not in self._policies:
                    raise InputError(f"{target} has policy {pid} attached, which the snapshot does not hold")

    def _check_tree(self) -> None:
        """Every node's parents lead up to a root, within the depth AWS allows: a hand-edited
        snapshot may hold a cycle, which would make every walk up the tree go round for ever."""
        depth: dict[str, int] = {}  # node id -> nodes from its root down to it
        for node in self.nodes:
            chain: list[str] = []
            current: OrgNode | None = node
            while current is not None and current.id not in depth:
                if current.id in chain:
                    loop = chain[chain.index(current.id):] + [current.id]
                    raise InputError(f"the snapshot's parents form a cycle: {' -> '.join(loop)}")
                chain.append(current.id)
                current = self._nodes[current.parent] if current.parent is not None else None
            below = depth[current.id] if current is not None else 0
            for offset, node_id in enumerate(reversed(chain), 1):
                depth[node_id] = below + offset
            if depth[node.id] > MAX_TREE_DEPTH:
                raise InputError(
                    f"{node.id} is {depth[node.id] - 1} levels below its root; AWS Organizations allows "
                    f"{MAX_TREE_DEPTH - 2} levels of OUs"
                )

    # -- look-ups ------------------------------------------------------------------------------

    def node(self, node_id: str) -> OrgNode:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise InputError(f"no root, OU or account {node_id!r} in the organization") from None

    def policy(self, policy_id: str) -> OrgPolicy:
        return self._policies[policy_id]

    @property
    def accounts(self) -> tuple[OrgNode, ...]:
        return tuple(n for n in self.nodes if n.kind == "account")

    def children(self, node_id: str) -> tuple[OrgNode, ...]:
        return tuple(self._nodes[c] for c in self._children.get(node_id, ()))

    def path(self, node_id: str) -> tuple[OrgNode, ...]:
        """The nodes from the root down to ``node_id``, both included."""
        cached = self._paths.get(node_id)
        if cached is not None:
            return cached
        node = self.node(node_id)
        if node.parent is None:
            result: tuple[OrgNode, ...] = (node,)
        else:
            result = self.path(node.parent) + (node,)  # OU depth is at most 5: no deep recursion
        self._paths[node_id] = result
        return result

    def attached(self, node_id: str) -> tuple[str, ...]:
        return self.attachments.get(node_id, ())

    def levels(self, account_id: str) -> tuple[tuple[str, ...], ...]:
        """The policy ids at each level of an account's path, root first."""
        return tuple(self.attached(n.id) for n in self.path(account_id))

    def accounts_under(self, node_id: str) -> tuple[OrgNode, ...]:
        """Every account at or below a node."""
        out: list[OrgNode] = []
        stack = [node_id]
        while stack:
            current = self._nodes[stack.pop()]
            if current.kind == "account":
                out.append(current)
            stack.extend(reversed(self._children.get(current.id, ())))
        return tuple(out)

    def nodes_under(self, node_id: str) -> tuple[OrgNode, ...]:
        """The node and every OU and account below it, depth first."""
        out: list[OrgNode] = []
        stack = [node_id]
        while stack:
            current = self._nodes[stack.pop()]
            out.append(current)
            stack.extend(reversed(self._children.get(current.id, ())))
        return tuple(out)

    def targets_of(self, policy_id: str) -> tuple[OrgNode, ...]:
        return tuple(self._nodes[t] for t, ids in self.attachments.items() if policy_id in ids)

    def level_label(self, node: OrgNode) -> str:
        """How a person names a level: ``root``, ``OU Root/Sales/EMEA (ou-…)``, ``account 1111… (name)``."""
        if node.kind == "root":
            return f"root ({node.id})"
        if node.kind == "account":
            return f"account {node.id} ({node.name})"
        names = "/".join(n.name for n in self.path(node.id))
        return f"OU {names} ({node.id})"

    # -- policies ------------------------------------------------------------------------------

    def parsed(self, policy_id: str) -> Policy | None:
        """The parsed policy, or None when it does not parse (see ``findings``). Parsed once."""
        if policy_id not in self._parsed:
            _, parsed = validate_policy(self._policies[policy_id])
            self._parsed[policy_id] = parsed
        return self._parsed[policy_id]

    def mentions(self, policy_id: str) -> frozenset[str]:
        """The 12-digit numbers (account ids) a policy's text names."""
        found = self._mentions.get(policy_id)
        if found is None:
            found = account_ids_in(self._policies[policy_id].content)
            self._mentions[policy_id] = found
        return found

    def invalid_ids(self) -> frozenset[str]:
        return frozenset(f.policy_id for f in self.findings if not f.evaluable)


def account_ids_in(text: str) -> frozenset[str]:
    """The 12-digit numbers (account ids) a policy's text names."""
    return frozenset(_ACCOUNT_ID.findall(text))


def build_snapshot(
    nodes: Iterable[OrgNode],
    policies: Iterable[OrgPolicy],
    attachments: Mapping[str, Sequence[str]],
    *,
    created: str | None = None,
    source: str | None = None,
) -> Snapshot:
    """A snapshot with every policy validated (findings filled in)."""
    policies = tuple(policies)
    findings: list[Finding] = []
    parsed: dict[str, Policy | None] = {}
    for policy in policies:
        found, result = validate_policy(policy)
        findings.extend(found)
        parsed[policy.id] = result
    snapshot = Snapshot(
        tuple(nodes), policies, {k: tuple(v) for k, v in attachments.items()},
        tuple(findings), created, source,
    )
    snapshot._parsed.update(parsed)
    return snapshot


def snapshot_to_json(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "format": SNAPSHOT_FORMAT,
        "created": snapshot.created,
        "source": snapshot.source,
        "nodes": [
            {"id": n.id, "name": n.name, "kind": n.kind, "parent": n.parent} for n in snapshot.nodes
        ],
        "policies": [
            {
                "id": p.id, "name": p.name, "description": p.description,
                "aws_managed": p.aws_managed, "arn": p.arn, "content": p.content,
            }
            for p in snapshot.policies
        ],
        "attachments": {target: list(ids) for target, ids in snapshot.attachments.items()},
        "findings": [f.to_json() for f in snapshot.findings],
    }


def _field(entry: Any, key: str, kind: type | tuple[type, ...], where: str, *, path: str, required: bool = True) -> Any:
    if not isinstance(entry, dict):
        raise InputError(f"{where} must be an object", path=path)
    if key not in entry:
        if required:
            raise InputError(f"{where} has no {key!r}", path=path)
        return None
    value = entry[key]
    if value is None and not required:
        return None
    if not isinstance(value, kind):
        raise InputError(f"{where}.{key} has the wrong type ({type(value).__name__})", path=path)
    return value


def snapshot_from_json(data: Any, *, path: str = "<snapshot>") -> Snapshot:
    """Read a snapshot document; every shape error is an ``InputError`` naming the file.

    The findings stored in the file are kept as written (``org snapshot`` validated every policy);
    a policy that fails to parse when evaluated is reported then.
    """
    if not isinstance(data, dict):
        raise InputError("a snapshot must be a JSON object", path=path)
    found = data.get("format")
    if found != SNAPSHOT_FORMAT:
        raise InputError(
            f"not an scp-fix organization snapshot (format {found!r}, expected {SNAPSHOT_FORMAT!r}); "
            "write one with 'scp-fix org snapshot'",
            path=path,
        )
    nodes = []
    for i, entry in enumerate(_field(data, "nodes", list, "the snapshot", path=path)):
        where = f"nodes[{i}]"
        kind = _field(entry, "kind", str, where, path=path)
        if kind not in KINDS:
            raise InputError(f"{where}.kind must be one of {', '.join(KINDS)}", path=path)
        nodes.append(OrgNode(
            _field(entry, "id", str, where, path=path),
            _field(entry, "name", str, where, path=path, required=False) or "",
            kind,
            _field(entry, "parent", str, where, path=path, required=False),
        ))
    policies = []
    for i, entry in enumerate(_field(data, "policies", list, "the snapshot", path=path)):
        where = f"policies[{i}]"
        policies.append(OrgPolicy(
            _field(entry, "id", str, where, path=path),
            _field(entry, "name", str, where, path=path, required=False) or "",
            _field(entry, "content", str, where, path=path),
            _field(entry, "description", str, where, path=path, required=False) or "",
            bool(_field(entry, "aws_managed", bool, where, path=path, required=False)),
            _field(entry, "arn", str, where, path=path, required=False),
        ))
    attachments: dict[str, tuple[str, ...]] = {}
    for target, ids in _field(data, "attachments", dict, "the snapshot", path=path).items():
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise InputError(f"attachments[{target!r}] must be a list of policy ids", path=path)
        attachments[target] = tuple(ids)
    findings = []
    for i, entry in enumerate(_field(data, "findings", list, "the snapshot", path=path, required=False) or ()):
        where = f"findings[{i}]"
        policy = _field(entry, "policy", dict, where, path=path)
        findings.append(Finding(
            _field(policy, "id", str, f"{where}.policy", path=path),
            _field(policy, "name", str, f"{where}.policy", path=path, required=False) or "",
            _field(entry, "code", str, where, path=path),
            _field(entry, "message", str, where, path=path),
            _field(entry, "line", int, where, path=path, required=False),
            _field(entry, "column", int, where, path=path, required=False),
            _field(entry, "pointer", str, where, path=path, required=False),
        ))
    try:
        return Snapshot(
            tuple(nodes), tuple(policies), attachments, tuple(findings),
            _field(data, "created", str, "the snapshot", path=path, required=False),
            _field(data, "source", str, "the snapshot", path=path, required=False),
        )
    except InputError as error:
        raise InputError(error.message, path=path) from None


def load_snapshot(path: str) -> Snapshot:
    """Read a snapshot file."""
    from rewriter.files import read_text
    from rewriter.limits import check_nesting

    text = read_text(path, what="snapshot file", limit=MAX_SNAPSHOT_BYTES)
    check_nesting(text, path=path, error=InputError)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"not JSON: {error.msg}", path=path, line=error.lineno, column=error.colno) from None
    except ValueError as error:  # an integer over Python's 4,300 digits
        raise InputError(f"not a snapshot: {error}", path=path) from None
    return snapshot_from_json(data, path=path)
