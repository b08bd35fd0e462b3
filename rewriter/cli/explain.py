"""``scp-fix explain``: from an AccessDenied message to the cause and the fix."""

from __future__ import annotations

import json
import sys
from typing import Optional

import typer

from rewriter.cli._common import EXIT_OK, TextOrJson, emit, error_boundary, read_input


def explain(
    text: Optional[str] = typer.Argument(
        None, metavar="[TEXT | -]", help="The error message; - or nothing reads standard input."
    ),
    policy: Optional[str] = typer.Option(None, "--policy", help="The SCP to check and fix (JSON, CloudFormation or Terraform)."),
    source_region: Optional[str] = typer.Option(None, "--source-region", help="The Region the caller calls from."),
    profiles_file: Optional[str] = typer.Option(None, "--profiles-file", help="Extra or overriding inference profiles."),
    output: TextOrJson = typer.Option(TextOrJson.text, "--format", help="Output format."),
) -> None:
    """Explain an AccessDenied message. Exit 0 explained, 2 unparseable or bad input."""
    with error_boundary():
        from rewriter.catalog import load_catalog
        from rewriter.explain import diagnose
        from rewriter.messages import parse_denial

        if text is None and sys.stdin.isatty():
            from rewriter.errors import InputError

            raise InputError("give the AccessDenied message as an argument, or pipe it in with -")
        message = sys.stdin.read() if text in (None, "-") else text
        denial = parse_denial(message, path="<message>")
        catalog = load_catalog(profiles_file)
        diagnosis = diagnose(denial, catalog, source_region=source_region)
        file_results = None
        if policy is not None and diagnosis.candidates:
            from rewriter.policy_files import propose_file

            name, data = read_input(policy)
            file_results = propose_file(
                name, data, tuple(c.profile for c in diagnosis.candidates), source_region=source_region
            )
    if output is TextOrJson.json:
        emit(json.dumps(_to_json(denial, diagnosis, file_results), indent=2, ensure_ascii=False))
    else:
        emit(_to_text(denial, diagnosis, file_results))
    raise typer.Exit(EXIT_OK)


def _to_json(denial, diagnosis, file_results) -> dict:
    from dataclasses import asdict

    from rewriter.report import proposal_to_json

    data = {
        "denial": asdict(denial),
        "diagnosis": {"kind": diagnosis.kind, "summary": diagnosis.summary, "advice": diagnosis.advice},
        "candidates": [
            {
                "profile": c.profile.id,
                "geography": c.profile.geography,
                "lifecycle": c.profile.lifecycle,
                "end_of_life": c.profile.end_of_life,
                "routes": [{"source_region": r.source_region, "regions_needed": list(r.regions_needed)} for r in c.routes],
            }
            for c in diagnosis.candidates
        ],
    }
    if file_results is not None:
        data["policy"] = file_results.path
        data["results"] = [proposal_to_json(p) | {"name": label} for label, p in file_results.proposals]
    return data


def _to_text(denial, diagnosis, file_results) -> str:
    from rewriter.report import check_to_text, proposal_summary

    lines = [
        f"Denied: {denial.action or '?'} on {denial.resource or '?'}"
        + (f" (Region: {denial.region})" if denial.region else ""),
        f"Principal: {denial.principal or 'unknown'}",
        "",
        diagnosis.summary,
    ]
    if diagnosis.candidates:
        lines += ["", "Profiles that route there, and the Regions an SCP must allow for each:"]
        for candidate in diagnosis.candidates:
            lifecycle = f" ({candidate.profile.lifecycle_text})" if candidate.profile.lifecycle_text else ""
            for route in candidate.routes:
                lines.append(
                    f"  {candidate.profile.id} from {route.source_region}: {', '.join(route.regions_needed)}{lifecycle}"
                )
    if diagnosis.advice:
        lines += ["", diagnosis.advice]
    if file_results is not None:
        for _label, proposal in file_results.proposals:
            lines += ["", check_to_text(proposal.before), proposal_summary(proposal)]
        if file_results.changed:
            from rewriter.diff import unified_diff

            lines += ["", unified_diff(file_results.original_text, file_results.new_text, path=file_results.path).rstrip("\n")]
    return "\n".join(lines)
