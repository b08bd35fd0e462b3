"""Profile + source Region -> the authorization requests Bedrock makes (reference §2.1 and §6).

A call through a geographic profile from source S is authorized as: the profile resource in S (no
``bedrock:InferenceProfileArn``), then the foundation model in every destination Region of S with
``bedrock:InferenceProfileArn`` set to the profile ARN. A global profile adds the Region-less model
ARN ``arn:aws:bedrock:::foundation-model/<model>`` with ``aws:RequestedRegion = unspecified``.
Converse and ConverseStream authorize as InvokeModel and InvokeModelWithResponseStream.
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
    "BATCH_ACTION",
    "UNSPECIFIED",
    "DEFAULT_ACCOUNT",
    "INFERENCE_PROFILE_KEY",
    "Authorization",
    "authorizations",
]

INFERENCE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
BATCH_ACTION = "bedrock:CreateModelInvocationJob"
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
) -> tuple[Authorization, ...]:
    """Every request an SCP sees for one profile called from one source Region, per action."""
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
    return tuple(result)
