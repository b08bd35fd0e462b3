"""Located warnings for action patterns the IAM grammar does not define and actions that do not exist."""

from __future__ import annotations

import json

import pytest

from rewriter.parse import parse_policy
from rewriter.policy_warnings import action_warnings


def _warnings(element: str, *patterns: str) -> list[str]:
    text = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "S", "Effect": "Deny", element: list(patterns), "Resource": "*"}]}, indent=2)
    return [w.located("p.json") for w in action_warnings(parse_policy(text, path="p.json"))]


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("budget:*", "no AWS service has the prefix 'budget' (did you mean budgets:*?)"),
        ("s3:ListBuckets", "s3 has no action 'ListBuckets' (did you mean s3:ListBucket?)"),
        ("bedrock:Converse", "that API authorizes as bedrock:InvokeModel"),
        ("bedrock:ConverseStream", "that API authorizes as bedrock:InvokeModelWithResponseStream"),
        ("s3:Frobnicate*", "no action of s3 matches it, so it exempts nothing"),
    ],
)
def test_actions_that_do_not_exist_are_named_with_how_they_are_read(pattern: str, words: str) -> None:
    (warning,) = _warnings("NotAction", "iam:*", pattern)
    assert words in warning
    assert warning.startswith("p.json:9:9: statement 1 (S, line 5), ") and f"NotAction {pattern!r}" in warning


def test_a_wildcard_service_prefix_is_outside_the_grammar_and_evaluators_disagree() -> None:
    (warning,) = _warnings("Action", "*:*")
    assert "scp-fix reads it as a wildcard over every service" in warning
    assert "one compares the service part literally, so it matches nothing" in warning


def test_real_actions_and_patterns_are_not_warned_about() -> None:
    assert _warnings("Action", "*", "bedrock:InvokeModel*", "S3:getobject", "ec2:Describe?egions", "iam:*") == []
