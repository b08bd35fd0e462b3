"""``scp-fix simulate``: text and JSON output, exit codes 0/1, stdin, --principal, --context."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewriter.cli import app

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
CONTROL_TOWER = str(SAMPLES / "control-tower-region-deny.json")
GUARDRAILS = str(SAMPLES / "guardrails-with-region-deny.json")
EXECUTION_ROLE = "arn:aws:iam::123456789012:role/AWSControlTowerExecution"


def simulate(*args: str, input: str | None = None):
    result = CliRunner().invoke(app, ["simulate", *args], input=input)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def as_json(*args: str, input: str | None = None) -> tuple[int, dict]:
    result = simulate(*args, "--format", "json", input=input)
    return result.exit_code, json.loads(result.stdout)


def test_denied_text() -> None:
    result = simulate(CONTROL_TOWER, "--action", "bedrock:InvokeModel", "--region", "ap-northeast-3")
    assert result.exit_code == 1
    assert result.stderr == ""
    assert result.stdout.splitlines() == [
        "explicit_deny: bedrock:InvokeModel on * in ap-northeast-3",
        "  Deny statement 1 (GRREGIONDENY, line 5) at /Statement/0",
    ]


def test_allowed_text_names_full_aws_access() -> None:
    result = simulate(CONTROL_TOWER, "--action", "bedrock:InvokeModel", "--region", "ap-northeast-1")
    assert result.exit_code == 0
    assert result.stdout.startswith("allowed: bedrock:InvokeModel on * in ap-northeast-1\n")
    assert "FullAWSAccess" in result.stdout


def test_implicit_deny_without_full_access() -> None:
    result = simulate(
        CONTROL_TOWER, "--action", "bedrock:InvokeModel", "--region", "ap-northeast-1", "--no-full-access"
    )
    assert result.exit_code == 1
    assert result.stdout.startswith("implicit_deny: ")
    code, body = as_json(
        CONTROL_TOWER, "--action", "bedrock:InvokeModel", "--region", "ap-northeast-1", "--no-full-access"
    )
    assert (code, body["decision"], body["statements"]) == (1, "implicit_deny", [])


def test_json_output() -> None:
    code, body = as_json(
        GUARDRAILS, "--action", "cloudtrail:StopLogging", "--region", "eu-west-1",
        "--resource", "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org",
    )
    assert code == 1
    assert body == {
        "policy": GUARDRAILS,
        "request": {
            "action": "cloudtrail:StopLogging",
            "resource": "arn:aws:cloudtrail:eu-west-1:111122223333:trail/org",
            "requested_region": "eu-west-1",
            "principal": None,
            "context": {},
        },
        "decision": "explicit_deny",
        "statements": [
            {"index": 2, "sid": "ProtectCloudTrail", "pointer": "/Statement/2", "effect": "Deny"},
            {"index": 3, "sid": "RegionRestriction", "pointer": "/Statement/3", "effect": "Deny"},
        ],
    }


def test_json_allowed_is_exit_0() -> None:
    code, body = as_json(CONTROL_TOWER, "--action", "iam:CreateRole", "--region", "eu-west-1")
    assert (code, body["decision"]) == (0, "allowed")


@pytest.mark.parametrize(
    ("principal", "code"),
    [(EXECUTION_ROLE, 0), ("arn:aws:iam::123456789012:role/Developer", 1)],
)
def test_principal_exemption(principal: str, code: int) -> None:
    result = simulate(
        CONTROL_TOWER, "--action", "bedrock:InvokeModel", "--region", "ap-northeast-3", "--principal", principal
    )
    assert result.exit_code == code


def test_principal_in_json_request() -> None:
    _, body = as_json(
        CONTROL_TOWER, "--action", "ec2:RunInstances", "--region", "us-east-1", "--principal", EXECUTION_ROLE
    )
    assert body["request"]["principal"] == EXECUTION_ROLE
    assert body["decision"] == "allowed"


@pytest.mark.parametrize(("tokens", "code"), [("required", 0), ("optional", 1)])
def test_context_key(tokens: str, code: int) -> None:
    args = (
        GUARDRAILS, "--action", "ec2:RunInstances", "--region", "us-east-1",
        "--resource", "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc",
    )
    result = simulate(*args, "--context", f"ec2:MetadataHttpTokens={tokens}")
    assert result.exit_code == code
    _, body = as_json(*args, "--context", f"ec2:MetadataHttpTokens={tokens}")
    assert body["request"]["context"] == {"ec2:MetadataHttpTokens": tokens}


def test_context_principal_key_any_case() -> None:
    result = simulate(
        CONTROL_TOWER, "--action", "bedrock:InvokeModel", "--region", "ap-northeast-3",
        "--context", f"AWS:PRINCIPALARN={EXECUTION_ROLE}",
    )
    assert result.exit_code == 0


def test_context_repeated_key_is_multivalued() -> None:
    policy = json.dumps({
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": "secret"}},
        },
    })
    args = ("-", "--action", "s3:PutObjectTagging", "--region", "us-east-1")
    denied = simulate(*args, "--context", "aws:TagKeys=team", "--context", "aws:TagKeys=secret", input=policy)
    assert denied.exit_code == 1
    allowed = simulate(*args, "--context", "aws:TagKeys=team", "--context", "aws:TagKeys=cost", input=policy)
    assert allowed.exit_code == 0
    _, body = as_json(*args, "--context", "aws:TagKeys=team", "--context", "aws:TagKeys=secret", input=policy)
    assert body["request"]["context"] == {"aws:TagKeys": ["team", "secret"]}


def test_context_value_may_hold_equals_sign() -> None:
    _, body = as_json(CONTROL_TOWER, "--action", "s3:GetObject", "--region", "ap-northeast-1",
                      "--context", "aws:PrincipalTag/expr=a=b")
    assert body["request"]["context"] == {"aws:PrincipalTag/expr": "a=b"}


def test_stdin() -> None:
    text = (SAMPLES / "tokyo-only.json").read_text(encoding="utf-8")
    result = simulate("-", "--action", "bedrock:InvokeModel", "--region", "ap-northeast-3", input=text)
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1] == "  Deny statement 1 (DenyOutsideTokyo, line 4) at /Statement"
    code, body = as_json("-", "--action", "bedrock:InvokeModel", "--region", "ap-northeast-1", input=text)
    assert (code, body["policy"], body["decision"]) == (0, "<stdin>", "allowed")


@pytest.mark.parametrize(("action", "code"), [("bedrock:InvokeModel", 0), ("ec2:DescribeInstances", 1)])
def test_unspecified_region(action: str, code: int) -> None:
    result = simulate(
        str(SAMPLES / "bedrock-statement-allows-unspecified.json"), "--action", action, "--region", "unspecified"
    )
    assert result.exit_code == code
    assert result.stdout.split(":", 1)[0] == ("allowed" if code == 0 else "explicit_deny")


def test_missing_required_option_is_usage_error() -> None:
    result = simulate(CONTROL_TOWER, "--action", "bedrock:InvokeModel")
    assert result.exit_code == 2
    assert "--region" in result.output
