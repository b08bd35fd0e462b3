"""The inference-profile catalog: profiles, look-ups, the built-in data file and user files.

The built-in data is ``profiles.json`` beside this module (built from the shared reference by
``scripts/build_catalog.py``); it is read with one ``json.loads`` on first use and cached. A user
file (``--profiles-file``, YAML or JSON) extends it: an entry whose id is already known replaces the
built-in entry as a whole.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from rewriter.errors import CatalogError, ProfileNotFoundError, quoted
from rewriter.regions_data import is_region_code, partition_of

__all__ = [
    "ALL_COMMERCIAL",
    "CUSTOM_GEOGRAPHY",
    "GEOGRAPHIES",
    "LIFECYCLES",
    "Announced",
    "is_geography",
    "Profile",
    "Catalog",
    "load_catalog",
    "catalog_from_document",
    "read_profiles_file",
    "profile_from_entry",
    "parse_bedrock_arn",
]

# Written where AWS prints "Commercial AWS Regions" as the destinations of a global profile.
ALL_COMMERCIAL = "all-commercial"
_ALL_COMMERCIAL_SPELLINGS = frozenset({ALL_COMMERCIAL, "ALL_COMMERCIAL"})

# The geographies the built-in data uses. The set is open: AWS adds prefixes ("in" came in
# 2026-08), so a user file or a sync may bring another one; its routes then say everything.
GEOGRAPHIES: tuple[str, ...] = ("us", "us-gov", "ca", "eu", "apac", "jp", "au", "in", "global")
# An application profile has no geographic prefix: the routes say everything.
CUSTOM_GEOGRAPHY = "custom"
KINDS: tuple[str, ...] = ("system", "application")
# Absent in the data = active (no AWS or crawl evidence of Legacy or end of life).
ACTIVE, LEGACY, END_OF_LIFE = "active", "legacy", "end-of-life"
LIFECYCLES: tuple[str, ...] = (ACTIVE, LEGACY, END_OF_LIFE)
_GEOGRAPHY_SHAPE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_NOT_IN_IDS = re.compile(r"[*?$\s]")


def is_geography(prefix: str) -> bool:
    """Whether ``prefix`` can be a geography: a known one, or one shaped like them (the set is open)."""
    return prefix != CUSTOM_GEOGRAPHY and bool(_GEOGRAPHY_SHAPE.fullmatch(prefix))

_EMPTY_ROUTES: Mapping[str, tuple[str, ...]] = MappingProxyType({})


def _freeze_routes(routes: Mapping[str, Iterable[str]]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({source: tuple(dest) for source, dest in routes.items()})


@dataclass(frozen=True, slots=True)
class Profile:
    """One inference profile: where it can be called from, and where each call may be routed.

    ``routes`` maps each source Region to the destination Regions an SCP must allow for a call
    from that source. For a global profile that is only the source itself: AWS routes it to any
    commercial Region, but the SCP sees the source Region plus the Region-less ``unspecified``
    evaluation, which ``cris.py`` adds.
    """

    id: str
    name: str | None
    model: str
    geography: str
    routes: Mapping[str, tuple[str, ...]]
    kind: str = "system"
    arn: str | None = None
    source: str | None = None
    notes: tuple[str, ...] = ()
    # Routes a copy of the AWS docs lists but another contradicts: shown, never used for checks.
    unconfirmed_routes: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: _EMPTY_ROUTES)
    origin: str = "built-in"  # "built-in" or the user file the entry came from
    lifecycle: str = ACTIVE
    # legacy: the scheduled end-of-life date; end-of-life: the date it ended, when known.
    end_of_life: str | None = None
    lifecycle_source: str | None = None  # where lifecycle and end_of_life come from

    def __post_init__(self) -> None:
        object.__setattr__(self, "routes", _freeze_routes(self.routes))
        object.__setattr__(self, "unconfirmed_routes", _freeze_routes(self.unconfirmed_routes))
        object.__setattr__(self, "notes", tuple(self.notes))
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if self.lifecycle not in LIFECYCLES:
            raise ValueError(f"lifecycle must be one of {LIFECYCLES}, not {self.lifecycle!r}")
        if self.kind == "application" and not self.arn:
            raise ValueError("an application inference profile needs its ARN")

    def __hash__(self) -> int:  # routes is a mapping proxy, which does not hash
        return hash((self.kind, self.id, self.arn, tuple(self.routes.items())))

    @property
    def is_global(self) -> bool:
        return self.geography == "global"

    @property
    def is_end_of_life(self) -> bool:
        return self.lifecycle == END_OF_LIFE

    @property
    def end_of_life_text(self) -> str | None:
        """"end of life since 2026-04-01" for a retired profile; None otherwise.

        What check, explain and ``--profile`` say: a legacy profile still works, so saying so on
        every line of their output would be noise (``profiles list/show`` give the whole lifecycle).
        """
        return self.lifecycle_text if self.is_end_of_life else None

    @property
    def lifecycle_text(self) -> str | None:
        """"end of life since 2026-04-01", "legacy, end of life scheduled for 2027-04-08"; None when active."""
        if self.lifecycle == END_OF_LIFE:
            return f"end of life since {self.end_of_life}" if self.end_of_life else "end of life"
        if self.lifecycle == LEGACY:
            if self.end_of_life:
                return f"legacy, end of life scheduled for {self.end_of_life}"
            return "legacy"
        return None

    @property
    def sources(self) -> tuple[str, ...]:
        """The Regions this profile can be called from."""
        return tuple(self.routes)

    @property
    def label(self) -> str:
        """How a person names this profile: its ARN for an application profile, else its id."""
        return self.arn if self.kind == "application" and self.arn else self.id

    def destinations(self, source_region: str) -> tuple[str, ...]:
        """The destination Regions an SCP must allow for a call from ``source_region``."""
        try:
            return self.routes[source_region]
        except KeyError:
            raise ProfileNotFoundError(self._no_source_message(source_region)) from None

    def arn_in(self, source_region: str, account: str = "*") -> str:
        """The profile's ARN as called from ``source_region`` (the ``bedrock:InferenceProfileArn`` value)."""
        if self.kind == "application" and self.arn:
            region = self.arn.split(":")[3]
            if source_region != region:
                raise ProfileNotFoundError(
                    f"application inference profile {self.arn} lives in {region}; "
                    f"it cannot be called from {source_region}"
                )
            return self.arn
        partition = partition_of(source_region)
        return f"arn:{partition}:bedrock:{source_region}:{account}:inference-profile/{self.id}"

    def to_dict(self) -> dict[str, Any]:
        """The entry in data-file shape; a list of these is a valid ``--profiles-file``."""
        routes: dict[str, list[str]] = {}
        for source, dest in self.routes.items():
            # Global: say what AWS prints ("Commercial AWS Regions" plus the source).
            routes[source] = [ALL_COMMERCIAL, *dest] if self.is_global else list(dest)
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "model": self.model,
            "geography": self.geography,
            "routes": routes,
        }
        if self.kind != "system":
            out["kind"] = self.kind
        if self.arn:
            out["arn"] = self.arn
        if self.source:
            out["source"] = self.source
        if self.unconfirmed_routes:
            out["unconfirmed_routes"] = {s: list(d) for s, d in self.unconfirmed_routes.items()}
        if self.notes:
            out["notes"] = list(self.notes)
        if self.lifecycle != ACTIVE:
            out["lifecycle"] = self.lifecycle
        if self.end_of_life:
            out["end_of_life"] = self.end_of_life
        if self.lifecycle_source:
            out["lifecycle_source"] = self.lifecycle_source
        return out

    def _no_source_message(self, source_region: str) -> str:
        if not self.routes:
            return (
                f"the source Regions of inference profile {self.label} are not known (the AWS "
                "documentation did not list them); state its routes in a --profiles-file"
            )
        return (
            f"inference profile {self.label} cannot be called from {source_region}; "
            f"its source Regions are: {', '.join(self.routes)}"
        )


