"""Organization results as JSON documents and as text. No printing here: the CLI prints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from rewriter.model import statement_label
from rewriter.org.check import AccountCheck, OrgDenial, OrgCheck
from rewriter.org.propose import OrgProposal, PolicyChange
from rewriter.org.snapshot import Finding, OrgNode
from rewriter.vocabulary import Status

__all__ = ["org_check_to_json", "org_check_json_chunks", "org_check_to_text", "org_proposal_to_json", "org_proposal_to_text", "findings_text"]


def _node(node: OrgNode) -> dict[str, Any]:
    return {"id": node.id, "name": node.name, "kind": node.kind}


def _grouped(denials: tuple[OrgDenial, ...]) -> dict[tuple[Any, ...], list[OrgDenial]]:
    """Denials of one profile and source by (level, policy, statement): one line each, Regions merged."""
    groups: dict[tuple[Any, ...], list[OrgDenial]] = {}
    for d in denials:
        key = (d.profile, d.source_region, d.node.id, d.policy.id if d.policy else None, d.statement_index)
        groups.setdefault(key, []).append(d)
    return groups


def _account_head(item: AccountCheck) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account": item.account.id,
        "name": item.account.name,
        "path": [_node(n) for n in item.path],
        "status": item.status,
        "blocked": item.blocked,
    }
    if item.invalid:
        data["invalid_policies"] = [{"id": p.id, "name": p.name} for p in item.invalid]
    else:
        data["evaluated_as"] = item.evaluated_as
    return data


def _account_result(item: AccountCheck) -> dict[str, Any]:
    """What the account's evaluation found: the same for every account with the same ``_result_key``."""
    result = item.result
    assert result is not None
    groups = _grouped(item.denials)
    profiles = []
    for check in result.checks:
        denials = [
            {
                "level": ds[0].level_kind,
                "target": _node(ds[0].node),
                "level_label": ds[0].level_label,
                "policy": {"id": ds[0].policy.id, "name": ds[0].policy.name} if ds[0].policy else None,
                "statement": (
                    {"index": ds[0].statement_index, "sid": ds[0].sid, "pointer": ds[0].pointer}
                    if ds[0].policy else None
                ),
                "regions": list(dict.fromkeys(d.region for d in ds)),
                "actions": list(dict.fromkeys(d.action for d in ds)),
                "reason": ds[0].reason,
                "code": ds[0].code,
            }
            for key, ds in groups.items()
            if key[0] == check.profile.label and key[1] == check.source_region
        ]
        profiles.append({
            "profile": check.profile.label,
            "source_region": check.source_region,
            "blocked": check.blocked,
            "denied_regions": list(check.denied_regions),
            "denials": denials,
        })
    return {
        "profiles": profiles,
        "unreachable": [
            {"profile": u.profile.label, "source_regions": list(u.sources), "reason": u.reason}
            for u in result.unreachable
        ],
    }


def _account_json(item: AccountCheck) -> dict[str, Any]:
    data = _account_head(item)
    if not item.invalid:
        data |= _account_result(item)
    return data


def org_check_to_json(check: OrgCheck, *, snapshot: str | None = None, accounts: bool = True) -> dict[str, Any]:
    document = {
        "snapshot": snapshot,
        "profiles": list(check.profiles),
        "blocked": check.blocked,
        "errors": check.errors,
        "evaluations": check.evaluations,
        "findings": [f.to_json() for f in check.findings],
    }
    if accounts:
        document["accounts"] = [_account_json(a) for a in check.accounts]
    return document


def _result_key(item: AccountCheck) -> tuple[Any, ...]:
    """Accounts with equal keys get the same ``_account_result``: one evaluation, its denials resolved to
    the same nodes (a denial names the level that denies: an OU, or the account itself)."""
    return (id(item.result), item.denying_nodes)


def _indented(text: str, depth: int) -> str:
    return text.replace("\n", "\n" + "  " * depth)


