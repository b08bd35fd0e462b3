"""``scp-fix explain``: from an AccessDenied message to the cause and the fix."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from rewriter.cli._common import (
    EXIT_FINDING,
    EXIT_OK,
    LANG_OPTION,
    TextOrJson,
    emit,
    error_boundary,
    read_input,
    resolve_lang,
)


def explain(
    text: Optional[str] = typer.Argument(
        None, metavar="[TEXT | -]", help="The error message; - or nothing reads standard input."
    ),
    policy: Optional[str] = typer.Option(None, "--policy", help="The SCP to check and fix (JSON, CloudFormation or Terraform)."),
    source_region: Optional[str] = typer.Option(
        None, "--source-region",
        help="The Region the caller calls from (default: a CloudTrail event's Region, else every Region --policy allows).",
    ),
    identity_policy: Optional[str] = typer.Option(
        None, "--identity-policy", help="The caller's IAM policy to check and fix (JSON, CloudFormation or Terraform).",
    ),
    profiles_file: Optional[str] = typer.Option(None, "--profiles-file", help="Extra or overriding inference profiles."),
    output: TextOrJson = typer.Option(TextOrJson.text, "--format", help="Output format."),
    lang: Optional[str] = LANG_OPTION,
) -> None:
    """Explain an AccessDenied message. Exit 0 explained, 1 no profile fits the denial (the output says
    what was looked for), 2 unparseable or bad input."""
    with error_boundary():
        from rewriter.cli._common import load_catalog
        from rewriter.explain import diagnose
        from rewriter.messages import parse_denials

        if text is None and sys.stdin.isatty():
            from rewriter.errors import InputError

            raise InputError("give the AccessDenied message as an argument, or pipe it in with -")
        message = sys.stdin.read() if text in (None, "-") else text
        denials = parse_denials(message, path="<message>")
        catalog = load_catalog(profiles_file)
        policy_name = policy_data = None
        policies: tuple = ()
        if policy is not None:
            from rewriter.policy_files import load_policy_file

            policy_name, policy_data = read_input(policy)
            policies = tuple(item.policy for item in load_policy_file(policy_name, policy_data))
        diagnoses = [diagnose(d, catalog, source_region=source_region, policies=policies) for d in denials]
        file_results = None
        profiles = _profiles_to_fix([d for d in diagnoses if d.side != "identity"])
        if policy is not None and profiles:
            from rewriter.policy_files import propose_file

            file_results = propose_file(
                policy_name, policy_data, profiles, source_region=_one_source(diagnoses, source_region)
            )
        identity_results = None
        grants = _profiles_to_fix([d for d in diagnoses if d.side == "identity"])
        if identity_policy is not None and grants:
            from rewriter.policy_files import propose_file

            identity_name, identity_data = read_input(identity_policy)
            identity_results = propose_file(
                identity_name, identity_data, grants, kind="identity", source_region=_one_source(diagnoses, source_region)
            )
    pairs = list(zip(denials, diagnoses))
    if output is TextOrJson.json:
        emit(json.dumps(_to_json(pairs, file_results, identity_results), indent=2, ensure_ascii=False))
    else:
        emit(_to_text(pairs, file_results, identity_results, lang=resolve_lang(lang)))
    raise typer.Exit(EXIT_FINDING if any(d.needs_profile for d in diagnoses) else EXIT_OK)


def _profiles_to_fix(diagnoses) -> tuple:
    """The callable candidates of every denial, each once (the first denial's order)."""
    found: dict[str, object] = {}
    for diagnosis in diagnoses:
        for candidate in diagnosis.callable_candidates:
            found.setdefault(candidate.profile.id, candidate.profile)
    return tuple(found.values())


def _one_source(diagnoses, source_region: str | None) -> str | None:
    """The caller's Region when every denial names the same single one, else None (propose then checks
    every source Region the policy lets callers use)."""
    if source_region:
        return source_region
    regions = {d.source_regions for d in diagnoses if d.source_regions}
    if len(regions) == 1:
        (only,) = regions
        if len(only) == 1:
            return only[0]
    return None


def _candidate_json(candidate) -> dict:
    return {
        "profile": candidate.profile.id,
        "geography": candidate.profile.geography,
        "lifecycle": candidate.profile.lifecycle,
        "end_of_life": candidate.profile.end_of_life,
        "callable": candidate.callable,
        "sources": [r.source_region for r in candidate.routes],
        "routes": [
            {"source_region": r.source_region, "regions_needed": list(r.regions_needed)} for r in candidate.routes
        ],
    }


def _diagnosis_json(denial, diagnosis) -> dict:
    from dataclasses import asdict

    return {
        "denial": asdict(denial),
        "diagnosis": {
            "kind": diagnosis.kind,
            "summary": diagnosis.summary,
            "background": list(diagnosis.background),
            "advice": diagnosis.advice,
            "source_regions": list(diagnosis.source_regions),
            "sources_from": diagnosis.sources_from or None,
            "looked_for": diagnosis.looked_for or None,
            "side": diagnosis.side,
            "called": diagnosis.called or None,
            "guardrail": diagnosis.guardrail or None,
        },
        "candidates": [_candidate_json(c) for c in diagnosis.candidates],
    }


def _to_json(pairs, file_results, identity_results=None) -> dict:
    from rewriter.report import proposal_to_json

    each = [_diagnosis_json(denial, diagnosis) for denial, diagnosis in pairs]
    data = dict(each[0])  # the first denial at the top, as before several were read
    data["denials"] = each
    if file_results is not None:
        data["policy"] = file_results.path
        data["results"] = [proposal_to_json(p) | {"name": label} for label, p in file_results.proposals]
    if identity_results is not None:
        data["identity_policy"] = identity_results.path
        data["identity_results"] = [proposal_to_json(p) | {"name": label} for label, p in identity_results.proposals]
    return data


def _regions_text(regions: tuple[str, ...], tr=None) -> str:
    """Regions as a reader takes them in: "every commercial Region" rather than 36 codes."""
    from rewriter.i18n import ENGLISH
    from rewriter.regions_data import ALL_COMMERCIAL, UNSPECIFIED

    _ = (tr or ENGLISH).gettext

    listed = [r for r in regions if r != UNSPECIFIED]
    missing = [r for r in ALL_COMMERCIAL if r not in listed]
    if len(missing) <= 3 < len(listed):
        every = (
            _("every commercial Region but {regions}").format(regions=", ".join(missing)) if missing
            else _("every commercial Region")
        )
        words = [every] + [r for r in listed if r not in ALL_COMMERCIAL]
    else:
        words = listed
    return ", ".join(words + ([UNSPECIFIED] if UNSPECIFIED in regions else []))


def _candidate_line(candidate, tr) -> str:
    """One line per profile: the source Regions that need the same Regions, together."""
    _ = tr.gettext
    groups: dict[frozenset[str], list[str]] = {}
    for route in candidate.routes:
        groups.setdefault(frozenset(route.regions_needed), []).append(route.source_region)
    parts = []
    for needed, sources in groups.items():
        where = _("any of {count} source Regions").format(count=len(sources)) if len(sources) > 6 else ", ".join(sources)
        ordered = tuple(sorted(needed, key=lambda r: (r == "unspecified", r)))
        parts.append(_("from {sources}: {regions}").format(sources=where, regions=_regions_text(ordered, tr)))
    lifecycle = f" ({candidate.profile.end_of_life_text})" if candidate.profile.end_of_life_text else ""
    return f"  {candidate.profile.id}: " + "; ".join(parts) + lifecycle


def _denied_lines(proposal, tr) -> list[str]:
    """One line per blocked profile and source: how many Regions, and the statements that deny them."""
    from rewriter.i18n import say

    lines = []
    statements = proposal.policy.statements
    for item in proposal.before.checks:
        if not item.blocked:
            continue
        labels = dict.fromkeys(
            statements[ref.index].label
            for r in item.results if not r.decision.allowed
            for ref in r.decision.statements if 0 <= ref.index < len(statements)
        )
        sentence = (
            tr.gettext("{path}: {profile} from {source} is denied in {regions} by {statements}") if labels
            else tr.gettext("{path}: {profile} from {source} is denied in {regions}")
        )
        lines.append(sentence.format(
            path=proposal.policy.path, profile=item.profile.id, source=item.source_region,
            regions=_regions_text(item.denied_regions, tr), statements=", ".join(say(label, tr) for label in labels),
        ))
    lines += [f"{proposal.policy.path}: {u.profile.id}: {say(u.reason, tr)}" for u in proposal.before.unreachable]
    return lines


def _proposal_text(proposal, lang: str) -> list[str]:
    """The proposal's summary, with the denials said once per profile rather than once per Region."""
    from rewriter.i18n import translations
    from rewriter.report import blocked_sentences, proposal_summary

    path = proposal.policy.path
    per_region = {f"{path}: {sentence}" for sentence in blocked_sentences(proposal, lang=lang)}
    rest = [line for line in proposal_summary(proposal, lang=lang).splitlines() if line not in per_region]
    return _denied_lines(proposal, translations(lang)) + rest


def _to_text(pairs, file_results, identity_results=None, *, lang: str = "en") -> str:
    from rewriter.i18n import say, translations

    tr = translations(lang)
    _ = tr.gettext
    lines: list[str] = []
    backgrounds: dict[str, None] = {}
    advices: dict[str, None] = {}
    for denial, diagnosis in pairs:
        if lines:
            lines.append("")
        denied = _("Denied: {action} on {resource}").format(action=denial.action or "?", resource=denial.resource or "?")
        lines += [
            denied + (" " + _("(Region: {region})").format(region=denial.region) if denial.region else ""),
            _("Principal: {principal}").format(principal=denial.principal or _("unknown")),
            "",
            say(diagnosis.summary, tr),
        ]
        callable_ = diagnosis.callable_candidates
        if callable_:
            if diagnosis.side == "identity":
                heading = (
                    _("Profiles that route there, callable from {regions} ({sources_from}), and the Regions an identity policy must grant:")
                    if diagnosis.sources_from
                    else _("Profiles that route there, and the Regions an identity policy must grant:")
                )
            else:
                heading = (
                    _("Profiles that route there, callable from {regions} ({sources_from}), and the Regions an SCP must allow:")
                    if diagnosis.sources_from
                    else _("Profiles that route there, and the Regions an SCP must allow:")
                )
            lines += ["", heading.format(regions=", ".join(diagnosis.source_regions), sources_from=say(diagnosis.sources_from, tr))]
            lines += [_candidate_line(c, tr) for c in callable_]
        others = diagnosis.other_candidates
        if others:
            callers = ", ".join(diagnosis.source_regions) or _("any Region the policy allows")
            listed = ", ".join(
                _("{profile} (from {sources})").format(
                    profile=c.profile.id, sources=", ".join(r.source_region for r in c.routes)
                ) for c in others
            )
            if diagnosis.called:
                lead = _("The CloudTrail event names {called} as the profile called; these route there too: {profiles}")
                lines += ["", lead.format(called=diagnosis.called, profiles=listed)]
            else:
                lines += ["", _("Not callable from {callers}: {profiles}").format(callers=callers, profiles=listed)]
        for paragraph in diagnosis.background:
            backgrounds.setdefault(paragraph)
        if diagnosis.advice and diagnosis.advice != diagnosis.summary:
            advices.setdefault(diagnosis.advice)
    for paragraph in (*backgrounds, *advices):
        lines += ["", say(paragraph, tr)]
    for results in (file_results, identity_results):
        if results is None:
            continue
        for _label, proposal in results.proposals:
            lines += ["", *_proposal_text(proposal, lang)]
        if results.changed:
            from rewriter.diff import unified_diff

            lines += ["", unified_diff(results.original_text, results.new_text, path=results.path).rstrip("\n")]
    return "\n".join(lines)