def parse_bedrock_arn(ref: str) -> tuple[str, str, str, str, str] | None:
    """``arn:<partition>:bedrock:<region>:<account>:<type>/<id>`` -> (partition, region, account, type, id).

    None when ``ref`` is not a Bedrock ARN of that form.
    """
    parts = ref.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "bedrock" or "/" not in parts[5]:
        return None
    resource_type, _, resource_id = parts[5].partition("/")
    return parts[1], parts[3], parts[4], resource_type, resource_id


@dataclass(frozen=True, slots=True)
class Announced:
    """A profile id AWS or others announced, whose routes no copy confirms: known by name only."""

    id: str
    model: str
    announced: str  # where it was announced
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "model": self.model, "announced": self.announced}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True, eq=False)
class Catalog:
    """The known inference profiles, with look-ups by id, ARN and model."""

    profiles: tuple[Profile, ...]
    data_date: str
    source: str
    files: tuple[str, ...] = ()  # user files merged over the built-in data, in order
    announced: tuple[Announced, ...] = ()  # ids without confirmed routes, not profiles
    _by_id: dict[str, Profile] = field(init=False, repr=False)
    _by_arn: dict[str, Profile] = field(init=False, repr=False)
    _by_model: dict[str, tuple[Profile, ...]] = field(init=False, repr=False)
    _announced: dict[str, Announced] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_id: dict[str, Profile] = {}
        by_arn: dict[str, Profile] = {}
        by_model: dict[str, list[Profile]] = {}
        for profile in self.profiles:
            by_id[profile.id] = profile
            if profile.arn:
                by_arn[profile.arn] = profile
            by_model.setdefault(profile.model, []).append(profile)
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_by_arn", by_arn)
        # A profile with routes (from a user file or a sync) wins over its announcement.
        object.__setattr__(
            self, "_announced", {a.id: a for a in self.announced if a.id not in by_id}
        )
        object.__setattr__(
            self,
            "_by_model",
            {m: tuple(sorted(ps, key=lambda p: p.id)) for m, ps in by_model.items()},
        )

    def __len__(self) -> int:
        return len(self.profiles)

    def __contains__(self, ref: object) -> bool:
        if not isinstance(ref, str):
            return False
        try:
            self.get(ref)
        except ProfileNotFoundError:
            return False
        return True

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(sorted(self._by_model))

    def announcement(self, profile_id: str) -> Announced | None:
        """The announcement of an id known by name only (no confirmed routes), or None."""
        return self._announced.get(profile_id.strip())

    def get(self, ref: str) -> Profile:
        """A profile by id, profile ARN, or application-inference-profile ARN."""
        text = ref.strip()
        if text.startswith("arn:"):
            return self._get_arn(text)
        profile = self._by_id.get(text)
        if profile is not None:
            return profile
        self._refuse_announced(text)
        if text in self._by_model:
            ids = ", ".join(p.id for p in self._by_model[text])
            raise ProfileNotFoundError(
                f"{text} is a model id, not an inference profile; profiles that serve it: {ids}"
            )
        raise ProfileNotFoundError(self._unknown_message(text, self._by_id))

    def by_model(self, model_id: str) -> tuple[Profile, ...]:
        """The profiles that serve a model (id, or foundation-model ARN); empty when none."""
        text = model_id.strip()
        parsed = parse_bedrock_arn(text)
        if parsed is not None and parsed[3] == "foundation-model":
            text = parsed[4]
        return self._by_model.get(text, ())

    def resolve(self, ref: str) -> tuple[Profile, ...]:
        """A profile id or ARN -> (profile,); a model id or ARN -> every profile that serves it."""
        text = ref.strip()
        parsed = parse_bedrock_arn(text)
        if parsed is not None and parsed[3] == "foundation-model":
            found = self.by_model(text)
            if found:
                return found
            raise ProfileNotFoundError(self._unknown_message(parsed[4], self._by_model, "model"))
        if text.startswith("arn:") or text in self._by_id:
            return (self.get(text),)
        self._refuse_announced(text)
        found = self.by_model(text)
        if found:
            return found
        raise ProfileNotFoundError(
            self._unknown_message(text, {**self._by_model, **self._by_id}, "profile or model")
        )

    def _get_arn(self, text: str) -> Profile:
        parsed = parse_bedrock_arn(text)
        if parsed is None:
            raise ProfileNotFoundError(f"not a Bedrock inference profile ARN: {text}")
        _, _, _, resource_type, resource_id = parsed
        if resource_type == "application-inference-profile":
            profile = self._by_arn.get(text)
            if profile is None:
                raise ProfileNotFoundError(
                    f"application inference profile {text} is not in the catalog; describe it "
                    "(model, geography, routes) in a --profiles-file, or run 'scp-fix profiles sync'"
                )
            return profile
        if resource_type == "inference-profile":
            profile = self._by_id.get(resource_id)
            if profile is None:
                self._refuse_announced(resource_id)
                raise ProfileNotFoundError(self._unknown_message(resource_id, self._by_id))
            return profile
        if resource_type == "foundation-model":
            serving = ", ".join(p.id for p in self.by_model(resource_id)) or "none known"
            raise ProfileNotFoundError(
                f"{text} is a foundation model, not an inference profile; "
                f"profiles that serve it: {serving}"
            )
        raise ProfileNotFoundError(f"{text} is a Bedrock {resource_type}, not an inference profile")

    def _refuse_announced(self, profile_id: str) -> None:
        """An announced id is known by name, but without routes nothing can be checked."""
        announced = self._announced.get(profile_id)
        if announced is not None:
            raise ProfileNotFoundError(
                f"inference profile {profile_id} is announced, but its routes are not confirmed "
                "(no AWS page copy or crawl lists them), so scp-fix cannot say which Regions it "
                "needs; state them in a --profiles-file, or ask Bedrock with "
                "'scp-fix profiles sync --region <source Region>'"
            )

    @staticmethod
    def _unknown_message(text: str, known: Iterable[str], what: str = "inference profile") -> str:
        import difflib

        candidates = sorted(set(known))
        # An id cut short ("jp.anthropic.claude-sonnet-4-5") is a prefix of the one meant;
        # difflib alone ranks shorter, wrong ids ("...-4-6") above it.
        nearest = sorted((c for c in candidates if c.startswith(text)), key=len)[:3] if text else []
        for match in difflib.get_close_matches(text, candidates, n=3, cutoff=0.6):
            if match not in nearest and len(nearest) < 3:
                nearest.append(match)
        hint = (
            "nearest known: " + ", ".join(nearest)
            if nearest
            else "see 'scp-fix profiles list', or add it with --profiles-file"
        )
        return f"unknown {what} {text!r}; {hint}"


