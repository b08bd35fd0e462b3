"""The inference-profile catalog as data: ``Profile``, ``Announced``, ``Catalog`` and their look-ups.

No I/O here: ``entries`` turns a file's entries into profiles, ``loader`` reads the files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from rewriter.errors import ProfileNotFoundError
from rewriter.regions_data import partition_of

__all__ = [
    "ACTIVE",
    "ALL_COMMERCIAL",
    "ALL_COMMERCIAL_SPELLINGS",
    "CUSTOM_GEOGRAPHY",
    "END_OF_LIFE",
    "GEOGRAPHIES",
    "GUARDRAIL",
    "KINDS",
    "LEGACY",
    "LIFECYCLES",
    "Announced",
    "Catalog",
    "Profile",
    "is_geography",
    "parse_bedrock_arn",
]

# Written where AWS prints "Commercial AWS Regions" as the destinations of a global profile.
ALL_COMMERCIAL = "all-commercial"
ALL_COMMERCIAL_SPELLINGS = frozenset({ALL_COMMERCIAL, "ALL_COMMERCIAL"})

# The geographies the built-in data uses. The set is open: AWS adds prefixes ("in" came in
# 2026-08), so a user file or a sync may bring another one; its routes then say everything.
GEOGRAPHIES: tuple[str, ...] = ("us", "us-gov", "ca", "eu", "apac", "jp", "au", "in", "global")
# An application profile has no geographic prefix: the routes say everything.
CUSTOM_GEOGRAPHY = "custom"
# A guardrail profile (``us.guardrail.v1:0``) routes ``bedrock:ApplyGuardrail`` as an inference profile
# routes a model call: the same record and file, with no model (reference R.2).
GUARDRAIL = "guardrail"
KINDS: tuple[str, ...] = ("system", "application", GUARDRAIL)
# Absent in the data = active (no AWS or crawl evidence of Legacy or end of life).
ACTIVE, LEGACY, END_OF_LIFE = "active", "legacy", "end-of-life"
LIFECYCLES: tuple[str, ...] = (ACTIVE, LEGACY, END_OF_LIFE)
_GEOGRAPHY_SHAPE = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


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
    # PERF: the hash, made once: the authorization requests of a profile are looked up by it for each
    # of its source Regions and each policy a proposal verifies (33 profiles: thousands of times)
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "routes", _freeze_routes(self.routes))
        object.__setattr__(self, "unconfirmed_routes", _freeze_routes(self.unconfirmed_routes))
        object.__setattr__(self, "notes", tuple(self.notes))
        # routes is a mapping proxy, which does not hash
        object.__setattr__(self, "_hash", hash((self.kind, self.id, self.arn, tuple(self.routes.items()))))
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {self.kind!r}")
        if self.lifecycle not in LIFECYCLES:
            raise ValueError(f"lifecycle must be one of {LIFECYCLES}, not {self.lifecycle!r}")
        if self.kind == "application" and not self.arn:
            raise ValueError("an application inference profile needs its ARN")

    def __hash__(self) -> int:
        return self._hash

    @property
    def is_global(self) -> bool:
        return self.geography == "global"

    @property
    def is_guardrail(self) -> bool:
        return self.kind == GUARDRAIL

    @property
    def what(self) -> str:
        """How text names the kind of profile."""
        return "guardrail profile" if self.is_guardrail else "inference profile"

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
        resource = "guardrail-profile" if self.is_guardrail else "inference-profile"
        return f"arn:{partition}:bedrock:{source_region}:{account}:{resource}/{self.id}"

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
        if self.is_guardrail:  # a guardrail profile serves no model
            del out["model"]
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
                f"the source Regions of {self.what} {self.label} are not known (the AWS "
                "documentation did not list them); state its routes in a --profiles-file"
            )
        return (
            f"{self.what} {self.label} cannot be called from {source_region}; "
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
    model: str  # "" for a guardrail profile
    announced: str  # where it was announced
    note: str | None = None
    kind: str = "system"  # or GUARDRAIL

    def to_dict(self) -> dict[str, Any]:
        out = {"id": self.id, "model": self.model, "announced": self.announced}
        if self.kind == GUARDRAIL:
            out = {"id": self.id, "kind": GUARDRAIL, "announced": self.announced}
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
    # The catalog 'scp-fix profiles sync' wrote, merged over the built-in data: (path, data date).
    synced: tuple[str, str] | None = None
    # Located lines about the user files (an unknown Region code): shown, the entries still load.
    warnings: tuple[str, ...] = ()
    # Guardrail profiles (kind "guardrail"), apart from the inference profiles that look-ups by id,
    # ARN and model find; ``guardrail`` finds them. And the guardrail ids announced without routes.
    guardrails: tuple[Profile, ...] = ()
    announced_guardrails: tuple[Announced, ...] = ()
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
        self._refuse_guardrail(text)
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
        self._refuse_guardrail(text)
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
        if resource_type == "guardrail-profile":
            self._refuse_guardrail(resource_id)
        raise ProfileNotFoundError(f"{text} is a Bedrock {resource_type}, not an inference profile")

    def guardrail(self, ref: str) -> Profile:
        """A guardrail profile by id (``us.guardrail.v1:0``) or guardrail-profile ARN."""
        text = ref.strip()
        parsed = parse_bedrock_arn(text)
        if parsed is not None and parsed[3] == "guardrail-profile":
            text = parsed[4]
        found = next((g for g in self.guardrails if g.id == text), None)
        if found is not None:
            return found
        announced = next((a for a in self.announced_guardrails if a.id == text), None)
        if announced is not None:
            raise ProfileNotFoundError(
                f"guardrail profile {text} is announced, but its routes are not confirmed (no AWS page "
                "copy read lists them), so scp-fix cannot say which Regions ApplyGuardrail needs; state "
                "them in a --profiles-file (an entry with kind: guardrail)"
            )
        if text in self._by_id:
            raise ProfileNotFoundError(f"{text} is an inference profile, not a guardrail profile; pass it with --profile")
        known = [g.id for g in self.guardrails] + [a.id for a in self.announced_guardrails]
        raise ProfileNotFoundError(self._unknown_message(text, known, "guardrail profile"))

    def _refuse_guardrail(self, profile_id: str) -> None:
        """A guardrail profile named where an inference profile is expected."""
        if any(g.id == profile_id for g in self.guardrails) or any(
            a.id == profile_id for a in self.announced_guardrails
        ):
            raise ProfileNotFoundError(
                f"{profile_id} is a guardrail profile, not an inference profile; pass it with --guardrail"
            )

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


