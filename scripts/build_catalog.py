#!/usr/bin/env python3
"""Build ``rewriter/catalog/profiles.json`` from the shared reference ``inference-profiles.yaml``.

The product never reads the YAML at run time: PyYAML's pure-Python loader costs ~0.3 s, while the
JSON copy loads with one ``json.load``. Run this again whenever the reference data changes:

    python scripts/build_catalog.py [--source PATH] [--output PATH] [--data-date YYYY-MM-DD]

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
DEFAULT_SOURCE = Path("/work/shared/reference/inference-profiles.yaml")
DEFAULT_OUTPUT = ROOT / "rewriter" / "catalog" / "profiles.json"

FORMAT = "scp-fix/inference-profiles@1"
# How the reference spells "AWS prints 'Commercial AWS Regions'", and how the product spells it.
YAML_ALL_COMMERCIAL = "ALL_COMMERCIAL"
ALL_COMMERCIAL = "all-commercial"
UNCONFIRMED = "UNCONFIRMED"


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
    return out


def _compact_region_lists(text: str) -> str:
    """Put each list of Region codes on one line, so a route reads as one line in a diff."""
    import re

    item = r'"[a-z0-9-]+"'
    pattern = re.compile(r"\[\s+(" + item + r"(?:,\s+" + item + r")*)\s+\]")
    return pattern.sub(lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text)


def build(reference: dict[str, Any], *, data_date: str) -> dict[str, Any]:
    sources: dict[str, str] = dict(reference["sources"])
    profiles = [convert_profile(p, sources) for p in reference["profiles"]]
    profiles.sort(key=lambda p: p["id"])
    return {
        "format": FORMAT,
        "data_date": data_date,
        "data_date_note": (
            "The date this catalog was built from copies of AWS documentation. The pages are "
            "undated: the full table is from about Dec 2025, the model cards are newer."
        ),
        "source": "AWS documentation: " + "; ".join(sources.values()),
        "sources": sources,
        "generated_by": "scripts/build_catalog.py from inference-profiles.yaml",
        "profiles": profiles,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument(
        "--data-date",
        help="date of the data (default: the reference file's modification date)",
    )
    args = parser.parse_args(argv)

    import yaml

    reference = yaml.safe_load(args.source.read_text(encoding="utf-8"))
    data_date = args.data_date or dt.date.fromtimestamp(args.source.stat().st_mtime).isoformat()
    catalog = build(reference, data_date=data_date)
    text = _compact_region_lists(json.dumps(catalog, indent=1, ensure_ascii=False)) + "\n"

    # Validate with the product's loader before writing anything.
    sys.path.insert(0, str(ROOT))
    from rewriter.catalog.loader import catalog_from_document

    loaded = catalog_from_document(json.loads(text), path=str(args.output))
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {len(loaded.profiles)} profiles to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
