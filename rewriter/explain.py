"""From an AccessDenied message to its cause: which profiles route there, and what an SCP must allow.

A foundation-model ARN in a Region other than the caller's, denied by an SCP, is a cross-Region inference
hop to a destination Region the SCP blocks; a Region-less foundation-model ARN is the global profile's
``aws:RequestedRegion = unspecified`` evaluation.

The profile that was called is not in the message, so the candidates are the profiles of the model that
route there, ranked by whether they can be called from the caller's Regions: the ``--source-region``
given, else the Region of a CloudTrail event, else the Regions the policy lets callers use. A global
profile routes to any commercial Region, so it is a candidate for a model ARN in any of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from rewriter.cris import DEFAULT_ACCOUNT, INFERENCE_ACTIONS, UNSPECIFIED, authorizations
from rewriter.i18n import Text, join
from rewriter.messages import Denial, describe_policy_kind
from rewriter.regions_data import ALL_COMMERCIAL, ALL_REGIONS

if TYPE_CHECKING:
    from rewriter.catalog import Catalog, Profile
    from rewriter.model import Policy

__all__ = ["Route", "Candidate", "Diagnosis", "diagnose", "as_routed"]

# How the caller's Regions were found, in the order they are tried.
FROM_OPTION = "--source-region"
FROM_CLOUDTRAIL = Text("the CloudTrail event's Region")
FROM_POLICY = Text("the Regions the policy lets callers use")


@dataclass(frozen=True, slots=True)
class Route:
    source_region: str
    regions_needed: tuple[str, ...]  # every Region (and unspecified) an SCP must allow for this call


@dataclass(frozen=True, slots=True)
class Candidate:
    """A profile that routes a call to the denied resource.

    ``profile`` is what a fix must let through: for a global profile its routes are widened to every
    commercial Region (``as_routed``), since a message shows the routed call authorized there.
    ``routes`` are from the caller's Regions when it is callable from them, else from every source that
    routes there.
    """

    profile: Profile
    routes: tuple[Route, ...]
    callable: bool = True  # from the caller's Regions (True when they are not known)


@dataclass(frozen=True, slots=True)
class Diagnosis:
    kind: str  # cris-destination | cris-global | cris-source | scp-other | not-scp
    summary: str  # about this denial
    candidates: tuple[Candidate, ...] = ()
    advice: str = ""
    background: tuple[str, ...] = ()  # how the mechanism works: paragraphs shared by every denial of a kind
    source_regions: tuple[str, ...] = ()  # the caller's likely Regions; empty when not known
    sources_from: str = ""  # FROM_OPTION, FROM_CLOUDTRAIL, FROM_POLICY, or "" when not known
    looked_for: str = ""  # what was searched for, when no profile fits

    @property
    def callable_candidates(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c.callable)

    @property
    def other_candidates(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if not c.callable)

    @property
    def needs_profile(self) -> bool:
        """A cross-Region inference denial for which no profile callable from the caller was found."""
        return self.kind in ("cris-destination", "cris-global") and not self.callable_candidates


_DESTINATION_BACKGROUND = Text(
    "Cross-Region inference authorizes a call in the source Region (the inference profile) and again in "
    "every destination Region the profile routes to (the foundation model there); one denied destination "
    "fails every call, even from an allowed Region."
)
_GLOBAL_BACKGROUND = Text(
    "A global profile routes a call to any commercial Region. Bedrock authorizes the routed call on the "
    "foundation model in the Region it reaches (as a message naming a model ARN in another Region shows), "
    "and, as AWS documents, once more on the Region-less model ARN with aws:RequestedRegion = "
    "unspecified. A fix must let both through: exempting calls through the profile "
    "(bedrock:InferenceProfileArn) does, without opening any Region to other services."
)


def as_routed(profile: Profile) -> Profile:
    """A global profile with every commercial Region as a destination of each source; others as they are.

    The catalog keeps a global profile's destinations to its source (the Region-less evaluation is added
    by ``cris``), which is what AWS documents; the seed's message shows the routed call authorized on the
    model in us-east-2 for a caller in Tokyo, so a fix proposed from such a message must hold there too.
    """
    if not profile.is_global:
        return profile
    routes = {
        source: (source, *(r for r in ALL_COMMERCIAL if r != source)) if source in ALL_COMMERCIAL else dests
        for source, dests in profile.routes.items()
    }
    return replace(profile, routes=routes)


def _routes_there(profile: Profile, region: str, sources: Sequence[str]) -> tuple[Route, ...]:
    """The routes from ``sources`` whose call is authorized on the model in ``region`` as a hop."""
    routed = as_routed(profile)
    found = []
    for source in sources:
        if source not in routed.routes:
            continue
        needed = tuple(dict.fromkeys((source, *routed.routes[source])))
        if profile.is_global:
            needed += (UNSPECIFIED,)
        # A hop: the denied Region is where the call was routed, not where the caller is.
        if region in needed and region != source:
            found.append(Route(source, needed))
    return tuple(found)


def _originating_allowed(policies: Sequence[Policy], profile: Profile, source: str, action: str) -> bool:
    from rewriter.evaluate import evaluate

    return all(
        evaluate(policies, a.request).allowed
        for a in authorizations(profile, source, actions=(action,))
        if a.role == "profile"
    )


def _policy_regions(policies: Sequence[Policy], profiles: Sequence[Profile], action: str) -> tuple[str, ...]:
    """The Regions from which the policies let a caller call one of ``profiles`` (the originating call)."""
    return tuple(
        region
        for region in ALL_REGIONS
        if any(region in p.routes and _originating_allowed(policies, p, region, action) for p in profiles)
    )


def _caller_regions(
    denial: Denial, profiles: Sequence[Profile], source_region: str | None, policies: Sequence[Policy], action: str
) -> tuple[tuple[str, ...] | None, str]:
    """The caller's likely Regions (None when nothing says), and what says so."""
    if source_region:
        return (source_region,), FROM_OPTION
    if denial.caller_region:
        return (denial.caller_region,), FROM_CLOUDTRAIL
    if policies:
        return _policy_regions(policies, profiles, action), FROM_POLICY
    return None, ""


