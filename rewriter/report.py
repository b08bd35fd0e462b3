"""Results as JSON documents and as text for a terminal. No printing here: the CLI prints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # check's output needs neither propose nor the fixes it imports
    from rewriter.check import CheckResult, ProfileCheck
    from rewriter.propose import Candidate, Proposal

from rewriter.vocabulary import Status

__all__ = [
    "check_to_json",
    "check_to_text",
    "proposal_to_json",
    "proposal_summary",
    "blocked_sentences",
    "alternative_sentences",
    "control_tower_text",
]


def _statements(decision) -> list[dict[str, Any]]:
    return [
        {"index": ref.index, "sid": ref.sid, "pointer": ref.pointer}
        | ({"policy": "FullAWSAccess"} if ref.policy_index < 0 else {})
        for ref in decision.statements
    ]


def _profile_check_json(item: ProfileCheck, kind: str) -> dict[str, Any]:
    return {
        "profile": item.profile.id,
        "source_region": item.source_region,
        "blocked": item.blocked,
        "denied_regions": list(item.denied_regions),
        "requests": [
            {
                "action": r.request.action,
                "resource": r.request.resource,
                "requested_region": r.request.region,
                "inference_profile_arn": r.authorization.inference_profile_arn,
                "decision": r.decision.outcome,
                "statements": _statements(r.decision),
                "role": r.authorization.role,
                "reason": r.reason,
                "code": r.code,
            }
            for r in item.results
        ],
    } | ({"not_granted": list(item.not_granted)} if kind == "identity" else {})


def check_to_json(result: CheckResult) -> dict[str, Any]:
    return {
        "policy": result.policy_path,
        "kind": result.kind,
        "blocked": result.blocked,
        "profiles": [_profile_check_json(c, result.kind) for c in result.checks],
        "unreachable": [
            {"profile": u.profile.id, "source_regions": list(u.sources), "reason": u.reason, "code": u.code}
            for u in result.unreachable
        ],
    } | ({"notes": list(result.notes)} if result.notes else {})


def check_to_text(result: CheckResult) -> str:
    lines: list[str] = []
    for item in result.checks:
        state = "BLOCKED" if item.blocked else "ok"
        lines.append(f"{result.policy_path}: {item.profile.id} from {item.source_region}: {state}")
        by_region: dict[tuple[str, str], list] = {}
        for r in item.results:
            by_region.setdefault((r.request.region, r.authorization.role), []).append(r)
        for (region, role), results in by_region.items():
            what = {"profile": "the profile (originating call)", "destination": "destination",
                    "global-model": "Region-less global model"}[role]
            denied = [r for r in results if not r.decision.allowed]
            if denied:
                lines.append(f"  {region:<16} denied   {what}: {denied[0].reason}")
            else:
                lines.append(f"  {region:<16} allowed  {what}")
        if item.not_granted:
            lines.append(
                f"  not granted anywhere: {', '.join(item.not_granted)} (no Allow statement grants it on this "
                "profile or its model: the policy's choice, not checked per Region)"
            )
    for u in result.unreachable:
        lines.append(f"{result.policy_path}: {u.profile.id}: BLOCKED: {u.reason}")
    lines.extend(f"{result.policy_path}: note: {note}" for note in result.notes)
    if not lines:
        lines.append(f"{result.policy_path}: no profiles checked")
    return "\n".join(lines)


def _candidate_json(candidate: Candidate) -> dict[str, Any]:
    data: dict[str, Any] = {"strategy": candidate.strategy, "verified": candidate.verified}
    if candidate.delta is not None:
        data["newly_allowed"] = [g.to_json() for g in candidate.delta.newly_allowed]
    if candidate.size is not None:
        data["size"] = candidate.size.to_json()
    if candidate.rejected:
        data["rejected"] = candidate.rejected
    if candidate.fix is not None:
        data["title"] = candidate.fix.title
        data["notes"] = list(candidate.fix.notes + candidate.notes) if candidate.verified else list(candidate.fix.notes)
    return data


def proposal_to_json(proposal: Proposal, *, text: str | None = None, diff: str | None = None) -> dict[str, Any]:
    chosen = proposal.chosen
    data: dict[str, Any] = {
        "policy_path": proposal.policy.path,
        "changed": proposal.changed,
        "status": proposal.status,
        "strategy": chosen.strategy if chosen else None,
        "patch": chosen.fix.patch if chosen else [],
        "policy": chosen.document if chosen else proposal.policy.document,
        "rationale": proposal.reason,
        "choice": proposal.choice or None,
        "newly_allowed": [g.to_json() for g in chosen.delta.newly_allowed] if chosen and chosen.delta else [],
        "size": chosen.size.to_json() if chosen and chosen.size else None,
        "notes": list(proposal.notes) + (list(chosen.fix.notes + chosen.notes) if chosen else []),
        "alternatives": [_candidate_json(c) for c in proposal.alternatives],
        "check": check_to_json(proposal.before),
    }
    if proposal.deliberate:
        data["deliberate"] = [
            {"statement": d.statement.label, "pointer": d.statement.pointer, "sid": d.statement.sid, "why": d.why}
            for d in proposal.deliberate
        ]
    if proposal.control_tower is not None:
        data["control_tower"] = {
            "statement": proposal.control_tower.statement_label,
            "parameters": proposal.control_tower.parameters,
            "needs_unspecified": proposal.control_tower.needs_unspecified,
        }
    if text is not None:
        data["text"] = text
    if diff is not None:
        data["diff"] = diff
    return data


def blocked_sentences(proposal: Proposal) -> list[str]:
    """One sentence per blocked profile and source Region: where, and which statement denies."""
    sentences = []
    for item in proposal.before.checks:
        if item.blocked:
            reasons = sorted({r.reason for r in item.results if r.reason})
            sentences.append(
                f"{item.profile.id} from {item.source_region} is blocked in "
                f"{', '.join(item.denied_regions)}: {'; '.join(reasons)}"
            )
    return sentences + [f"{u.profile.id}: {u.reason}" for u in proposal.before.unreachable]


def alternative_sentences(proposal: Proposal) -> list[str]:
    """What each strategy not chosen would have opened, or why it was not possible."""
    sentences = []
    for alt in proposal.alternatives:
        if alt.verified and alt.delta is not None:
            opened = "; ".join(g.summary for g in alt.delta.newly_allowed) or "nothing"
            sentences.append(f"{alt.strategy} would newly allow {opened}")
        elif alt.rejected:
            sentences.append(f"{alt.strategy} is not possible: {alt.rejected}")
    return sentences


def proposal_summary(proposal: Proposal) -> str:
    """What a reviewer reads beside the diff: what was blocked, what the change opens, the alternatives."""
    path = proposal.policy.path
    lines = [f"{path}: {sentence}" for sentence in blocked_sentences(proposal)]
    if proposal.status is Status.UNCHANGED:
        return f"{path}: nothing to change: {proposal.reason}"
    if proposal.status is Status.UNSAFE:
        lines.append(f"{path}: no change proposed: {proposal.reason}")
        lines.extend(f"  note: {note}" for note in proposal.notes)
        if proposal.control_tower is not None:
            lines.append(control_tower_text(proposal))
        return "\n".join(lines)
    chosen = proposal.chosen
    assert chosen is not None and chosen.fix is not None
    lines.append(f"{path}: proposed ({chosen.strategy}): {chosen.fix.title}")
    if proposal.choice:
        lines.append(f"  chosen: {proposal.choice}")
    if chosen.delta is not None:
        lines.append("  newly allowed:")
        lines.extend(f"    - {g.summary}" for g in chosen.delta.newly_allowed)
    for note in proposal.notes + chosen.fix.notes + chosen.notes:
        lines.append(f"  note: {note}")
    if chosen.size is not None:
        s = chosen.size
        lines.append(f"  size: {s.before} -> {s.after} characters ({s.after_minified} minified; limit {s.limit})")
    lines.extend(f"  alternative: {sentence}" for sentence in alternative_sentences(proposal))
    return "\n".join(lines)


def control_tower_text(proposal: Proposal) -> str:
    import json

    advice = proposal.control_tower
    assert advice is not None
    lines = [
        "  Control Tower alternative: set the parameters of the Region deny control CT.MULTISERVICE.PV.1",
        "  (aws controltower enable-control / update-enabled-control --parameters):",
        "  " + json.dumps(advice.parameters),
    ]
    if advice.needs_unspecified:
        lines.append(
            "  A global profile is also authorized with aws:RequestedRegion = unspecified, which Control Tower "
            "cannot list as a Region: use ExemptedActions, plus a custom SCP (Customizations for Control "
            "Tower) that re-denies those actions outside your Regions unless bedrock:InferenceProfileArn "
            "matches the profile."
        )
    return "\n".join(lines)
