"""Statuses are Enums that are their JSON strings; findings carry stable codes beside the sentence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewriter.catalog import load_catalog
from rewriter.check import check
from rewriter.parse import parse_policy
from rewriter.vocabulary import RULES, Code, Outcome, Status

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
JP = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
US = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
GLOBAL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"


def test_members_are_their_json_strings() -> None:
    assert Status.CHANGED == "changed" and f"{Status.UNSAFE}" == "unsafe" and str(Outcome.ALLOWED) == "allowed"
    assert json.dumps({"status": Status.UNCHANGED}) == '{"status": "unchanged"}'


def test_every_code_has_one_rule_with_a_distinct_name() -> None:
    assert [r.code for r in RULES] == list(Code)
    assert len({r.name for r in RULES}) == len(RULES)


def _denied_codes(sample: str, profile: str, **kwargs) -> set[Code]:
    policy = parse_policy((SAMPLES / sample).read_bytes(), path=sample)
    result = check(policy, load_catalog().resolve(profile), **kwargs)
    return {r.code for c in result.checks for r in c.results if not r.decision.allowed}


@pytest.mark.parametrize(
    ("sample", "profile", "kwargs", "codes"),
    [
        ("tokyo-only.json", JP, {}, {Code.REGION_NOT_ALLOWED}),
        ("tokyo-only.json", GLOBAL, {"source_region": "ap-northeast-1"}, {Code.UNSPECIFIED_REGION_DENIED}),
        ("deny-list-regions.json", US, {"source_region": "us-east-1"}, {Code.REGION_DENIED}),
        ("tokyo-only.json", JP, {"source_region": "ap-northeast-1", "full_access": False},
         {Code.NO_ALLOW, Code.REGION_NOT_ALLOWED}),
    ],
)
def test_denials_carry_the_code_of_their_kind(sample, profile, kwargs, codes) -> None:
    assert _denied_codes(sample, profile, **kwargs) == codes


def test_a_deny_without_a_region_condition_is_statement_denies() -> None:
    policy = parse_policy('{"Statement": {"Effect": "Deny", "Action": "bedrock:*", "Resource": "*"}}')
    result = check(policy, load_catalog().resolve(JP), source_region="ap-northeast-1")
    assert {r.code for c in result.checks for r in c.results} == {Code.STATEMENT_DENIES}


def test_an_unreachable_profile_has_its_code() -> None:
    policy = parse_policy(
        '{"Statement": {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",'
        ' "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}}'
    )
    result = check(policy, load_catalog().resolve(JP))
    assert [u.code for u in result.unreachable] == [Code.UNREACHABLE]


def test_json_output_carries_codes_beside_the_sentences() -> None:
    from typer.testing import CliRunner

    from rewriter.cli import app

    result = CliRunner().invoke(app, ["check", str(SAMPLES / "tokyo-only.json"), "--profile", JP, "--format", "json"])
    body = json.loads(result.stdout)
    requests = [r for p in body["profiles"] for r in p["requests"]]
    denied = [r for r in requests if r["decision"] != "allowed"]
    assert {r["code"] for r in denied} == {"SCPFIX001"} and all(r["reason"] for r in denied)
    assert all(r["code"] is None and r["reason"] is None for r in requests if r["decision"] == "allowed")
    proposed = CliRunner().invoke(
        app, ["propose", str(SAMPLES / "tokyo-only.json"), "--profile", JP, "--format", "json"]
    )
    assert json.loads(proposed.stdout)["status"] == "changed"


def test_org_check_json_carries_the_code_of_each_denial() -> None:
    from typer.testing import CliRunner

    from rewriter.cli import app

    snapshot = SAMPLES / "org" / "snapshot.json"
    result = CliRunner().invoke(app, ["org", "check", "--snapshot", str(snapshot), "--profile", JP, "--format", "json"])
    body = json.loads(result.stdout)
    text = json.dumps(body)
    assert '"code": "SCPFIX001"' in text and '"reason": "ap-northeast-3 is not in the allowed Regions' in text


def test_the_readme_lists_every_finding_code() -> None:
    readme = (SAMPLES.parent / "README.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"| `{rule.code.value}` | `{rule.name}` |" in readme
