"""Results as JSON documents and as text for a terminal. No printing here: the CLI prints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # check's output needs neither propose nor the fixes it imports
    from rewriter.check import CheckResult, ProfileCheck
    from rewriter.propose import Candidate, Proposal

from rewriter.cris import APPLY_GUARDRAIL
from rewriter.i18n import N_, say, translations
from rewriter.vocabulary import Actor, Role, Status

__all__ = [
    "check_to_json",
    "check_to_text",
    "proposal_to_json",
    "proposal_summary",
    "blocked_sentences",
    "alternative_sentences",
    "control_tower_text",
    "problem_sentences",
    "scp_fix_command",
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
                "actor": r.authorization.actor,  # "caller" | "batch-role" (a batch job's service role)
                "principal": r.request.principal,
            }
            for r in item.results
        ],
    } | ({"not_granted": list(item.not_granted)} if kind == "identity" else {}) | _lifecycle_json(item.profile)


def _lifecycle_json(profile) -> dict[str, Any]:
    """``lifecycle`` and ``end_of_life`` for a legacy or end-of-life profile; nothing when active."""
    if profile.lifecycle == "active":
        return {}
    return {"lifecycle": profile.lifecycle, "end_of_life": profile.end_of_life}


def check_to_json(result: CheckResult) -> dict[str, Any]:
    return {
        "policy": result.policy_path,
        "kind": result.kind,
        "blocked": result.blocked,
        "profiles": [_profile_check_json(c, result.kind) for c in result.checks],
        "unreachable": [
            {"profile": u.profile.id, "source_regions": list(u.sources), "reason": u.reason, "code": u.code}
            | _lifecycle_json(u.profile)
            for u in result.unreachable
        ],
    } | ({"notes": list(result.notes)} if result.notes else {}) | _guardrail_json(result.guardrail) | (
        {"batch": True, "batch_role": result.batch_role} if result.batch else {}
    )


def _guardrail_json(guardrail) -> dict[str, Any]:
    """The guardrail profile the calls were checked with (its requests have role "guardrail")."""
    if guardrail is None:
        return {}
    return {"guardrail": {"id": guardrail.id, "action": APPLY_GUARDRAIL,
                          "routes": {s: list(d) for s, d in guardrail.routes.items()}}}


_ROLE_WORDS = {
    Role.PROFILE: N_("the profile (originating call)"),
    Role.DESTINATION: N_("destination"),
    Role.GLOBAL_MODEL: N_("Region-less global model"),
    Role.GUARDRAIL: N_("guardrail profile (ApplyGuardrail)"),
    Role.BATCH_JOB: N_("the batch job's creation (CreateModelInvocationJob)"),
}
_BATCH_ROLE_WORDS = {  # the same hops, made by a batch job's service role
    Role.PROFILE: N_("batch service role, on the profile"),
    Role.DESTINATION: N_("batch service role, destination"),
    Role.GLOBAL_MODEL: N_("batch service role, Region-less global model"),
}


def check_to_text(result: CheckResult, *, lang: str = "en") -> str:
    tr = translations(lang)
    _ = tr.gettext
    path = result.policy_path
    lines: list[str] = []
    for item in result.checks:
        state = _("BLOCKED") if item.blocked else _("ok")
        if item.profile.end_of_life_text:
            state += f" ({say(item.profile.end_of_life_text, tr)})"
        lines.append(_("{path}: {profile} from {source}: {state}").format(
            path=path, profile=item.profile.id, source=item.source_region, state=state
        ))
        by_region: dict[tuple[str, str, str], list] = {}
        for r in item.results:
            by_region.setdefault((r.request.region, r.authorization.role, r.authorization.actor), []).append(r)
        for (region, role, actor), results in by_region.items():
            what = _((_BATCH_ROLE_WORDS if actor is Actor.BATCH_ROLE else _ROLE_WORDS)[role])
            denied = [r for r in results if not r.decision.allowed]
            if denied:
                lines.append(f"  {region:<16} " + _("denied   {what}: {reason}").format(
                    what=what, reason=say(denied[0].reason, tr)
                ))
            else:
                lines.append(f"  {region:<16} " + _("allowed  {what}").format(what=what))
        if item.not_granted:
            lines.append("  " + _(
                "not granted anywhere: {actions} (no Allow statement grants it on this profile or its model: "
                "the policy's choice, not checked per Region)"
            ).format(actions=", ".join(item.not_granted)))
    for u in result.unreachable:
        state = _("BLOCKED")
        if u.profile.end_of_life_text:
            state += f" ({say(u.profile.end_of_life_text, tr)})"
        lines.append(_("{path}: {profile}: {state}: {reason}").format(
            path=path, profile=u.profile.id, state=state, reason=say(u.reason, tr)
        ))
    lines.extend(_("{path}: note: {note}").format(path=path, note=say(note, tr)) for note in result.notes)
    if not lines:
        lines.append(_("{path}: no profiles checked").format(path=path))
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


def blocked_sentences(proposal: Proposal, *, lang: str = "en") -> list[str]:
    """One sentence per blocked profile and source Region: where, and which statement denies."""
    tr = translations(lang)
    sentences = []
    for item in proposal.before.checks:
        if item.blocked:
            reasons = sorted({say(r.reason, tr) for r in item.results if r.reason})
            sentences.append(tr.gettext("{profile} from {source} is blocked in {regions}: {reasons}").format(
                profile=item.profile.id, source=item.source_region, regions=", ".join(item.denied_regions),
                reasons="; ".join(reasons),
            ))
    return sentences + [f"{u.profile.id}: {say(u.reason, tr)}" for u in proposal.before.unreachable]


def alternative_sentences(proposal: Proposal, *, lang: str = "en") -> list[str]:
    """What each strategy not chosen would have opened, or why it was not possible."""
    tr = translations(lang)
    _ = tr.gettext
    sentences = []
    for alt in proposal.alternatives:
        if alt.verified and alt.delta is not None:
            opened = "; ".join(say(g.summary, tr) for g in alt.delta.newly_allowed) or _("nothing")
            sentences.append(_("{strategy} would newly allow {opened}").format(strategy=alt.strategy, opened=opened))
        elif alt.rejected:
            sentences.append(_("{strategy} is not possible: {why}").format(strategy=alt.strategy, why=say(alt.rejected, tr)))
    return sentences


def proposal_summary(proposal: Proposal, *, lang: str = "en") -> str:
    """What a reviewer reads beside the diff: what was blocked, what the change opens, the alternatives."""
    tr = translations(lang)
    _ = tr.gettext
    path = proposal.policy.path
    lines = [f"{path}: {sentence}" for sentence in blocked_sentences(proposal, lang=lang)]
    if proposal.status is Status.UNCHANGED:
        return "\n".join([
            _("{path}: nothing to change: {reason}").format(path=path, reason=say(proposal.reason, tr)),
            *("  " + _("note: {note}").format(note=say(note, tr)) for note in proposal.notes),
        ])
    if proposal.status is Status.UNSAFE:
        lines.append(_("{path}: no change proposed: {reason}").format(path=path, reason=say(proposal.reason, tr)))
        lines.extend("  " + _("note: {note}").format(note=say(note, tr)) for note in proposal.notes)
        if proposal.control_tower is not None:
            lines.append(control_tower_text(proposal, lang=lang))
        return "\n".join(lines)
    chosen = proposal.chosen
    assert chosen is not None and chosen.fix is not None
    lines.append(_("{path}: proposed ({strategy}): {title}").format(
        path=path, strategy=chosen.strategy, title=say(chosen.fix.title, tr)
    ))
    if proposal.choice:
        lines.append("  " + _("chosen: {choice}").format(choice=say(proposal.choice, tr)))
    if chosen.delta is not None:
        lines.append("  " + _("newly allowed:"))
        lines.extend(f"    - {say(g.summary, tr)}" for g in chosen.delta.newly_allowed)
    for note in proposal.notes + chosen.fix.notes + chosen.notes:
        lines.append("  " + _("note: {note}").format(note=say(note, tr)))
    if chosen.size is not None:
        s = chosen.size
        lines.append("  " + _("size: {before} -> {after} characters ({minified} minified; limit {limit})").format(
            before=s.before, after=s.after, minified=s.after_minified, limit=s.limit
        ))
    lines.extend("  " + _("alternative: {sentence}").format(sentence=sentence) for sentence in alternative_sentences(proposal, lang=lang))
    return "\n".join(lines)


def control_tower_text(proposal: Proposal, *, lang: str = "en") -> str:
    import json

    _ = translations(lang).gettext
    advice = proposal.control_tower
    assert advice is not None
    lines = [
        "  " + _("Control Tower alternative: set the parameters of the Region deny control CT.MULTISERVICE.PV.1"),
        "  " + _("(aws controltower enable-control / update-enabled-control --parameters):"),
        "  " + json.dumps(advice.parameters),
    ]
    if advice.needs_unspecified:
        lines.append("  " + _(
            "A global profile is also authorized with aws:RequestedRegion = unspecified, which Control Tower "
            "cannot list as a Region: use ExemptedActions, plus a custom SCP (Customizations for Control "
            "Tower) that re-denies those actions outside your Regions unless bedrock:InferenceProfileArn "
            "matches the profile."
        ))
    return "\n".join(lines)


def problem_sentences(proposal: Proposal, *, lang: str = "en") -> list[str]:
    """The problem in one sentence per blocked profile and source: which authorization, which statement."""
    tr = translations(lang)
    sentences = []
    for item in proposal.before.checks:
        denied = [r for r in item.results if not r.decision.allowed]
        if not denied:
            continue
        places = ", ".join(
            dict.fromkeys(f"{r.request.region} ({tr.gettext(_ROLE_WORDS[r.authorization.role])})" for r in denied)
        )
        actions = ", ".join(dict.fromkeys(r.request.action for r in denied))
        reasons = "; ".join(dict.fromkeys(say(r.reason, tr) for r in denied if r.reason))
        sentences.append(tr.gettext(
            "`{profile}` called from {source} fails with AccessDenied: Bedrock authorizes {actions} in "
            "{places}, and {reasons}."
        ).format(profile=item.profile.id, source=item.source_region, actions=actions, places=places, reasons=reasons))
    return sentences + [f"`{u.profile.id}`: {say(u.reason, tr)}." for u in proposal.before.unreachable]


def scp_fix_command(
    verb: str,
    paths: Sequence[str],
    profiles: Sequence[str],
    *,
    source_region: str | None = None,
    full_access: bool = True,
    parameters: Sequence[str] = (),
    var_files: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> str:
    """The shell command that runs ``scp-fix VERB`` on the same inputs (for "how to verify" and fix hints)."""
    import shlex

    words = ["scp-fix", verb, *paths]
    for profile in profiles:
        words += ["--profile", profile]
    if source_region:
        words += ["--source-region", source_region]
    if not full_access:
        words.append("--no-full-access")
    for parameter in parameters:
        words += ["--parameter", parameter]
    for var_file in var_files:
        words += ["--var-file", var_file]
    return shlex.join([*words, *extra])