class _AccountWriter:
    """Writes one account's entry of ``org_check_to_json`` as ``json.dumps(indent=2)`` writes it inside the
    document's ``accounts`` list, reusing the text of what accounts share (see ``org_check_json_chunks``)."""

    def __init__(self) -> None:
        self.nodes: dict[str, str] = {}  # node id -> its text in a path
        self.results: dict[tuple[Any, ...], str] = {}  # _result_key -> the members after the head

    def node(self, node: OrgNode) -> str:
        found = self.nodes.get(node.id)
        if found is None:
            found = self.nodes[node.id] = _indented(json.dumps(_node(node), indent=2, ensure_ascii=False), 4)
        return found

    def account(self, item: AccountCheck) -> str:
        if item.invalid:
            return _indented(json.dumps(_account_json(item), indent=2, ensure_ascii=False), 2)
        from json.encoder import encode_basestring as dump  # what json.dumps does to a str, ensure_ascii=False

        blocked = item.blocked
        path = ",\n        ".join(self.node(n) for n in item.path)
        head = (
            f'{{\n      "account": {dump(item.account.id)},'
            f'\n      "name": {dump(item.account.name)},'
            f'\n      "path": [\n        {path}\n      ],'
            f'\n      "status": "{"blocked" if blocked else "ok"}",'
            f'\n      "blocked": {"true" if blocked else "false"},'
            f'\n      "evaluated_as": {dump(item.evaluated_as)},\n'
        )
        key = _result_key(item)
        tail = self.results.get(key)
        if tail is None:
            tail = self.results[key] = _indented(json.dumps(_account_result(item), indent=2, ensure_ascii=False), 2)[2:]
        return head + tail


def org_check_json_chunks(check: OrgCheck, *, snapshot: str | None = None) -> Iterator[str]:
    """The text of ``json.dumps(org_check_to_json(check), indent=2, ensure_ascii=False)``, in pieces, so that
    a large organization is written as it is serialized, never held whole.

    PERF: an organization of thousands of accounts has a few dozen distinct evaluations and a few
    hundred levels. Each distinct result and each node is serialized once and its text reused
    (``_AccountWriter``), instead of building and encoding a document of tens of megabytes with the
    pure-Python encoder that ``indent`` selects. ``org_check_to_json`` stays the definition: a test
    holds the two to the same text."""
    head_text = json.dumps(org_check_to_json(check, snapshot=snapshot, accounts=False), indent=2, ensure_ascii=False)
    if not check.accounts:
        yield head_text[:-2] + ',\n  "accounts": []\n}'
        return
    yield head_text[:-2] + ',\n  "accounts": [\n    '
    writer = _AccountWriter()
    for number, item in enumerate(check.accounts):
        yield (",\n    " if number else "") + writer.account(item)
    yield "\n  ]\n}"


def findings_text(findings: tuple[Finding, ...]) -> list[str]:
    lines = []
    for f in findings:
        where = ":".join(str(p) for p in (f.line, f.column) if p is not None)
        lines.append(f"finding: {f.policy_name} ({f.policy_id}){':' + where if where else ''}: {f.code}: {f.message}")
    return lines


def _account_lines(item: AccountCheck) -> list[str]:
    path = "/".join(n.name or n.id for n in item.path[:-1])
    head = f"{item.account.id} ({item.account.name}) in {path}"
    if item.invalid:
        names = ", ".join(p.label for p in item.invalid)
        return [f"{head}: ERROR: cannot evaluate: {names} is not a valid policy"]
    result = item.result
    assert result is not None
    if not item.blocked:
        return [f"{head}: ok"]
    lines = [f"{head}: BLOCKED"]
    groups = _grouped(item.denials)
    for check in result.checks:
        if not check.blocked:
            lines.append(f"  {check.profile.label} from {check.source_region}: ok")
            continue
        lines.append(f"  {check.profile.label} from {check.source_region}: BLOCKED in {', '.join(check.denied_regions)}")
        for key, ds in groups.items():
            if key[0] != check.profile.label or key[1] != check.source_region:
                continue
            d = ds[0]
            regions = ", ".join(dict.fromkeys(x.region for x in ds))
            if d.policy is None:
                lines.append(f"    {regions}: {d.level_label}: no policy allows it ({d.reason})")
            else:
                statement = statement_label(d.statement_index, d.sid, d.statement_line)
                lines.append(
                    f"    {regions}: {d.level_label}: policy {d.policy.name} ({d.policy.id}) "
                    f"{statement}: {d.reason}"
                )
    for u in result.unreachable:
        lines.append(f"  {u.profile.label}: BLOCKED: {u.reason}")
    return lines


