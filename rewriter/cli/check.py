"""``scp-fix check``: would these inference profiles work under this SCP?"""

from __future__ import annotations

import json
from typing import Optional

import typer

from rewriter.cli._common import (
    ACCOUNT_OPTION,
    ACTION_OPTION,
    KIND_OPTION,
    EXIT_FINDING,
    EXIT_OK,
    NO_FULL_ACCESS_OPTION,
    PARAMETER_OPTION,
    PROFILE_OPTION,
    PROFILES_FILE_OPTION,
    SOURCE_REGION_OPTION,
    VAR_FILE_OPTION,
    PolicyKind,
    TextOrJson,
    emit,
    error_boundary,
    read_input,
)


def check(
    policies: list[str] = typer.Argument(
        ..., metavar="POLICY", help="Policy JSON files, or - for standard input."
    ),
    profile: list[str] = PROFILE_OPTION,
    source_region: Optional[str] = SOURCE_REGION_OPTION,
    profiles_file: Optional[str] = PROFILES_FILE_OPTION,
    output: TextOrJson = typer.Option(TextOrJson.text, "--format", help="Output format."),
    no_full_access: bool = NO_FULL_ACCESS_OPTION,
    parameter: list[str] = PARAMETER_OPTION,
    var_file: list[str] = VAR_FILE_OPTION,
    kind: Optional[PolicyKind] = KIND_OPTION,
    account: Optional[str] = ACCOUNT_OPTION,
    action: list[str] = ACTION_OPTION,
    skip_non_policy_files: bool = typer.Option(
        False, "--skip-non-policy-files",
        help="Skip, with a note, files that plainly hold no policy (as a pre-commit hook passes every JSON, YAML and Terraform file).",
    ),
) -> None:
    """Check every authorization of each profile. Exit 0 all work, 1 any blocked, 2 bad input.

    With several files (as a pre-commit hook passes them), each is checked; one bad file does not stop
    the others, and the exit code is the highest. JSON output is then a list, one object per file."""
    with error_boundary():
        from rewriter.catalog import load_catalog

        catalog = load_catalog(profiles_file)
        profiles, from_models = resolve_profiles(catalog, profile)
    codes: list[int] = []
    documents: list[dict] = []
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
                    kind=kind.value if kind else None, account=account, actions=tuple(action) or None,
                    from_models=from_models,
                )
        except typer.Exit as exit_:
            codes.append(exit_.exit_code)
            continue
        for item in results:
            codes.append(EXIT_FINDING if item.result.blocked else EXIT_OK)
            if output is TextOrJson.json:
                extra = {"unresolved": list(item.unresolved)} if item.unresolved else {}
                if item.not_callable is not None:
                    extra["not_callable"] = item.not_callable.to_json()
                documents.append(check_to_json(item.result) | extra)
            else:
                emit(check_to_text(item.result))
                for note in item.unresolved:
                    typer.echo(f"scp-fix: warning: {note}", err=True)
                if item.not_callable is not None:
                    typer.echo(f"scp-fix: note: {item.label}: {item.not_callable.sentence()}", err=True)
        if output is TextOrJson.text and any(i.result.blocked and i.result.kind == "scp" for i in results):
            fix = _fix_command(path, profile, source_region=source_region, profiles_file=profiles_file,
                               no_full_access=no_full_access, parameter=parameter, var_file=var_file)
            typer.echo(f"scp-fix: to fix {path}, run: {fix}", err=True)
    if output is TextOrJson.json and documents:
        emit(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2))
    raise typer.Exit(max(codes))


def _fix_command(path: str, profiles: list[str], **options) -> str:
    """The ``scp-fix propose ... --write`` command that fixes ``path``, with the options this check used."""
    import shlex

    words = ["scp-fix", "propose", path]
    for ref in profiles:
        words += ["--profile", ref]
    for name in ("source_region", "profiles_file"):
        if options[name]:
            words += [f"--{name.replace('_', '-')}", options[name]]
    if options["no_full_access"]:
        words.append("--no-full-access")
    for value in options["parameter"]:
        words += ["--parameter", value]
    for value in options["var_file"]:
        words += ["--var-file", value]
    return shlex.join([*words, "--write"])


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
