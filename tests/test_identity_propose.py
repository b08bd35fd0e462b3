"""scp-fix propose --kind identity: grant what a profile call needs, through the profile only.

The property test builds identity policies from the shapes real ones have (a model pinned to some
Regions, a profile granted in some, grants through a profile, a Deny of the global evaluation) and holds
every proposal to its claims: afterwards every needed authorization is allowed, nothing outside the
profile's routes (direct calls, other models, other actions, other Regions) changes, and proposing
again changes nothing.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st
from typer.testing import CliRunner

from rewriter.catalog import load_catalog
from rewriter.cli import app
from rewriter.cris import INFERENCE_PROFILE_KEY, UNSPECIFIED
from rewriter.evaluate import Request, evaluate
from rewriter.identity import check_identity
from rewriter.parse import parse_policy
from rewriter.propose import propose
from rewriter.regions_data import ALL_COMMERCIAL

MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"
US = f"us.{MODEL}"
EU = f"eu.{MODEL}"
JP = f"jp.{MODEL}"
GLOBAL = f"global.{MODEL}"
OTHER_MODEL = "amazon.nova-pro-v1:0"
INVOKE, STREAM = "bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"
ACCOUNT = "123456789012"
runner = CliRunner()


def profile(ref: str):
    return load_catalog().get(ref)


def model_arn(region: str, model: str = MODEL) -> str:
    return f"arn:aws:bedrock:{region}::foundation-model/{model}" if region != UNSPECIFIED else f"arn:aws:bedrock:::foundation-model/{model}"


def profile_arn(profile_id: str, region: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:bedrock:{region}:{account}:inference-profile/{profile_id}"


def parsed(document: dict):
    return parse_policy(json.dumps(document, indent=2), path="identity.json")


def pinned(region: str = "us-east-1", actions=INVOKE) -> dict:
    """A CDK grantInvoke-style policy: the model in one Region, no profile."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "InvokeModel", "Effect": "Allow", "Action": actions, "Resource": model_arn(region)}]}


def test_a_pinned_model_gains_the_profile_and_its_destinations_through_the_profile_only():
    policy = parsed(pinned())
    proposal = propose(policy, (profile(US),), source_region="us-east-1", kind="identity", account=ACCOUNT)
    assert proposal.changed
    after = proposal.chosen.policy
    assert not check_identity(after, (profile(US),), source_region="us-east-1", account=ACCOUNT).blocked
    for region in ("us-east-2", "us-west-2"):
        direct = Request(INVOKE, model_arn(region), region)
        assert not evaluate(after, direct, full_access=False).allowed  # still closed to direct calls
    # only the action the policy granted: streaming was its choice
    assert all(STREAM not in json.dumps(op) for op in proposal.chosen.fix.patch)
    again = propose(after, (profile(US),), source_region="us-east-1", kind="identity", account=ACCOUNT)
    assert again.status == "unchanged"


def test_without_an_account_the_profile_arns_match_any_account():
    proposal = propose(parsed(pinned()), (profile(US),), source_region="us-east-1", kind="identity")
    text = json.dumps(proposal.chosen.fix.patch)
    assert ":*:inference-profile/" in text and "ArnLike" in text
    assert any("--account" in note for note in proposal.chosen.fix.notes)
    # any account's call through the profile is then allowed
    assert not check_identity(proposal.chosen.policy, (profile(US),), source_region="us-east-1",
                              account="999988887777").blocked


def test_an_explicit_deny_is_a_deliberate_control(tmp_path):
    document = pinned("us-east-2")
    document["Statement"].append({"Sid": "DenyGlobalCris", "Effect": "Deny", "Action": "bedrock:InvokeModel*",
                                  "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "unspecified"}}})
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document, indent=2))
    before = path.read_text()
    result = runner.invoke(app, ["propose", str(path), "--kind", "identity", "--profile", GLOBAL,
                                 "--source-region", "us-east-2", "--format", "json", "--write"])
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    assert data["changed"] is False and data["status"] == "unsafe"
    assert "DenyGlobalCris" in data["rationale"] and "does not weaken" in data["rationale"]
    assert path.read_text() == before
    # Lifted on purpose, it is still a Deny: an identity fix only adds grants, and none gets past it.
    lifted = runner.invoke(app, ["propose", str(path), "--kind", "identity", "--profile", GLOBAL,
                                 "--source-region", "us-east-2", "--format", "json", "--override", "DenyGlobalCris"])
    assert lifted.exit_code == 3, lifted.output
    assert "deliberate control" in json.loads(lifted.stdout)["rationale"]


def test_cli_json_contract_and_write(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(pinned("eu-west-1", [INVOKE, STREAM]), indent=2))
    args = ["propose", str(path), "--kind", "identity", "--profile", EU, "--account", ACCOUNT]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert {"changed", "patch", "policy", "newly_allowed", "alternatives"} <= set(data)
    assert data["changed"] is True and data["check"]["kind"] == "identity"
    grants = data["newly_allowed"]
    assert grants and all(g["condition"] and EU in g["condition"] for g in grants)  # through the profile only
    assert runner.invoke(app, [*args, "--write"]).exit_code == 1
    assert runner.invoke(app, ["check", str(path), "--kind", "identity", "--profile", EU]).exit_code == 0
    assert runner.invoke(app, [*args, "--format", "json"]).exit_code == 0


def test_a_lone_statement_object_becomes_a_list():
    document = {"Version": "2012-10-17", "Statement": pinned()["Statement"][0]}
    proposal = propose(parsed(document), (profile(US),), source_region="us-east-1", kind="identity", account=ACCOUNT)
    assert proposal.changed and isinstance(proposal.chosen.document["Statement"], list)


