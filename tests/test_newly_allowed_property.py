""""Newly allowed" tells the whole truth: every request a proposal newly allows, found by asking the
evaluator over a finer grid than the claim's (more actions, callers, accounts and key values the policy
never names, GovCloud and China Regions), is covered by a ``newly_allowed`` entry whose Regions, actions,
``principals``, ``through_profiles`` and ``other_conditions`` match it.

The quick loop runs 5 policies, CI 25; ``HYPOTHESIS_PROFILE=fuzz`` runs the long one (see
tests/conftest.py).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rewriter.catalog import load_catalog
from rewriter.cris import unnamed_batch_role
from rewriter.conditions import glob_regex
from rewriter.evaluate import Evaluator, Request
from rewriter.parse import parse_policy
from rewriter.propose import propose

SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
PROFILE_KEY = "bedrock:InferenceProfileArn"
# the partitions generated: Regions a policy names, and the profiles called there
PARTITIONS = {
    "aws": (["us-east-1", "us-east-2", "us-west-2", "ap-northeast-1", "ap-northeast-3", "eu-west-1"],
            [f"jp.{SONNET}", f"us.{SONNET}", f"global.{SONNET}"]),
    "aws-us-gov": (["us-gov-east-1", "us-gov-west-1"], [f"us-gov.{SONNET}"]),
}
CHINA = ["cn-north-1", "cn-northwest-1"]
PRINCIPALS = ["arn:aws:iam::*:role/Platform", "arn:aws:iam::111122223333:role/*", "arn:aws:iam::*:role/Admin*",
              "arn:aws-us-gov:iam::*:role/Platform", "arn:aws:iam::*:role/service-role/Batch*"]
BATCH_ROLE = "arn:aws:iam::111122223333:role/service-role/BatchInference"
ACCOUNTS = ["111122223333", "444455556666"]
TAGS = ["platform", "data"]
VPCS = ["vpc-0a1b2c3d"]
ACTION_LISTS = [["iam:*", "sts:*"], ["iam:*", "sts:*", "bedrock:InvokeModel*"], ["bedrock:*"], ["s3:*", "iam:*"],
                ["iam:*", "sts:*", "bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]]
# the finer grid's actions: more than the policies name
ACTIONS = ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", "bedrock:ListFoundationModels",
           "bedrock:CreateModelInvocationJob", "s3:GetObject", "s3:PutObject", "ec2:RunInstances", "iam:CreateRole",
           "sts:AssumeRole", "lambda:InvokeFunction", "kms:Decrypt"]
KEYED = {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}

# each example asks the evaluator about tens of thousands of requests: a quarter of the profile's
# examples (5 in the quick loop, 25 in CI), all of them when fuzzing
EXAMPLES = settings().max_examples // 4 if settings().max_examples <= 100 else settings().max_examples


@st.composite
def problems(draw: Any) -> tuple[dict[str, Any], list[str], str | None, str | None]:
    partition = draw(st.sampled_from(sorted(PARTITIONS)))
    pool, profile_ids = PARTITIONS[partition]
    profile_id = draw(st.sampled_from(profile_ids))
    profile = load_catalog().resolve(profile_id)[0]
    source = draw(st.sampled_from(profile.sources))
    statements = []
    for number in range(draw(st.integers(1, 3))):
        allowed = draw(st.lists(st.sampled_from(pool + CHINA), min_size=1, max_size=3, unique=True))
        if number == 0 and source not in allowed:
            allowed.append(source)  # callers can at least make the originating call
        condition: dict[str, dict[str, Any]] = {"StringNotEquals": {"aws:RequestedRegion": allowed}}
        if draw(st.booleans()):
            condition["ArnNotLike"] = {"aws:PrincipalArn": draw(st.lists(st.sampled_from(PRINCIPALS), min_size=1, max_size=2, unique=True))}
        if draw(st.booleans()):
            condition["StringNotEquals"]["aws:PrincipalAccount"] = draw(st.lists(st.sampled_from(ACCOUNTS), min_size=1, max_size=2, unique=True))
        other = draw(st.sampled_from(["none", "tag", "vpc", "profile"]))
        if other == "tag":
            condition.setdefault("StringNotEqualsIfExists", {})["aws:PrincipalTag/team"] = draw(st.sampled_from(TAGS))
        elif other == "vpc":
            condition.setdefault("StringNotEqualsIfExists", {})["aws:SourceVpc"] = VPCS
        elif other == "profile":
            condition.setdefault("ArnNotLike", {})[PROFILE_KEY] = [f"arn:{partition}:bedrock:*:*:inference-profile/{profile.geography}.*"]
        statement = {"Sid": f"Deny{number}", "Effect": "Deny", "Resource": "*", "Condition": condition}
        if draw(st.booleans()):
            statement["NotAction"] = draw(st.sampled_from(ACTION_LISTS))
        else:
            statement["Action"] = "*"
        statements.append(statement)
    # --batch, with the batch service role named or not: its hops carry the role as the principal
    batch = draw(st.sampled_from([None, "unnamed", BATCH_ROLE]))
    return {"Version": "2012-10-17", "Statement": statements}, [profile_id], draw(st.sampled_from([None, source])), batch


def _values(policy: dict[str, Any], key: str, filler: str) -> list[str | None]:
    """A key's values for the finer grid: the policy's own, filled differently from the claim's grid,
    one nobody names, and absent."""
    named = {v for s in policy["Statement"] for block in s["Condition"].values() for k, vs in block.items()
             if k.lower() == key.lower() for v in ([vs] if isinstance(vs, str) else vs)}
    return sorted({v.replace("*", filler) for v in named}) + [None]


def _matches(spec: Any, value: str | None) -> bool:
    if isinstance(spec, dict):
        return not any(_matches([v], value) for v in spec["except"])
    return any((value is None) if v is None else (value is not None and glob_regex(v).fullmatch(value) is not None)
               for v in spec)


def _covers(grant: Any, action: str, region: str, keys: dict[str, Any], resource: str | None = None) -> bool:
    """Does the grant claim this request? A grant that names its resources claims only requests on them."""
    if region not in grant.regions or not grant.has_action(action):
        return False
    if grant.resources is not None and (resource is None or not _matches(list(grant.resources), resource)):
        return False
    arn = keys.get(PROFILE_KEY.lower())
    if grant.through_profiles is not None and (arn is None or not _matches(grant.through_profiles, arn)):
        return False
    principals = grant.principals
    if principals is not None:
        if isinstance(principals, list) or "except" in principals:
            key = "aws:principalarn" if any(str(v).startswith("arn:") for v in (
                principals if isinstance(principals, list) else principals["except"])) else "aws:principalaccount"
            principals = {key: principals}
        if not all(_matches(spec, keys.get(key.lower())) for key, spec in principals.items()):
            return False
    return all(_matches(spec, keys.get(key.lower())) for key, spec in (grant.other_conditions or {}).items())


@settings(max_examples=EXAMPLES, deadline=None)
@given(problems())
def test_every_request_a_proposal_newly_allows_is_stated(
    problem: tuple[dict[str, Any], list[str], str | None, str | None],
) -> None:
    document, profile_ids, source_region, batch = problem
    policy = parse_policy(json.dumps(document))
    profiles = [p for i in profile_ids for p in load_catalog().resolve(i)]
    profile = profiles[0]
    role = BATCH_ROLE if batch == BATCH_ROLE else None
    proposal = propose(policy, profiles, source_region=source_region, batch=batch is not None, batch_role=role)
    # An organization, and so an SCP, lives in one partition: requests in the profile's, and in any
    # whose Regions the policy names (China here)
    partition = "aws-us-gov" if profile.geography == "us-gov" else "aws"
    regions = sorted({*PARTITIONS[partition][0], "unspecified", *(r for s in profile.sources for r in profile.destinations(s)),
                      *(["ap-southeast-2", "sa-east-1"] if partition == "aws" else []),
                      *(CHINA if any(c in json.dumps(document) for c in CHINA) else [])})
    account = "999988887777"
    callers = sorted({"arn:aws:iam::999988887777:role/Nobody", "arn:aws:iam::111122223333:role/Platform",
                      "arn:aws:iam::999988887777:role/AdminTeam", "arn:aws-us-gov:iam::999988887777:role/Platform",
                      *(v for v in _values(document, "aws:PrincipalArn", "other") if v),
                      *([BATCH_ROLE, unnamed_batch_role("111122223333")] if batch else [])})
    profile_arns = [None, profile.arn_in(profile.sources[-1], account),
                    f"arn:{partition}:bedrock:us-east-1:{account}:inference-profile/{profile.geography}.meta.llama-x-v1:0",
                    f"arn:{partition}:bedrock:us-east-1:{account}:inference-profile/eu.amazon.nova-lite-v1:0"]
    # a key the policy never reads changes no answer: varied only when some statement reads it
    text = json.dumps(document)
    accounts = [*ACCOUNTS, account] if "aws:PrincipalAccount" in text else [account]
    tags = [*TAGS, "ops", None] if "aws:PrincipalTag/team" in text else [None]
    vpcs = [*VPCS, "vpc-99999999", None] if "aws:SourceVpc" in text else [None]
    evaluator = Evaluator()
    candidates = [c for c in proposal.candidates
                  if c.delta is not None and c.policy is not None and not c.delta.newly_denied]
    for action, region, caller, acct, tag, vpc, arn in itertools.product(
        ACTIONS, regions, callers, accounts, tags, vpcs, profile_arns
    ):
        if arn is not None and action not in KEYED:
            continue  # only the inference actions carry the profile ARN
        keys: dict[str, Any] = {"aws:principalarn": caller, "aws:principalaccount": acct}
        for key, value in ((PROFILE_KEY.lower(), arn), ("aws:principaltag/team", tag), ("aws:sourcevpc", vpc)):
            if value is not None:
                keys[key] = value
        resource = "*"
        part = "aws-us-gov" if region.startswith("us-gov-") else "aws-cn" if region.startswith("cn-") else partition
        if arn is not None:  # a profile ARN of the request's partition
            keys[PROFILE_KEY.lower()] = f"arn:{part}:" + arn.split(":", 2)[2]
        if action.startswith("bedrock:"):
            where = "" if region == "unspecified" else region
            resource = f"arn:{part}:bedrock:{where}::foundation-model/{SONNET}"
        request = Request(action, resource, region, context=keys)
        before = None  # the original's answer, asked once and only when some candidate allows
        for candidate in candidates:
            if not evaluator.allowed(candidate.policy, request):
                continue
            if before is None:
                before = evaluator.allowed(policy, request)
            if not before:
                assert any(_covers(g, action, region, keys) for g in candidate.delta.newly_allowed), (
                    candidate.strategy, action, region, keys, [g.to_json() | {"regions": len(g.regions)}
                                                              for g in candidate.delta.newly_allowed],
                )
