"""scp-fix explain: the diagnosis and the CLI, on the fixtures of tests/data/messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewriter.catalog import load_catalog
from rewriter.check import allows_all
from rewriter.cli import app
from rewriter.cris import DEFAULT_ACCOUNT, INFERENCE_PROFILE_KEY
from rewriter.evaluate import Request, evaluate
from rewriter.explain import FROM_CLOUDTRAIL, FROM_POLICY, as_routed, diagnose
from rewriter.messages import parse_denial
from rewriter.parse import parse_policy
from rewriter.regions_data import ALL_COMMERCIAL

MESSAGES = Path(__file__).parent / "data" / "messages"
ROOT = Path(__file__).resolve().parent.parent
TOKYO = str(ROOT / "samples" / "tokyo-only.json")
runner = CliRunner()


def message(name: str) -> str:
    return (MESSAGES / name).read_text(encoding="utf-8")


def run(*args: str, stdin: str | None = None):
    return runner.invoke(app, ["explain", *args], input=stdin)


SONNET_4 = "global.anthropic.claude-sonnet-4-20250514-v1:0"
SONNET_4_5 = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"


def test_seed_console_message_from_tokyo_names_the_global_sonnet_4_profile():
    """The console message names the model in us-east-2; from Tokyo only the global profile routes there."""
    result = run("-", "--policy", TOKYO, "--format", "json", stdin=message("seed_console_ja.txt"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["diagnosis"]["kind"] == "cris-destination"
    assert data["diagnosis"]["source_regions"] == ["ap-northeast-1"]
    assert data["diagnosis"]["sources_from"] == FROM_POLICY
    callable_ = [c["profile"] for c in data["candidates"] if c["callable"]]
    assert callable_ == [SONNET_4]
    (route,) = data["candidates"][0]["routes"]
    assert route["source_region"] == "ap-northeast-1"
    assert {"us-east-2", "unspecified"} <= set(route["regions_needed"])
    # The us. profile routes there too, but nobody in Tokyo calls it: listed, not proposed.
    others = [c for c in data["candidates"] if not c["callable"]]
    assert [c["profile"] for c in others] == ["us.anthropic.claude-sonnet-4-20250514-v1:0"]
    assert not {"ap-northeast-1"} & set(others[0]["sources"])
    (for_policy,) = data["results"]
    assert for_policy["changed"] is True
    assert [p["profile"] for p in for_policy["check"]["profiles"]] == [SONNET_4]


def test_seed_cli_message_names_the_global_profile_and_unspecified():
    result = run(message("seed_cli_global.txt"), "--policy", TOKYO, "--source-region", "ap-northeast-1",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["diagnosis"]["kind"] == "cris-global"
    assert data["diagnosis"]["sources_from"] == "--source-region"
    assert [c["profile"] for c in data["candidates"]] == [SONNET_4_5]
    needed = data["candidates"][0]["routes"][0]["regions_needed"]
    assert needed[0] == "ap-northeast-1" and needed[-1] == "unspecified"
    assert set(ALL_COMMERCIAL) <= set(needed)  # the routed call, in whichever Region it lands
    (result_for_policy,) = data["results"]
    assert "unspecified" in result_for_policy["check"]["profiles"][0]["denied_regions"]
    assert result_for_policy["changed"] is True
    assert result_for_policy["patch"], "a proposal for the global profile"


def _seed_requests(profile_id: str, model_arn: str, region: str, action: str) -> tuple[Request, Request]:
    """The request the seed's message shows denied (through the profile), and the same call made directly."""
    profile_arn = f"arn:aws:bedrock:ap-northeast-1:{DEFAULT_ACCOUNT}:inference-profile/{profile_id}"
    through = Request(action, model_arn, region, None, {INFERENCE_PROFILE_KEY: profile_arn})
    return through, Request(action, model_arn, region)


