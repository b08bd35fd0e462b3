"""Which statements scp-fix leaves alone unless told: Control Tower's, and deliberate Bedrock controls."""

from __future__ import annotations

import json

import pytest
from test_strategy_cases import GLOBAL_SONNET, JP_SONNET, profiles_of

from rewriter.controls import control_tower_marker, control_tower_role_hint, deliberate_reason, resolve_overrides
from rewriter.errors import InputError
from rewriter.parse import parse_policy
from rewriter.propose import propose

TOKYO_REGION_DENY = {
    "Sid": "KeepToTokyo",
    "Effect": "Deny",
    "NotAction": ["iam:*", "sts:*"],
    "Resource": "*",
    "Condition": {
        "StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1"]},
        "ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/AWSControlTowerExecution"]},
    },
}


def _policy(*statements: dict) -> object:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), path="p.json")


def test_exempting_the_control_tower_role_is_a_hint_not_a_marker() -> None:
    policy = _policy(TOKYO_REGION_DENY)
    assert control_tower_marker(policy) is None
    assert control_tower_role_hint(policy) is policy.statements[0]
    proposal = propose(policy, profiles_of([JP_SONNET]), source_region="ap-northeast-1")
    assert proposal.status == "changed"
    assert any("make the change in that pipeline's source" in n for n in proposal.notes)


def test_a_guardrail_sid_or_an_aws_guardrails_policy_name_marks_control_tower() -> None:
    marked = _policy({**TOKYO_REGION_DENY, "Sid": "GRREGIONDENY"})
    assert control_tower_marker(marked) is marked.statements[0]
    refused = propose(marked, profiles_of([JP_SONNET]), source_region="ap-northeast-1")
    assert refused.status == "unsafe" and "(GRREGIONDENY, line 1) is one of its guardrails" in refused.reason
    assert refused.control_tower is not None and "GRREGIONDENY" in refused.control_tower.statement_label

    plain = _policy(TOKYO_REGION_DENY)
    named = propose(plain, profiles_of([JP_SONNET]), source_region="ap-northeast-1", policy_name="aws-guardrails-AbCdEf")
    assert named.status == "unsafe" and "managed by AWS Control Tower" in named.reason
    # a Sid that merely starts with GR in mixed case is somebody's own
    assert control_tower_marker(_policy({**TOKYO_REGION_DENY, "Sid": "GrantNothing"})) is None


@pytest.mark.parametrize(
    ("statement", "words"),
    [
        ({"Effect": "Deny", "Action": "bedrock:*", "Resource": "*",
          "Condition": {"StringLike": {"aws:RequestedRegion": ["unspecified"]},
                        "ArnLike": {"bedrock:InferenceProfileArn": "arn:aws:bedrock:*:*:inference-profile/global.*"}}},
         "aws:RequestedRegion = unspecified"),
        ({"Effect": "Deny", "Action": "bedrock:*", "Resource": "*",
          "Condition": {"Null": {"bedrock:InferenceProfileArn": "false"},
                        "ArnNotLike": {"bedrock:InferenceProfileArn": ["arn:aws:bedrock:*:*:inference-profile/eu.*"]}}},
         "allow-list: calls through a profile are denied unless its ARN matches arn:aws:bedrock:*:*:inference-profile/eu.*"),
        ({"Effect": "Deny", "Action": ["bedrock:InvokeModel"], "Resource": "*"}, "with no Region condition"),
        ({"Effect": "Deny", "Action": "*", "Resource": "arn:aws:bedrock:*::foundation-model/meta.*"},
         "arn:aws:bedrock:*::foundation-model/meta.*"),
        ({"Effect": "Deny", "Action": "bedrock:InvokeModel", "Resource": "*",
          "Condition": {"ArnLike": {"bedrock:InferenceProfileArn": "arn:aws:bedrock:*:*:inference-profile/apac.*"}}},
         "through inference profiles matching"),
    ],
)
def test_deliberate_controls_are_recognised_by_what_they_target(statement: dict, words: str) -> None:
    why = deliberate_reason(_policy(statement).statements[0])
    assert why is not None and words in why


