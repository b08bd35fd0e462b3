"""The words machine outputs use: outcomes, statuses and finding codes.

Each is an Enum whose members are also their JSON strings (``Status.CHANGED == "changed"``), so the
JSON fields stay what they were while code compares members, not spellings. A finding carries a
stable code beside its sentence: tests, JSON and SARIF use the code, people read the sentence.
"""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

__all__ = ["Word", "Outcome", "Role", "Actor", "Status", "AccountStatus", "Code", "Finding", "Rule", "RULES"]


class Word(str, Enum):
    """A member that is its own string: prints, formats and serialises as its value."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


class Outcome(Word):
    """How SCP evaluation decides one request."""

    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicit_deny"
    IMPLICIT_DENY = "implicit_deny"


class Role(Word):
    """Which of the authorizations of one call through an inference profile a request is."""

    PROFILE = "profile"  # the originating call, on the inference profile in the source Region
    DESTINATION = "destination"  # the routed call, on the foundation model in a destination Region
    GLOBAL_MODEL = "global-model"  # a global profile's Region-less model ARN (aws:RequestedRegion = unspecified)
    GUARDRAIL = "guardrail"  # bedrock:ApplyGuardrail on the guardrail profile in a destination Region of it
    BATCH_JOB = "batch-job"  # CreateModelInvocationJob, by the job's caller in the source Region only


class Actor(Word):
    """Who makes a request: the caller, or the batch service role a batch job runs as (reference R.2)."""

    CALLER = "caller"
    BATCH_ROLE = "batch-role"


class Status(Word):
    """What a proposal (for one policy, one file or an organization) comes to."""

    UNCHANGED = "unchanged"  # nothing needs changing
    CHANGED = "changed"  # a verified change is proposed
    UNSAFE = "unsafe"  # a change is needed but none can be made safely


class AccountStatus(Word):
    """One account of an organization check."""

    OK = "ok"
    BLOCKED = "blocked"
    ERROR = "error"  # a policy on its path cannot be read


class Code(Word):
    """Why an authorization is denied: one stable code per kind of finding."""

    REGION_NOT_ALLOWED = "SCPFIX001"
    REGION_DENIED = "SCPFIX002"
    UNSPECIFIED_REGION_DENIED = "SCPFIX003"
    NO_ALLOW = "SCPFIX004"
    STATEMENT_DENIES = "SCPFIX005"
    UNREACHABLE = "SCPFIX006"
    GUARDRAIL_REGION_DENIED = "SCPFIX007"


class Finding(NamedTuple):  # PERF: a named tuple: defined by every run, a tenth of a frozen dataclass's cost
    """A denied authorization's code and the sentence a reviewer reads."""

    code: Code
    message: str


class Rule(NamedTuple):
    """What a code means, for documentation and SARIF's rule descriptors."""

    # PERF: a named tuple, not a frozen dataclass (a table every run defines: a tenth of the cost)

    code: Code
    name: str  # a short kebab-case name
    summary: str  # one sentence
    help: str  # what to do about it


RULES: tuple[Rule, ...] = (
    Rule(
        Code.REGION_NOT_ALLOWED, "region-not-allowed",
        "A Region an inference profile routes to is outside the Regions a statement allows.",
        "Run scp-fix propose to add the Region, exempt the inference actions, or exempt calls through the profile.",
    ),
    Rule(
        Code.REGION_DENIED, "region-denied",
        "A Region an inference profile routes to is among the Regions a statement denies.",
        "Run scp-fix propose to see the changes that let the profile through and what each opens.",
    ),
    Rule(
        Code.UNSPECIFIED_REGION_DENIED, "unspecified-region-denied",
        "A global inference profile's Region-less authorization (aws:RequestedRegion = unspecified) is denied.",
        "A global profile is also authorized against a model ARN without a Region; run scp-fix propose.",
    ),
    Rule(
        Code.NO_ALLOW, "no-allow",
        "No Allow statement matches the authorization: a policy allows only what an Allow statement names.",
        "Run scp-fix propose; an SCP is normally evaluated beside FullAWSAccess (--no-full-access turns that off).",
    ),
    Rule(
        Code.STATEMENT_DENIES, "statement-denies",
        "A Deny statement denies the authorization for a reason other than its Region.",
        "Read the statement: it denies the inference actions outright or under another condition.",
    ),
    Rule(
        Code.UNREACHABLE, "profile-unreachable",
        "The policy denies the originating call in every source Region of the profile: no caller can use it.",
        "Allow at least one source Region of the profile, or name another profile.",
    ),
    Rule(
        Code.GUARDRAIL_REGION_DENIED, "guardrail-region-denied",
        "A Region a guardrail profile routes bedrock:ApplyGuardrail to is outside the allowed Regions or among the denied ones.",
        "ApplyGuardrail carries no bedrock:InferenceProfileArn, so no profile-ARN exemption covers it: run scp-fix "
        "propose --guardrail to allow the Region or carve ApplyGuardrail out of the Region deny.",
    ),
)
