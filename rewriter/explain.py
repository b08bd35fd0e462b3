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

from rewriter.cris import INFERENCE_ACTIONS, UNSPECIFIED
from rewriter.i18n import Text, join
from rewriter.messages import Denial, describe_policy_kind
from rewriter.regions_data import ALL_COMMERCIAL

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
    kind: str  # cris-destination | cris-global | cris-source | cris-guardrail | scp-other | not-scp
    summary: str  # about this denial
    candidates: tuple[Candidate, ...] = ()
    advice: str = ""
    background: tuple[str, ...] = ()  # how the mechanism works: paragraphs shared by every denial of a kind
    source_regions: tuple[str, ...] = ()  # the caller's likely Regions; empty when not known
    sources_from: str = ""  # FROM_OPTION, FROM_CLOUDTRAIL, FROM_POLICY, or "" when not known
    looked_for: str = ""  # what was searched for, when no profile fits
    # "identity": the caller's IAM policy denied it ("no identity-based policy allows"); the candidates are
    # the profiles whose grants it lacks, to check and fix with --identity-policy, not the SCP
    side: str = "scp"
    called: str = ""  # the profile a CloudTrail event names as called, when it is a candidate
    guardrail: str = ""  # cris-guardrail: the guardrail profile whose ApplyGuardrail was denied

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


_IDENTITY_ADVICE = (
    "Grant the profile in the source Region and the model in every destination Region through it: "
    "scp-fix propose --kind identity --profile <id> POLICY (or explain --identity-policy POLICY)."
)

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


def _callable(policies: Sequence[Policy], profiles: Sequence[Profile], action: str) -> dict[str, tuple[str, ...]]:
    """Each profile's source Regions whose originating call the policies allow, by profile id."""
    from rewriter.check import callable_sources
    from rewriter.evaluate import Evaluator

    evaluator = Evaluator()
    return {p.id: callable_sources(policies, p, actions=(action,), evaluator=evaluator) for p in profiles}


def _caller_regions(
    denial: Denial, profiles: Sequence[Profile], source_region: str | None, policies: Sequence[Policy], action: str
) -> tuple[tuple[str, ...] | None, str]:
    """The caller's likely Regions (None when nothing says), and what says so."""
    if source_region:
        return (source_region,), FROM_OPTION
    if denial.caller_region:
        return (denial.caller_region,), FROM_CLOUDTRAIL
    if policies:
        allowed = {r for sources in _callable(policies, profiles, action).values() for r in sources}
        return tuple(sorted(allowed)), FROM_POLICY
    return None, ""


def _candidates(
    profiles: Sequence[Profile],
    region: str,
    callers: tuple[str, ...] | None,
    policies: Sequence[Policy],
    action: str,
) -> tuple[Candidate, ...]:
    callable_found, others = [], []
    allowed = _callable(policies, profiles, action) if policies else {}
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
            and (not policies or r.source_region in allowed[profile.id])
        )
        if mine:
            callable_found.append(Candidate(as_routed(profile), mine))
        else:
            others.append(Candidate(as_routed(profile), every, callable=False))
    # Global profiles last among the callable: a geographic one that routes there is the likelier call.
    callable_found.sort(key=lambda c: c.profile.is_global)
    return tuple(callable_found + others)


def _called(candidates: tuple[Candidate, ...], requested: str | None) -> tuple[tuple[Candidate, ...], str]:
    """When a CloudTrail event names the profile called (``requestParameters.modelId``), that candidate is
    the one callable: the others route there too, but were not what was called. Returns the candidates
    and the id of the profile called ("" when the event names none of them)."""
    called = requested.rsplit("inference-profile/", 1)[-1] if requested else ""
    if not any(c.profile.id == called for c in candidates):
        return candidates, ""
    marked = (replace(c, callable=c.profile.id == called) for c in candidates)
    return tuple(sorted(marked, key=lambda c: not c.callable)), called


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
    # "no identity-based policy allows": the caller's IAM policy lacks a grant a profile call needs
    identity = denial.policy_kind == "identity_based_policy" and denial.explicit is False
    if not identity and (denial.policy_kind != "service_control_policy" or denial.explicit is False):
        return Diagnosis("not-scp", kind_words, advice=kind_words)
    resource = denial.resource or ""
    if identity and ":inference-profile/" in resource:
        return _identity_source(denial, catalog, resource)
    if ":inference-profile/" in resource or ":application-inference-profile/" in resource:
        where = denial.region or Text("its Region")
        return Diagnosis(
            "cris-source",
            Text(
                "The SCP denies the originating call on the inference profile in {where}: the caller's own "
                "Region is blocked. No profile exemption can help; {where} must be allowed.", where=where,
            ),
        )
    if not identity and ":guardrail-profile/" in resource:
        return _guardrail_hop(denial, catalog, resource, source_region)
    if ":foundation-model/" not in resource or not denial.model_id:
        if identity:
            return Diagnosis("not-scp", kind_words, advice=kind_words)
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
    candidates, called = _called(_candidates(profiles, region, known, policies, action), denial.requested_model)
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
    if not identity and (any(c.profile.is_global for c in found) or kind == "cris-global"):
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
    if identity:
        what = f"the Region-less model ARN {resource}" if region == UNSPECIFIED else f"the model in {region}"
        return Diagnosis(
            "not-scp",
            f"{kind_words} The denied resource is {what}: cross-Region inference routed the call there, and "
            "the caller's identity policy does not grant it.",
            candidates, _IDENTITY_ADVICE,
            source_regions=callers, sources_from=sources_from, looked_for=looked_for, side="identity",
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
        called=called,
    )


