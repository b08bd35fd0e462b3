"""``scp-fix org``: snapshot an organization, check every account, propose the policy changes. Thin."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any, Optional

import typer

from rewriter.cli._common import (
    BATCH_OPTION,
    BATCH_ROLE_OPTION,
    EXIT_BAD_INPUT,
    EXIT_FINDING,
    EXIT_OK,
    EXIT_UNSAFE,
    TextOrJson,
    batch_settings,
    emit,
    emit_chunks,
    error_boundary,
)

if TYPE_CHECKING:
    from rewriter.org.snapshot import Snapshot

org_app = typer.Typer(
    name="org",
    help="Check and fix the SCPs of a whole organization, from the root through each OU to each account.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_PROFILE_HELP = "Inference profile id or ARN; repeat for more."
_AWS_PROFILE_HELP = "AWS named profile (default: the standard credential chain)."
_ENDPOINT_HELP = "Organizations endpoint URL (a test server, a VPC endpoint)."
_SNAPSHOT_HELP = "A snapshot written by 'scp-fix org snapshot'."
_LIVE_HELP = "Read the organization through AWS Organizations now instead of a snapshot."
_FILE_HELP = "A YAML or JSON file of profiles that extends or overrides the built-in catalog."
_SOURCE_HELP = "Check calls from this source Region only (default: every source Region a profile has)."


def _progress() -> Any:
    """A progress reporter on a terminal (stderr) only; None when stderr is a pipe or a file."""
    stream = sys.stderr
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return None
    state: dict[str, Any] = {}

    def report(phase: str, done: int, total: int | None) -> None:
        if phase == "tree":
            stream.write(f"\rreading the organization: {done} roots, OUs and accounts")
            stream.flush()
            return
        bar = state.get("bar")
        if bar is None:
            stream.write("\n")
            bar = state["bar"] = typer.progressbar(length=total or 0, label="reading policies", file=stream)
            bar.__enter__()
        bar.length = total or bar.length
        bar.update(done - bar.pos)
        if total is not None and done >= total:
            bar.__exit__(None, None, None)

    return report


def _read_live(aws_profile: str | None, endpoint_url: str | None) -> Snapshot:
    from rewriter.org.live import make_client, read_organization

    client = make_client(aws_profile=aws_profile, endpoint_url=endpoint_url)
    return read_organization(client, progress=_progress(), source=endpoint_url or "aws")


def _source(snapshot_path: str | None, live: bool, aws_profile: str | None, endpoint_url: str | None) -> tuple[Snapshot, str]:
    from rewriter.errors import InputError
    from rewriter.org.snapshot import load_snapshot

    if (snapshot_path is None) == (not live):
        raise InputError("pass either --snapshot FILE or --live")
    if live:
        return _read_live(aws_profile, endpoint_url), "<live>"
    assert snapshot_path is not None
    return load_snapshot(snapshot_path), snapshot_path


def _profiles(ids: list[str], profiles_file: str | None) -> tuple[Any, ...]:
    from rewriter.cli._common import load_catalog

    catalog = load_catalog(profiles_file)
    return tuple(dict.fromkeys(catalog.get(ref) for ref in ids))


@org_app.command("snapshot")
def snapshot(
    output_file: str = typer.Option(..., "--output", "-o", help="Snapshot file to write (JSON)."),
    aws_profile: Optional[str] = typer.Option(None, "--aws-profile", help=_AWS_PROFILE_HELP),
    endpoint_url: Optional[str] = typer.Option(None, "--endpoint-url", help=_ENDPOINT_HELP),
) -> None:
    """Read the organization (tree, SCPs, attachments) and write a snapshot file.

    Policies that AWS would reject (not valid JSON or policy shape, over 5,120 characters) are kept
    and listed as findings. Exit 0, or 1 when there are findings; 2 on errors.
    """
    with error_boundary():
        from rewriter.files import write_atomic
        from rewriter.org.report import findings_text
        from rewriter.org.snapshot import snapshot_to_json

        result = _read_live(aws_profile, endpoint_url)
        write_atomic(output_file, json.dumps(snapshot_to_json(result), indent=2, ensure_ascii=False) + "\n")
    for line in findings_text(result.findings):
        typer.echo(line, err=True)
    counts = {kind: sum(1 for n in result.nodes if n.kind == kind) for kind in ("ou", "account")}
    typer.echo(
        f"wrote {output_file}: {counts['ou']} OUs, {counts['account']} accounts, "
        f"{len(result.policies)} SCPs, {len(result.findings)} finding{'s' if len(result.findings) != 1 else ''}",
        err=True,
    )
    raise typer.Exit(EXIT_FINDING if result.findings else EXIT_OK)


@org_app.command("check")
def check(
    profile_ids: list[str] = typer.Option(..., "--profile", "-p", help=_PROFILE_HELP),
    accounts: list[str] = typer.Option([], "--account", help="Only this account; repeat for more."),
    ous: list[str] = typer.Option([], "--ou", help="Only the accounts under this OU (or root); repeat for more."),
    snapshot_path: Optional[str] = typer.Option(None, "--snapshot", help=_SNAPSHOT_HELP),
    live: bool = typer.Option(False, "--live", help=_LIVE_HELP),
    aws_profile: Optional[str] = typer.Option(None, "--aws-profile", help=_AWS_PROFILE_HELP),
    endpoint_url: Optional[str] = typer.Option(None, "--endpoint-url", help=_ENDPOINT_HELP),
    source_region: Optional[str] = typer.Option(None, "--source-region", help=_SOURCE_HELP),
    profiles_file: Optional[str] = typer.Option(None, "--profiles-file", help=_FILE_HELP),
    output: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help="Output format."),
    batch: bool = BATCH_OPTION,
    batch_role: Optional[str] = BATCH_ROLE_OPTION,
) -> None:
    """Per account, whether each profile works from its source Regions, and which level, policy and
    statement deny it. Exit 0 all work, 1 some blocked, 2 bad input or a policy that cannot be read."""
    with error_boundary():
        from rewriter.cris import BATCH_ACTION, INFERENCE_ACTIONS
        from rewriter.org.check import check_org
        from rewriter.org.report import org_check_json_chunks, org_check_to_text

        batch, batch_role = batch_settings(batch, batch_role)
        profiles = _profiles(profile_ids, profiles_file)
        organization, name = _source(snapshot_path, live, aws_profile, endpoint_url)
        result = check_org(organization, profiles, accounts=accounts, ous=ous, source_region=source_region,
                           actions=INFERENCE_ACTIONS + ((BATCH_ACTION,) if batch else ()), batch_role=batch_role)
    if output is TextOrJson.json:
        emit_chunks(org_check_json_chunks(result, snapshot=name))
    else:
        emit(org_check_to_text(result))
    if result.errors:
        raise typer.Exit(EXIT_BAD_INPUT)
    raise typer.Exit(EXIT_FINDING if result.blocked else EXIT_OK)


@org_app.command("propose")
def propose(
    profile_ids: list[str] = typer.Option(..., "--profile", "-p", help=_PROFILE_HELP),
    accounts: list[str] = typer.Option(..., "--account", help="An account to unblock; repeat for more."),
    snapshot_path: Optional[str] = typer.Option(None, "--snapshot", help=_SNAPSHOT_HELP),
    live: bool = typer.Option(False, "--live", help=_LIVE_HELP),
    aws_profile: Optional[str] = typer.Option(None, "--aws-profile", help=_AWS_PROFILE_HELP),
    endpoint_url: Optional[str] = typer.Option(None, "--endpoint-url", help=_ENDPOINT_HELP),
    source_region: Optional[str] = typer.Option(None, "--source-region", help=_SOURCE_HELP),
    strategy: str = typer.Option("auto", "--strategy", help="auto, regions, notaction or profile-arn."),
    batch: bool = BATCH_OPTION,
    batch_role: Optional[str] = BATCH_ROLE_OPTION,
    force: bool = typer.Option(False, "--force", help="Patch a Control Tower managed statement anyway."),
    override: list[str] = typer.Option(
        [], "--override", metavar="SID",
        help="Let the change weaken this deliberate Bedrock control on purpose (a statement's Sid; repeatable).",
    ),
    write_dir: Optional[str] = typer.Option(
        None, "--write-dir", help="Write each changed policy as <policy-name>.json, with <policy-name>.diff."
    ),
    profiles_file: Optional[str] = typer.Option(None, "--profiles-file", help=_FILE_HELP),
    output: TextOrJson = typer.Option(TextOrJson.text, "--format", "-f", help="Output format."),
) -> None:
    """The smallest set of SCP changes that unblocks the named accounts, verified on each account's
    whole path. Exit 0 nothing to change, 1 changes proposed, 2 bad input, 3 no safe change."""
    with error_boundary():
        from rewriter.diff import unified_diff
        from rewriter.org.propose import propose_org
        from rewriter.org.report import org_proposal_to_json, org_proposal_to_text
        from rewriter.vocabulary import Status  # here, not at the top: --help stays light

        batch, batch_role = batch_settings(batch, batch_role)
        profiles = _profiles(profile_ids, profiles_file)
        organization, _ = _source(snapshot_path, live, aws_profile, endpoint_url)
        result = propose_org(
            organization, profiles, accounts=accounts, source_region=source_region,
            strategy=strategy, batch=batch, batch_role=batch_role, force=force, override=tuple(override),
        )
        texts: dict[str, str] = {}
        diffs: dict[str, str] = {}
        names = _file_names(result)
        for change in result.changes:
            chosen = change.proposal.chosen
            assert chosen is not None and chosen.text is not None
            texts[change.policy.id] = chosen.text
            diffs[change.policy.id] = unified_diff(change.policy.content, chosen.text, path=names[change.policy.id])
        if write_dir is not None and result.status is Status.CHANGED:
            _write(write_dir, names, texts, diffs)
    if output is TextOrJson.json:
        emit(json.dumps(org_proposal_to_json(result, texts=texts, diffs=diffs), indent=2, ensure_ascii=False))
    else:
        emit(org_proposal_to_text(result, diffs=diffs))
    if result.status is Status.UNSAFE:
        raise typer.Exit(EXIT_UNSAFE)
    raise typer.Exit(EXIT_FINDING if result.changed else EXIT_OK)


def _file_names(result: Any) -> dict[str, str]:
    """``<policy-name>.json``; two policies whose names make the same file name get their ids added."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for change in result.changes:
        name = change.file_name
        if name.lower() in taken:
            name = f"{name[:-len('.json')]}-{change.policy.id}.json"
        taken.add(name.lower())
        names[change.policy.id] = name
    return names


def _write(directory: str, names: dict[str, str], texts: dict[str, str], diffs: dict[str, str]) -> None:
    from rewriter.errors import InputError
    from rewriter.files import write_atomic

    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the directory: {error.strerror}", path=directory) from None
    for pid, name in names.items():
        target = os.path.join(directory, name)
        write_atomic(target, texts[pid])
        write_atomic(target[: -len(".json")] + ".diff", diffs[pid])
