"""Loading the catalog: the built-in data file, user files, and the two merged.

The built-in data is ``profiles.json`` beside this module (built from the shared reference by
``scripts/build_catalog.py``, which checks it against the schema). It is read with one
``json.loads`` and no per-entry checks. A user file (``--profiles-file``, YAML or JSON) is checked
against ``profiles.schema.json`` and more (``entries``), every problem located by line and column,
and extends the built-in data: an entry whose id is already known replaces it as a whole.

Nothing is cached here: ``load_catalog`` reads the files each time it is called, and its caller
(a CLI command, a library user) keeps the ``Catalog`` and passes it down. The built-in file costs
a few milliseconds; a command loads it once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from rewriter.catalog.entries import Locator, entries_of, read_entries
from rewriter.catalog.model import ACTIVE, GUARDRAIL, Announced, Catalog, Profile
from rewriter.errors import CatalogError

__all__ = [
    "builtin_catalog",
    "catalog_from_document",
    "load_catalog",
    "read_profiles_document",
    "read_profiles_file",
    "user_catalog_path",
]


def _trusted_profile(entry: Mapping[str, Any]) -> Profile:
    """A built-in entry -> Profile without the checks (the build script and a test run them)."""
    is_global = entry["geography"] == "global"
    return Profile(
        id=entry["id"],
        name=entry["name"],
        model=entry.get("model", ""),
        geography=entry["geography"],
        routes={s: (s,) if is_global else tuple(d) for s, d in entry["routes"].items()},
        kind=entry.get("kind", "system"),
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

    ``validate=False`` is for the built-in file only: it skips the schema and the per-entry
    checks, which cost more than parsing the JSON itself (jsonschema alone takes longer to import
    than typer).
    """
    if validate:
        profiles = read_entries(document, path=path, origin="built-in")
    else:
        profiles = tuple(_trusted_profile(entry) for entry in entries_of(document)[0])
    announced = _announced_of(document)
    return Catalog(
        profiles=tuple(sorted((p for p in profiles if not p.is_guardrail), key=lambda p: p.id)),
        data_date=str(document.get("data_date", "unknown")),
        source=str(document.get("source", "unknown")),
        announced=tuple(a for a in announced if a.kind != GUARDRAIL),
        guardrails=tuple(sorted((p for p in profiles if p.is_guardrail), key=lambda p: p.id)),
        announced_guardrails=tuple(a for a in announced if a.kind == GUARDRAIL),
    )


def _announced_of(document: Any) -> tuple[Announced, ...]:
    """The ``announced_unconfirmed`` list of a data file (ids known by name, without routes)."""
    items = document.get("announced_unconfirmed") or () if isinstance(document, Mapping) else ()
    return tuple(
        Announced(a["id"], a.get("model", ""), a["announced"], a.get("note"), a.get("kind", "system"))
        for a in items
    )


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
    """scp-fix's one JSON reader (``jsontext``: duplicate keys refused, errors located)."""
    from rewriter.errors import PolicyParseError
    from rewriter.jsontext import scan
    from rewriter.limits import check_nesting

    check_nesting(text, path=path, error=CatalogError)
    try:
        document, _ = scan(text, path=path)
    except PolicyParseError as error:
        raise CatalogError(f"not valid JSON: {error.message}", path=path, line=error.line, column=error.column) from None
    except ValueError as error:  # an integer over Python's 4,300 digits
        raise CatalogError(f"not valid JSON: {error}", path=path) from None
    return document


def _load_yaml(text: str, path: str) -> Any:
    import yaml

    try:
        from rewriter.limits import check_nesting, check_yaml

        check_nesting(text, path=path, error=CatalogError)
        loader = yaml.SafeLoader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            check_yaml(root, path=path, error=CatalogError)  # duplicate keys, depth: before aliases are expanded
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


def read_profiles_file(
    path: str | os.PathLike[str], *, warnings: list[str] | None = None
) -> tuple[Profile, ...]:
    """Read a user profiles file (YAML or JSON; a list, or a mapping with 'profiles').

    With ``warnings``, located warnings (an unknown Region code) go there; without, they are errors."""
    return read_profiles_document(path, warnings=warnings)[1]


def read_profiles_document(
    path: str | os.PathLike[str], *, warnings: list[str] | None = None
) -> tuple[Any, tuple[Profile, ...]]:
    """A profiles file's document (for its data_date, regions, ...) and its profiles."""
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
        entries_of(document)
    except CatalogError as error:
        raise CatalogError(error.message, path=name) from None
    return document, read_entries(
        document, path=name, origin=name, locate=_yaml_locator(text), warnings=warnings
    )




# -- loading ---------------------------------------------------------------------------------


def builtin_catalog() -> Catalog:
    """The catalog bundled with scp-fix (``rewriter/catalog/profiles.json``)."""
    # A plain open() beside this module: importlib.resources costs ~25 ms to import and
    # resolve, ten times the parse. It remains the fallback for zipped installs.
    try:
        with open(os.path.join(os.path.dirname(__file__), "profiles.json"), "rb") as handle:
            data = handle.read()
    except OSError:
        from importlib import resources

        data = resources.files("rewriter.catalog").joinpath("profiles.json").read_bytes()
    return catalog_from_document(json.loads(data), path="rewriter/catalog/profiles.json", validate=False)


def merge(
    base: Catalog, user: tuple[Profile, ...], *, name: str, warnings: tuple[str, ...] = ()
) -> Catalog:
    """``base`` extended by a user file's profiles; an entry with a known id replaces it whole."""
    replaced = {p.id for p in user}
    merged = [p for p in base.profiles if p.id not in replaced] + [p for p in user if not p.is_guardrail]
    guardrails = [g for g in base.guardrails if g.id not in replaced] + [p for p in user if p.is_guardrail]
    return Catalog(
        profiles=tuple(sorted(merged, key=lambda p: (p.kind != "system", p.id, p.arn or ""))),
        data_date=base.data_date,
        source=base.source,
        files=(*base.files, name),
        announced=tuple(a for a in base.announced if a.id not in replaced),
        synced=base.synced,
        warnings=base.warnings + warnings,
        guardrails=tuple(sorted(guardrails, key=lambda p: p.id)),
        announced_guardrails=tuple(a for a in base.announced_guardrails if a.id not in replaced),
    )


def user_catalog_path(environ: Mapping[str, str] | None = None) -> str:
    """Where 'scp-fix profiles sync' writes by default: ``$XDG_DATA_HOME/scp-fix/profiles.json``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "scp-fix", "profiles.json")


def load_catalog(
    profiles_file: str | os.PathLike[str] | None = None,
    *,
    synced_file: str | os.PathLike[str] | None = None,
) -> Catalog:
    """The built-in catalog, with a synced catalog over it (newest data first), then
    ``profiles_file`` over both (its warnings in ``Catalog.warnings``). Read anew on every call."""
    catalog = builtin_catalog()
    if synced_file is not None:
        from rewriter.catalog.synced import merge_synced  # only with a synced file: most runs have none

        name = os.fspath(synced_file)
        found: list[str] = []
        document, profiles = read_profiles_document(name, warnings=found)
        catalog = merge_synced(catalog, profiles, document=document, name=name, warnings=tuple(found))
    if profiles_file is not None:
        name = os.fspath(profiles_file)
        warnings: list[str] = []
        profiles = read_profiles_file(name, warnings=warnings)
        catalog = merge(catalog, profiles, name=name, warnings=tuple(warnings))
    return catalog
