"""Profile + source Region -> the authorization requests Bedrock makes (reference §2.1 and §6).

A call through a geographic profile from source S is authorized as: the profile resource in S (no
``bedrock:InferenceProfileArn``), then the foundation model in every destination Region of S with
``bedrock:InferenceProfileArn`` set to the profile ARN. A global profile adds the Region-less model
ARN ``arn:aws:bedrock:::foundation-model/<model>`` with ``aws:RequestedRegion = unspecified``.
Converse and ConverseStream authorize as InvokeModel and InvokeModelWithResponseStream.

A call with a STANDARD-tier guardrail also runs ``bedrock:ApplyGuardrail`` through the guardrail's
guardrail profile: on the guardrail-profile ARN in every destination Region of that profile for the
caller's source Region (reference R.2). ApplyGuardrail has no condition keys: no profile ARN is set.

A batch job (``bedrock:CreateModelInvocationJob``, reference R.2 and BATCH-SR) is created by its caller
in the source Region only; that action carries no ``bedrock:InferenceProfileArn``. The cross-Region work
is done by the job's batch service role: ``bedrock:InvokeModel`` on the profile and on the model in
every destination (the hops of a call through the profile), with the role as the principal. So an SCP
exemption by principal must name that role, not only the job's caller.
"""

from __future__ import annotations

import functools
import re

from typing import TYPE_CHECKING, NamedTuple

from rewriter.errors import BadInputError
from rewriter.evaluate import Request
from rewriter.regions_data import partition_of
from rewriter.vocabulary import Actor, Role

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
    "originating_authorizations",
    "batch_role_arn",
    "principal_arn",
    "unnamed_batch_role",
    "guardrail_authorizations",
]

INFERENCE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")
BATCH_ACTION = "bedrock:CreateModelInvocationJob"
APPLY_GUARDRAIL = "bedrock:ApplyGuardrail"
UNSPECIFIED = "unspecified"
# The documented example account: SCP patterns match any account, so the value only shows in ARNs.
DEFAULT_ACCOUNT = "111122223333"
INFERENCE_PROFILE_KEY = "bedrock:InferenceProfileArn"
# aws:PrincipalArn of a role session is the role's ARN, so that is what --batch-role takes.
_IAM_ARN = r"arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:"
_ROLE_ARN = re.compile(_IAM_ARN + r"role/[A-Za-z0-9+=,.@_/-]+")
_PRINCIPAL_ARN = re.compile(_IAM_ARN + r"(?:(?:role|user)/[A-Za-z0-9+=,.@_/-]+|root)")