def test_an_existing_grant_through_the_profile_is_extended():
    """The user guide's shape: the models granted where bedrock:InferenceProfileArn is the profile's."""
    document = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Profile", "Effect": "Allow", "Action": "bedrock:InvokeModel*",
         "Resource": profile_arn(US, "us-east-1")},
        {"Sid": "Models", "Effect": "Allow", "Action": "bedrock:InvokeModel*",
         "Resource": [model_arn("us-east-1")],
         "Condition": {"StringEquals": {INFERENCE_PROFILE_KEY: profile_arn(US, "us-east-1")}}}]}
    proposal = propose(parsed(document), (profile(US),), source_region="us-east-1", kind="identity")
    assert proposal.chosen.strategy == "extend-grant"
    assert proposal.chosen.fix.patch == [
        {"op": "add", "path": "/Statement/1/Resource/-", "value": model_arn("us-east-2")},
        {"op": "add", "path": "/Statement/1/Resource/-", "value": model_arn("us-west-2")},
    ]


def test_an_extension_that_opens_more_loses_to_new_statements():
    """A grant through every us. profile, extended, would open the model through the others too."""
    document = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Profile", "Effect": "Allow", "Action": "bedrock:InvokeModel*",
         "Resource": profile_arn(US, "us-east-1")},
        {"Sid": "Models", "Effect": "Allow", "Action": "bedrock:InvokeModel*",
         "Resource": [model_arn("us-east-1")],
         "Condition": {"StringLike": {INFERENCE_PROFILE_KEY: "arn:aws:bedrock:*:*:inference-profile/us.*"}}}]}
    proposal = propose(parsed(document), (profile(US),), source_region="us-east-1", kind="identity")
    assert proposal.chosen.strategy == "grant-through-profile"
    (extend,) = proposal.alternatives
    assert any("any other us." in (g.condition or "") for g in extend.delta.newly_allowed)


# --- the property ---------------------------------------------------------------------------------

PROFILES = (US, EU, JP, GLOBAL)


@st.composite
def cases(draw):
    profile_id = draw(st.sampled_from(PROFILES))
    item = profile(profile_id)
    source = draw(st.sampled_from(item.sources))
    regions = st.lists(st.sampled_from(sorted({source, *item.destinations(source), "us-east-1", "eu-west-1"})),
                       min_size=1, max_size=3, unique=True)
    actions = draw(st.sampled_from([INVOKE, [INVOKE, STREAM], "bedrock:InvokeModel*", "bedrock:*"]))
    statements = []
    for region_list in draw(st.lists(regions, max_size=2)):  # the model for direct calls
        statements.append({"Effect": "Allow", "Action": actions, "Resource": [model_arn(r) for r in region_list]})
    if draw(st.booleans()):  # the profile itself
        statements.append({"Effect": "Allow", "Action": actions,
                           "Resource": [profile_arn(profile_id, r) for r in draw(regions)]})
    if draw(st.booleans()):  # the models through the profile, somewhere
        statements.append({"Effect": "Allow", "Action": actions, "Resource": [model_arn(r) for r in draw(regions)],
                           "Condition": {"StringEquals": {INFERENCE_PROFILE_KEY: profile_arn(profile_id, source)}}})
    if draw(st.booleans()):  # another model, elsewhere
        statements.append({"Effect": "Allow", "Action": INVOKE, "Resource": model_arn("ap-south-1", OTHER_MODEL)})
    if draw(st.integers(0, 4)) == 0:
        statements.append({"Effect": "Deny", "Action": "bedrock:InvokeModel*", "Resource": "*",
                           "Condition": {"StringEquals": {"aws:RequestedRegion": UNSPECIFIED}}})
    if not statements:
        statements.append({"Effect": "Allow", "Action": INVOKE, "Resource": model_arn(source)})
    for n, statement in enumerate(statements):
        statement["Sid"] = f"S{n}"
    return profile_id, source, {"Version": "2012-10-17", "Statement": statements}


def _probes(item, source: str):
    """Requests outside the profile's routes, whose answer no fix may change."""
    route = set(item.destinations(source)) | ({UNSPECIFIED} if item.is_global else set())
    through = {INFERENCE_PROFILE_KEY: profile_arn(item.id, source)}
    for region in [*ALL_COMMERCIAL, UNSPECIFIED]:
        for action in (INVOKE, STREAM, "bedrock:GetFoundationModel", "s3:GetObject"):
            for model in (MODEL, OTHER_MODEL):
                yield Request(action, model_arn(region, model), region)  # a direct call
                if region not in route or model != MODEL:
                    yield Request(action, model_arn(region, model), region, context=through)
            if region != source and region != UNSPECIFIED:
                yield Request(action, profile_arn(item.id, region), region)


@pytest.mark.slow  # a property test at full size
@given(cases())
def test_property_a_proposal_allows_the_routes_and_nothing_else(case):
    profile_id, source, document = case
    item = profile(profile_id)
    policy = parsed(document)
    proposal = propose(policy, (item,), source_region=source, kind="identity", newly_allowed=False)
    if proposal.status == "unsafe":
        denies = any(s["Effect"] == "Deny" for s in document["Statement"])
        assert denies or proposal.before.unreachable, proposal.reason
        return
    if proposal.status == "unchanged":
        assert not proposal.before.blocked
        return
    after = proposal.chosen.policy
    assert not check_identity(after, (item,), source_region=source).blocked
    for request in _probes(item, source):
        was = evaluate(policy, request, full_access=False).allowed
        now = evaluate(after, request, full_access=False).allowed
        assert was == now, (request, proposal.chosen.fix.patch)
    assert propose(after, (item,), source_region=source, kind="identity", newly_allowed=False).status == "unchanged"
