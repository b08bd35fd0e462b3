"""A profiles file's entries -> ``Profile``s, every problem located by its path in the file.

Two layers. ``profiles.schema.json`` (shipped beside this module, checked with jsonschema) is the
shape of a profiles file and its documentation. This module then checks what a schema cannot
(Region codes against the AWS list, ``all-commercial`` only in a global profile, an application
profile's sources against its ARN) and builds the records. The built-in data passes both layers in
a test and in ``scripts/build_catalog.py``; at run time it is read without them (``loader``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rewriter.catalog.model import (
    ACTIVE,
    ALL_COMMERCIAL_SPELLINGS,
    CUSTOM_GEOGRAPHY,
    GEOGRAPHIES,
    Profile,
    is_geography,
    parse_bedrock_arn,
)
from rewriter.errors import CatalogError, quoted
from rewriter.regions_data import is_region_code, unknown_region_note

__all__ = ["SCHEMA_FILE", "EntryError", "entries_of", "profile_from_entry", "profiles_schema", "read_entries"]

SCHEMA_FILE = "profiles.schema.json"
_NOT_IN_IDS = re.compile(r"[*?$\s]")
_REGION_SHAPE = re.compile(r"[a-z]{2,4}(?:-[a-z]+)+-[0-9]+")  # as the schema's region pattern
Locator = Callable[[tuple[Any, ...]], "tuple[int, int] | None"]


class EntryError(Exception):
    """A problem with one entry, located by its path inside the entry; turned into a CatalogError."""

    def __init__(self, message: str, *path: Any) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


def profiles_schema() -> dict[str, Any]:
    """The JSON Schema of a profiles file (``rewriter/catalog/profiles.schema.json``)."""
    try:
        with open(os.path.join(os.path.dirname(__file__), SCHEMA_FILE), "rb") as handle:
            return json.load(handle)
    except OSError:  # a zipped install
        from importlib import resources

        return json.loads(resources.files("rewriter.catalog").joinpath(SCHEMA_FILE).read_bytes())


# -- the schema layer ------------------------------------------------------------------------

_TYPE_WORDS = {"object": "a mapping", "array": "a list", "string": "a string", "null": "null"}


def _words(types: str | Sequence[str]) -> str:
    return " or ".join(_TYPE_WORDS.get(t, t) for t in ([types] if isinstance(types, str) else types))


def _schema_error(error: Any) -> EntryError:
    """A jsonschema ValidationError -> our sentence, located where the problem is written."""
    path = tuple(error.absolute_path)
    field = str(path[-1]) if path else "the file"
    in_routes = len(path) >= 2 and path[-2] in ("routes", "unconfirmed_routes")
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = next(k for k in expected if k not in value)
        message = {
            "arn": "an application profile needs its 'arn'",
            "routes": "'routes' is required (source Region -> destination Regions)",
            "profiles": "expected a list of profiles, or a mapping with a 'profiles' list",
        }.get(missing, f"'{missing}' is required")
        return EntryError(message, *path, missing)
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(str(k) for k in value if k not in allowed)[0]
        return EntryError(f"unknown key '{extra}' (expected: {', '.join(allowed)})", *path, extra)
    if kind == "pattern" and error.schema.get("x-message"):
        if error.relative_schema_path and "propertyNames" in error.relative_schema_path:
            # A key of 'routes': the source Region itself is wrong.
            return EntryError(f"source Region {value!r} is not an AWS Region code", *path, value)
        return EntryError(f"'{field}' must be {error.schema['x-message']}, not {value!r}", *path)
    if kind == "enum":
        choices = ", ".join(str(c) for c in expected)
        return EntryError(f"'{field}' must be one of {choices}, not {value!r}", *path)
    if kind == "not" and path[-1:] != ("model",) and isinstance(value, Mapping) and "model" in value:
        return EntryError("a guardrail profile serves no model: leave 'model' out", *path, "model")
    if kind == "minItems" or (in_routes and kind == "type"):
        return EntryError("destinations must be a non-empty list of Region codes", *path)
    if kind == "minLength":
        return EntryError(f"'{field}' must be a non-empty string", *path)
    if kind == "type":
        if expected == "object" and path and isinstance(path[-1], int):
            return EntryError("a profile entry must be a mapping")
        if path and isinstance(path[-1], int) and len(path) >= 3 and path[-3] in ("routes", "unconfirmed_routes"):
            return EntryError(f"a destination must be a Region code, not {value!r}", *path)
        if field == "routes":
            return EntryError("'routes' must be a mapping of source Region -> destination Regions", *path)
        if not path:
            return EntryError("expected a list of profiles, or a mapping with a 'profiles' list")
        return EntryError(f"'{field}' must be {_words(expected)}, not {value!r}", *path)
    return EntryError(error.message, *path)


# A misspelt key explains a missing one ('rutes' -> 'routes' is required): say the cause first.
_FIRST = {"additionalProperties": 0, "type": 1, "required": 3}


def _schema_errors(document: Any) -> list[Any]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(profiles_schema())
    return sorted(
        validator.iter_errors(document),
        key=lambda e: (_FIRST.get(e.validator, 2), -len(e.absolute_path)),
    )


# -- the semantic layer ----------------------------------------------------------------------


def _text(entry: Mapping[str, Any], key: str) -> str | None:
    value = entry.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


Warn = Callable[..., None]  # warn(message, *path): a located warning, the entry still loads


def _refuse(message: str, *path: Any) -> None:
    raise EntryError(message, *path)


def _check_region(code: str, what: str, *path: Any, warn: Warn = _refuse) -> None:
    """A code shaped like a Region but unknown is a warning naming the nearest known one (AWS opens
    Regions newer than scp-fix's list); anything else is an error."""
    if is_region_code(code):
        return
    if not _REGION_SHAPE.fullmatch(code):
        raise EntryError(f"{what} {code!r} is not an AWS Region code", *path)
    warn(f"{what} {unknown_region_note(code)}; used as written", *path)


def _read_routes(
    value: Mapping[str, Any], *, is_global: bool, key: str, warn: Warn = _refuse
) -> dict[str, tuple[str, ...]]:
    routes: dict[str, tuple[str, ...]] = {}
    for source in sorted(value):
        _check_region(source, "source Region", key, source, warn=warn)
        destinations = value[source]
        if isinstance(destinations, str):
            destinations = [destinations]
        regions: set[str] = set()
        for i, dest in enumerate(d.strip() for d in destinations):
            if dest in ALL_COMMERCIAL_SPELLINGS:
                if not is_global:
                    raise EntryError(f"'{dest}' is only valid for a global profile", key, source, i)
                continue
            _check_region(dest, "destination Region", key, source, i, warn=warn)
            regions.add(dest)
        # A global call is evaluated in its source Region (plus 'unspecified', added by cris.py),
        # whatever destinations are written.
        routes[source] = (source,) if is_global else tuple(sorted(regions))
    return routes


def profile_from_entry(
    entry: Mapping[str, Any], *, origin: str = "built-in", warn: Warn = _refuse
) -> Profile:
    """One schema-valid entry -> Profile. Raises ``EntryError`` (located by its path in the entry);
    what only deserves a warning goes to ``warn`` (by default, a warning is an error too)."""
    arn = _text(entry, "arn")
    kind = _text(entry, "kind") or (
        "application" if arn and ":application-inference-profile/" in arn else "system"
    )
    arn_region: str | None = None
    if kind == "application":
        parsed = parse_bedrock_arn(arn or "")
        assert parsed is not None  # the schema's pattern
        arn_region = parsed[1]
        _check_region(arn_region, "the Region in 'arn',", "arn", warn=warn)
    elif arn is not None:
        raise EntryError("'arn' is only for application profiles (kind: application)", "arn")

    profile_id = _text(entry, "id") or (arn or "").rsplit("/", 1)[-1]
    model = _text(entry, "model") or ""
    for key, value in (("id", profile_id), ("model", model), ("arn", arn or "")):
        # these are written into ARN patterns (ArnNotLike ...inference-profile/<id>), where * and ?
        # match anything and ${...} is a policy variable: a profile must name one thing
        if _NOT_IN_IDS.search(value):
            raise EntryError(f"'{key}' must not hold *, ?, $ or white space: {quoted(value)}", key)
    parsed_model = parse_bedrock_arn(model)
    if parsed_model is not None and parsed_model[3] == "foundation-model":
        model = parsed_model[4]

    notes = entry.get("notes") or []
    notes = [notes] if isinstance(notes, str) else list(notes)
    geography = _text(entry, "geography")
    if geography is None:
        prefix, dot, _ = profile_id.partition(".")
        if kind == "application":
            geography = CUSTOM_GEOGRAPHY
        elif dot and is_geography(prefix):
            geography = prefix
        else:
            raise EntryError(
                "'geography' is required: the id has no geographic prefix "
                f"(known ones: {', '.join(GEOGRAPHIES)})",
                "geography",
            )
    if geography not in GEOGRAPHIES and geography != CUSTOM_GEOGRAPHY:
        # The set is open (AWS adds prefixes): say so rather than refuse.
        notes.append(
            f"Geography {geography!r} is new to scp-fix (known: {', '.join(GEOGRAPHIES)}); "
            "its routes are used exactly as written."
        )

    is_global = geography == "global"
    routes = _read_routes(entry["routes"], is_global=is_global, key="routes", warn=warn)
    if arn_region is not None:
        if not routes:
            raise EntryError(f"'routes' must state the destinations for {arn_region}", "routes")
        for source in routes:
            if source != arn_region:
                raise EntryError(
                    f"this application profile lives in {arn_region}; it cannot have source {source}",
                    "routes",
                    source,
                )
    unconfirmed = _read_routes(
        entry.get("unconfirmed_routes") or {}, is_global=is_global, key="unconfirmed_routes", warn=warn
    )
    return Profile(
        id=profile_id,
        name=entry.get("name"),
        model=model,
        geography=geography,
        routes=routes,
        kind=kind,
        arn=arn,
        source=_text(entry, "source"),
        notes=tuple(notes),
        unconfirmed_routes=unconfirmed,
        origin=origin,
        lifecycle=_text(entry, "lifecycle") or ACTIVE,
        end_of_life=_text(entry, "end_of_life"),
        lifecycle_source=_text(entry, "lifecycle_source"),
    )


# -- a whole file ----------------------------------------------------------------------------


def _pointer(path: tuple[Any, ...]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _located(message: str, path: tuple[Any, ...], *, file: str, locate: Locator | None) -> CatalogError:
    position = locate(path) if locate else None
    line, column = position if position else (None, None)
    return CatalogError(message, path=file, line=line, column=column, pointer=_pointer(path))


def entries_of(document: Any) -> tuple[list[Any], tuple[Any, ...]]:
    """The entry list of a file, and the path prefix to it (for locating errors)."""
    if isinstance(document, list):
        return document, ()
    if isinstance(document, Mapping) and isinstance(document.get("profiles"), list):
        return document["profiles"], ("profiles",)
    raise CatalogError("expected a list of profiles, or a mapping with a 'profiles' list")


def read_entries(
    document: Any,
    *,
    path: str,
    origin: str,
    locate: Locator | None = None,
    warnings: list[str] | None = None,
) -> tuple[Profile, ...]:
    """Every entry of a profiles file -> Profiles; the first problem, in file order, is a CatalogError.

    With ``warnings``, what deserves only a warning (an unknown Region code) is appended there as a
    located line (``file:line:col: message``) and the entry loads; without, it is an error."""
    entries, prefix = entries_of(document)
    by_entry: dict[int, list[Any]] = {}
    for error in _schema_errors(document):
        where = tuple(error.absolute_path)
        if where[: len(prefix)] == prefix and len(where) > len(prefix) and isinstance(where[len(prefix)], int):
            by_entry.setdefault(where[len(prefix)], []).append(error)
        else:  # outside the entries (the announced list, the format): not about one profile
            problem = _schema_error(error)
            raise _located(problem.message, problem.path, file=path, locate=locate)

    profiles: list[Profile] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        label = (entry.get("id") or entry.get("arn")) if isinstance(entry, Mapping) else None
        where = f"profile {index}" + (f" ({label})" if isinstance(label, str) else "")
        try:
            if index in by_entry:
                problem = _schema_error(by_entry[index][0])
                raise EntryError(problem.message, *problem.path[len(prefix) + 1 :])
            if not isinstance(entry, Mapping):
                raise EntryError("a profile entry must be a mapping")
            def warn(message: str, *at: Any, index: int = index, where: str = where) -> None:
                if warnings is None:
                    raise EntryError(message, *at)
                warnings.append(str(_located(f"{where}: {message}", (*prefix, index, *at), file=path, locate=locate)))

            profile = profile_from_entry(entry, origin=origin, warn=warn)
            key = profile.arn or profile.id
            if key in seen:
                raise EntryError(f"duplicate profile {key} (also profile {seen[key]})")
            seen[key] = index
        except EntryError as error:
            raise _located(f"{where}: {error.message}", (*prefix, index, *error.path), file=path, locate=locate) from None
        profiles.append(profile)
    return tuple(profiles)