def test_seed_page_with_a_tokyo_only_scp_gives_both_global_diagnoses_and_a_verified_patch():
    """Done-when of issue 19: the seed's two messages, --policy on a Tokyo-only SCP."""
    result = run("-", "--policy", TOKYO, "--format", "json", stdin=message("seed_article.txt"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    kinds = [(d["diagnosis"]["kind"], [c["profile"] for c in d["candidates"] if c["callable"]]) for d in data["denials"]]
    assert kinds == [("cris-destination", [SONNET_4]), ("cris-global", [SONNET_4_5])]
    for each in data["denials"]:  # both evaluations are named: the routed one and the documented one
        text = " ".join(each["diagnosis"]["background"])
        assert "Region it reaches" in text and "unspecified" in text
    (for_policy,) = data["results"]
    assert for_policy["status"] == "changed" and for_policy["strategy"] == "profile-arn"

    before = parse_policy(Path(TOKYO).read_text(encoding="utf-8"), path=TOKYO)
    after = parse_policy(json.dumps(for_policy["policy"]), path="after")
    seen = [
        _seed_requests(SONNET_4, data["denials"][0]["denial"]["resource"], "us-east-2",
                       "bedrock:InvokeModelWithResponseStream"),
        _seed_requests(SONNET_4_5, data["denials"][1]["denial"]["resource"], "unspecified", "bedrock:InvokeModel"),
    ]
    for through, direct in seen:
        assert evaluate([before], through).outcome == "explicit_deny"  # what the seed saw
        assert evaluate([after], through).allowed  # what the patch fixes
        assert not evaluate([after], direct).allowed  # and no more: direct calls stay denied
    # The whole route, every commercial Region and unspecified, for both profiles.
    catalog = load_catalog()
    routed = [as_routed(catalog.get(SONNET_4)), as_routed(catalog.get(SONNET_4_5))]
    assert not allows_all(before, routed, source_region="ap-northeast-1")
    assert allows_all(after, routed, source_region="ap-northeast-1")


def test_seed_page_text_groups_candidates_and_says_the_background_once():
    result = run("-", "--policy", TOKYO, stdin=message("seed_article.txt"))
    assert result.exit_code == 0, result.output
    out = result.stdout
    # One line per profile, however many source Regions it has.
    assert sum(line.startswith(f"  {SONNET_4_5}:") for line in out.splitlines()) == 1
    assert out.count("A global profile routes a call to any commercial Region") == 1
    assert out.count("Allow every Region listed for the profile you call") == 1
    # The us. profile is named once, as not callable from Tokyo; nothing suggests opening US Regions.
    assert out.count("us.anthropic.claude-sonnet-4-20250514-v1:0") == 1
    assert "Not callable from ap-northeast-1: us.anthropic.claude-sonnet-4-20250514-v1:0" in out
    assert "--source-region" not in out
    # The denial is one line per profile, not one reason per Region.
    denied = [line for line in out.splitlines() if " is denied in " in line]
    assert len(denied) == 2 and all(line.count("DenyOutsideTokyo") == 1 for line in denied)


def test_text_output_without_a_policy_lists_every_profile_that_routes_there():
    result = run(message("seed_console_ja.txt"))
    assert result.exit_code == 0
    assert "routed the call to us-east-2" in result.stdout
    assert (
        "  us.anthropic.claude-sonnet-4-20250514-v1:0: from us-east-1, us-west-2: us-east-1, us-east-2, us-west-2; "
        "from us-west-1: us-east-1, us-east-2, us-west-1, us-west-2"
    ) in result.stdout
    assert f"  {SONNET_4}: from ap-northeast-1, eu-west-1, us-east-1, us-west-2: every commercial Region, unspecified" in result.stdout


def test_source_region_from_a_cloudtrail_event():
    result = run("-", "--format", "json", stdin=message("cloudtrail_event.json"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["diagnosis"]["source_regions"] == ["ap-northeast-1"]
    assert data["diagnosis"]["sources_from"] == FROM_CLOUDTRAIL
    assert [c["profile"] for c in data["candidates"] if c["callable"]] == [SONNET_4]


def test_the_profile_a_cloudtrail_event_names_is_the_one_callable_candidate():
    """requestParameters.modelId names the profile called; others that route there are not proposed."""
    event = json.loads(message("cloudtrail_event.json"))
    event["awsRegion"] = "us-east-1"  # from us-east-1 both the us. and the global profile route to us-east-2
    event["requestParameters"]["modelId"] = (
        "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0"
    )
    data = json.loads(run("-", "--format", "json", stdin=json.dumps(event)).stdout)
    assert [(c["profile"], c["callable"]) for c in data["candidates"]] == [
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", True), (SONNET_4, False),
    ]
    assert data["diagnosis"]["called"] == "us.anthropic.claude-sonnet-4-20250514-v1:0"
    text = run("-", stdin=json.dumps(event)).stdout
    assert "names us.anthropic.claude-sonnet-4-20250514-v1:0 as the profile called" in text
    assert "Not callable" not in text
    del event["requestParameters"]
    data = json.loads(run("-", "--format", "json", stdin=json.dumps(event)).stdout)
    assert {c["profile"] for c in data["candidates"] if c["callable"]} == {
        "us.anthropic.claude-sonnet-4-20250514-v1:0", SONNET_4,
    }


def test_no_profile_fits_exits_1_and_says_what_was_looked_for():
    text = (
        "User: arn:aws:sts::123456789012:assumed-role/App/s is not authorized to perform: bedrock:InvokeModel "
        "on resource: arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0 "
        "with an explicit deny in a service control policy"
    )
    result = run(text, "--source-region", "us-east-1", "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["diagnosis"]["looked_for"] == (
        "a profile of anthropic.claude-3-haiku-20240307-v1:0 that routes a call to the model in eu-west-1 "
        "and can be called from us-east-1"
    )
    assert not [c for c in data["candidates"] if c["callable"]]
    text_result = run(text, "--source-region", "us-east-1")
    assert text_result.exit_code == 1
    assert "looked for a profile of anthropic.claude-3-haiku-20240307-v1:0" in text_result.stdout
    # An unknown model, too.
    unknown = text.replace("anthropic.claude-3-haiku-20240307-v1:0", "example.no-such-model-v1:0")
    assert run(unknown).exit_code == 1


@pytest.mark.parametrize(
    "fixture, words",
    [
        ("sdk_identity_implicit.txt", "No policy attached to the IAM role"),
        ("sdk_boundary_explicit.txt", "look at the boundary policy"),
        ("sdk_resource_based.txt", "look at the resource's policy"),
    ],
)
def test_a_denial_that_is_not_an_scps_says_so_and_where_to_look(fixture, words):
    result = run(message(fixture), "--policy", TOKYO, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["diagnosis"]["kind"] == "not-scp"
    assert "This is not the SCP" in data["diagnosis"]["summary"] and words in data["diagnosis"]["summary"]
    assert "results" not in data  # the SCP is not what denied it: no change is proposed to it
    text = run(message(fixture)).stdout
    assert text.count("This is not the SCP") == 1


@pytest.mark.parametrize(
    "fixture, kind",
    [
        ("sdk_identity_implicit.txt", "not-scp"),
        ("sdk_boundary_explicit.txt", "not-scp"),
        ("sdk_session_policy.txt", "not-scp"),
        ("sdk_rcp.txt", "not-scp"),
        ("sdk_scp_profile.txt", "cris-source"),
        ("wrapped_cli.txt", None),
        ("masked_stars.txt", None),
    ],
)
def test_message_kinds_are_diagnosed(fixture, kind):
    denial = parse_denial(message(fixture))
    diagnosis = diagnose(denial, load_catalog())
    if kind is not None:
        assert diagnosis.kind == kind
    else:
        assert diagnosis.kind in {"cris-destination", "cris-global", "scp-other", "not-scp", "cris-source"}
    assert diagnosis.summary


def test_source_region_narrows_candidates():
    denial = parse_denial(message("seed_console_ja.txt"))
    narrowed = diagnose(denial, load_catalog(), source_region="us-west-2")
    assert {r.source_region for c in narrowed.callable_candidates for r in c.routes} == {"us-west-2"}
    assert [c.profile.id for c in narrowed.callable_candidates] == ["us.anthropic.claude-sonnet-4-20250514-v1:0", SONNET_4]


@pytest.mark.parametrize("text", ["hello world", "", "{\"Version\": \"2012-10-17\"}"])
def test_unparseable_message_exits_2(text):
    result = run(text)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.count("\n") <= 1