def org_check_to_text(check: OrgCheck) -> str:
    lines: list[str] = []
    for item in check.accounts:
        lines.extend(_account_lines(item))
    lines.extend(findings_text(check.findings))
    blocked = sum(1 for a in check.accounts if a.blocked)
    errors = sum(1 for a in check.accounts if a.invalid)
    lines.append(
        f"{len(check.accounts)} account{'s' if len(check.accounts) != 1 else ''} checked "
        f"({check.evaluations} distinct SCP path{'s' if check.evaluations != 1 else ''}): "
        f"{blocked} blocked" + (f", {errors} not evaluable" if errors else "")
    )
    return "\n".join(lines)


def _change_json(change: PolicyChange, *, text: str | None, diff: str | None) -> dict[str, Any]:
    from rewriter.report import proposal_to_json

    return {
        "policy": {"id": change.policy.id, "name": change.policy.name, "file": change.file_name},
        "targets": [_node(t) for t in change.targets],
        "unblocks": list(change.unblocks),
        "also_affects": [_node(a) for a in change.also_affects],
        "reaches": [_node(n) for n in change.reaches],
        "warnings": list(change.warnings),
        "proposal": proposal_to_json(change.proposal, text=text, diff=diff),
    }


def org_proposal_to_json(
    proposal: OrgProposal, *, texts: dict[str, str] | None = None, diffs: dict[str, str] | None = None
) -> dict[str, Any]:
    texts = texts or {}
    diffs = diffs or {}
    return {
        "status": proposal.status,
        "changed": proposal.changed,
        "reason": proposal.reason,
        "changes": [
            _change_json(c, text=texts.get(c.policy.id), diff=diffs.get(c.policy.id)) for c in proposal.changes
        ],
        "before": org_check_to_json(proposal.before),
        "after": org_check_to_json(proposal.after) if proposal.after is not None else None,
    }


def snapshot_label(node: Any) -> str:
    """A node as the list of what a change reaches names it: kind, id and name."""
    kind = {"root": "root", "ou": "OU", "account": "account"}.get(node.kind, node.kind)
    return f"{kind} {node.id}" + (f" ({node.name})" if node.name and node.name != node.id else "")


def org_proposal_to_text(proposal: OrgProposal, *, diffs: dict[str, str] | None = None) -> str:
    from rewriter.report import proposal_summary

    diffs = diffs or {}
    if proposal.status is Status.UNCHANGED:
        return f"nothing to change: {proposal.reason}"
    lines: list[str] = []
    for change in proposal.changes:
        lines.append(
            f"change {change.policy.label}, attached to {', '.join(t.id for t in change.targets) or 'nothing'}; "
            f"unblocks {', '.join(change.unblocks) or 'no named account'}"
        )
        lines.append(proposal_summary(change.proposal))
        lines.append("reaches: " + ", ".join(snapshot_label(n) for n in change.reaches))
        lines.extend(f"warning: {w}" for w in change.warnings)
        diff = diffs.get(change.policy.id)
        if diff:
            lines.append(diff.rstrip("\n"))
    if proposal.status is Status.UNSAFE:
        lines.append(f"no complete change: {proposal.reason}")
    else:
        lines.append(proposal.reason)
    return "\n".join(lines)