def _candidates(
    profiles: Sequence[Profile],
    region: str,
    callers: tuple[str, ...] | None,
    policies: Sequence[Policy],
    action: str,
) -> tuple[Candidate, ...]:
    callable_found, others = [], []
    for profile in profiles:
        every = _routes_there(profile, region, profile.sources)
        if not every:
            continue
        if callers is None:
            callable_found.append(Candidate(as_routed(profile), every))
            continue
        mine = tuple(
            r for r in every
            if r.source_region in callers
            and (not policies or _originating_allowed(policies, profile, r.source_region, action))
        )
        if mine:
            callable_found.append(Candidate(as_routed(profile), mine))
        else:
            others.append(Candidate(as_routed(profile), every, callable=False))
    # Global profiles last among the callable: a geographic one that routes there is the likelier call.
    callable_found.sort(key=lambda c: c.profile.is_global)
    return tuple(callable_found + others)


def diagnose(
    denial: Denial,
    catalog: Catalog,
    *,
    source_region: str | None = None,
    policies: Sequence[Policy] = (),
) -> Diagnosis:
    """What happened, in words, and the candidate profiles for a cross-Region inference denial.

    ``policies`` (the SCPs given with ``--policy``) tell which Regions callers can use when neither
    ``source_region`` nor a CloudTrail event says it.
    """
    kind_words = describe_policy_kind(denial.policy_kind, explicit=denial.explicit)
    if denial.policy_kind != "service_control_policy" or denial.explicit is False:
        return Diagnosis("not-scp", kind_words, advice=kind_words)
    resource = denial.resource or ""
    if ":inference-profile/" in resource or ":application-inference-profile/" in resource:
        where = denial.region or Text("its Region")
        return Diagnosis(
            "cris-source",
            Text(
                "The SCP denies the originating call on the inference profile in {where}: the caller's own "
                "Region is blocked. No profile exemption can help; {where} must be allowed.", where=where,
            ),
        )
    if ":foundation-model/" not in resource or not denial.model_id:
        return Diagnosis(
            "scp-other",
            Text(
                "An SCP explicitly denies {action} on {resource}; this is not a cross-Region inference hop. {kind}",
                action=denial.action or Text("the action"), resource=resource or Text("the resource"), kind=kind_words,
            ),
        )
    action = denial.action if denial.action in INFERENCE_ACTIONS else INFERENCE_ACTIONS[0]
    profiles = catalog.by_model(denial.model_id)
    region = denial.region or UNSPECIFIED
    known, sources_from = _caller_regions(denial, profiles, source_region, policies, action)
    candidates = _candidates(profiles, region, known, policies, action)
    callers = known or ()
    found = tuple(c for c in candidates if c.callable)
    if region == UNSPECIFIED:
        kind = "cris-global"
        summary: list[str] = [Text(
            "The denied resource is the Region-less model ARN {resource}: a call through a global "
            "cross-Region inference profile, authorized with aws:RequestedRegion = unspecified, which the "
            "SCP blocks.", resource=resource,
        )]
    else:
        kind = "cris-destination"
        summary = [Text(
            "The denied resource is the model in {region}, not in {callers} where the caller is: cross-Region "
            "inference routed the call to {region}, a destination Region the SCP blocks.",
            region=region, callers=_join(callers),
        ) if callers and region not in callers else Text(
            "The denied resource is the model in {region}: cross-Region inference routed the call to "
            "{region}, a destination Region the SCP blocks.", region=region,
        )]
    backgrounds = [_DESTINATION_BACKGROUND] if kind == "cris-destination" else []
    if any(c.profile.is_global for c in found) or kind == "cris-global":
        backgrounds.append(_GLOBAL_BACKGROUND)
    if len(found) == 1:
        summary.append(
            Text("From {callers} ({sources_from}), only {profile} routes there.", callers=_join(callers),
                 sources_from=sources_from, profile=found[0].profile.id)
            if callers else Text("From the profiles' source Regions, only {profile} routes there.", profile=found[0].profile.id)
        )
    looked_for: str = ""
    if not found:
        target = Text("the Region-less model ARN") if region == UNSPECIFIED else Text("the model in {region}", region=region)
        looked_for = Text("a profile of {model} that routes a call to {target}", model=denial.model_id, target=target)
        if known is not None:
            looked_for = Text("{looked_for} and can be called from {callers}", looked_for=looked_for, callers=_join(callers))
        summary.append(Text(
            "No profile in the catalog fits: looked for {looked_for} (the caller's Regions, from {sources_from}); "
            "pass --profiles-file with the profile you use, or --source-region with the Region you call from.",
            looked_for=looked_for, sources_from=sources_from,
        ) if known is not None else Text(
            "No profile in the catalog fits: looked for {looked_for}; pass --profiles-file with the profile you "
            "use, or --source-region with the Region you call from.", looked_for=looked_for,
        ))
    advice = Text(
        "Allow every Region listed for the profile you call, or exempt calls through it "
        "(scp-fix propose --profile <id>)."
    )
    return Diagnosis(
        kind,
        join(" ", summary),
        candidates,
        advice,
        background=tuple(backgrounds),
        source_regions=callers,
        sources_from=sources_from,
        looked_for=looked_for,
    )


def _join(regions: Sequence[str]) -> str:
    return ", ".join(regions) if regions else Text("no Region")
