"""From an AccessDenied message to its cause: which profiles route there, and what an SCP must allow.

A foundation-model ARN in a Region other than the caller's, denied by an SCP, is a cross-Region inference
hop to a destination Region the SCP blocks; a Region-less foundation-model ARN is the global profile's
``aws:RequestedRegion = unspecified`` evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rewriter.cris import UNSPECIFIED
from rewriter.errors import ScpFixError
from rewriter.messages import Denial, describe_policy_kind

if TYPE_CHECKING:
    from rewriter.catalog import Catalog, Profile

__all__ = ["Route", "Candidate", "Diagnosis", "diagnose"]


@dataclass(frozen=True, slots=True)
class Route:
    source_region: str
    regions_needed: tuple[str, ...]  # every Region (and unspecified) an SCP must allow for this call


@dataclass(frozen=True, slots=True)
class Candidate:
    profile: Profile
    routes: tuple[Route, ...]


@dataclass(frozen=True, slots=True)
class Diagnosis:
    kind: str  # cris-destination | cris-global | cris-source | scp-other | not-scp
    summary: str
    candidates: tuple[Candidate, ...] = ()
    advice: str = ""


def _needed(profile: Profile, source: str) -> tuple[str, ...]:
    regions = (source, *profile.destinations(source))
    needed = tuple(dict.fromkeys(regions))
    return needed + ((UNSPECIFIED,) if profile.is_global else ())


def _candidates(profiles: Sequence[Profile], region: str, source_region: str | None) -> tuple[Candidate, ...]:
    found = []
    for profile in profiles:
        sources = (source_region,) if source_region and source_region in profile.sources else profile.sources
        if source_region and source_region not in profile.sources:
            continue
        routes = []
        for source in sources:
            try:
                needed = _needed(profile, source)
            except ScpFixError:  # a profile whose routes the catalog does not know
                continue
            # A hop: the denied Region is where the call was routed, not where the caller is.
            if region in needed and (region != source or region == UNSPECIFIED):
                routes.append(Route(source, needed))
        if routes:
            found.append(Candidate(profile, tuple(routes)))
    return tuple(found)


def diagnose(denial: Denial, catalog: Catalog, *, source_region: str | None = None) -> Diagnosis:
    """What happened, in words, and the candidate profiles for a cross-Region inference denial."""
    kind_words = describe_policy_kind(denial.policy_kind, explicit=denial.explicit)
    if denial.policy_kind != "service_control_policy" or denial.explicit is False:
        return Diagnosis("not-scp", kind_words, advice=kind_words)
    resource = denial.resource or ""
    if ":inference-profile/" in resource or ":application-inference-profile/" in resource:
        where = denial.region or "its Region"
        return Diagnosis(
            "cris-source",
            f"The SCP denies the originating call on the inference profile in {where}: the caller's own "
            f"Region is blocked. No profile exemption can help; {where} must be allowed.",
        )
    if ":foundation-model/" not in resource or not denial.model_id:
        return Diagnosis(
            "scp-other",
            f"An SCP explicitly denies {denial.action or 'the action'} on {resource or 'the resource'}; "
            "this is not a cross-Region inference hop. " + kind_words,
        )
    profiles = catalog.by_model(denial.model_id)
    region = denial.region or UNSPECIFIED
    candidates = _candidates(profiles, region, source_region)
    if region == UNSPECIFIED:
        summary = (
            f"The denied resource is the Region-less model ARN {resource}: a call through a global "
            "cross-Region inference profile, which Bedrock also authorizes with aws:RequestedRegion = "
            "unspecified. The SCP blocks 'unspecified'."
        )
        kind = "cris-global"
    else:
        summary = (
            f"The denied resource is the model in {region}"
            + (f", not in {source_region} where the caller is" if source_region and source_region != region else "")
            + f": cross-Region inference routed the call to {region}, a destination Region the SCP blocks. "
            "Bedrock authorizes every destination Region of the profile, and one denied destination fails "
            "every call."
        )
        kind = "cris-destination"
    if not candidates:
        summary += (
            f" No profile in the catalog routes {denial.model_id} to {region}"
            + (f" from {source_region}" if source_region else "")
            + "; pass --profiles-file with the profile you use."
        )
    advice = (
        "Allow every Region listed for the profile you call, or exempt calls through it "
        "(scp-fix propose --profile <id>)."
    )
    return Diagnosis(kind, summary, candidates, advice)
