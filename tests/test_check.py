"""scp-fix check: the CRIS authorizations of each profile against every sample, and the JSON contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewriter.catalog import load_catalog
from rewriter.check import check
from rewriter.cli import app
from rewriter.cris import authorizations
from rewriter.parse import parse_policy

SAMPLES = Path(__file__).resolve().parent.parent / "samples"

JP = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
GLOBAL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
US = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
EU = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
runner = CliRunner()


def policy(name: str):
    path = SAMPLES / name
    return parse_policy(path.read_bytes(), path=str(path))


def profile(ref: str):
    return load_catalog().get(ref)


def decisions(result) -> dict[tuple[str, str, str, str], str]:
    """(profile, source, role, region) -> outcome, the same for both inference actions."""
    table: dict[tuple[str, str, str, str], set[str]] = {}
    for item in result.checks:
        for r in item.results:
            key = (item.profile.id, item.source_region, r.authorization.role, r.request.region)
            table.setdefault(key, set()).add(r.decision.outcome)
    assert all(len(v) == 1 for v in table.values()), "both actions decide alike in these samples"
    return {k: v.pop() for k, v in table.items()}


def test_authorizations_of_a_geographic_profile():
    auths = authorizations(profile(JP), "ap-northeast-1")
    assert len(auths) == 6  # (profile + 2 destinations) x 2 actions
    roles = {(a.role, a.request.region, a.request.action) for a in auths}
    assert ("profile", "ap-northeast-1", "bedrock:InvokeModel") in roles
    assert ("destination", "ap-northeast-3", "bedrock:InvokeModelWithResponseStream") in roles
    profile_call = next(a for a in auths if a.role == "profile")
    assert profile_call.inference_profile_arn is None
    assert profile_call.request.resource == f"arn:aws:bedrock:ap-northeast-1:111122223333:inference-profile/{JP}"
    hop = next(a for a in auths if a.role == "destination" and a.request.region == "ap-northeast-3")
    assert hop.request.resource == "arn:aws:bedrock:ap-northeast-3::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert hop.inference_profile_arn == profile_call.request.resource


def test_authorizations_of_a_global_profile_include_the_region_less_model():
    auths = authorizations(profile(GLOBAL), "ap-northeast-1", actions=("bedrock:InvokeModel",))
    assert [(a.role, a.request.region) for a in auths] == [
        ("profile", "ap-northeast-1"), ("destination", "ap-northeast-1"), ("global-model", "unspecified"),
    ]
    assert auths[-1].request.resource == "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert auths[-1].inference_profile_arn is not None


def test_jp_example_end_to_end_names_ap_northeast_3():
    result = runner.invoke(app, ["check", str(SAMPLES / "tokyo-only.json"), "--profile", JP, "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["blocked"] is True
    assert {p["source_region"] for p in data["profiles"]} == {"ap-northeast-1"}  # ap-northeast-3 cannot call
    (entry,) = data["profiles"]
    assert entry["denied_regions"] == ["ap-northeast-3"]
    denied = [r for r in entry["requests"] if r["decision"] != "allowed"]
    assert {r["requested_region"] for r in denied} == {"ap-northeast-3"}
    assert all(r["statements"] == [{"index": 0, "sid": "DenyOutsideTokyo", "pointer": "/Statement"}] for r in denied)
    assert set(entry["requests"][0]) >= {"action", "resource", "requested_region", "inference_profile_arn",
                                         "decision", "statements"}


def test_global_example_names_unspecified():
    result = runner.invoke(app, ["check", str(SAMPLES / "tokyo-only.json"), "--profile", GLOBAL, "--format", "json"])
    assert result.exit_code == 1
    (entry,) = json.loads(result.stdout)["profiles"]
    assert entry["denied_regions"] == ["unspecified"]


def test_text_output_names_the_region_and_statement():
    result = runner.invoke(app, ["check", str(SAMPLES / "control-tower-region-deny.json"), "--profile", JP])
    assert result.exit_code == 1
    assert "ap-northeast-3 is not in the allowed Regions of statement 1 (GRREGIONDENY, line 5)" in result.stdout


def test_a_profile_none_of_whose_sources_is_allowed_is_reported_plainly():
    result = check(policy("tokyo-only.json"), [profile(EU)])
    assert result.blocked and not result.checks
    (unreachable,) = result.unreachable
    assert "every source Region" in unreachable.reason


def test_working_profile_exits_0():
    result = runner.invoke(app, ["check", str(SAMPLES / "bedrock-statement-allows-unspecified.json"),
                                 "--profile", GLOBAL, "--source-region", "us-east-1"])
    assert result.exit_code == 0, result.output


# Expected outcomes per sample: (profile, source) -> {region: outcome of the destination requests}
CASES = {
    "control-tower-region-deny.json": {
        (JP, "ap-northeast-1"): {"ap-northeast-1": "allowed", "ap-northeast-3": "explicit_deny"},
        (GLOBAL, "ap-northeast-1"): {"ap-northeast-1": "allowed", "unspecified": "explicit_deny"},
    },
    "action-star-us.json": {
        (US, "us-east-1"): {"us-east-1": "allowed", "us-east-2": "explicit_deny", "us-west-2": "allowed"},
        (GLOBAL, "us-west-2"): {"us-west-2": "allowed", "unspecified": "explicit_deny"},
    },
    "deny-list-regions.json": {
        (US, "us-east-1"): {"us-east-1": "allowed", "us-east-2": "explicit_deny", "us-west-2": "allowed"},
        (JP, "ap-northeast-1"): {"ap-northeast-1": "allowed", "ap-northeast-3": "explicit_deny"},
        (GLOBAL, "ap-northeast-1"): {"ap-northeast-1": "allowed", "unspecified": "allowed"},
    },
    "bedrock-statement-allows-unspecified.json": {
        (US, "us-east-1"): {"us-east-1": "allowed", "us-east-2": "explicit_deny", "us-west-2": "allowed"},
        (GLOBAL, "us-east-1"): {"us-east-1": "allowed", "unspecified": "allowed"},
    },
    "guardrails-with-region-deny.json": {
        (US, "us-east-1"): {"us-east-1": "allowed", "us-east-2": "allowed", "us-west-2": "allowed"},
        (GLOBAL, "us-east-2"): {"us-east-2": "allowed", "unspecified": "explicit_deny"},
    },
    "ignorecase-minified.json": {
        (EU, "eu-west-1"): {"eu-west-1": "allowed", "eu-central-1": "allowed", "eu-north-1": "explicit_deny"},
    },
    "organizations-deny-outside-eu.json": {
        (EU, "eu-central-1"): {"eu-central-1": "allowed", "eu-west-1": "allowed", "eu-west-3": "explicit_deny"},
    },
    "tokyo-only.json": {
        (JP, "ap-northeast-1"): {"ap-northeast-1": "allowed", "ap-northeast-3": "explicit_deny"},
    },
}


@pytest.mark.parametrize("sample, expected", CASES.items(), ids=list(CASES))
def test_sample_decisions_per_request(sample, expected):
    for (ref, source), regions in expected.items():
        result = check(policy(sample), [profile(ref)], source_region=source)
        table = decisions(result)
        for region, outcome in regions.items():
            role = "global-model" if region == "unspecified" else "destination"
            assert table[(ref, source, role, region)] == outcome, (sample, ref, source, region)
        assert table[(ref, source, "profile", source)] == "allowed"
        assert result.blocked == ("explicit_deny" in regions.values())


def test_no_full_access_is_an_implicit_deny():
    result = check(policy("tokyo-only.json"), [profile(JP)], source_region="ap-northeast-1", full_access=False)
    outcomes = {r.decision.outcome for c in result.checks for r in c.results}
    assert outcomes <= {"implicit_deny", "explicit_deny"} and "implicit_deny" in outcomes
    assert any("no Allow statement" in (r.reason or "") for c in result.checks for r in c.results)


MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def test_model_id_checks_the_profiles_callers_can_call_and_names_the_rest_once():
    result = runner.invoke(app, ["check", str(SAMPLES / "tokyo-only.json"), "--profile", MODEL, "--format", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    # Tokyo is the only Region the policy lets callers use: the jp. and global. profiles are callable there.
    assert {p["profile"] for p in data["profiles"]} == {JP, GLOBAL}
    assert data["unreachable"] == []
    left = data["not_callable"]
    assert {US, EU} <= set(left["profiles"]) and not {JP, GLOBAL} & set(left["profiles"])
    assert left["regions"] == ["ap-northeast-1"] and left["given"] is False
    text = runner.invoke(app, ["check", str(SAMPLES / "tokyo-only.json"), "--profile", MODEL])
    assert text.stderr.count("not callable from ap-northeast-1") == 1
    assert US not in text.stdout


def test_model_id_with_a_source_region_checks_the_profiles_callable_from_it():
    args = ["check", str(SAMPLES / "tokyo-only.json"), "--profile", MODEL, "--format", "json"]
    data = json.loads(runner.invoke(app, [*args, "--source-region", "eu-west-1"]).stdout)
    assert {p["profile"] for p in data["profiles"]} == {EU, GLOBAL}
    assert data["not_callable"]["given"] is True and JP in data["not_callable"]["profiles"]
    # A Region no profile of the model can be called from is bad input, said in one line.
    nowhere = runner.invoke(app, [*args, "--source-region", "sa-west-1"])
    assert nowhere.exit_code == 2
    assert "no inference profile of anthropic.claude-sonnet-4-5-20250929-v1:0 can be called from sa-west-1" in nowhere.stderr


def test_a_profile_named_by_id_is_checked_even_where_no_caller_can_call_it():
    result = runner.invoke(app, ["check", str(SAMPLES / "tokyo-only.json"), "--profile", MODEL, "--profile", US,
                                 "--format", "json"])
    data = json.loads(result.stdout)
    assert [u["profile"] for u in data["unreachable"]] == [US]
    assert US not in data["not_callable"]["profiles"]


def test_unknown_profile_is_a_clear_error():
    result = runner.invoke(app, ["check", str(SAMPLES / "tokyo-only.json"), "--profile", "jp.anthropic.claude-sonet-4-5"])
    assert result.exit_code == 2
    assert "nearest known: jp.anthropic.claude-sonnet-" in result.stderr  # the nearest ids are suggested
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output


def test_iac_check_warns_where_a_value_was_not_resolved():
    template = str(SAMPLES / "iac" / "cfn-region-deny.yaml")
    args = ["check", template, "--profile", EU, "--source-region", "eu-west-1", "--format", "json"]
    unresolved = runner.invoke(app, args)
    documents = {d["policy"]: d for d in json.loads(unresolved.stdout)}
    bedrock = documents[f"{template} (BedrockRegionPolicy)"]
    assert any("!Ref AllowedRegions" in note and "cfn-region-deny.yaml:12:14" in note for note in bedrock["unresolved"])
    assert bedrock["blocked"] is True  # read as a placeholder, every Region looks denied: hence the warning

    resolved = runner.invoke(app, [*args, "--parameter", "AllowedRegions=eu-west-1,eu-central-1,eu-north-1,"
                                                           "eu-south-1,eu-south-2,eu-west-3"])
    bedrock = {d["policy"]: d for d in json.loads(resolved.stdout)}[f"{template} (BedrockRegionPolicy)"]
    assert not any("AllowedRegions" in note for note in bedrock.get("unresolved", []))
    assert bedrock["blocked"] is False


def test_originating_calls_are_answered_per_profile_where_a_statement_reads_the_resource():
    """One evaluator answers the originating calls of several profiles: where a statement names some
    profiles' ARNs, each profile gets its own answer; where none reads the resource, all share one."""
    from rewriter.check import allows_all, callable_sources
    from rewriter.evaluate import Evaluator

    by_arn = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": "bedrock:InvokeModel",
        "Resource": "arn:aws:bedrock:*:*:inference-profile/jp.*",
    }]}))
    by_region = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": "bedrock:InvokeModel", "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": "ap-northeast-1"}},
    }]}))
    jp, world = profile(JP), profile(GLOBAL)
    evaluator = Evaluator()
    for policy_ in (by_arn, by_region):  # the same evaluator throughout, as propose uses it
        assert callable_sources(policy_, jp, evaluator=evaluator) == callable_sources(policy_, jp)
        assert callable_sources(policy_, world, evaluator=evaluator) == callable_sources(policy_, world)
    assert callable_sources(by_arn, jp, evaluator=evaluator) == ()
    assert callable_sources(by_arn, world, evaluator=evaluator) == world.sources
    assert "ap-northeast-1" not in callable_sources(by_region, world, evaluator=evaluator)
    assert callable_sources(by_region, jp, evaluator=evaluator) == ("ap-northeast-3",)
    result = check(by_arn, [world, jp], evaluator=evaluator)
    assert [u.profile.id for u in result.unreachable] == [JP]
    assert {c.profile.id for c in result.checks} == {GLOBAL}
    assert not allows_all(by_arn, [world, jp], evaluator=evaluator)
    assert allows_all(by_arn, [world], evaluator=evaluator)
