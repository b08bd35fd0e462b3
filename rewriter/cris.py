"""Profile + source Region -> the authorization requests Bedrock makes (reference §2.1 and §6).

A call through a geographic profile from source S is authorized as: the profile resource in S (no
``bedrock:InferenceProfileArn``), then the foundation model in every destination Region of S with
``bedrock:InferenceProfileArn`` set to the profile ARN. A global profile adds the Region-less model
ARN ``arn:aws:bedrock:::foundation-model/<model>`` with ``aws:RequestedRegion = unspecified``.
Converse and ConverseStream authorize as InvokeModel and InvokeModelWithResponseStream.

A call with a STANDARD-tier guardrail also runs ``bedrock:ApplyGuardrail`` through the guardrail's
guardrail profile: on the guardrail-profile ARN in every destination Region of that profile for the
caller's source Region (reference R.2). ApplyGuardrail has no condition keys: no profile ARN is set.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from typing import TYPE_CHECKING

from rewriter.evaluate import Request
from rewriter.regions_data import partition_of
from rewriter.vocabulary import Role

if TYPE_CHECKING:
    from rewriter.catalog import Profile

__all__ = [
    "INFERENCE_ACTIONS",
    "APPLY_GUARDRAIL",
    "BATCH_ACTION",
    "UNSPECIFIED",
    "DEFAULT_ACCOUNT",
    "INFERENCE_PROFILE_KEY",
    "Authorization",
    "authorizations",
    "guardrail_authorizations",
]

INFERENCE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
BATCH_ACTION = "bedrock:CreateModelInvocationJob"
APPLY_GUARDRAIL = "bedrock:ApplyGuardrail"
UNSPECIFIED = "unspecified"
# The documented example account: SCP patterns match any account, so the value only shows in ARNs.
DEFAULT_ACCOUNT = "111122223333"
INFERENCE_PROFILE_KEY = "bedrock:InferenceProfileArn"


@dataclass(frozen=True, slots=True)
class Authorization:
    """One authorization Bedrock evaluates for a profile call, and why it is made."""

    request: Request
    profile_id: str
    source_region: str
    role: Role  # its JSON string: "profile" | "destination" | "global-model"

    @property
    def inference_profile_arn(self) -> str | None:
        value = self.request.context.get(INFERENCE_PROFILE_KEY)
        return value if isinstance(value, str) else None


def profile_arn(profile: Profile, source_region: str, account: str) -> str:
    if profile.arn:
        return profile.arn
    return f"arn:{partition_of(source_region)}:bedrock:{source_region}:{account}:inference-profile/{profile.id}"


@functools.lru_cache(maxsize=1024)  # propose checks the original and every fix with the same requests
def authorizations(
    profile: Profile,
    source_region: str,
    *,
    account: str = DEFAULT_ACCOUNT,
    actions: tuple[str, ...] = INFERENCE_ACTIONS,
    principal: str | None = None,
    guardrail: Profile | None = None,
) -> tuple[Authorization, ...]:
    """Every request an SCP sees for one profile called from one source Region, per action; with a
    ``guardrail`` profile, its ApplyGuardrail authorizations too."""
    arn = profile_arn(profile, source_region, account)
    destinations = profile.destinations(source_region)
    partition = partition_of(source_region)
    through_profile = {INFERENCE_PROFILE_KEY: arn}
    result: list[Authorization] = []
    for action in actions:
        result.append(
            Authorization(
                Request(action=action, resource=arn, region=source_region, principal=principal),
                profile.id,
                source_region,
                Role.PROFILE,
            )
        )
        for region in destinations:
            model_arn = f"arn:{partition_of(region)}:bedrock:{region}::foundation-model/{profile.model}"
            result.append(
                Authorization(
                    Request(action, model_arn, region, principal, through_profile),
                    profile.id,
                    source_region,
                    Role.DESTINATION,
                )
            )
        if profile.is_global:
            result.append(
                Authorization(
                    Request(
                        action,
                        f"arn:{partition}:bedrock:::foundation-model/{profile.model}",
                        UNSPECIFIED,
                        principal,
                        through_profile,
                    ),
                    profile.id,
                    source_region,
                    Role.GLOBAL_MODEL,
                )
            )
    if guardrail is not None:
        result.extend(guardrail_authorizations(guardrail, profile.id, source_region, account=account, principal=principal))
    return tuple(result)


def guardrail_authorizations(
    guardrail: Profile, profile_id: str, source_region: str, *, account: str = DEFAULT_ACCOUNT,
    principal: str | None = None,
) -> tuple[Authorization, ...]:
    """ApplyGuardrail on the guardrail-profile ARN in each destination Region of ``source_region``
    (the error names the destination's ARN: ``arn:aws:bedrock:us-east-2:…:guardrail-profile/us.guardrail.v1:0``
    for a call from us-east-1)."""
    return tuple(
        Authorization(
            Request(APPLY_GUARDRAIL, guardrail.arn_in(region, account), region, principal),
            profile_id,
            source_region,
            Role.GUARDRAIL,
        )
        for region in guardrail.destinations(source_region)
    )