class Authorization(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """One authorization Bedrock evaluates for a profile call, and why it is made."""

    request: Request
    profile_id: str
    source_region: str
    role: Role  # its JSON string: "profile" | "destination" | "global-model" | "batch-job"
    actor: Actor = Actor.CALLER  # who makes it: the caller, or a batch job's service role

    @property
    def inference_profile_arn(self) -> str | None:
        value = self.request.context.get(INFERENCE_PROFILE_KEY)
        return value if isinstance(value, str) else None


def profile_arn(profile: Profile, source_region: str, account: str) -> str:
    if profile.arn:
        return profile.arn
    return f"arn:{partition_of(source_region)}:bedrock:{source_region}:{account}:inference-profile/{profile.id}"


def authorizations(
    profile: Profile,
    source_region: str,
    *,
    account: str = DEFAULT_ACCOUNT,
    actions: tuple[str, ...] = INFERENCE_ACTIONS,
    principal: str | None = None,
    guardrail: Profile | None = None,
    batch_role: str | None = None,
) -> tuple[Authorization, ...]:
    """Every request an SCP sees for one profile called from one source Region, per action; with a
    ``guardrail`` profile, its ApplyGuardrail authorizations too.

    ``bedrock:CreateModelInvocationJob`` among ``actions`` stands for a batch job through the profile:
    its creation by the caller (``principal``) and the hops of its service role, ``batch_role`` (an
    unnamed role of ``account`` when None: no principal exemption is assumed to cover it)."""
    return _authorizations(profile, source_region, account, actions, principal, guardrail, batch_role)


# PERF: propose checks the original and every fix with the same requests. The options are passed in one
# order whatever names the caller gives, so the cache holds one entry per request set (keyed by the names
# given, check, allows_all and callable_sources each had their own, and 33 profiles overflowed it).
@functools.lru_cache(maxsize=4096)
def _authorizations(
    profile: Profile,
    source_region: str,
    account: str,
    actions: tuple[str, ...],
    principal: str | None,
    guardrail: Profile | None,
    batch_role: str | None,
) -> tuple[Authorization, ...]:
    arn = profile_arn(profile, source_region, account)
    destinations = profile.destinations(source_region)
    partition = partition_of(source_region)
    through_profile = {INFERENCE_PROFILE_KEY: arn}
    result: list[Authorization] = []
    for action in actions:
        if action == BATCH_ACTION:
            result.extend(_batch_job(profile, source_region, arn, account, principal, batch_role))
            continue
        result.append(_originating_call(profile, source_region, arn, action, principal))
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


def originating_authorizations(
    profile: Profile,
    source_region: str,
    *,
    account: str = DEFAULT_ACCOUNT,
    actions: tuple[str, ...] = INFERENCE_ACTIONS,
    principal: str | None = None,
) -> tuple[Authorization, ...]:
    """The caller's own calls on the profile in the source Region, one per action a call makes (a batch
    job's creation is not one): the first of ``authorizations`` for each action. Where one is denied, no
    caller can be in that Region, so the source does not count (``check``)."""
    return _originating_authorizations(profile, source_region, account, actions, principal)


@functools.lru_cache(maxsize=4096)  # PERF: as ``_authorizations``: asked of the original and every fix
def _originating_authorizations(
    profile: Profile, source_region: str, account: str, actions: tuple[str, ...], principal: str | None
) -> tuple[Authorization, ...]:
    arn = profile_arn(profile, source_region, account)
    return tuple(
        _originating_call(profile, source_region, arn, action, principal) for action in actions if action != BATCH_ACTION
    )


def _originating_call(profile: Profile, source_region: str, arn: str, action: str, principal: str | None) -> Authorization:
    return Authorization(
        Request(action=action, resource=arn, region=source_region, principal=principal), profile.id, source_region,
        Role.PROFILE,
    )


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


def _batch_job(
    profile: Profile, source_region: str, arn: str, account: str, principal: str | None, batch_role: str | None
) -> list[Authorization]:
    """A batch job through ``profile``: the caller creates it in the source Region (on the job and on the
    model id it names, the profile), then the service role invokes the profile and each destination's
    model, as a call through the profile does (reference R.2, BATCH-SR)."""
    partition = partition_of(source_region)
    job = f"arn:{partition}:bedrock:{source_region}:{account}:model-invocation-job/scp-fix-batch-job"
    created = [
        Authorization(Request(BATCH_ACTION, resource, source_region, principal), profile.id, source_region, Role.BATCH_JOB)
        for resource in (job, arn)
    ]
    role = batch_role or unnamed_batch_role(account, partition)
    hops = authorizations(profile, source_region, account=account, actions=(INFERENCE_ACTIONS[0],), principal=role)
    return created + [hop._replace(actor=Actor.BATCH_ROLE) for hop in hops]


def unnamed_batch_role(account: str, partition: str = "aws") -> str:
    """The principal a batch job's hops are evaluated as when ``--batch-role`` names none: a role no
    exemption names unless it exempts every role of the account (so none is silently assumed)."""
    return f"arn:{partition}:iam::{account}:role/service-role/scp-fix-unnamed-batch-role"


def batch_role_arn(value: str) -> str:
    """``--batch-role``'s value, checked: the ARN of an IAM role (what ``aws:PrincipalArn`` is for the
    role's sessions), with a 12-digit account."""
    return _checked_principal(value, _ROLE_ARN, "--batch-role", "an IAM role ARN",
                              "arn:aws:iam::123456789012:role/service-role/BedrockBatchRole")


def principal_arn(value: str) -> str:
    """``--principal``'s value, checked: the caller's ``aws:PrincipalArn``, an IAM role's, user's or the
    account root's ARN."""
    return _checked_principal(value, _PRINCIPAL_ARN, "--principal", "an IAM role, user or root ARN",
                              "arn:aws:iam::123456789012:role/DataScience")


def _checked_principal(value: str, pattern: re.Pattern[str], option: str, what: str, example: str) -> str:
    if pattern.fullmatch(value) is None:
        hint = " (aws:PrincipalArn of a role session is its role's ARN, arn:aws:iam::ACCOUNT:role/NAME)" if ":sts::" in value else ""
        raise BadInputError(f"{option} {value!r} is not {what} such as {example}{hint}")
    return value
