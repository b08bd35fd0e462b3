"""``scp-fix propose``: the smallest verified change, as a diff, JSON Patch, policy, JSON or Markdown."""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Optional

import typer

from rewriter import strategies
from rewriter.cli._common import (
    ACCOUNT_OPTION,
    ACTION_OPTION,
    BATCH_OPTION,
    BATCH_ROLE_OPTION,
    PRINCIPAL_OPTION,
    KIND_OPTION,
    NO_FULL_ACCESS_OPTION,
    PARAMETER_OPTION,
    PROFILE_OPTION,
    PROFILES_FILE_OPTION,
    SOURCE_REGION_OPTION,
    VAR_FILE_OPTION,
    EXIT_BAD_INPUT,
    EXIT_FINDING,
    EXIT_OK,
    EXIT_UNSAFE,
    GUARDRAIL_OPTION,
    LANG_OPTION,
    PolicyKind,
    batch_settings,
    batch_words,
    checked_principal,
    identity_words,
    emit,
    resolve_lang,
    use_colour,
    error_boundary,
    read_input,
)


class ProposeFormat(str, Enum):
    diff = "diff"
    json_patch = "json-patch"  # RFC 6902; not a git patch (that is "diff")
    patch = "patch"  # the old name of json-patch, kept as an alias
    policy = "policy"
    json = "json"
    markdown = "markdown"


# --strategy's choices, from the registry (identity policies' strategies too)
StrategyName = Enum("StrategyName", {name.replace("-", "_"): name for name in strategies.names()}, type=str)


def propose(
    policies: list[str] = typer.Argument(..., metavar="POLICY", help="Policy JSON files (- for standard input)."),
    profile: list[str] = PROFILE_OPTION,
    source_region: Optional[str] = SOURCE_REGION_OPTION,
    profiles_file: Optional[str] = PROFILES_FILE_OPTION,
    guardrail: Optional[str] = GUARDRAIL_OPTION,
    strategy: StrategyName = typer.Option(StrategyName.auto, "--strategy", help="Which fix pattern."),
    output: ProposeFormat = typer.Option(
        ProposeFormat.diff, "--format",
        help="diff: a unified diff git applies; json-patch: the change as an RFC 6902 JSON Patch (patch is "
        "an alias); policy: the new file; json: everything, for machines; markdown: a pull-request body.",
    ),
    write: bool = typer.Option(False, "--write", help="Replace each file in place after verification."),
    batch: bool = BATCH_OPTION,
    batch_role: Optional[str] = BATCH_ROLE_OPTION,
    principal: Optional[str] = PRINCIPAL_OPTION,
    broad: bool = typer.Option(False, "--broad", help="notaction: exempt all of Bedrock (NotAction bedrock:*)."),
    prefix: bool = typer.Option(False, "--prefix", help="Exempt every profile of the geography (jp.*), not only the named ones."),
    force: bool = typer.Option(False, "--force", help="Patch a Control Tower-managed policy anyway (causes drift)."),
    override: list[str] = typer.Option(
        [], "--override", metavar="STATEMENT",
        help="Let the change weaken this deliberate Bedrock control on purpose (Sid, or number from 1; repeatable).",
    ),
    no_full_access: bool = NO_FULL_ACCESS_OPTION,
    parameter: list[str] = PARAMETER_OPTION,
    var_file: list[str] = VAR_FILE_OPTION,
    kind: Optional[PolicyKind] = KIND_OPTION,
    account: Optional[str] = ACCOUNT_OPTION,
    action: list[str] = ACTION_OPTION,
    lang: Optional[str] = LANG_OPTION,
) -> None:
    """Propose the smallest verified change. Exit 0 nothing to change, 1 change proposed (or written),
    2 bad input, 3 a change is needed but none can be made safely. With several files, the highest code."""
    with error_boundary():
        from rewriter.cli._common import load_catalog
        from rewriter.cli.check import resolve_profiles

        from rewriter.requests import parse_parameters

        catalog = load_catalog(profiles_file)
        profiles, from_models = resolve_profiles(catalog, profile)
        guardrail_profile = catalog.guardrail(guardrail) if guardrail else None
        parameters = parse_parameters(parameter)
        batch, batch_role = batch_settings(batch, batch_role)
        principal = checked_principal(principal)
    if write and "-" in policies:
        typer.echo("scp-fix: --write cannot replace standard input", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    useless = _useless_flag(strategy, broad=broad, prefix=prefix)
    if useless:
        typer.echo(f"scp-fix: {useless}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT)
    from rewriter.evaluate import Evaluator

    evaluator = Evaluator()  # one for the run: the files' policies share their statements' patterns
    codes: list[int] = []
    documents: list[dict] = []  # --format json: one list for every file, as check prints
    for path in policies:
        code, result = _propose_one(
            path, profiles, write=write,
            options=dict(
                source_region=source_region, strategy=strategy.value, batch=batch, batch_role=batch_role,
                principal=principal, broad=broad, prefix=prefix, force=force, full_access=not no_full_access,
                override=tuple(override),
                parameters=parameters, var_files=tuple(var_file), from_models=from_models,
                kind=kind.value if kind else None, account=account, actions=tuple(action) or None,
                evaluator=evaluator, **({"guardrail": guardrail_profile} if guardrail_profile else {}),
            ),
        )
        codes.append(code)
        if result is None:
            continue
        if output is ProposeFormat.json:
            documents.extend(_json_documents(result))
        else:
            from rewriter.report import scp_fix_command

            verify = scp_fix_command(
                "check", [path], [p.id for p in profiles], source_region=source_region,
                full_access=not no_full_access, parameters=parameter, var_files=var_file,
                extra=identity_words(kind, account, action) + batch_words(batch, batch_role, principal)
                + (["--guardrail", guardrail] if guardrail else []),
            )
            _show(result, output, lang=resolve_lang(lang), verify=verify)
    if documents:
        emit(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2, ensure_ascii=False))
    raise typer.Exit(max(codes))


def _propose_one(path: str, profiles, *, write: bool, options: dict):
    """(exit code, the file's result or None when the file could not be read)."""
    try:
        with error_boundary():
            from rewriter.policy_files import propose_file
            from rewriter.vocabulary import Status  # here, not at the top: --help stays light

            name, data = read_input(path)
            result = propose_file(name, data, profiles, **options)
            if write and result.changed and result.status is not Status.UNSAFE:
                from rewriter.files import write_atomic

                write_atomic(path, result.new_text, expected=data)  # refused if another writer changed it
                typer.echo(f"wrote {path}", err=True)
    except typer.Exit as exit_:
        return exit_.exit_code, None
    if result.status is Status.UNSAFE:
        return EXIT_UNSAFE, result
    return (EXIT_FINDING if result.changed else EXIT_OK), result


def _json_documents(result) -> list[dict]:
    from rewriter.report import proposal_to_json

    changed = result.changed
    several = len(result.proposals) > 1
    left = dict(result.not_callable)
    return [
        proposal_to_json(p, text=result.new_text if changed else None, diff=_diff(result) if changed else None)
        | ({"name": label} if several or label != result.path else {})
        | ({"unresolved": list(result.unresolved)} if result.unresolved else {})
        | ({"not_callable": left[label].to_json()} if label in left else {})
        | ({"warnings": list(result.warnings)} if result.warnings else {})
        for label, p in result.proposals
    ]


def _show(result, output: ProposeFormat, *, lang: str, verify: str) -> None:
    from rewriter.report import proposal_summary

    proposals = [p for _, p in result.proposals]
    changed = result.changed
    if output is ProposeFormat.markdown:
        from rewriter.pr import pull_request_body

        diff = _diff(result) or ""
        emit("\n\n---\n\n".join(pull_request_body(p, diff=diff, verify=verify, lang=lang) for p in proposals))
        return
    # Human words go to stderr so stdout stays a clean diff, patch or policy for a pipe.
    for proposal in proposals:
        typer.echo(proposal_summary(proposal, lang=lang), err=True)
    for note in result.unresolved + result.warnings:
        typer.echo(f"scp-fix: warning: {note}", err=True)
    for label, left in result.not_callable:
        typer.echo(f"scp-fix: note: {label}: {left.sentence()}", err=True)
    if not changed:
        return
    if output in (ProposeFormat.json_patch, ProposeFormat.patch):
        patches = {label: p.chosen.fix.patch for label, p in result.proposals if p.changed}
        body = next(iter(patches.values())) if len(result.proposals) == 1 else patches
        emit(json.dumps(body, indent=2, ensure_ascii=False))
    elif output is ProposeFormat.policy:
        sys.stdout.write(result.new_text)
        sys.stdout.flush()
    else:
        sys.stdout.write(_diff(result, color=use_colour(sys.stdout)) or "")
        sys.stdout.flush()


def _diff(result, *, color: bool = False) -> str | None:
    if not result.changed:
        return None
    from rewriter.diff import unified_diff

    return unified_diff(result.original_text, result.new_text, path=result.path, color=color)


def _useless_flag(strategy: StrategyName, *, broad: bool, prefix: bool) -> str | None:
    """A flag the chosen strategy ignores is a mistake worth saying, not a silent no-op."""
    if strategy.value == strategies.AUTO:
        return None
    chosen = strategies.strategy(strategy.value)
    if broad and not chosen.broad_form:
        return f"--broad has no effect with --strategy {strategy.value} (it widens the notaction exemption to bedrock:*)"
    if prefix and not chosen.prefix_form and chosen.kind == "scp":  # identity fixes take no profile patterns
        return f"--prefix has no effect with --strategy {strategy.value} (it widens a profile exemption to the whole geography)"
    if prefix and broad:
        return f"--prefix has no effect with --strategy {strategy.value} --broad (bedrock:* is exempt for every profile)"
    return None
