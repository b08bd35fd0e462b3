"""A synced catalog (what ``scp-fix profiles sync`` wrote) over the built-in one: the merge, and the diff.

A sync asks Bedrock in some source Regions only. So it speaks for those Regions and no others: for
a profile it lists, its routes from the Regions asked replace the built-in ones, and the built-in
routes from every other source stay; a profile it does not list keeps its built-in entry (``profiles
diff`` shows those routes as removed). The newer data wins: when the built-in catalog is newer than
the sync (scp-fix was upgraded since), a profile both know keeps its built-in routes, and the sync
only adds what the built-in data lacks (application profiles, new ids).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from rewriter.catalog.model import Catalog, Profile

__all__ = ["CatalogDiff", "RouteChange", "diff_synced", "merge_synced", "regions_asked"]


def regions_asked(document: Any, profiles: tuple[Profile, ...]) -> tuple[str, ...]:
    """The source Regions a sync asked (its ``regions``, else every source its profiles list)."""
    if isinstance(document, Mapping) and isinstance(document.get("regions"), list):
        return tuple(sorted(str(r) for r in document["regions"]))
    return tuple(sorted({s for p in profiles for s in p.routes}))


def _key(profile: Profile) -> str:
    return profile.arn or profile.id


def merge_synced(
    base: Catalog, synced: tuple[Profile, ...], *, document: Any, name: str, warnings: tuple[str, ...] = ()
) -> Catalog:
    """``base`` with a synced catalog over it, the newest data first (see the module docstring)."""
    asked = set(regions_asked(document, synced))
    date = str(document.get("data_date", "")) if isinstance(document, Mapping) else ""
    sync_is_newer = date >= base.data_date
    by_key = {_key(p): p for p in synced}
    merged: list[Profile] = []
    for profile in base.profiles:
        fresh = by_key.pop(_key(profile), None)
        if fresh is None or not sync_is_newer:
            merged.append(profile)
            continue
        routes = {s: d for s, d in profile.routes.items() if s not in asked} | dict(fresh.routes)
        merged.append(
            replace(
                profile,
                name=fresh.name or profile.name,
                routes=dict(sorted(routes.items())),
                origin=name,
                source=f"Amazon Bedrock, synced {date} from {', '.join(sorted(asked))}; built-in data "
                "for other source Regions",
            )
        )
    merged += by_key.values()
    known = {p.id for p in merged}
    return Catalog(
        profiles=tuple(sorted(merged, key=lambda p: (p.kind != "system", p.id, p.arn or ""))),
        data_date=base.data_date,
        source=base.source,
        files=base.files,
        announced=tuple(a for a in base.announced if a.id not in known),
        synced=(name, date or "unknown"),
        warnings=base.warnings + warnings,
        guardrails=base.guardrails,  # a sync asks for inference profiles only
        announced_guardrails=base.announced_guardrails,
    )


@dataclass(frozen=True, slots=True)
class RouteChange:
    """One source Region of one profile whose destinations differ (None: no route there)."""

    profile: str
    source: str
    before: tuple[str, ...] | None
    after: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class CatalogDiff:
    """What a synced catalog changes against the built-in one, in the source Regions it asked."""

    regions: tuple[str, ...]
    added: tuple[Profile, ...]  # profiles the built-in catalog does not know
    removed: tuple[RouteChange, ...]  # built-in routes Bedrock no longer lists in the Regions asked
    changed: tuple[RouteChange, ...]  # other destinations, or a source the built-in data lacks

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def to_json(self) -> dict[str, Any]:
        def change(c: RouteChange) -> dict[str, Any]:
            return {
                "profile": c.profile,
                "source_region": c.source,
                "before": None if c.before is None else list(c.before),
                "after": None if c.after is None else list(c.after),
            }

        return {
            "regions": list(self.regions),
            "added": [p.to_dict() for p in self.added],
            "removed": [change(c) for c in self.removed],
            "changed": [change(c) for c in self.changed],
        }


def diff_synced(base: Catalog, synced: tuple[Profile, ...], *, document: Any) -> CatalogDiff:
    """Added profiles, removed routes and changed routes of a synced catalog against ``base``."""
    asked = regions_asked(document, synced)
    by_key = {_key(p): p for p in synced}
    known = {_key(p): p for p in base.profiles}
    added = tuple(p for k, p in sorted(by_key.items()) if k not in known)
    removed: list[RouteChange] = []
    changed: list[RouteChange] = []
    for key, old in sorted(known.items()):
        new = by_key.get(key)
        for source in asked:
            before = old.routes.get(source)
            after = new.routes.get(source) if new is not None else None
            if before is not None and after is None:
                removed.append(RouteChange(old.label, source, before, None))
            elif after is not None and before != after:
                changed.append(RouteChange(old.label, source, before, after))
    return CatalogDiff(asked, added, tuple(removed), tuple(changed))
