#!/usr/bin/env python3
"""Build ``rewriter/catalog/profiles.json`` from the shared reference ``inference-profiles.yaml``.

The product never reads the YAML at run time: PyYAML's pure-Python loader costs ~0.3 s, while the
JSON copy loads with one ``json.load``. Run this again whenever the reference data changes:

    python scripts/build_catalog.py [--source PATH] [--guardrails PATH] [--output PATH] [--data-date YYYY-MM-DD]

Guardrail profiles (``us.guardrail.v1:0``) are not in the reference: they come from
``scripts/guardrail-profiles.yaml`` (checked in, with its provenance) and become entries of kind
``guardrail`` in the same file.

Without ``--source`` the reference is looked up beside the checkout: ``shared/reference/`` in the
checkout's parent directory, or in the nearest ancestor that has one (a worktree under ``wt/``).

The output is checked with the product's own loader before it is written, so a bad Region code or
a profile without routes fails the build instead of the user.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_NAME = Path("shared") / "reference" / "inference-profiles.yaml"
DEFAULT_OUTPUT = ROOT / "rewriter" / "catalog" / "profiles.json"
GUARDRAILS = Path(__file__).resolve().parent / "guardrail-profiles.yaml"

FORMAT = "scp-fix/inference-profiles@1"
# How the reference spells "AWS prints 'Commercial AWS Regions'", and how the product spells it.
YAML_ALL_COMMERCIAL = "ALL_COMMERCIAL"
ALL_COMMERCIAL = "all-commercial"
UNCONFIRMED = "UNCONFIRMED"


def find_reference(root: Path = ROOT) -> Path | None:
    """``../shared/reference/inference-profiles.yaml`` beside the checkout (or an ancestor's)."""
    for directory in root.parents:
        candidate = directory / REFERENCE_NAME
        if candidate.is_file():
            return candidate
    return None


def reference_data_date(text: str) -> str | None:
    """The "(data date YYYY-MM-DD)" the reference's header gives."""
    import re

    found = re.search(r"data date (\d{4}-\d{2}-\d{2})", text[:2000])
    return found.group(1) if found else None


def convert_profile(entry: dict[str, Any], sources: dict[str, str]) -> dict[str, Any]:
    """One reference entry -> one catalog entry (data-file shape, as the loader reads it)."""
    notes: list[str] = []
    name = entry.get("name")
    if name == UNCONFIRMED:
        name = None
        notes.append("Name UNCONFIRMED: the AWS page gives only the profile ID.")

    routes = entry.get("routes")
    if routes == UNCONFIRMED:
        routes = {}
        notes.append(
            "Source Regions UNCONFIRMED: the AWS page copy did not list them. State them in a "
            "--profiles-file, or run 'scp-fix profiles sync'."
        )
    converted_routes = {
        source: [ALL_COMMERCIAL if d == YAML_ALL_COMMERCIAL else d for d in destinations]
        for source, destinations in sorted(routes.items())
    }

    for key in ("note", "notes"):
        value = entry.get(key)
        if isinstance(value, str):
            notes.append(value)
        elif isinstance(value, list):
            notes.extend(str(v) for v in value)
    if "older_table_routes" in entry:
        older = "; ".join(
            f"{s} -> {', '.join(d)}" for s, d in sorted(entry["older_table_routes"].items())
        )
        notes.append(f"The older full table printed different routes: {older}.")
    if "older_table_sources" in entry:
        notes.append(
            "The older full table listed these source Regions: "
            + ", ".join(entry["older_table_sources"])
            + "."
        )

    source = entry.get("source", "")
    out: dict[str, Any] = {
        "id": entry["id"],
        "name": name,
        "model": entry["model"],
        "geography": entry["geography"],
        "routes": converted_routes,
        "source": sources.get(source, source),
    }
    if entry.get("unconfirmed_routes"):
        out["unconfirmed_routes"] = {
            s: list(d) for s, d in sorted(entry["unconfirmed_routes"].items())
        }
    if notes:
        out["notes"] = notes
    # Absent = active; end-of-life entries are kept so policies that still name them are explained.
    for key in ("lifecycle", "end_of_life", "lifecycle_source"):
        if entry.get(key):
            out[key] = str(entry[key])
    return out


def convert_announced(entry: dict[str, Any]) -> dict[str, Any]:
    """An announced id without confirmed routes: known by name only."""
    out = {key: str(entry[key]) for key in ("id", "model", "announced")}
    if entry.get("note"):
        out["note"] = str(entry["note"])
    return out


def convert_guardrails(guardrails: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The guardrail file's profiles and announced ids -> catalog entries of kind ``guardrail``."""
    sources: dict[str, str] = dict(guardrails.get("sources") or {})
    profiles = []
    for entry in guardrails.get("guardrail_profiles") or ():
        source = entry.get("source", "")
        out: dict[str, Any] = {
            "id": entry["id"],
            "kind": "guardrail",
            "name": entry.get("name"),
            "geography": entry["geography"],
            "routes": {s: list(d) for s, d in sorted(entry["routes"].items())},
            "source": sources.get(source, source),
        }
        if entry.get("note"):
            out["notes"] = [str(entry["note"])]
        profiles.append(out)
    announced = []
    for entry in guardrails.get("announced_unconfirmed") or ():
        item = {"id": str(entry["id"]), "kind": "guardrail", "announced": str(entry["announced"])}
        if entry.get("note"):
            item["note"] = str(entry["note"])
        announced.append(item)
    return profiles, announced


def _compact_region_lists(text: str) -> str:
    """Put each list of Region codes on one line, so a route reads as one line in a diff."""
    import re

    item = r'"[a-z0-9-]+"'
    pattern = re.compile(r"\[\s+(" + item + r"(?:,\s+" + item + r")*)\s+\]")
    return pattern.sub(lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text)


def build(
    reference: dict[str, Any], *, data_date: str, guardrails: dict[str, Any] | None = None
) -> dict[str, Any]:
    sources: dict[str, str] = dict(reference["sources"])
    profiles = [convert_profile(p, sources) for p in reference["profiles"]]
    announced = [convert_announced(a) for a in reference.get("announced_unconfirmed") or ()]
    if guardrails:
        guardrail_profiles, guardrail_announced = convert_guardrails(guardrails)
        profiles += guardrail_profiles
        announced += guardrail_announced
        sources |= dict(guardrails.get("sources") or {})
    profiles.sort(key=lambda p: p["id"])
    announced.sort(key=lambda a: a["id"])
    return {
        "format": FORMAT,
        "data_date": data_date,
        "data_date_note": (
            "The data date of the reference this catalog was built from: copies of AWS "
            "documentation (undated pages; the full table is from about Dec 2025, the model cards "
            "and lifecycle pages are newer) and a live crawl of the Bedrock API."
        ),
        "source": "AWS documentation and a live crawl of the Bedrock API: "
        + "; ".join(sources.values()),
        "sources": sources,
        "generated_by": "scripts/build_catalog.py from inference-profiles.yaml",
        "profiles": profiles,
        "announced_unconfirmed": announced,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source", type=Path, help="the reference YAML (default: found beside the checkout)"
    )
    parser.add_argument(
        "--guardrails", type=Path, default=GUARDRAILS,
        help="the guardrail profiles (default: scripts/guardrail-profiles.yaml)",
    )
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--data-date",
        help="date of the data (default: the reference file's modification date)",
    )
    args = parser.parse_args(argv)

    source = args.source or find_reference()
    if source is None:
        parser.error(f"no {REFERENCE_NAME} beside the checkout {ROOT}; give --source")
    import yaml

    text = source.read_text(encoding="utf-8")
    reference = yaml.safe_load(text)
    data_date = (
        args.data_date
        or reference_data_date(text)
        or dt.date.fromtimestamp(source.stat().st_mtime).isoformat()
    )
    guardrails = yaml.safe_load(args.guardrails.read_text(encoding="utf-8"))
    catalog = build(reference, data_date=data_date, guardrails=guardrails)
    text = _compact_region_lists(json.dumps(catalog, indent=1, ensure_ascii=False)) + "\n"

    # Validate with the product's loader before writing anything.
    sys.path.insert(0, str(ROOT))
    from rewriter.catalog.loader import catalog_from_document

    loaded = catalog_from_document(json.loads(text), path=str(args.output))
    args.output.write_text(text, encoding="utf-8")
    print(
        f"wrote {len(loaded.profiles)} profiles, {len(loaded.guardrails)} guardrail profiles and "
        f"{len(loaded.announced) + len(loaded.announced_guardrails)} announced ids to {args.output}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
