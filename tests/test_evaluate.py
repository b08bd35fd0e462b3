"""SCP evaluation: action and ARN wildcards, statement matching, level semantics, the CRIS case."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rewriter.evaluate as evaluate_module
from rewriter.evaluate import (
    Decision,
    Request,
    StatementRef,
    action_matches,
    evaluate,
    evaluate_levels,
    full_aws_access,
    resource_matches,
    statement_matches,
)
from rewriter.model import Policy
from rewriter.parse import parse_policy

SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
FM_OSAKA = f"arn:aws:bedrock:ap-northeast-3::foundation-model/{SONNET}"
FM_GLOBAL = f"arn:aws:bedrock:::foundation-model/{SONNET}"
JP_PROFILE = f"arn:aws:bedrock:ap-northeast-1:123456789012:inference-profile/jp.{SONNET}"


def policy(*statements: dict[str, Any]) -> Policy:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": list(statements)}))


def deny(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Resource": "*", **fields}


def allow(**fields: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Resource": "*", **fields}


def get_object(region: str = "us-east-1", **context: Any) -> Request:
    return Request("s3:GetObject", "*", region, context=context)


def invoke(resource: str = FM_OSAKA, region: str = "ap-northeast-3", **context: Any) -> Request:
    return Request("bedrock:InvokeModel", resource, region, context=context)


# --- action matching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("*", "bedrock:InvokeModel", True),
        ("bedrock:*", "bedrock:InvokeModel", True),
        ("bedrock:*", "bedrock-runtime:InvokeModel", False),
        ("bedrock:InvokeModel", "BEDROCK:invokemodel", True),
        ("BedRock:Invoke*", "bedrock:InvokeModelWithResponseStream", True),
        ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream", False),
        ("s3:Get*", "s3:PutObject", False),
        ("bedrock:*Model", "bedrock:InvokeModel", True),
        ("bedrock:Invoke?odel", "bedrock:InvokeModel", True),
        ("bedrock:Invoke?odel", "bedrock:InvokeMMModel", False),
        ("ec2:Describe*", "ec2:DescribeRegions", True),
        ("lightsail:Get*", "lightsail:CreateInstances", False),
    ],
)
def test_action_matches(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


# --- resource matching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "arn", "expected"),
    [
        ("*", FM_OSAKA, True),
        ("*", "*", True),
        (FM_OSAKA, "*", False),
        ("arn:aws:bedrock:*::foundation-model/*", FM_OSAKA, True),
        ("arn:aws:bedrock:*::foundation-model/*", FM_GLOBAL, True),
        ("arn:aws:bedrock:*:*:inference-profile/jp.*", JP_PROFILE, True),
        ("arn:aws:bedrock:*:*:inference-profile/apac.*", JP_PROFILE, False),
        ("arn:aws:bedrock:us-*::foundation-model/*", FM_OSAKA, False),
        ("arn:aws:bedrock:ap-northeast-?::foundation-model/*", FM_OSAKA, True),
        # segment wildcards stop at a colon; the resource part may hold colons
        ("arn:aws:bedrock:*:foundation-model/*", FM_OSAKA, False),
        ("arn:aws:logs:*:*:log-group:*", "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s", True),
        # case-sensitive
        ("arn:aws:bedrock:*::foundation-model/ANTHROPIC.*", FM_OSAKA, False),
        # fewer than six parts: one wildcard over the whole ARN
        ("arn:aws:*", FM_OSAKA, True),
        ("arn:aws-cn:*", FM_OSAKA, False),
    ],
)
def test_resource_matches(pattern: str, arn: str, expected: bool) -> None:
    assert resource_matches(pattern, arn) is expected


# --- requests --------------------------------------------------------------------------------------


def test_request_keys_are_case_insensitive_and_region_principal_are_keys() -> None:
    request = Request(
        "s3:GetObject",
        "*",
        "eu-west-1",
        principal="arn:aws:iam::1:role/r",
        context={"Bedrock:InferenceProfileARN": JP_PROFILE, "aws:TagKeys": ("a", "b")},
    )
    assert request.get("aws:requestedregion") == ("eu-west-1",)
    assert request.get("AWS:PrincipalArn") == ("arn:aws:iam::1:role/r",)
    assert request.get("bedrock:inferenceprofilearn") == (JP_PROFILE,)
    assert request.get("aws:tagkeys") == ("a", "b")
    assert request.get("aws:SourceIp") is None


def test_request_region_field_wins_over_context() -> None:
    request = get_object("eu-west-1", **{"aws:RequestedRegion": "us-east-1"})
    assert request.get("aws:RequestedRegion") == ("eu-west-1",)


def test_principal_from_context_when_the_field_is_unset() -> None:
    request = Request("s3:GetObject", "*", "eu-west-1", context={"aws:principalARN": "arn:aws:iam::1:role/r"})
    assert request.get("aws:PrincipalArn") == ("arn:aws:iam::1:role/r",)
    exempt = policy(
        deny(Action="*", Condition={"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/r"}})
    ).statements[0]
    assert not statement_matches(exempt, request)
    assert statement_matches(exempt, get_object("eu-west-1"))


def test_requests_compare_and_hash_by_value() -> None:
    a = get_object("eu-west-1", **{"k": "v"})
    b = get_object("eu-west-1", **{"k": "v"})
    assert a == b and hash(a) == hash(b)
    assert a != get_object("eu-west-1", **{"k": "w"})


# --- statement matching -----------------------------------------------------------------------------


def test_not_action_excludes_listed_actions() -> None:
    statement = policy(deny(NotAction=["iam:*", "sts:*"])).statements[0]
    assert statement_matches(statement, Request("bedrock:InvokeModel", "*", "us-east-1"))
    assert not statement_matches(statement, Request("IAM:CreateRole", "*", "us-east-1"))


def test_long_not_action_list() -> None:
    listed = [f"svc{i}:*" for i in range(80)] + ["s3:GetBucketLocation", "lightsail:Get*"]
    statement = policy(deny(NotAction=listed)).statements[0]
    for action, expected in [
        ("svc79:Anything", False),
        ("s3:GetBucketLocation", False),
        ("s3:GetObject", True),
        ("lightsail:GetInstance", False),
        ("lightsail:CreateInstances", True),
        ("svc80:Anything", True),
    ]:
        for _ in range(2):  # second call comes from the memo
            assert statement_matches(statement, Request(action, "*", "us-east-1")) is expected, action


def test_resource_and_not_resource() -> None:
    only_profiles = policy(
        {"Effect": "Deny", "Action": "bedrock:*", "Resource": "arn:aws:bedrock:*:*:inference-profile/*"}
    ).statements[0]
    assert statement_matches(only_profiles, invoke(JP_PROFILE, "ap-northeast-1"))
    assert not statement_matches(only_profiles, invoke(FM_OSAKA))
    all_but_profiles = policy(
        {"Effect": "Deny", "Action": "bedrock:*", "NotResource": "arn:aws:bedrock:*:*:inference-profile/*"}
    ).statements[0]
    assert not statement_matches(all_but_profiles, invoke(JP_PROFILE, "ap-northeast-1"))
    assert statement_matches(all_but_profiles, invoke(FM_OSAKA))


def test_several_keys_under_one_operator_are_and() -> None:
    statement = policy(
        deny(
            Action="*",
            Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1", "aws:PrincipalTag/team": "x"}},
        )
    ).statements[0]
    both = get_object("us-east-1", **{"aws:PrincipalTag/team": "x"})
    assert statement_matches(statement, both)
    assert not statement_matches(statement, get_object("us-east-1"))


def test_several_operators_are_and() -> None:
    statement = policy(
        deny(
            Action="*",
            Condition={
                "StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]},
                "Bool": {"aws:SecureTransport": "false"},
            },
        )
    ).statements[0]
    assert statement_matches(statement, get_object("us-east-1", **{"aws:SecureTransport": "false"}))
    assert not statement_matches(statement, get_object("us-east-1", **{"aws:SecureTransport": "true"}))
    assert not statement_matches(statement, get_object("eu-west-1", **{"aws:SecureTransport": "false"}))


def test_condition_key_case_differs_between_policy_and_request() -> None:
    condition = {"StringEquals": {"AWS:REQUESTEDREGION": "us-east-1"}}
    statement = policy(deny(Action="*", Condition=condition)).statements[0]
    assert statement_matches(statement, get_object("us-east-1"))


def test_json_true_condition_value_matches() -> None:
    statement = policy(deny(Action="*", Condition={"Bool": {"aws:ViaAWSService": True}})).statements[0]
    assert statement_matches(statement, get_object("us-east-1", **{"aws:ViaAWSService": "true"}))
    assert statement_matches(statement, get_object("us-east-1", **{"aws:ViaAWSService": True}))


# --- one level ---------------------------------------------------------------------------------------


REGION_DENY = deny(
    Sid="DenyOutsideEU",
    NotAction=["iam:*"],
    Condition={"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}},
)


def test_full_access_allows_what_no_deny_matches() -> None:
    decision = evaluate(policy(REGION_DENY), get_object("eu-west-1"))
    assert decision == Decision("allowed", (StatementRef(-1, 0, None, "/Statement/0", "Allow"),))
    assert decision.allowed


def test_without_full_access_a_deny_only_policy_allows_nothing() -> None:
    decision = evaluate(policy(REGION_DENY), get_object("eu-west-1"), full_access=False)
    assert decision.outcome == "implicit_deny"
    assert decision.statements == ()
    assert not decision.allowed


def test_explicit_deny_names_the_statement() -> None:
    decision = evaluate(policy(REGION_DENY), get_object("us-east-1"))
    assert decision.outcome == "explicit_deny"
    assert decision.statements == (StatementRef(0, 0, "DenyOutsideEU", "/Statement/0", "Deny"),)


def test_explicit_deny_wins_over_an_allow_and_lists_every_deny() -> None:
    first = policy(allow(Action="s3:*"), REGION_DENY)
    second = policy(deny(Sid="NoS3", Action="s3:*"))
    decision = evaluate([first, second], get_object("us-east-1"), full_access=False)
    assert decision.outcome == "explicit_deny"
    assert [(r.policy_index, r.index, r.sid, r.effect) for r in decision.statements] == [
        (0, 1, "DenyOutsideEU", "Deny"),
        (1, 0, "NoS3", "Deny"),
    ]


def test_allow_list_without_full_access() -> None:
    allow_list = policy(allow(Sid="Allowed", Action=["s3:*", "bedrock:Invoke*"]))
    allowed = evaluate(allow_list, Request("bedrock:InvokeModel", "*", "us-east-1"), full_access=False)
    assert allowed.outcome == "allowed"
    assert allowed.statements == (StatementRef(0, 0, "Allowed", "/Statement/0", "Allow"),)
    unlisted = evaluate(allow_list, Request("ec2:RunInstances", "*", "us-east-1"), full_access=False)
    assert unlisted.outcome == "implicit_deny"
    # beside FullAWSAccess the allow-list restricts nothing
    assert evaluate(allow_list, Request("ec2:RunInstances", "*", "us-east-1")).allowed


def test_allowed_names_every_matching_allow() -> None:
    allows = policy(allow(Sid="A", Action="s3:*"), allow(Sid="B", Action="*"), allow(Sid="C", Action="ec2:*"))
    decision = evaluate(allows, get_object("us-east-1"))
    assert [(r.policy_index, r.sid) for r in decision.statements] == [(0, "A"), (0, "B"), (-1, None)]


def test_allow_with_region_condition_and_no_full_access() -> None:
    in_eu = {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}
    allow_in_eu = policy(allow(Action="*", Condition=in_eu))
    assert evaluate(allow_in_eu, get_object("eu-central-1"), full_access=False).allowed
    assert evaluate(allow_in_eu, get_object("unspecified"), full_access=False).outcome == "implicit_deny"


def test_full_aws_access_policy() -> None:
    managed = evaluate_module.FULL_AWS_ACCESS
    assert managed is full_aws_access()
    assert managed.document == {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    # its text is what it holds, as a diff or a policy file would show it
    assert json.loads(managed.source.text) == managed.document
    # evaluated alone it allows anything
    alone = evaluate(managed, Request("anything:AtAll", "*", "unspecified"), full_access=False)
    assert alone.allowed and alone.statements[0].policy_index == 0
    with pytest.raises(AttributeError):
        evaluate_module.NOT_A_NAME  # noqa: B018


# --- levels -----------------------------------------------------------------------------------------


def test_levels_all_allow() -> None:
    levels = [[full_aws_access()], [full_aws_access(), policy(REGION_DENY)]]
    decision = evaluate_levels(levels, get_object("eu-west-1"))
    assert decision.outcome == "allowed"
    # policy_index counts across levels: an index into the flattened levels
    assert [(r.level, r.policy_index) for r in decision.statements] == [(0, 0), (1, 1)]


def test_levels_deny_at_any_level_wins() -> None:
    levels = [[full_aws_access()], [full_aws_access()], [full_aws_access(), policy(REGION_DENY)]]
    decision = evaluate_levels(levels, get_object("us-east-1"))
    assert decision.outcome == "explicit_deny"
    assert decision.level == 2
    assert [(r.level, r.policy_index, r.sid) for r in decision.statements] == [(2, 3, "DenyOutsideEU")]


def test_levels_a_level_without_allow_denies_implicitly() -> None:
    s3_only = policy(allow(Action="s3:*"))
    levels = [[full_aws_access()], [s3_only], [full_aws_access()]]
    assert evaluate_levels(levels, get_object("us-east-1")).allowed
    decision = evaluate_levels(levels, Request("ec2:RunInstances", "*", "us-east-1"))
    assert decision == Decision("implicit_deny", (), 1)


def test_levels_explicit_deny_beats_a_missing_allow_elsewhere() -> None:
    levels = [[policy(allow(Action="s3:*"))], [full_aws_access(), policy(REGION_DENY)]]
    decision = evaluate_levels(levels, Request("ec2:RunInstances", "*", "us-east-1"))
    assert decision.outcome == "explicit_deny"
    assert decision.statements[0].level == 1


def test_levels_full_access_option_adds_the_managed_policy() -> None:
    levels = [[policy(REGION_DENY)]]
    request = get_object("eu-west-1")
    assert evaluate_levels(levels, request).outcome == "implicit_deny"
    assert evaluate_levels(levels, request, full_access=True).allowed


# --- the CRIS scenario -------------------------------------------------------------------------------

CT_NOT_ACTION = [
    "a4b:*", "access-analyzer:*", "account:*", "acm:*", "iam:*", "organizations:*", "sts:*", "support:*",
]  # fmt: skip


def control_tower(*, profile_exemption: bool) -> Policy:
    condition: dict[str, Any] = {
        "StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1"]},
        "ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/AWSControlTowerExecution"]},
    }
    if profile_exemption:
        condition["ArnNotLike"]["bedrock:InferenceProfileArn"] = "arn:aws:bedrock:*:*:inference-profile/jp.*"
    return policy(
        {
            "Sid": "GRREGIONDENY",
            "Effect": "Deny",
            "NotAction": CT_NOT_ACTION,
            "Resource": "*",
            "Condition": condition,
        }
    )


def test_cris_destination_denied_by_control_tower_region_deny() -> None:
    request = invoke(**{"bedrock:InferenceProfileArn": JP_PROFILE})
    decision = evaluate(control_tower(profile_exemption=False), request)
    assert decision.outcome == "explicit_deny"
    assert [r.sid for r in decision.statements] == ["GRREGIONDENY"]


def test_cris_profile_exemption_allows_the_destination() -> None:
    fixed = control_tower(profile_exemption=True)
    assert evaluate(fixed, invoke(**{"bedrock:InferenceProfileArn": JP_PROFILE})).allowed
    # the key is missing (a direct call in Osaka): ArnNotLike is true, the deny still fires
    assert evaluate(fixed, invoke()).outcome == "explicit_deny"
    # another geography's profile is not exempt
    apac = JP_PROFILE.replace("/jp.", "/apac.")
    assert evaluate(fixed, invoke(**{"bedrock:InferenceProfileArn": apac})).outcome == "explicit_deny"


def test_cris_control_tower_role_and_home_region_are_not_denied() -> None:
    deny_all = control_tower(profile_exemption=False)
    assert evaluate(deny_all, invoke(region="ap-northeast-1")).allowed
    ct_role = Request(
        "bedrock:InvokeModel", FM_OSAKA, "ap-northeast-3",
        principal="arn:aws:iam::123456789012:role/AWSControlTowerExecution",
    )  # fmt: skip
    assert evaluate(deny_all, ct_role).allowed
    assert evaluate(deny_all, Request("iam:CreateRole", "*", "ap-northeast-3")).allowed


def test_global_cris_unspecified_region() -> None:
    outside = {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}}
    deny_outside = policy(deny(Action="*", Condition=outside))
    request = Request("bedrock:InvokeModel", FM_GLOBAL, "unspecified")
    assert evaluate(deny_outside, request).outcome == "explicit_deny"
    with_unspecified = policy(
        deny(Action="*", Condition={"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "unspecified"]}})
    )
    assert evaluate(with_unspecified, request).allowed


# --- wildcard matching against a plain reference implementation --------------------------------

def reference_glob(pattern: str, text: str) -> bool:
    @lru_cache(maxsize=None)
    def go(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(text)
        if pattern[i] == "*":
            return go(i + 1, j) or (j < len(text) and go(i, j + 1))
        if j < len(text) and (pattern[i] == "?" or pattern[i] == text[j]):
            return go(i + 1, j + 1)
        return False

    return go(0, 0)


def reference_arn(pattern: str, arn: str) -> bool:
    if pattern == "*":
        return True
    parts = pattern.split(":", 5)
    fields = arn.split(":", len(parts) - 1)
    if len(fields) != len(parts):
        return False
    return all(reference_glob(p, f) for p, f in zip(parts, fields))


PATTERN_CHARS = st.text(alphabet="ab:*?.", max_size=10)
TEXT_CHARS = st.text(alphabet="ab:.AB", max_size=10)


@settings(max_examples=400, deadline=None)
@given(PATTERN_CHARS, TEXT_CHARS)
def test_action_matches_agrees_with_reference(pattern: str, action: str) -> None:
    assert action_matches(pattern, action) == reference_glob(pattern.lower(), action.lower())


@pytest.mark.slow  # a property test at full size
@settings(max_examples=300, deadline=None)
@given(st.lists(PATTERN_CHARS.filter(bool), min_size=1, max_size=5), TEXT_CHARS, st.sampled_from(["Action", "NotAction"]))
def test_action_listed_is_any_pattern_matching(patterns: list[str], action: str, element: str) -> None:
    # the statement's list compiled as the evaluator compiles it, against each pattern tried alone
    statement = policy(deny(**{element: patterns})).statements[0]
    assert evaluate_module.action_listed(statement, action) == any(action_matches(p, action) for p in patterns)


# letters a case-blind regex folds onto ASCII ones: a long s onto "s" (which lower() does not), the
# Kelvin sign onto "k" (which lower() does too)
FOLDING_CHARS = "sk:S\u017f\u212a"


@pytest.mark.slow  # a property test at full size
@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=FOLDING_CHARS + "*?", min_size=1, max_size=6), min_size=1, max_size=4),
       st.text(alphabet=FOLDING_CHARS, max_size=6))
def test_action_matches_is_the_evaluators_test_outside_ascii_too(patterns: list[str], action: str) -> None:
    # the "newly allowed" grid groups actions with action_matches and asks the evaluator once per group
    statement = policy(deny(Action=patterns)).statements[0]
    assert evaluate_module.action_listed(statement, action) == any(action_matches(p, action) for p in patterns)


@pytest.mark.slow  # a property test at full size
@settings(max_examples=400, deadline=None)
@given(PATTERN_CHARS, TEXT_CHARS)
def test_resource_matches_agrees_with_reference(pattern: str, arn: str) -> None:
    assert resource_matches(pattern, arn) == reference_arn(pattern, arn)
