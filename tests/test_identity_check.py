"""scp-fix check --kind identity: the caller's IAM policy against every authorization of a profile call."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rewriter.catalog import load_catalog
from rewriter.cli import app
from rewriter.errors import InputError
from rewriter.identity import check_identity, policy_account
from rewriter.parse import parse_policy

GLOBAL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
US = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"
ACCOUNT = "123456789012"
PROFILE_ARN = f"arn:aws:bedrock:us-east-2:{ACCOUNT}:inference-profile/{GLOBAL}"
runner = CliRunner()


def aws_global_policy(*, with_global_model: bool = True) -> dict:
    """The Bedrock user guide's IAM policy for a global profile (reference §2.3), from us-east-2."""
    statements = [
        {"Sid": "GrantGlobalCrisInferenceProfileRegionAccess", "Effect": "Allow", "Action": "bedrock:InvokeModel",
         "Resource": [PROFILE_ARN], "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-2"}}},
        {"Sid": "GrantGlobalCrisInferenceProfileInRegionModelAccess", "Effect": "Allow", "Action": "bedrock:InvokeModel",
         "Resource": [f"arn:aws:bedrock:us-east-2::foundation-model/{MODEL}"],
         "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-2", "bedrock:InferenceProfileArn": PROFILE_ARN}}},
    ]
    if with_global_model:
        statements.append(
            {"Sid": "GrantGlobalCrisInferenceProfileGlobalModelAccess", "Effect": "Allow", "Action": "bedrock:InvokeModel",
             "Resource": [f"arn:aws:bedrock:::foundation-model/{MODEL}"],
             "Condition": {"StringEquals": {"aws:RequestedRegion": "unspecified", "bedrock:InferenceProfileArn": PROFILE_ARN}}}
        )
    return {"Version": "2012-10-17", "Statement": statements}


def parsed(document: dict, path: str = "identity.json"):
    return parse_policy(json.dumps(document, indent=2), path=path)


def profile(ref: str):
    return load_catalog().get(ref)


def outcomes(result) -> dict[tuple[str, str, str], str]:
    return {
        (r.request.action, r.authorization.role, r.request.region): r.decision.outcome
        for item in result.checks for r in item.results
    }


def test_the_aws_global_example_allows_every_authorization_it_grants():
    result = check_identity(parsed(aws_global_policy()), (profile(GLOBAL),))
    assert not result.blocked
    assert result.kind == "identity"
    (item,) = result.checks
    assert item.source_region == "us-east-2"  # the one source whose originating call it allows
    # it grants InvokeModel only: streaming is the policy's choice, reported once, not denied per Region
    assert item.not_granted == ("bedrock:InvokeModelWithResponseStream",)
    assert {action for action, _, _ in outcomes(result)} == {"bedrock:InvokeModel"}


def test_without_the_region_less_model_the_global_evaluation_is_an_implicit_deny():
    result = check_identity(parsed(aws_global_policy(with_global_model=False)), (profile(GLOBAL),))
    assert result.blocked
    (item,) = result.checks
    assert item.denied_regions == ("unspecified",)
    assert outcomes(result)[("bedrock:InvokeModel", "global-model", "unspecified")] == "implicit_deny"
    assert outcomes(result)[("bedrock:InvokeModel", "profile", "us-east-2")] == "allowed"


def test_an_explicit_deny_of_unspecified_wins_over_the_allow():
    document = aws_global_policy()
    document["Statement"].append(
        {"Sid": "DenyGlobalCris", "Effect": "Deny", "Action": "bedrock:InvokeModel*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": "unspecified"}}}
    )
    result = check_identity(parsed(document), (profile(GLOBAL),))
    (item,) = result.checks
    denied = [r for r in item.results if not r.decision.allowed]
    assert [(r.decision.outcome, r.request.region) for r in denied] == [("explicit_deny", "unspecified")]
    assert [ref.sid for ref in denied[0].decision.statements] == ["DenyGlobalCris"]
    assert "DenyGlobalCris" in denied[0].reason


def test_the_account_comes_from_the_policys_arns_or_from_the_caller():
    policy = parsed(aws_global_policy())
    assert policy_account(policy) == ACCOUNT
    # Another account's profile ARN is not the one the policy grants: its call is not allowed anywhere.
    other = check_identity(policy, (profile(GLOBAL),), account="210987654321", source_region="us-east-2")
    assert other.blocked
    assert outcomes(other)[("bedrock:InvokeModel", "profile", "us-east-2")] == "implicit_deny"
    two = aws_global_policy()
    two["Statement"][0]["Resource"].append(PROFILE_ARN.replace(ACCOUNT, "210987654321"))
    with pytest.raises(InputError, match="several accounts"):
        check_identity(parsed(two), (profile(GLOBAL),))


