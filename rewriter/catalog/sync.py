"""Live refresh of the catalog from Amazon Bedrock (``scp-fix profiles sync``).

Calls ``ListInferenceProfiles`` (system-defined and application profiles, every page) in each
source Region, and ``GetInferenceProfile`` where a summary lists no models (or for every
profile with ``verify=True``), through boto3 with the standard credential chain. boto3 is the
optional extra ``scp-fix[aws]`` and is imported only here, inside the functions.

Destinations come from ``models[].modelArn`` (the Region is ARN field 4). Global profiles are the
exception: what ``models[]`` holds for them is not documented (reference §7), so they are stored
as "all commercial Regions plus the source", which is what AWS prints.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from rewriter.catalog.entries import read_entries
from rewriter.catalog.model import ALL_COMMERCIAL, CUSTOM_GEOGRAPHY, is_geography, parse_bedrock_arn
from rewriter.errors import CatalogError, InputError
from rewriter.regions_data import is_region_code

__all__ = ["sync_profiles", "write_catalog_file", "make_session", "CATALOG_FORMAT"]

CATALOG_FORMAT = "scp-fix/inference-profiles@1"
PROFILE_TYPES: tuple[str, ...] = ("SYSTEM_DEFINED", "APPLICATION")
PAGE_SIZE = 1000  # the API maximum: fewest calls

ClientFactory = Callable[[str], Any]


def make_session(aws_profile: str | None = None) -> Any:
    """A boto3 session (named profile or the default chain); a clear error when boto3 is missing."""
    try:
        import boto3
        import botocore.exceptions
    except ImportError:
        raise InputError(
            "live sync needs boto3; install it with: pip install 'scp-fix[aws]'"
        ) from None
    try:
        return boto3.Session(profile_name=aws_profile)
    except botocore.exceptions.ProfileNotFound:
        raise InputError(f"no AWS profile named {aws_profile!r} in the AWS config") from None
    except botocore.exceptions.BotoCoreError as error:  # e.g. an AWS config file that does not parse
        raise InputError(f"cannot read the AWS configuration: {error}") from None


def _call(client: Any, operation: str, region: str, **params: Any) -> dict[str, Any]:
    """One API call; AWS and credential failures become an InputError naming the Region."""
    try:
        import botocore.exceptions
    except ImportError:  # a fake client in use; let its own errors through
        return getattr(client, operation)(**params)
    try:
        return getattr(client, operation)(**params)
    except botocore.exceptions.ClientError as error:
        info = error.response.get("Error", {})
        raise InputError(
            f"Bedrock {operation} in {region} failed: "
            f"{info.get('Code', 'error')}: {info.get('Message', '')}".rstrip(": ")
        ) from None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ParamValidationError) as error:
        raise InputError(f"cannot call Bedrock {operation} in {region}: {error}") from None


def _list_summaries(client: Any, region: str) -> Iterable[dict[str, Any]]:
    for profile_type in PROFILE_TYPES:
        token: str | None = None
        while True:
            params: dict[str, Any] = {"typeEquals": profile_type, "maxResults": PAGE_SIZE}
            if token:
                params["nextToken"] = token
            page = _call(client, "list_inference_profiles", region, **params)
            yield from page.get("inferenceProfileSummaries", ())
            token = page.get("nextToken")
            if not token:
                break


def _model_of(model_arns: Sequence[str], profile_id: str) -> str:
    for arn in model_arns:
        parsed = parse_bedrock_arn(arn)
        if parsed is not None and parsed[3] == "foundation-model" and parsed[4]:
            return parsed[4]
    # No usable model ARN: the id without its geographic prefix is the model id.
    prefix, _, rest = profile_id.partition(".")
    return rest if is_geography(prefix) and rest else profile_id


def _entry_from_summary(
    summary: Mapping[str, Any], region: str, client: Any, *, verify: bool
) -> dict[str, Any]:
    profile_id = summary["inferenceProfileId"]
    is_application = summary.get("type") == "APPLICATION"
    prefix = profile_id.split(".", 1)[0]

    model_arns = [m["modelArn"] for m in summary.get("models") or () if m.get("modelArn")]
    is_global = not is_application and prefix == "global"
    if not is_global and (verify or not model_arns):
        detail = _call(
            client,
            "get_inference_profile",
            region,
            inferenceProfileIdentifier=summary.get("inferenceProfileArn")
            if is_application
            else profile_id,
        )
        model_arns = [m["modelArn"] for m in detail.get("models") or () if m.get("modelArn")]
    regions = {arn.split(":")[3] for arn in model_arns if len(arn.split(":")) > 3}
    # An application profile copied from a global one may list the Region-less model ARN.
    if is_application and "" in regions:
        is_global = True
    regions.discard("")

    if is_global:
        destinations = [ALL_COMMERCIAL, region]
        geography = "global"
    else:
        destinations = sorted(regions)
        if is_application:
            geography = CUSTOM_GEOGRAPHY
        else:
            # The geography set is open: a prefix new to scp-fix is kept (the loader notes it).
            geography = prefix if is_geography(prefix) and "." in profile_id else CUSTOM_GEOGRAPHY
    if not destinations:
        raise InputError(f"Bedrock listed no destination Regions for {profile_id} in {region}")

    entry: dict[str, Any] = {
        "id": profile_id,
        "name": summary.get("inferenceProfileName"),
        # A global system profile's models[] is not trusted (reference §7): its id names the model.
        "model": _model_of(() if is_global and not is_application else model_arns, profile_id),
        "geography": geography,
        "routes": {region: destinations},
    }
    if is_application:
        entry["kind"] = "application"
        entry["arn"] = summary["inferenceProfileArn"]
    return entry


def sync_profiles(
    regions: Sequence[str],
    *,
    session: Any = None,
    client_factory: ClientFactory | None = None,
    verify: bool = False,
) -> list[dict[str, Any]]:
    """Ask Bedrock in each source Region which profiles it serves and where they route.

    Returns catalog entries (data-file shape) with the per-Region results merged into ``routes``,
    sorted by kind and id. ``client_factory(region)`` returns a Bedrock client (tests pass stubbed
    clients); by default ``session`` (or a default boto3 session) makes them.
    """
    wanted = list(dict.fromkeys(r.strip() for r in regions))
    if not wanted:
        raise InputError("give at least one source Region (--region)")
    for region in wanted:
        if not is_region_code(region):
            raise InputError(f"{region!r} is not an AWS Region code")
    if client_factory is None:
        boto_session = session if session is not None else make_session()

        def client_factory(region: str) -> Any:
            import botocore.exceptions

            try:
                return boto_session.client("bedrock", region_name=region)
            except (ValueError, botocore.exceptions.BotoCoreError) as error:  # a malformed endpoint or config
                raise InputError(f"cannot make a Bedrock client in {region}: {error}") from None

    merged: dict[str, dict[str, Any]] = {}
    for region in wanted:
        client = client_factory(region)
        for summary in _list_summaries(client, region):
            if summary.get("status", "ACTIVE") != "ACTIVE":
                continue
            entry = _entry_from_summary(summary, region, client, verify=verify)
            key = entry.get("arn") or entry["id"]
            known = merged.get(key)
            if known is None:
                merged[key] = entry
            else:
                known["routes"].update(entry["routes"])
                known["name"] = known["name"] or entry["name"]
    for entry in merged.values():
        entry["routes"] = dict(sorted(entry["routes"].items()))
    return sorted(
        merged.values(),
        key=lambda e: (e.get("kind", "system") != "system", e["id"], e.get("arn", "")),
    )


def write_catalog_file(
    profiles: Sequence[Mapping[str, Any]],
    path: str | os.PathLike[str],
    *,
    regions: Sequence[str] = (),
    data_date: str | None = None,
) -> None:
    """Write entries as a catalog file that ``--profiles-file`` reads back (JSON).

    The document is checked as the loader checks it first, so a file that would not load is never
    written.
    """
    name = os.fspath(path)
    try:
        # A destination in a Region newer than scp-fix's list is Bedrock's word: kept, warned on load.
        read_entries({"profiles": list(profiles)}, path=name, origin=name, warnings=[])
    except CatalogError as error:
        raise CatalogError(f"would not load: {error.message}", path=name, pointer=error.pointer) from None
    called = sorted(set(regions)) or sorted({s for e in profiles for s in e.get("routes", {})})
    document = {
        "format": CATALOG_FORMAT,
        "data_date": data_date or dt.date.today().isoformat(),
        "source": "Amazon Bedrock ListInferenceProfiles/GetInferenceProfile called from: "
        + ", ".join(called),
        "regions": called,  # the sync speaks for these source Regions only
        "profiles": list(profiles),
    }
    text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
    directory = os.path.dirname(name)
    if directory:
        try:
            os.makedirs(directory, exist_ok=True)  # the first sync into $XDG_DATA_HOME/scp-fix
        except OSError as error:
            raise InputError(f"cannot make the catalog's folder: {error.strerror}", path=name) from None
    temporary = f"{name}.tmp-{os.getpid()}"
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, name)  # never leave a half-written catalog behind
    except OSError as error:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise InputError(f"cannot write catalog file: {error.strerror}", path=name) from None
