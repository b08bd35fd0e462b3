"""Organization results as JSON documents and as text. No printing here: the CLI prints."""

from __future__ import annotations

from typing import Any

from rewriter.model import statement_label
from rewriter.org.check import AccountCheck, Denial, OrgCheck
from rewriter.org.propose import OrgProposal, PolicyChange
from rewriter.org.snapshot import Finding, Node

__all__ = ["org_check_to_json", "org_check_to_text", "org_proposal_to_json", "org_proposal_to_text", "findings_text"]


def _node(node: Node) -> dict[str, Any]:
    return {"id": node.id, "name": node.name, "kind": node.kind}


def _grouped(denials: tuple[Denial, ...]) -> dict[tuple[Any, ...], list[Denial]]:
    """Denials of one profile and source by (level, policy, statement): one line each, Regions merged."""
    groups: dict[tuple[Any, ...], list[Denial]] = {}
    for d in denials:
        key = (d.profile, d.source_region, d.node.id, d.policy.id if d.policy else None, d.statement_index)
        groups.setdefault(key, []).append(d)
    return groups


def _account_json(item: AccountCheck) -> dict[str, Any]:
    data: dict[str, Any] = {
        "account": item.account.id,
        "name": item.account.name,
        "path": [_node(n) for n in item.path],
        "status": item.status,
        "blocked": item.blocked,
    }
    if item.invalid:
        data["invalid_policies"] = [{"id": p.id, "name": p.name} for p in item.invalid]
        return data
    result = item.result
    assert result is not None
    data["evaluated_as"] = item.evaluated_as
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
    data["profiles"] = profiles
    data["unreachable"] = [
        {"profile": u.profile.label, "source_regions": list(u.sources), "reason": u.reason}
        for u in result.unreachable
    ]
    return data


def org_check_to_json(check: OrgCheck, *, snapshot: str | None = None) -> dict[str, Any]:
    return {
        "snapshot": snapshot,
        "profiles": list(check.profiles),
        "blocked": check.blocked,
        "errors": check.errors,
        "evaluations": check.evaluations,
        "findings": [f.to_json() for f in check.findings],
        "accounts": [_account_json(a) for a in check.accounts],
    }


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
    if proposal.status == "unchanged":
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
    if proposal.status == "unsafe":
        lines.append(f"no complete change: {proposal.reason}")
    else:
        lines.append(proposal.reason)
    return "\n".join(lines)