def _guardrail_hop(denial: Denial, catalog: Catalog, resource: str, source_region: str | None) -> Diagnosis:
    """ApplyGuardrail denied on a guardrail profile: a guardrail's evaluation routed to a Region the SCP
    blocks (reference R.2), which no profile-ARN exemption can let through."""
    from rewriter.errors import ProfileNotFoundError

    guardrail_id = resource.rsplit(":guardrail-profile/", 1)[1]
    region = denial.region or Text("its Region")
    callers = (source_region,) if source_region else (denial.caller_region,) if denial.caller_region else ()
    summary = [Text(
        "The denied resource is guardrail profile {guardrail} in {region}: a call with a STANDARD-tier guardrail "
        "runs bedrock:ApplyGuardrail through its guardrail profile, authorized in every destination Region of the "
        "caller's source Region, and the SCP blocks {region}.", guardrail=guardrail_id, region=region,
    )]
    try:
        guardrail = catalog.guardrail(guardrail_id)
    except ProfileNotFoundError:
        summary.append(Text(
            "scp-fix does not know the routes of {guardrail}; state them in a --profiles-file (an entry with kind: "
            "guardrail).", guardrail=guardrail_id,
        ))
    else:
        routes = [
            f"{source} -> {', '.join(dests)}" for source, dests in guardrail.routes.items()
            if denial.region in dests and source != denial.region and (not callers or source in callers)
        ]
        if routes:
            summary.append(Text("Routed there, with the Regions each source needs: {routes}.", routes="; ".join(routes)))
    return Diagnosis(
        "cris-guardrail",
        join(" ", summary),
        advice=Text(
            "ApplyGuardrail has no condition keys, so no bedrock:InferenceProfileArn exemption can let it through: "
            "allow the guardrail's destination Regions, or carve ApplyGuardrail out of the Region deny. scp-fix "
            "propose POLICY --profile <id> --guardrail {guardrail} proposes both and says what each opens.",
            guardrail=guardrail_id,
        ),
        source_regions=callers,
        sources_from=(FROM_OPTION if source_region else FROM_CLOUDTRAIL) if callers else "",
        guardrail=guardrail_id,
    )


def _identity_source(denial: Denial, catalog: Catalog, resource: str) -> Diagnosis:
    """The caller's IAM policy does not grant the profile itself (the originating call)."""
    from rewriter.errors import ProfileNotFoundError

    where = denial.region or "its Region"
    try:
        profile = catalog.get(resource.split(":inference-profile/", 1)[1])
    except ProfileNotFoundError:
        profile = None
    candidates: tuple[Candidate, ...] = ()
    if profile is not None and denial.region in profile.routes:
        needed = tuple(dict.fromkeys((denial.region, *as_routed(profile).routes[denial.region])))
        candidates = (Candidate(as_routed(profile), (Route(denial.region, needed + ((UNSPECIFIED,) if profile.is_global else ())),)),)
    return Diagnosis(
        "not-scp",
        f"No identity-based policy of the caller allows {denial.action or 'the call'} on the inference profile "
        f"{resource}: the caller's IAM policy must grant the profile in {where}, and the model in every "
        "destination Region through it. This is not the SCP.",
        candidates,
        _IDENTITY_ADVICE,
        source_regions=(denial.region,) if denial.region else (),
        sources_from="the profile ARN's Region" if denial.region else "",
        side="identity",
    )


def _join(regions: Sequence[str]) -> str:
    return ", ".join(regions) if regions else Text("no Region")
