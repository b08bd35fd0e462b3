"""``scp-fix profiles``: list, show and sync the inference-profile catalog. Thin: the catalog does the work."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

from rewriter.cli._common import EXIT_BAD_INPUT, TextOrJson, emit, error_boundary

if TYPE_CHECKING:
    from rewriter.catalog import Catalog, Profile

profiles_app = typer.Typer(
    name="profiles",
    help="List, show and refresh the Bedrock inference profiles scp-fix knows.",
    invoke_without_command=True,
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_GEOGRAPHY_HELP = "Only this geography: us, us-gov, ca, eu, apac, jp, au, global (or custom)."
_MODEL_HELP = "Only profiles whose model id contains this text."
_FORMAT_HELP = "Output format."
_FILE_HELP = "A YAML or JSON file of profiles that extends or overrides the built-in catalog."


def _load(profiles_file: str | None) -> Catalog:
    from rewriter.cli._common import load_catalog

    return load_catalog(profiles_file)


def _filter(catalog: Catalog, geography: str | None, model: str | None) -> tuple[Profile, ...]:
    from rewriter.catalog import GEOGRAPHIES
    from rewriter.errors import InputError

    # The set is open: a user file may bring a geography the built-in data does not use.
    known = dict.fromkeys((*GEOGRAPHIES, *(p.geography for p in catalog.profiles), "custom"))
    if geography is not None and geography not in known:
        raise InputError(f"unknown geography {geography!r}; expected one of {', '.join(known)}")
    needle = model.lower() if model else None
    return tuple(
        p
        for p in catalog.profiles
        if (geography is None or p.geography == geography)
        and (needle is None or needle in p.model.lower())
    )


def _catalog_header(catalog: Catalog) -> dict[str, Any]:
    header = {"data_date": catalog.data_date, "source": catalog.source, "files": list(catalog.files)}
    if catalog.synced is not None:
        header["synced"] = {"file": catalog.synced[0], "data_date": catalog.synced[1]}
    return header


def _list_text(catalog: Catalog, profiles: tuple[Profile, ...]) -> str:
    if not profiles:
        return "no profiles match"
    width = max(len(p.label) for p in profiles)
    geo_width = max(len(p.geography) for p in profiles)
    counts = [
        f"{len(p.sources)} source Region" + ("" if len(p.sources) == 1 else "s")
        if p.sources
        else "source Regions unknown"
        for p in profiles
    ]
    count_width = max(map(len, counts))
    lines = []
    for p, sources in zip(profiles, counts, strict=True):
        row = f"{p.label:<{width}}  {p.geography:<{geo_width}}  {sources:<{count_width}}  {p.lifecycle_text or ''}"
        lines.append(row.rstrip())
    lines.append("")
    lines.append(
        f"{len(profiles)} profile{'s' if len(profiles) != 1 else ''}; catalog data {catalog.data_date}"
        + (f", synced {catalog.synced[1]} ({catalog.synced[0]})" if catalog.synced else "")
        + (f", extended by {', '.join(catalog.files)}" if catalog.files else "")
    )
    if catalog.announced:
        lines.append(
            f"{len(catalog.announced)} more ids are announced without confirmed routes "
            "('scp-fix profiles list --format json' lists them; 'profiles show ID' shows one)"
        )
    if catalog.guardrails:
        lines.append(
            f"guardrail profiles (bedrock:ApplyGuardrail; check --guardrail ID): "
            f"{', '.join(g.id for g in catalog.guardrails)}"
            + (f"; announced without confirmed routes: {', '.join(a.id for a in catalog.announced_guardrails)}"
               if catalog.announced_guardrails else "")
        )
    return "\n".join(lines)


def _show_text(profile: Profile) -> str:
    lines = [profile.label]
    fields = [
        ("id", profile.id),
        ("name", profile.name or "(not confirmed by AWS documentation)"),
        ("model", profile.model or "(none: a guardrail profile routes bedrock:ApplyGuardrail)"),
        ("geography", profile.geography),
        ("kind", profile.kind),
        ("source", profile.source or profile.origin),
    ]
    if profile.origin != "built-in":
        fields.append(("from", profile.origin))
    if profile.lifecycle_text:
        fields.append(("lifecycle", profile.lifecycle_text))
        if profile.lifecycle_source:
            fields.append(("evidence", profile.lifecycle_source))
    lines += [f"  {key + ':':<11}{value}" for key, value in fields]
    lines.append("")
    if not profile.routes:
        lines.append("  Source Regions: not known. State them in a --profiles-file.")
    elif profile.is_global:
        lines.append(
            "  Global profile: from each source Region, AWS may route to all commercial Regions."
        )
        lines.append(
            "  An SCP sees aws:RequestedRegion = the source Region and 'unspecified' "
            "(the Region-less foundation-model ARN)."
        )
        lines.append("")
        rows = [(s, "all commercial Regions", f"{s}, unspecified") for s in profile.routes]
        lines += _table(("SOURCE", "DESTINATIONS", "SCP SEES"), rows)
    else:
        lines.append("  Routes (an SCP must allow every destination of the calling source Region):")
        lines.append("")
        lines += _route_table(profile.routes)
    if profile.unconfirmed_routes:
        lines.append("")
        lines.append(
            "  Unconfirmed routes (listed by one AWS page, contradicted by another; not used):"
        )
        lines += _route_table(profile.unconfirmed_routes)
    if profile.notes:
        lines.append("")
        lines.append("  Notes:")
        lines += [f"  - {note}" for note in profile.notes]
    return "\n".join(lines)


def _announced_text(announced: Any) -> str:
    lines = [announced.id, f"  {'model:':<11}{announced.model}", f"  {'announced:':<11}{announced.announced}", ""]
    lines.append(
        "  Routes: not confirmed by any AWS page copy or crawl. State them in a --profiles-file, or ask "
        "Bedrock with 'scp-fix profiles sync --region <source Region>'."
    )
    if announced.note:
        lines += ["", "  Notes:", f"  - {announced.note}"]
    return "\n".join(lines)


def _route_table(routes: Any) -> list[str]:
    return _table(("SOURCE", "DESTINATIONS"), [(s, ", ".join(d)) for s, d in routes.items()])


def _table(headings: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in (headings, *rows)) for i in range(len(headings))]
    return [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (headings, *rows)
    ]


def _do_list(
    geography: str | None, model: str | None, output: TextOrJson, profiles_file: str | None
) -> None:
    with error_boundary():
        catalog = _load(profiles_file)
        profiles = _filter(catalog, geography, model)
        if output is TextOrJson.json:
            document = {
                **_catalog_header(catalog),
                "profiles": [p.to_dict() for p in profiles],
                "announced_unconfirmed": [a.to_dict() for a in (*catalog.announced, *catalog.announced_guardrails)],
                # kind "guardrail" entries, as a --profiles-file writes them
                "guardrail_profiles": [g.to_dict() for g in catalog.guardrails],
            }
            emit(json.dumps(document, indent=2, ensure_ascii=False))
        else:
            emit(_list_text(catalog, profiles))


_GROUP_OPTIONS = {"geography": "--geography", "model": "--model", "output": "--format", "profiles_file": "--profiles-file"}


def _given(ctx: typer.Context) -> dict[str, Any]:
    """The options typed on this command line (not defaults), by parameter name."""

    def typed(name: str) -> bool:
        source = ctx.get_parameter_source(name)
        # by name: typer may bring its own copy of click, whose ParameterSource is another class
        return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")

    return {name: ctx.params[name] for name in _GROUP_OPTIONS if name in ctx.params and typed(name)}


def _with_group(ctx: typer.Context, **values: Any) -> dict[str, Any]:
    """A subcommand's options, with those given before it (``profiles -g jp list``) where it gave none:
    an option typed at the group level is honoured, never dropped."""
    group = ctx.parent.obj if ctx.parent is not None and isinstance(ctx.parent.obj, dict) else {}
    merged = {**values, **{k: v for k, v in group.items() if k not in _given(ctx)}}
    # ctx.params of a group holds click's value ('json'); typer makes the enum only for the callback
    merged["output"] = TextOrJson(merged["output"])
    return merged


@profiles_app.callback(invoke_without_command=True)
def _default(
    ctx: typer.Context,
    geography: str | None = typer.Option(None, "--geography", "-g", help=_GEOGRAPHY_HELP),
    model: str | None = typer.Option(None, "--model", "-m", help=_MODEL_HELP),
    output: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help=_FORMAT_HELP),
    profiles_file: str | None = typer.Option(None, "--profiles-file", help=_FILE_HELP),
) -> None:
    """List, show and refresh the Bedrock inference profiles scp-fix knows (default: list).

    Options given here apply to list and show as if given after them; sync takes none of them."""
    if ctx.invoked_subcommand is None:
        _do_list(geography, model, output, profiles_file)
        return
    given = _given(ctx)
    if ctx.invoked_subcommand == "sync" and given:
        typer.echo(
            f"scp-fix: profiles sync does not take {', '.join(_GROUP_OPTIONS[n] for n in given)}; "
            "it writes the catalog file named by --output",
            err=True,
        )
        raise typer.Exit(EXIT_BAD_INPUT)
    ctx.obj = given


@profiles_app.command("list")
def list_profiles(
    ctx: typer.Context,
    geography: str | None = typer.Option(None, "--geography", "-g", help=_GEOGRAPHY_HELP),
    model: str | None = typer.Option(None, "--model", "-m", help=_MODEL_HELP),
    output: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help=_FORMAT_HELP),
    profiles_file: str | None = typer.Option(None, "--profiles-file", help=_FILE_HELP),
) -> None:
    """List the known inference profiles."""
    _do_list(**_with_group(ctx, geography=geography, model=model, output=output, profiles_file=profiles_file))


@profiles_app.command("show")
def show_profile(
    ctx: typer.Context,
    ref: str = typer.Argument(
        ...,
        metavar="ID",
        help="Profile id or ARN, or a model id (shows every profile that serves it).",
    ),
    geography: str | None = typer.Option(None, "--geography", "-g", help=_GEOGRAPHY_HELP),
    model: str | None = typer.Option(None, "--model", "-m", help=_MODEL_HELP),
    output: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help=_FORMAT_HELP),
    profiles_file: str | None = typer.Option(None, "--profiles-file", help=_FILE_HELP),
) -> None:
    """Show a profile's routes: source Region -> destination Regions. With a model id, -g and -m keep
    only the matching profiles."""
    options = _with_group(ctx, geography=geography, model=model, output=output, profiles_file=profiles_file)
    output = options["output"]
    with error_boundary():
        catalog = _load(options["profiles_file"])
        announced = catalog.announcement(ref)
        if announced is not None:  # known by name only: say what is known, and what is not
            if output is TextOrJson.json:
                emit(json.dumps({**_catalog_header(catalog), "announced_unconfirmed": [announced.to_dict()]}, indent=2, ensure_ascii=False))
            else:
                emit(_announced_text(announced))
            return
        guardrail = next((g for g in catalog.guardrails if g.id == ref.strip()), None)
        if guardrail is not None:  # a guardrail profile: the same record, shown alike
            if output is TextOrJson.json:
                emit(json.dumps({**_catalog_header(catalog), "profiles": [guardrail.to_dict()]}, indent=2, ensure_ascii=False))
            else:
                emit(_show_text(guardrail))
            return
        profiles = catalog.resolve(ref)
        if options["geography"] is not None or options["model"] is not None:
            matching = set(_filter(catalog, options["geography"], options["model"]))
            profiles = tuple(p for p in profiles if p in matching)
            if not profiles:
                from rewriter.errors import InputError

                raise InputError(f"no profile of {ref} matches the --geography/--model given")
        if output is TextOrJson.json:
            document = {**_catalog_header(catalog), "profiles": [p.to_dict() for p in profiles]}
            emit(json.dumps(document, indent=2, ensure_ascii=False))
        else:
            emit("\n\n".join(_show_text(p) for p in profiles))


@profiles_app.command("sync")
def sync(
    regions: list[str] = typer.Option(
        ..., "--region", "-r", help="A source Region to ask; repeat for more."
    ),
    aws_profile: str | None = typer.Option(
        None, "--aws-profile", help="AWS named profile (default: the standard credential chain)."
    ),
    output_file: str | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Catalog file to write (JSON). Default: the user catalog $XDG_DATA_HOME/scp-fix/profiles.json, "
        "which check, propose and explain then use over the built-in one.",
    ),
    verify: bool = typer.Option(
        False,
        "--verify",
        help="Call GetInferenceProfile for every profile, not only where the list gives no models.",
    ),
) -> None:
    """Ask Amazon Bedrock which profiles each Region serves, and write a catalog file."""
    with error_boundary():
        from rewriter.catalog.loader import user_catalog_path
        from rewriter.catalog.sync import make_session, sync_profiles, write_catalog_file

        target = output_file or user_catalog_path()
        session = make_session(aws_profile)
        entries = sync_profiles(regions, session=session, verify=verify)
        write_catalog_file(entries, target, regions=regions)
        emit(f"wrote {len(entries)} profiles from {len(set(regions))} Regions to {target}")
        if output_file is None:
            emit("check, propose and explain use it from now on; 'scp-fix profiles diff' shows what it changes")


@profiles_app.command("diff")
def diff(
    synced_file: str | None = typer.Argument(
        None, metavar="[FILE]", help="A synced catalog (default: the user catalog profiles sync writes)."
    ),
    output: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help=_FORMAT_HELP),
) -> None:
    """What a synced catalog changes against the built-in one: added profiles, removed and changed
    routes, in the source Regions it asked. Exit 0 no change, 1 changes, 2 bad input."""
    with error_boundary():
        from rewriter.catalog.loader import builtin_catalog, read_profiles_document, user_catalog_path
        from rewriter.catalog.synced import diff_synced

        name = synced_file or user_catalog_path()
        document, profiles = read_profiles_document(name)
        builtin = builtin_catalog()
        changes = diff_synced(builtin, profiles, document=document)
        date = document.get("data_date", "unknown") if isinstance(document, dict) else "unknown"
    if output is TextOrJson.json:
        header = {"synced": name, "synced_date": date, "builtin_date": builtin.data_date}
        emit(json.dumps(header | changes.to_json(), indent=2, ensure_ascii=False))
    else:
        emit(_diff_text(name, date, builtin.data_date, changes))
    raise typer.Exit(0 if changes.empty else 1)


def _diff_text(name: str, date: str, builtin_date: str, changes: Any) -> str:
    lines = [
        f"{name} (synced {date}) against the built-in catalog (data {builtin_date}), "
        f"source Regions asked: {', '.join(changes.regions)}"
    ]
    if changes.empty:
        return "\n".join([*lines, "no changes"])
    for profile in changes.added:
        lines.append(f"+ {profile.label}: new profile, from {', '.join(profile.routes)}")
    for change in changes.removed:
        lines.append(
            f"- {change.profile} from {change.source}: no longer listed (was {', '.join(change.before)})"
        )
    for change in changes.changed:
        before = ", ".join(change.before) if change.before else "no route"
        lines.append(f"~ {change.profile} from {change.source}: {before} -> {', '.join(change.after)}")
    lines.append(
        f"{len(changes.added)} added, {len(changes.removed)} removed, {len(changes.changed)} changed routes"
    )
    return "\n".join(lines)