@pytest.mark.parametrize(
    "statement",
    [
        TOKYO_REGION_DENY,  # a Region deny: making room for the profile is the job
        {"Effect": "Deny", "Action": ["bedrock:InvokeModel"], "Resource": "*",  # aws-samples CRIS companion
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]},
                       "ArnNotLike": {"bedrock:InferenceProfileArn": "arn:aws:bedrock:*:*:inference-profile/eu.*"}}},
        {"Effect": "Deny", "Action": "bedrock-agentcore:*", "Resource": "*"},  # another service
        {"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"},
    ],
)
def test_region_restrictions_and_other_services_are_not_deliberate_bedrock_controls(statement: dict) -> None:
    assert deliberate_reason(_policy(statement).statements[0]) is None


def test_override_names_a_statement_by_sid_or_by_its_number_from_one() -> None:
    policy = _policy(TOKYO_REGION_DENY, {"Effect": "Deny", "Action": "bedrock:*", "Resource": "*"})
    assert resolve_overrides(policy, ["KeepToTokyo", "2"]) == frozenset({0, 1})
    with pytest.raises(InputError, match="no statement with that Sid or number"):
        resolve_overrides(policy, ["3"])


def test_a_deliberate_control_that_denies_even_the_originating_call_is_named() -> None:
    policy = _policy({"Sid": "NoBedrockHere", "Effect": "Deny", "Action": "bedrock:*", "Resource": "*"})
    proposal = propose(policy, profiles_of([GLOBAL_SONNET]))
    assert proposal.status == "unsafe"
    assert "forbidden by" in proposal.reason and "statement 1 (NoBedrockHere, line 1)" in proposal.reason
    assert "--override NoBedrockHere" in proposal.reason


@pytest.mark.parametrize("operator", ["ForAllValues:StringNotEquals", "ForAnyValue:StringNotEquals"])
def test_set_qualified_region_conditions_are_fixed_like_plain_ones(operator: str) -> None:
    policy = _policy({
        "Sid": "KeepToTokyo", "Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*",
        "Condition": {operator: {"aws:RequestedRegion": ["ap-northeast-1"]}},
    })
    proposal = propose(policy, profiles_of([JP_SONNET]), source_region="ap-northeast-1", strategy="regions")
    assert proposal.status == "changed", proposal.reason
    assert proposal.chosen.document["Statement"][0]["Condition"][operator]["aws:RequestedRegion"] == [
        "ap-northeast-1", "ap-northeast-3",
    ]


def test_the_refusal_names_the_marker_and_the_advice_names_the_denying_statement() -> None:
    # an aws-guardrails policy as Control Tower writes it: a guardrail beside the Region deny
    guardrail = {
        "Sid": "GRLAMBDAFUNCTIONPOLICY", "Effect": "Deny", "Action": ["lambda:DeleteFunction"],
        "Resource": ["arn:aws:lambda:*:*:function:aws-controltower-*"],
        "Condition": {"ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/AWSControlTowerExecution"}},
    }
    policy = _policy(guardrail, TOKYO_REGION_DENY)
    proposal = propose(policy, profiles_of([JP_SONNET]), source_region="ap-northeast-1")
    assert proposal.status == "unsafe"
    assert "statement 1 (GRLAMBDAFUNCTIONPOLICY" in proposal.reason
    assert proposal.control_tower is not None
    assert proposal.control_tower.statement_label.startswith("statement 2 (KeepToTokyo")
    assert {p["key"]: p["value"] for p in proposal.control_tower.parameters}["AllowedRegions"] == [
        "ap-northeast-1", "ap-northeast-3",
    ]


def test_check_says_which_statement_deliberately_denies_the_profile() -> None:
    from rewriter.check import check

    policy = _policy(TOKYO_REGION_DENY, {
        "Sid": "NoGlobalInference", "Effect": "Deny", "Action": "bedrock:*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": "unspecified"}},
    })
    result = check(policy, profiles_of([GLOBAL_SONNET]), source_region="ap-northeast-1")
    reasons = {r.reason for c in result.checks for r in c.results if r.reason}
    assert any(
        "statement 2 (NoGlobalInference, line 1) deliberately denies bedrock:InvokeModel: it denies Bedrock "
        "global cross-Region inference" in reason
        for reason in reasons
    ), reasons
