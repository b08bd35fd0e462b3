"""explain: "no identity-based policy allows" names the caller's IAM policy, and --identity-policy fixes it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from rewriter.cli import app

CORPUS = Path(__file__).resolve().parent / "corpus" / "identity"
runner = CliRunner()

# The shapes of the messages in aws-samples/well-architected-iac-analyzer#181 and aws-amplify/amplify-category-api#3530.
DESTINATION = (
    "User: arn:aws:sts::123456789012:assumed-role/AppExecuteRole/abc is not authorized to perform: "
    "bedrock:InvokeModel on resource: arn:aws:bedrock:ap-northeast-3::foundation-model/anthropic.claude-sonnet-4-6 "
    "because no identity-based policy allows the bedrock:InvokeModel action"
)
PROFILE = (
    "User: arn:aws:sts::123456789012:assumed-role/GenerationBedrockDataRole/APPSYNC_ASSUME_ROLE is not authorized "
    "to perform: bedrock:InvokeModel on resource: arn:aws:bedrock:us-west-2:123456789012:inference-profile/"
    "global.anthropic.claude-haiku-4-5-20251001-v1:0 because no identity-based policy allows the "
    "bedrock:InvokeModel action"
)


def test_a_destination_denied_by_the_identity_policy_is_named_as_such():
    result = runner.invoke(app, ["explain", DESTINATION, "--source-region", "ap-northeast-1", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["diagnosis"]["kind"] == "not-scp" and data["diagnosis"]["side"] == "identity"
    assert "This is not the SCP" in data["diagnosis"]["summary"] and "ap-northeast-3" in data["diagnosis"]["summary"]
    assert "--kind identity" in data["diagnosis"]["advice"]
    assert data["candidates"][0]["profile"] == "jp.anthropic.claude-sonnet-4-6"


def test_identity_policy_is_checked_and_fixed(tmp_path):
    template = tmp_path / "template.yaml"
    shutil.copyfile(CORPUS / "wa-iac-analyzer-cfn" / "template.yaml", template)
    result = runner.invoke(app, ["explain", DESTINATION, "--source-region", "ap-northeast-1",
                                 "--identity-policy", str(template), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["identity_policy"] == str(template)
    (only,) = data["identity_results"]  # the role's policy only: the template's SCP is not the identity side
    assert "AppExecuteRole.BedrockInvoke" in only["name"]
    assert only["changed"] is True and only["check"]["kind"] == "identity"
    grants = [g for g in only["newly_allowed"]]
    assert grants and all(g["condition"] for g in grants)  # through a profile only, never for direct calls


def test_the_profile_itself_not_granted(tmp_path):
    policy = tmp_path / "policy.json"
    shutil.copyfile(CORPUS / "amplify-generation-foundation-model-only.json", policy)
    result = runner.invoke(app, ["explain", PROFILE, "--identity-policy", str(policy)])
    assert result.exit_code == 0, result.output
    assert "No identity-based policy of the caller allows bedrock:InvokeModel on the inference profile" in result.output
    assert "proposed" in result.output and "inference-profile/global.anthropic.claude-haiku-4-5-20251001-v1:0" in result.output