# -- reading entries -------------------------------------------------------------------------

_ENTRY_KEYS = frozenset(
    {
        "id",
        "name",
        "model",
        "geography",
        "routes",
        "kind",
        "arn",
        "source",
        "notes",
        "unconfirmed_routes",
        "lifecycle",
        "end_of_life",
        "lifecycle_source",
    }
)
Locator = Callable[[tuple[Any, ...]], "tuple[int, int] | None"]


class _EntryError(Exception):
    """A problem with one entry, located by its path inside the entry; turned into a CatalogError."""

    def __init__(self, message: str, *path: Any) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def _string(entry: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise _EntryError(f"'{key}' is required", key)
        return None
    if not isinstance(value, str) or not value.strip():
        raise _EntryError(f"'{key}' must be a non-empty string, not {value!r}", key)
    return value.strip()


def _region_list(value: Any, *path: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise _EntryError("destinations must be a non-empty list of Region codes", *path)
    out: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _EntryError(f"a destination must be a Region code, not {item!r}", *path, i)
        out.append(item.strip())
    return out


def _check_region(code: str, what: str, *path: Any) -> None:
    if not is_region_code(code):
        raise _EntryError(f"{what} {code!r} is not an AWS Region code", *path)


def _read_routes(value: Any, *, is_global: bool, key: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise _EntryError(f"'{key}' must be a mapping of source Region -> destination Regions", key)
    routes: dict[str, tuple[str, ...]] = {}
    for source in sorted(value, key=str):
        if not isinstance(source, str):
            raise _EntryError(f"a source Region must be a Region code, not {source!r}", key)
        _check_region(source, "source Region", key, source)
        destinations = _region_list(value[source], key, source)
        regions: set[str] = set()
        for i, dest in enumerate(destinations):
            if dest in _ALL_COMMERCIAL_SPELLINGS:
                if not is_global:
                    raise _EntryError(
                        f"'{dest}' is only valid for a global profile", key, source, i
                    )
                continue
            _check_region(dest, "destination Region", key, source, i)
            regions.add(dest)
        # A global call is evaluated in its source Region (plus 'unspecified', added by cris.py),
        # whatever destinations are written.
        routes[source] = (source,) if is_global else tuple(sorted(regions))
    return routes


def profile_from_entry(entry: Any, *, origin: str = "built-in") -> Profile:
    """One data-file or user-file entry -> Profile. Raises ``_EntryError`` (located by path)."""
    if not isinstance(entry, Mapping):
        raise _EntryError("a profile entry must be a mapping")
    unknown = sorted(str(k) for k in entry if k not in _ENTRY_KEYS)
    if unknown:
        raise _EntryError(
            f"unknown key '{unknown[0]}' (expected: {', '.join(sorted(_ENTRY_KEYS))})", unknown[0]
        )

    arn = _string(entry, "arn", required=False)
    kind = _string(entry, "kind", required=False)
    if kind is None:
        kind = "application" if arn and ":application-inference-profile/" in arn else "system"
    if kind not in KINDS:
        raise _EntryError(f"'kind' must be one of {', '.join(KINDS)}, not {kind!r}", "kind")

    arn_region: str | None = None
    if kind == "application":
        if arn is None:
            raise _EntryError("an application profile needs its 'arn'", "arn")
        parsed = parse_bedrock_arn(arn)
        if parsed is None or parsed[3] != "application-inference-profile" or not parsed[4]:
            raise _EntryError(
                "'arn' must look like arn:aws:bedrock:<region>:<account>:application-inference-profile/<id>",
                "arn",
            )
        arn_region = parsed[1]
        _check_region(arn_region, "the Region in 'arn',", "arn")
    elif arn is not None:
        raise _EntryError("'arn' is only for application profiles (kind: application)", "arn")

    profile_id = _string(entry, "id", required=kind == "system")
    if profile_id is None:
        assert arn is not None
        profile_id = arn.rsplit("/", 1)[1]

    model = _string(entry, "model", required=True)
    assert model is not None
    for key, value in (("id", profile_id), ("model", model), ("arn", arn or "")):
        # these are written into ARN patterns (ArnNotLike ...inference-profile/<id>), where * and ?
        # match anything and ${...} is a policy variable: a profile must name one thing
        if _NOT_IN_IDS.search(value):
            raise _EntryError(f"'{key}' must not hold *, ?, $ or white space: {quoted(value)}", key)
    parsed_model = parse_bedrock_arn(model)
    if parsed_model is not None and parsed_model[3] == "foundation-model":
        model = parsed_model[4]

    notes = entry.get("notes") or ()
    if isinstance(notes, str):
        notes = (notes,)
    if not isinstance(notes, (list, tuple)) or not all(isinstance(n, str) for n in notes):
        raise _EntryError("'notes' must be a list of strings", "notes")
    notes = list(notes)

    geography = _string(entry, "geography", required=False)
    if geography is None:
        prefix, dot, _ = profile_id.partition(".")
        if kind == "application":
            geography = CUSTOM_GEOGRAPHY
        elif dot and is_geography(prefix):
            geography = prefix
        else:
            raise _EntryError(
                "'geography' is required: the id has no geographic prefix "
                f"(known ones: {', '.join(GEOGRAPHIES)})",
                "geography",
            )
    if not _GEOGRAPHY_SHAPE.fullmatch(geography):
        raise _EntryError(
            f"'geography' must be a lower-case prefix such as {', '.join(GEOGRAPHIES)}, "
            f"not {geography!r}",
            "geography",
        )
    if geography not in GEOGRAPHIES and geography != CUSTOM_GEOGRAPHY:
        # The set is open (AWS adds prefixes); say so rather than refuse.
        notes.append(
            f"Geography {geography!r} is new to scp-fix (known: {', '.join(GEOGRAPHIES)}); "
            "its routes are used exactly as written."
        )

    if "routes" not in entry:
        raise _EntryError("'routes' is required (source Region -> destination Regions)", "routes")
    routes = _read_routes(entry["routes"], is_global=geography == "global", key="routes")
    if arn_region is not None:
        if not routes:
            raise _EntryError(f"'routes' must state the destinations for {arn_region}", "routes")
        for source in routes:
            if source != arn_region:
                raise _EntryError(
                    f"this application profile lives in {arn_region}; it cannot have source {source}",
                    "routes",
                    source,
                )
    unconfirmed: dict[str, tuple[str, ...]] = {}
    if entry.get("unconfirmed_routes") is not None:
        unconfirmed = _read_routes(
            entry["unconfirmed_routes"], is_global=geography == "global", key="unconfirmed_routes"
        )

    lifecycle = _string(entry, "lifecycle", required=False) or ACTIVE
    if lifecycle not in LIFECYCLES:
        raise _EntryError(
            f"'lifecycle' must be one of {', '.join(LIFECYCLES)}, not {lifecycle!r}", "lifecycle"
        )
    end_of_life = _string(entry, "end_of_life", required=False)
    if end_of_life is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", end_of_life):
        raise _EntryError(f"'end_of_life' must be a date YYYY-MM-DD, not {end_of_life!r}", "end_of_life")

    name = entry.get("name")
    if name is not None and not isinstance(name, str):
        raise _EntryError(f"'name' must be a string or null, not {name!r}", "name")

    return Profile(
        id=profile_id,
        name=name,
        model=model,
        geography=geography,
        routes=routes,
        kind=kind,
        arn=arn,
        source=_string(entry, "source", required=False),
        notes=tuple(notes),
        unconfirmed_routes=unconfirmed,
        origin=origin,
        lifecycle=lifecycle,
        end_of_life=end_of_life,
        lifecycle_source=_string(entry, "lifecycle_source", required=False),
    )


def _entries_of(document: Any) -> tuple[list[Any], tuple[Any, ...]]:
    """The entry list of a file, and the path prefix to it (for locating errors)."""
    if isinstance(document, list):
        return document, ()
    if isinstance(document, Mapping) and isinstance(document.get("profiles"), list):
        return document["profiles"], ("profiles",)
    raise CatalogError("expected a list of profiles, or a mapping with a 'profiles' list")


def _read_entries(
    entries: list[Any], *, prefix: tuple[Any, ...], path: str, origin: str, locate: Locator | None
) -> tuple[Profile, ...]:
    profiles: list[Profile] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        label = (entry.get("id") or entry.get("arn")) if isinstance(entry, Mapping) else None
        where = f"profile {index}" + (f" ({label})" if isinstance(label, str) else "")
        try:
            profile = profile_from_entry(entry, origin=origin)
            key = profile.arn or profile.id
            if key in seen:
                raise _EntryError(f"duplicate profile {key} (also profile {seen[key]})")
            seen[key] = index
        except _EntryError as error:
            position = locate((*prefix, index, *error.path)) if locate else None
            line, column = position if position else (None, None)
            pointer = "/" + "/".join(
                str(p).replace("~", "~0").replace("/", "~1") for p in (*prefix, index, *error.path)
            )
            raise CatalogError(
                f"{where}: {error.message}", path=path, line=line, column=column, pointer=pointer
            ) from None
        profiles.append(profile)
    return tuple(profiles)


def _trusted_profile(entry: Mapping[str, Any]) -> Profile:
    """A built-in entry -> Profile without validation (the build script and tests validate it)."""
    is_global = entry["geography"] == "global"
    return Profile(
        id=entry["id"],
        name=entry["name"],
        model=entry["model"],
        geography=entry["geography"],
        routes={s: (s,) if is_global else tuple(d) for s, d in entry["routes"].items()},
        source=entry.get("source"),
        notes=tuple(entry.get("notes", ())),
        unconfirmed_routes={s: tuple(d) for s, d in entry.get("unconfirmed_routes", {}).items()},
        lifecycle=entry.get("lifecycle", ACTIVE),
        end_of_life=entry.get("end_of_life"),
        lifecycle_source=entry.get("lifecycle_source"),
    )


def catalog_from_document(
    document: Any, *, path: str = "<catalog>", validate: bool = True
) -> Catalog:
    """A data-file document (mapping with data_date, source, profiles) -> Catalog.

    ``validate=False`` is for the built-in file only: it skips the per-entry checks, which cost
    more than parsing the JSON itself.
    """
    entries, prefix = _entries_of(document)
    if validate:
        profiles = _read_entries(entries, prefix=prefix, path=path, origin="built-in", locate=None)
    else:
        profiles = tuple(_trusted_profile(entry) for entry in entries)
    return Catalog(
        profiles=tuple(sorted(profiles, key=lambda p: p.id)),
        data_date=str(document.get("data_date", "unknown")),
        source=str(document.get("source", "unknown")),
        announced=_announced_of(document, path=path),
    )


def _announced_of(document: Any, *, path: str) -> tuple[Announced, ...]:
    """The ``announced_unconfirmed`` list of a data file (ids known by name, without routes)."""
    items = document.get("announced_unconfirmed") if isinstance(document, Mapping) else None
    if not items:
        return ()
    out: list[Announced] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping) or not all(
            isinstance(item.get(k), str) for k in ("id", "model", "announced")
        ):
            raise CatalogError(
                "an announced id needs 'id', 'model' and 'announced' strings",
                path=path,
                pointer=f"/announced_unconfirmed/{index}",
            )
        out.append(Announced(item["id"], item["model"], item["announced"], item.get("note")))
    return tuple(out)


# -- user files ------------------------------------------------------------------------------


def _yaml_locator(text: str) -> Locator:
    """Find (line, column) of a path inside a YAML/JSON text, composing the node tree on demand."""

    def locate(path: tuple[Any, ...]) -> tuple[int, int] | None:
        import yaml

        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError:
            return None
        # Descend through values; the last step of a mapping points at its key, where the
        # problem (a bad key, a bad source Region, a bad value) is written.
        for depth, step in enumerate(path):
            last = depth == len(path) - 1
            child = None
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == str(step):
                        child = key_node if last else value_node
                        break
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if 0 <= step < len(node.value):
                    child = node.value[step]
            if child is None:
                break
            node = child
        return node.start_mark.line + 1, node.start_mark.column + 1

    return locate


def _load_json(text: str, path: str) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise CatalogError(f"duplicate key {key!r}", path=path)
            out[key] = value
        return out

    from rewriter.limits import check_nesting

    check_nesting(text, path=path, error=CatalogError)
    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as error:
        raise CatalogError(
            f"not valid JSON: {error.msg}", path=path, line=error.lineno, column=error.colno
        ) from None
    except ValueError as error:  # an integer over Python's 4,300 digits
        raise CatalogError(f"not valid JSON: {error}", path=path) from None


def _load_yaml(text: str, path: str) -> Any:
    import yaml

    class StrictLoader(yaml.SafeLoader):
        """Rejects duplicate keys instead of letting the last one win."""

    def construct_mapping(
        loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False
    ) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise CatalogError(
                    f"duplicate key {key!r}", path=path, line=mark.line + 1, column=mark.column + 1
                )
            seen.add(key)
        return loader.construct_mapping(node, deep=deep)

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    try:
        from rewriter.limits import check_nesting, check_yaml

        check_nesting(text, path=path, error=CatalogError)
        loader = StrictLoader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            check_yaml(root, path=path, error=CatalogError)  # before aliases are expanded
            return loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise CatalogError(
            f"not valid YAML: {error.problem or error}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as error:
        raise CatalogError(f"not valid YAML: {error}", path=path) from None


def read_profiles_file(path: str | os.PathLike[str]) -> tuple[Profile, ...]:
    """Read a user profiles file (YAML or JSON; a list, or a mapping with 'profiles')."""
    name = os.fspath(path)
    from rewriter.files import read_bytes

    data = read_bytes(name, what="profiles file", error=CatalogError)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CatalogError(f"not UTF-8 text (byte {error.start})", path=name) from None

    is_json = name.lower().endswith(".json") or text.lstrip().startswith(("{", "["))
    document = _load_json(text, name) if is_json else _load_yaml(text, name)
    try:
        entries, prefix = _entries_of(document)
    except CatalogError as error:
        raise CatalogError(error.message, path=name) from None
    return _read_entries(entries, prefix=prefix, path=name, origin=name, locate=_yaml_locator(text))


# -- loading, cached -------------------------------------------------------------------------

_BUILTIN: list[Catalog] = []
_CACHE: dict[tuple[str, int, int], Catalog] = {}


def _builtin_catalog() -> Catalog:
    if not _BUILTIN:
        # A plain open() beside this module: importlib.resources costs ~25 ms to import and
        # resolve, ten times the parse. It remains the fallback for zipped installs.
        try:
            with open(os.path.join(os.path.dirname(__file__), "profiles.json"), "rb") as handle:
                data = handle.read()
        except OSError:
            from importlib import resources

            data = resources.files("rewriter.catalog").joinpath("profiles.json").read_bytes()
        document = json.loads(data)
        _BUILTIN.append(
            catalog_from_document(document, path="rewriter/catalog/profiles.json", validate=False)
        )
    return _BUILTIN[0]


def load_catalog(profiles_file: str | os.PathLike[str] | None = None) -> Catalog:
    """The built-in catalog, extended by ``profiles_file`` when given. Cached per file and version.

    An entry in the user file whose id (or ARN, for an application profile) is already known
    replaces the built-in entry as a whole.
    """
    builtin = _builtin_catalog()
    if profiles_file is None:
        return builtin
    name = os.fspath(profiles_file)
    try:
        stat = os.stat(name)
        key = (os.path.abspath(name), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = None  # read_profiles_file reports the problem
    if key is not None and key in _CACHE:
        return _CACHE[key]
    user = read_profiles_file(name)
    replaced = {p.id for p in user}
    merged = [p for p in builtin.profiles if p.id not in replaced] + list(user)
    catalog = Catalog(
        profiles=tuple(sorted(merged, key=lambda p: (p.kind != "system", p.id, p.arn or ""))),
        data_date=builtin.data_date,
        source=builtin.source,
        files=(name,),
        announced=tuple(a for a in builtin.announced if a.id not in replaced),
    )
    if key is not None:
        _CACHE[key] = catalog
    return catalog
