"""``scp-fix propose``: the smallest verified change, as a diff, JSON Patch, policy, JSON or Markdown."""

from __future__ import annotations

import json
import os
import sys
from enum import Enum
from typing import Optional

import typer

from rewriter.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_FINDING,
    EXIT_OK,
    EXIT_UNSAFE,
    emit,
    error_boundary,
    read_input,
)


class ProposeFormat(str, Enum):
    diff = "diff"
    patch = "patch"
    policy = "policy"
    json = "json"
    markdown = "markdown"


class StrategyName(str, Enum):
    auto = "auto"
    regions = "regions"
    notaction = "notaction"
    profile_arn = "profile-arn"


def propose(
    policies: list[str] = typer.Argument(..., metavar="POLICY...", help="Policy JSON files (- for standard input)."),
    profile: list[str] = typer.Option(
        ..., "--profile", help="Inference profile id or ARN, or a model id (all its profiles). Repeatable."
    ),
    source_region: Optional[str] = typer.Option(
        None, "--source-region", help="The Region callers call from (default: every source the SCP allows)."
    ),
    profiles_file: Optional[str] = typer.Option(
        None, "--profiles-file", help="YAML/JSON file of extra or overriding inference profiles."
    ),
    strategy: StrategyName = typer.Option(StrategyName.auto, "--strategy", help="Which fix pattern."),
    output: ProposeFormat = typer.Option(ProposeFormat.diff, "--format", help="Output format."),
    write: bool = typer.Option(False, "--write", help="Replace each file in place after verification."),
    batch: bool = typer.Option(False, "--batch", help="Also let bedrock:CreateModelInvocationJob through."),
    broad: bool = typer.Option(False, "--broad", help="notaction: exempt all of Bedrock (NotAction bedrock:*)."),
    prefix: bool = typer.Option(False, "--prefix", help="Exempt every profile of the geography (jp.*), not only the named ones."),
    force: bool = typer.Option(False, "--force", help="Patch a Control Tower-managed policy anyway (causes drift)."),
    no_full_access: bool = typer.Option(
        False, "--no-full-access", help="Evaluate the policy alone, not beside FullAWSAccess."
    ),
) -> None:
    """Propose the smallest verified change. Exit 0 nothing to change, 1 change proposed (or written),
    2 bad input, 3 a change is needed but none can be made safely. With several files, the highest code."""
    with error_boundary():
        from rewriter.catalog import load_catalog
        from rewriter.cli.check import resolve_profiles

        catalog = load_catalog(profiles_file)
        profiles = resolve_profiles(catalog, profile)
    if write and "-" in policies:
        typer.echo("scp-fix: --write cannot replace standard input", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    codes = []
    for path in policies:
        codes.append(
            _propose_one(
                path, profiles, output=output, write=write,
                options=dict(
                    source_region=source_region, strategy=strategy.value, batch=batch, broad=broad,
                    prefix=prefix, force=force, full_access=not no_full_access,
                ),
            )
        )
    raise typer.Exit(max(codes))


def _propose_one(path: str, profiles, *, output: ProposeFormat, write: bool, options: dict) -> int:
    try:
        with error_boundary():
            from rewriter.parse import parse_policy
            from rewriter.propose import propose as run_propose

            name, data = read_input(path)
            policy = parse_policy(data, path=name)
            proposal = run_propose(policy, profiles, **options)
            if write and proposal.changed:
                from rewriter.files import write_atomic

                write_atomic(path, proposal.chosen.text)
    except typer.Exit as exit_:
        return exit_.exit_code
    _show(proposal, output)
    if proposal.status == "unsafe":
        return EXIT_UNSAFE
    return EXIT_FINDING if proposal.changed else EXIT_OK


def _show(proposal, output: ProposeFormat) -> None:
    from rewriter.report import proposal_summary, proposal_to_json

    chosen = proposal.chosen
    new_text = chosen.text if chosen else None
    if output is ProposeFormat.json:
        emit(json.dumps(proposal_to_json(proposal, text=new_text, diff=_diff(proposal)), indent=2, ensure_ascii=False))
        return
    if output is ProposeFormat.markdown:
        from rewriter.pr import pull_request_body

        emit(pull_request_body(proposal, diff=_diff(proposal) or ""))
        return
    # Human words go to stderr so stdout stays a clean diff, patch or policy for a pipe.
    typer.echo(proposal_summary(proposal), err=True)
    if chosen is None:
        return
    if output is ProposeFormat.patch:
        emit(json.dumps(chosen.fix.patch, indent=2, ensure_ascii=False))
    elif output is ProposeFormat.policy:
        sys.stdout.write(new_text)
        sys.stdout.flush()
    else:
        sys.stdout.write(_diff(proposal, color=_color()) or "")
        sys.stdout.flush()


def _diff(proposal, *, color: bool = False) -> str | None:
    if proposal.chosen is None:
        return None
    from rewriter.diff import unified_diff

    return unified_diff(proposal.policy.source.text, proposal.chosen.text, path=proposal.policy.path, color=color)


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ
