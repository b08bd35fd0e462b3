"""``scp-fix check``: would these inference profiles work under this SCP?"""

from __future__ import annotations

import json
from enum import Enum
from typing import Optional

import typer

from rewriter.cli._common import (
    ACCOUNT_OPTION,
    ACTION_OPTION,
    BATCH_OPTION,
    BATCH_ROLE_OPTION,
    PRINCIPAL_OPTION,
    KIND_OPTION,
    EXIT_FINDING,
    EXIT_OK,
    GUARDRAIL_OPTION,
    NO_FULL_ACCESS_OPTION,
    PARAMETER_OPTION,
    PROFILE_OPTION,
    PROFILES_FILE_OPTION,
    SOURCE_REGION_OPTION,
    VAR_FILE_OPTION,
    PolicyKind,
    batch_settings,
    batch_words,
    checked_principal,
    identity_words,
    LANG_OPTION,
    emit,
    error_boundary,
    read_input,
    resolve_lang,
)


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    sarif = "sarif"  # SARIF 2.1.0, for code scanning


def check(
    policies: list[str] = typer.Argument(
        ..., metavar="POLICY", help="Policy JSON files, or - for standard input."
    ),
    profile: list[str] = PROFILE_OPTION,
    source_region: Optional[str] = SOURCE_REGION_OPTION,
    profiles_file: Optional[str] = PROFILES_FILE_OPTION,
    guardrail: Optional[str] = GUARDRAIL_OPTION,
    output: CheckFormat = typer.Option(
        CheckFormat.text, "--format",
        help="text; json; sarif: SARIF 2.1.0 for code scanning (one result per blocked authorization).",
    ),
    no_full_access: bool = NO_FULL_ACCESS_OPTION,
    parameter: list[str] = PARAMETER_OPTION,
    var_file: list[str] = VAR_FILE_OPTION,
    kind: Optional[PolicyKind] = KIND_OPTION,
    account: Optional[str] = ACCOUNT_OPTION,
    action: list[str] = ACTION_OPTION,
    batch: bool = BATCH_OPTION,
    batch_role: Optional[str] = BATCH_ROLE_OPTION,
    principal: Optional[str] = PRINCIPAL_OPTION,
    lang: Optional[str] = LANG_OPTION,
    skip_non_policy_files: bool = typer.Option(
        False, "--skip-non-policy-files",
        help="Skip, with a note, files that plainly hold no policy (as a pre-commit hook passes every JSON, YAML and Terraform file).",
    ),
) -> None:
    """Check every authorization of each profile. Exit 0 all work, 1 any blocked, 2 bad input.

    With several files (as a pre-commit hook passes them), each is checked; one bad file does not stop
    the others, and the exit code is the highest. JSON output is then a list, one object per file."""
    with error_boundary():
        from rewriter.cli._common import load_catalog

        catalog = load_catalog(profiles_file)
        profiles, from_models = resolve_profiles(catalog, profile)
        guardrail_profile = catalog.guardrail(guardrail) if guardrail else None
        batch, batch_role = batch_settings(batch, batch_role)
        principal = checked_principal(principal)
        actions = tuple(action) or None
        if batch:
            from rewriter.cris import BATCH_ACTION, INFERENCE_ACTIONS

            actions = (actions or INFERENCE_ACTIONS) + (BATCH_ACTION,)
    with_guardrail = {"guardrail": guardrail_profile} if guardrail_profile else {}
    guardrail_words = ["--guardrail", guardrail] if guardrail else []
    codes: list[int] = []
    documents: list[dict] = []
    checked: list[tuple] = []  # (file, its check), for SARIF
    language = resolve_lang(lang)
    for path in policies:
        try:
            with error_boundary():
                from rewriter.policy_files import check_file
                from rewriter.report import check_to_json, check_to_text
                from rewriter.requests import parse_parameters

                name, data = read_input(path)
                if skip_non_policy_files:
                    from rewriter.policy_files import no_policy_reason

                    why = no_policy_reason(name, data)
                    if why is not None:
                        typer.echo(f"scp-fix: note: {name}: skipped: {why}", err=True)
                        codes.append(EXIT_OK)
                        continue
                results = check_file(
                    name, data, profiles, parameters=parse_parameters(parameter), var_files=tuple(var_file),
                    source_region=source_region, full_access=not no_full_access,
                    kind=kind.value if kind else None, account=account, actions=actions,
                    from_models=from_models, **({"batch_role": batch_role} if batch_role else {}), **with_guardrail,
                    **({"principal": principal} if principal else {}),
                )
        except typer.Exit as exit_:
            codes.append(exit_.exit_code)
            continue
        for item in results:
            codes.append(EXIT_FINDING if item.result.blocked else EXIT_OK)
            if output is CheckFormat.json:
                extra = {"unresolved": list(item.unresolved)} if item.unresolved else {}
                if item.not_callable is not None:
                    extra["not_callable"] = item.not_callable.to_json()
                extra |= {"warnings": list(item.warnings)} if item.warnings else {}
                documents.append(check_to_json(item.result) | extra)
            elif output is CheckFormat.sarif:
                checked.append((name, item))
            else:
                emit(check_to_text(item.result, lang=language))
                for note in item.unresolved + item.warnings:
                    typer.echo(f"scp-fix: warning: {note}", err=True)
                if item.not_callable is not None:
                    typer.echo(f"scp-fix: note: {item.label}: {item.not_callable.sentence()}", err=True)
        if output is CheckFormat.text and any(i.result.blocked and i.result.kind == "scp" for i in results):
            from rewriter.report import scp_fix_command

            fix = scp_fix_command(
                "propose", [path], profile, source_region=source_region, full_access=not no_full_access,
                parameters=parameter, var_files=var_file,
                extra=[*(["--profiles-file", profiles_file] if profiles_file else []), *guardrail_words,
                       *batch_words(batch, batch_role, principal), "--write"],
            )
            typer.echo(f"scp-fix: to fix {path}, run: {fix}", err=True)
    if output is CheckFormat.json and documents:
        emit(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2))
    if output is CheckFormat.sarif:
        from rewriter import __version__
        from rewriter.report import scp_fix_command
        from rewriter.sarif import sarif_log

        fix = scp_fix_command(
            "propose", policies, [p.id for p in profiles], source_region=source_region,
            full_access=not no_full_access, parameters=parameter, var_files=var_file,
            extra=identity_words(kind, account, action) + guardrail_words + batch_words(batch, batch_role, principal),
        )
        emit(json.dumps(sarif_log(checked, fix_command=fix, version=__version__), indent=2, ensure_ascii=False))
    raise typer.Exit(max(codes))


def resolve_profiles(catalog, refs: list[str]) -> tuple[tuple, frozenset[str]]:
    """Profile ids, ARNs or model ids -> distinct profiles, in the order given, and the ids of those that
    only a model id named (checked and fixed only where a caller can call them).

    A profile past (or near) its end of life is still checked with its last known routes: old
    policies and error messages name it. Saying so is part of the answer."""
    found: dict[str, object] = {}
    named: set[str] = set()
    for ref in refs:
        items = catalog.resolve(ref)
        if ref.strip() in catalog:  # a profile id or ARN, not a model id
            named.update(item.id for item in items)
        for item in items:
            found.setdefault(item.id, item)
    for item in found.values():
        if item.end_of_life_text:
            typer.echo(
                f"scp-fix: note: {item.label} is {item.end_of_life_text}; checked with its last known routes",
                err=True,
            )
    return tuple(found.values()), frozenset(found) - named