def test_a_model_pinned_to_one_region_says_where_callers_are():
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
         "Resource": f"arn:aws:bedrock:us-east-1::foundation-model/{MODEL}"}]}
    result = check_identity(parsed(document), (profile(US),))
    (item,) = result.checks
    assert item.source_region == "us-east-1"
    assert item.not_granted == ()
    assert item.denied_regions == ("us-east-1", "us-east-2", "us-west-2")  # the profile, then the other destinations
    assert outcomes(result)[("bedrock:InvokeModel", "destination", "us-east-1")] == "allowed"
    assert result.notes and "us-east-1" in result.notes[0]


def test_a_policy_that_grants_nothing_on_the_model_blocks_it_without_a_region():
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": "arn:aws:bedrock:*::foundation-model/amazon.nova-pro-v1:0"}]}
    result = check_identity(parsed(document), (profile(US),))
    assert result.blocked and not result.checks
    assert "grants" in result.unreachable[0].reason


def _run(document: dict, tmp_path, *args: str):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document, indent=2))
    return runner.invoke(app, ["check", str(path), *args])


def test_cli_json_contract(tmp_path):
    result = _run(aws_global_policy(with_global_model=False), tmp_path,
                  "--kind", "identity", "--profile", GLOBAL, "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "identity" and data["blocked"] is True
    (entry,) = data["profiles"]
    assert {"profile", "source_region", "blocked", "denied_regions", "requests", "not_granted"} <= set(entry)
    assert entry["denied_regions"] == ["unspecified"]
    decisions = {r["decision"] for r in entry["requests"]}
    assert decisions == {"allowed", "implicit_deny"}
    assert entry["not_granted"] == ["bedrock:InvokeModelWithResponseStream"]


def test_cli_exit_codes_and_the_plain_json_default(tmp_path):
    assert _run(aws_global_policy(), tmp_path, "--kind", "identity", "--profile", GLOBAL).exit_code == 0
    # --action names what callers need: streaming, which this policy grants nowhere, blocks it
    streaming = _run(aws_global_policy(), tmp_path, "--kind", "identity", "--profile", GLOBAL,
                     "--action", "bedrock:InvokeModelWithResponseStream")
    assert streaming.exit_code == 1
    # Plain JSON is an SCP unless --kind says otherwise: beside FullAWSAccess these Allows block nothing.
    scp = _run(aws_global_policy(with_global_model=False), tmp_path, "--profile", GLOBAL, "--format", "json")
    assert scp.exit_code == 0 and json.loads(scp.stdout)["kind"] == "scp"
    bad = _run(aws_global_policy(), tmp_path, "--kind", "identity", "--profile", GLOBAL, "--source-region", "xx-nowhere-1")
    assert bad.exit_code == 2


MANAGED_POLICY_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  InvokePolicy:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Action: bedrock:InvokeModel*
            Resource: arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0
"""

ROLE_POLICY_TERRAFORM = """\
data "aws_iam_policy_document" "invoke" {
  statement {
    actions   = ["bedrock:InvokeModel"]
    resources = ["arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"]
  }
}

resource "aws_iam_role_policy" "invoke" {
  name   = "invoke"
  role   = "app"
  policy = data.aws_iam_policy_document.invoke.json
}
"""


@pytest.mark.parametrize("name, text, label", [
    ("template.yaml", MANAGED_POLICY_TEMPLATE, "InvokePolicy"),
    ("main.tf", ROLE_POLICY_TERRAFORM, "aws_iam_role_policy.invoke"),
])
def test_in_iac_the_resource_says_the_policy_is_an_identity_policy(tmp_path, name, text, label):
    path = tmp_path / name
    path.write_text(text)
    checked = runner.invoke(app, ["check", str(path), "--profile", US, "--format", "json"])
    assert checked.exit_code == 1, checked.output
    data = json.loads(checked.stdout)
    assert data["kind"] == "identity" and label in data["policy"]
    assert runner.invoke(app, ["check", str(path), "--profile", US, "--kind", "scp"]).exit_code == 2  # no SCP in it
    written = runner.invoke(app, ["propose", str(path), "--profile", US, "--write"])
    assert written.exit_code == 1, written.output
    assert runner.invoke(app, ["check", str(path), "--profile", US]).exit_code == 0


def test_sarif_results_and_their_fix_hint_keep_the_kind(tmp_path):
    result = _run(aws_global_policy(with_global_model=False), tmp_path,
                  "--kind", "identity", "--profile", GLOBAL, "--format", "sarif")
    assert result.exit_code == 1, result.output
    (run,) = json.loads(result.stdout)["runs"]
    (finding,) = run["results"]  # the one authorization denied: the Region-less model
    assert "arn:aws:bedrock:::foundation-model/" in finding["message"]["text"]
    assert "--kind identity" in finding["message"]["text"]  # the suggested propose reads the policy the same way
