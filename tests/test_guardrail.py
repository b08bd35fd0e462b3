"""Guardrail profiles (``--guardrail``): the catalog entries, and a call with a guardrail checked whole.

A STANDARD-tier guardrail runs bedrock:ApplyGuardrail through its guardrail profile, on the
guardrail-profile ARN in every destination Region of the caller's source Region (reference R.2);
ApplyGuardrail has no condition keys, so no bedrock:InferenceProfileArn exemption covers it.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from rewriter.catalog import load_catalog
from rewriter.catalog.loader import read_profiles_file
from rewriter.check import allows_all, check
from rewriter.cli import app
from rewriter.errors import ProfileNotFoundError
from rewriter.parse import parse_policy
from rewriter.vocabulary import Code, Role

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "scripts" / "guardrail-profiles.yaml"
US = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
JP = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
GUARDRAIL = "us.guardrail.v1:0"
runner = CliRunner()


def region_deny(allowed: list[str], *, exempt_profiles: list[str] | None = None) -> dict:
    """The common Region deny; with ``exempt_profiles``, the profile-ARN exemption a team already has."""
    condition: dict = {"StringNotEquals": {"aws:RequestedRegion": allowed}}
    if exempt_profiles:
        condition["ArnNotLike"] = {"bedrock:InferenceProfileArn": [
            f"arn:aws:bedrock:*:*:inference-profile/{p}" for p in exempt_profiles
        ]}
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyOutsideAllowedRegions", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"],
        "Resource": "*", "Condition": condition,
    }]}


def write(tmp_path: Path, document: dict, name: str = "scp.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


# -- the catalog ----------------------------------------------------------------------------------


def test_the_catalog_has_every_guardrail_profile_of_its_source_file() -> None:
    """The built catalog and scripts/guardrail-profiles.yaml agree: same ids, same routes, and the
    ids without confirmed routes are known by name only."""
    source = yaml.safe_load(SOURCE.read_text(encoding="utf-8"))
    catalog = load_catalog()
    assert {g["id"]: g["routes"] for g in source["guardrail_profiles"]} == {
        g.id: {s: list(d) for s, d in g.routes.items()} for g in catalog.guardrails
    }
    assert {a["id"] for a in source["announced_unconfirmed"]} == {a.id for a in catalog.announced_guardrails}
    us = catalog.guardrail(GUARDRAIL)
    assert us.is_guardrail and us.geography == "us" and us.model == ""
    assert us.destinations("us-west-1") == ("us-east-1", "us-east-2", "us-west-1", "us-west-2")
    assert us.arn_in("us-east-2", "123456789012") == "arn:aws:bedrock:us-east-2:123456789012:guardrail-profile/us.guardrail.v1:0"
    assert catalog.guardrail("us-gov.guardrail.v1:0").destinations("us-gov-west-1") == ("us-gov-east-1", "us-gov-west-1")
    # a guardrail-profile ARN finds it too
    assert catalog.guardrail("arn:aws:bedrock:us-east-1:111122223333:guardrail-profile/us.guardrail.v1:0") is us


def test_guardrail_profiles_are_not_inference_profiles() -> None:
    """Look-ups for inference profiles never return a guardrail profile, and say which flag takes it."""
    catalog = load_catalog()
    assert GUARDRAIL not in {p.id for p in catalog.profiles}
    with pytest.raises(ProfileNotFoundError, match="is a guardrail profile, not an inference profile; pass it with --guardrail"):
        catalog.resolve(GUARDRAIL)
    with pytest.raises(ProfileNotFoundError, match="is an inference profile, not a guardrail profile"):
        catalog.guardrail(US)


def test_an_announced_guardrail_id_is_known_but_not_usable() -> None:
    with pytest.raises(ProfileNotFoundError, match="eu.guardrail.v1:0 is announced, but its routes are not confirmed"):
        load_catalog().guardrail("eu.guardrail.v1:0")


def test_a_profiles_file_adds_a_guardrail_profile(tmp_path: Path) -> None:
    """The same file format and loader: an entry of kind guardrail, without a model; with a model it is refused."""
    path = tmp_path / "guardrails.yaml"
    path.write_text(
        "- id: eu.guardrail.v1:0\n  kind: guardrail\n  routes:\n    eu-west-1: [eu-west-1, eu-central-1]\n",
        encoding="utf-8",
    )
    catalog = load_catalog(path)
    eu = catalog.guardrail("eu.guardrail.v1:0")
    assert eu.destinations("eu-west-1") == ("eu-central-1", "eu-west-1") and eu.origin == str(path)
    assert "eu.guardrail.v1:0" not in {a.id for a in catalog.announced_guardrails}
    path.write_text(
        "- id: eu.guardrail.v1:0\n  kind: guardrail\n  model: x\n  routes:\n    eu-west-1: [eu-west-1]\n",
        encoding="utf-8",
    )
    with pytest.raises(Exception, match=r"guardrails.yaml:3:3: .*a guardrail profile serves no model"):
        read_profiles_file(path)


# -- check ----------------------------------------------------------------------------------------


def test_check_adds_apply_guardrail_at_each_guardrail_destination() -> None:
    catalog = load_catalog()
    policy = parse_policy(json.dumps(region_deny(["us-east-1", "us-east-2", "us-west-2"])))
    result = check(policy, [catalog.get(US)], source_region="us-east-1", guardrail=catalog.guardrail(GUARDRAIL))
    (item,) = result.checks
    guardrail = [r for r in item.results if r.authorization.role is Role.GUARDRAIL]
    assert [(r.request.action, r.request.region, r.request.resource) for r in guardrail] == [
        ("bedrock:ApplyGuardrail", region, f"arn:aws:bedrock:{region}:111122223333:guardrail-profile/{GUARDRAIL}")
        for region in ("us-east-1", "us-east-2", "us-west-2")
    ]
    # no profile ARN: ApplyGuardrail has no condition keys
    assert all(r.authorization.inference_profile_arn is None for r in guardrail)
    assert not result.blocked and result.guardrail.id == GUARDRAIL


def test_a_profile_arn_exemption_lets_the_model_call_through_but_not_the_guardrail() -> None:
    """The seed's case: inference through the profile is exempt, ApplyGuardrail in us-east-2 is not."""
    catalog = load_catalog()
    policy = parse_policy(json.dumps(region_deny(["us-east-1"], exempt_profiles=[US])))
    guardrail = catalog.guardrail(GUARDRAIL)
    without = check(policy, [catalog.get(US)], source_region="us-east-1")
    assert not without.blocked
    result = check(policy, [catalog.get(US)], source_region="us-east-1", guardrail=guardrail)
    denied = [r for c in result.checks for r in c.results if not r.decision.allowed]
    assert {(r.request.action, r.request.region) for r in denied} == {
        ("bedrock:ApplyGuardrail", "us-east-2"), ("bedrock:ApplyGuardrail", "us-west-2"),
    }
    assert {r.code for r in denied} == {Code.GUARDRAIL_REGION_DENIED}
    assert "us-east-2 is not in the allowed Regions of statement 1 (DenyOutsideAllowedRegions" in denied[0].reason
    # verification asks the same questions
    assert allows_all(policy, [catalog.get(US)], source_region="us-east-1")
    assert not allows_all(policy, [catalog.get(US)], source_region="us-east-1", guardrail=guardrail)


def test_only_sources_both_profiles_serve_are_checked() -> None:
    """us. Sonnet 4.5 can be called from Regions the us guardrail profile does not serve; a call with the
    guardrail is made only from the Regions both serve."""
    catalog = load_catalog()
    profile, guardrail = catalog.get(US), catalog.guardrail(GUARDRAIL)
    policy = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    checked = {c.source_region for c in check(policy, [profile], guardrail=guardrail).checks}
    assert checked == set(profile.sources) & set(guardrail.sources)
    assert set(profile.sources) - set(guardrail.sources)  # the case is real: some source is left out
    with pytest.raises(ProfileNotFoundError, match="no source Region of jp.anthropic.* is one of guardrail profile us.guardrail.v1:0"):
        check(policy, [catalog.get(JP)], guardrail=guardrail)
    outside = next(iter(set(profile.sources) - set(guardrail.sources)))
    with pytest.raises(ProfileNotFoundError, match=f"guardrail profile us.guardrail.v1:0 cannot be called from {outside}"):
        check(policy, [profile], source_region=outside, guardrail=guardrail)


def test_cli_check_with_a_guardrail(tmp_path: Path) -> None:
    path = write(tmp_path, region_deny(["us-east-1"], exempt_profiles=[US]))
    args = ["check", str(path), "--profile", US, "--source-region", "us-east-1", "--guardrail", GUARDRAIL]
    text = runner.invoke(app, args)
    assert text.exit_code == 1, text.output
    assert "us-east-2        denied   guardrail profile (ApplyGuardrail): us-east-2 is not in the allowed Regions" in text.stdout
    assert "--guardrail us.guardrail.v1:0 --write" in text.stderr  # the propose hint keeps the guardrail
    result = runner.invoke(app, [*args, "--format", "json"])
    body = json.loads(result.stdout)
    assert body["guardrail"]["id"] == GUARDRAIL and body["guardrail"]["action"] == "bedrock:ApplyGuardrail"
    assert body["guardrail"]["routes"]["us-west-1"] == ["us-east-1", "us-east-2", "us-west-1", "us-west-2"]
    requests = [r for r in body["profiles"][0]["requests"] if r["role"] == "guardrail"]
    assert [(r["requested_region"], r["decision"], r["code"]) for r in requests] == [
        ("us-east-1", "allowed", None), ("us-east-2", "explicit_deny", "SCPFIX007"), ("us-west-2", "explicit_deny", "SCPFIX007"),
    ]
    assert all(r["inference_profile_arn"] is None and r["action"] == "bedrock:ApplyGuardrail" for r in requests)
    sarif = json.loads(runner.invoke(app, [*args, "--format", "sarif"]).stdout)
    results = sarif["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["SCPFIX007", "SCPFIX007"]
    rule_ids = [r["id"] for r in sarif["runs"][0]["tool"]["driver"]["rules"]]
    assert results[0]["ruleIndex"] == rule_ids.index("SCPFIX007")
    # without the guardrail the same policy passes: the flag is what finds the problem
    assert runner.invoke(app, args[:-2]).exit_code == 0


@pytest.mark.parametrize("ref, message", [
    ("us.guardrail.v9:0", "scp-fix: unknown guardrail profile 'us.guardrail.v9:0'; nearest known: us.guardrail.v1:0"),
    ("eu.guardrail.v1:0", "scp-fix: guardrail profile eu.guardrail.v1:0 is announced, but its routes are not confirmed"),
    (US, "scp-fix: us.anthropic.claude-sonnet-4-5-20250929-v1:0 is an inference profile, not a guardrail profile"),
])
def test_cli_an_unusable_guardrail_id_is_one_line_exit_2(tmp_path: Path, ref: str, message: str) -> None:
    path = write(tmp_path, region_deny(["us-east-1"]))
    result = runner.invoke(app, ["check", str(path), "--profile", US, "--guardrail", ref])
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""


def test_cli_a_guardrail_passed_as_a_profile_says_which_flag(tmp_path: Path) -> None:
    path = write(tmp_path, region_deny(["us-east-1"]))
    result = runner.invoke(app, ["check", str(path), "--profile", GUARDRAIL])
    assert result.exit_code == 2
    assert "us.guardrail.v1:0 is a guardrail profile, not an inference profile; pass it with --guardrail" in result.stderr


# -- propose --------------------------------------------------------------------------------------


def _propose(document: dict, *, strategy: str = "auto", source_region: str | None = "us-east-1"):
    from rewriter.propose import propose

    catalog = load_catalog()
    policy = parse_policy(json.dumps(document))
    return policy, propose(
        policy, [catalog.get(US)], source_region=source_region, strategy=strategy,
        guardrail=catalog.guardrail(GUARDRAIL),
    )


def _apply_guardrail(region: str, resource: str = f"guardrail-profile/{GUARDRAIL}") -> "Request":
    from rewriter.evaluate import Request

    return Request("bedrock:ApplyGuardrail", f"arn:aws:bedrock:{region}:111122223333:{resource}", region)


def test_profile_arn_says_it_cannot_cover_apply_guardrail() -> None:
    """The one profile-ARN exemption the policy has covers the model calls; nothing of its kind can cover
    ApplyGuardrail, and the strategy says so in words, naming what can."""
    _, proposal = _propose(region_deny(["us-east-1"], exempt_profiles=[US]))
    rejected = next(c for c in proposal.candidates if c.strategy == "profile-arn")
    assert not rejected.verified and rejected.fix is None
    assert rejected.rejected == (
        "bedrock:ApplyGuardrail on guardrail profile us.guardrail.v1:0 is denied in us-east-2, us-west-2, and no "
        "bedrock:InferenceProfileArn exemption can cover it: ApplyGuardrail has no condition keys. Allowing those "
        "Regions (regions) or carving ApplyGuardrail out of the Region deny (notaction) can"
    )
    assert proposal.changed and proposal.chosen.strategy != "profile-arn"


def test_profile_arn_still_fixes_the_model_calls_when_the_guardrail_passes() -> None:
    """ApplyGuardrail already allowed (its Regions are): the exemption is offered for the model calls."""
    document = region_deny(["us-east-1", "us-east-2", "us-west-2"])
    document["Statement"][0]["Condition"]["StringNotEquals"]["aws:RequestedRegion"] = ["us-east-1", "us-east-2", "us-west-2"]
    catalog = load_catalog()
    from rewriter.propose import propose

    # a global profile needs 'unspecified', which the guardrail never does
    profile = catalog.get("global.anthropic.claude-sonnet-4-5-20250929-v1:0")
    proposal = propose(parse_policy(json.dumps(document)), [profile], source_region="us-east-1", strategy="profile-arn",
                       guardrail=catalog.guardrail(GUARDRAIL))
    assert proposal.changed and proposal.chosen.strategy == "profile-arn"


def test_regions_allows_the_guardrail_destinations_and_is_verified_whole() -> None:
    policy, proposal = _propose(region_deny(["us-east-1"], exempt_profiles=[US]), strategy="regions")
    assert proposal.changed
    new = proposal.chosen.policy
    assert new.document["Statement"][0]["Condition"]["StringNotEquals"]["aws:RequestedRegion"] == [
        "us-east-1", "us-east-2", "us-west-2",
    ]
    catalog = load_catalog()
    assert allows_all(new, [catalog.get(US)], source_region="us-east-1", guardrail=catalog.guardrail(GUARDRAIL))
    assert not allows_all(policy, [catalog.get(US)], source_region="us-east-1", guardrail=catalog.guardrail(GUARDRAIL))


def test_notaction_carves_apply_guardrail_out_for_the_guardrail_profile_only() -> None:
    from rewriter.evaluate import Evaluator, Request

    policy, proposal = _propose(region_deny(["us-east-1"]), strategy="notaction")
    assert proposal.changed, proposal.reason
    new = proposal.chosen.policy
    statements = new.document["Statement"]
    assert statements[0]["NotAction"] == ["iam:*", "sts:*", "bedrock:InvokeModel",
                                          "bedrock:InvokeModelWithResponseStream", "bedrock:ApplyGuardrail"]
    guard = next(s for s in statements if s.get("Sid") == "DenyApplyGuardrailOutsideAllowedRegions")
    assert guard["Action"] == ["bedrock:ApplyGuardrail"]
    assert guard["NotResource"] == ["arn:aws:bedrock:*:*:guardrail-profile/us.guardrail.v1:0"]
    inference = next(s for s in statements if s.get("Sid") == "DenyBedrockInferenceOutsideAllowedRegions")
    assert "bedrock:ApplyGuardrail" not in inference["Action"]  # its profile-ARN condition would deny it again
    evaluator = Evaluator()
    for region in ("us-east-2", "us-west-2"):
        assert not evaluator.allowed(policy, _apply_guardrail(region))
        assert evaluator.allowed(new, _apply_guardrail(region))
        # least privilege: another guardrail profile, a guardrail itself, a direct model call stay denied
        assert not evaluator.allowed(new, _apply_guardrail(region, "guardrail-profile/apac.guardrail.v1:0"))
        assert not evaluator.allowed(new, _apply_guardrail(region, "guardrail/abc123def456"))
        direct = Request("bedrock:InvokeModel", f"arn:aws:bedrock:{region}::foundation-model/{load_catalog().get(US).model}", region)
        assert not evaluator.allowed(new, direct)
    assert any("bedrock:ApplyGuardrail is carved out too, for guardrail profile us.guardrail.v1:0" in n
               for n in proposal.chosen.fix.notes)
    # proposing again changes nothing
    _, again = _propose(new.document, strategy="notaction")
    assert not again.changed


def test_notaction_refuses_when_the_deny_names_its_resources() -> None:
    document = region_deny(["us-east-1"])
    document["Statement"][0]["Resource"] = ["arn:aws:bedrock:*:*:*"]
    _, proposal = _propose(document, strategy="notaction")
    (candidate,) = proposal.candidates
    assert candidate.rejected.startswith("statement 1 (DenyOutsideAllowedRegions, line 1) names its resources, so "
                                         "bedrock:ApplyGuardrail cannot be re-denied")


def test_newly_allowed_states_apply_guardrail_where_each_fix_opens_it() -> None:
    """Every Region where a candidate newly allows ApplyGuardrail on the guardrail profile, or on a guardrail
    of the account, found by asking the evaluator, is covered by one of its grants."""
    from rewriter.evaluate import Evaluator
    from rewriter.regions_data import COMMERCIAL

    policy, proposal = _propose(region_deny(["us-east-1"]), source_region=None)
    evaluator = Evaluator()
    verified = [c for c in proposal.candidates if c.verified]
    assert {c.strategy for c in verified} == {"notaction", "regions"}
    for candidate in verified:
        opened = {
            region for region in COMMERCIAL for resource in (f"guardrail-profile/{GUARDRAIL}", "guardrail/abc123def456")
            if evaluator.allowed(candidate.policy, _apply_guardrail(region, resource))
            and not evaluator.allowed(policy, _apply_guardrail(region, resource))
        }
        assert {"us-east-2", "us-west-2"} <= opened, candidate.strategy
        for region in opened:
            assert any(g.has_action("bedrock:ApplyGuardrail") and region in g.regions and g.through_profiles is None
                       for g in candidate.delta.newly_allowed), (candidate.strategy, region)


def test_cli_propose_with_a_guardrail(tmp_path: Path) -> None:
    path = write(tmp_path, region_deny(["us-east-1"], exempt_profiles=[US]))
    args = ["propose", str(path), "--profile", US, "--source-region", "us-east-1", "--guardrail", GUARDRAIL]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 1, result.output
    body = json.loads(result.stdout)
    assert body["strategy"] == "notaction" and "bedrock:ApplyGuardrail" in json.dumps(body["patch"])
    by_name = {c["strategy"]: c for c in body["alternatives"]}
    assert by_name["profile-arn"]["verified"] is False
    assert "no bedrock:InferenceProfileArn exemption can cover it" in by_name["profile-arn"]["rejected"]
    assert by_name["regions"]["verified"]
    # the check inside the proposal carries the guardrail requests
    assert body["check"]["guardrail"]["id"] == GUARDRAIL
    assert {r["role"] for p in body["check"]["profiles"] for r in p["requests"]} >= {"guardrail"}
    only = runner.invoke(app, [*args, "--strategy", "profile-arn"])
    assert only.exit_code == 3 and "ApplyGuardrail has no condition keys" in only.stderr
    written = runner.invoke(app, [*args, "--write"])
    assert written.exit_code == 1, written.output
    assert runner.invoke(app, ["check", str(path), "--profile", US, "--source-region", "us-east-1", "--guardrail", GUARDRAIL]).exit_code == 0
    assert runner.invoke(app, [*args]).exit_code == 0  # nothing left to change


def test_cli_guardrail_is_for_scps(tmp_path: Path) -> None:
    path = write(tmp_path, {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "bedrock:*", "Resource": "*"}]})
    for command in ("check", "propose"):
        result = runner.invoke(app, [command, str(path), "--kind", "identity", "--profile", US, "--guardrail", GUARDRAIL])
        assert result.exit_code == 2 and "--guardrail is checked for service control policies" in result.stderr


# -- a second opinion ------------------------------------------------------------------------------


@pytest.mark.integration
def test_iam_simulate_agrees_on_every_guardrail_authorization_before_and_after_each_fix() -> None:
    """iam-simulate (the oracle of tests/test_differential.py) decides every authorization of a call with
    the guardrail, ApplyGuardrail on the guardrail-profile ARN included, as scp-fix does: on the policies
    and on every verified candidate, so "verified" means the same to an independent evaluator."""
    from tests.test_differential import OUTCOMES, PRINCIPAL, Oracle

    catalog = load_catalog()
    profile, guardrail = catalog.get(US), catalog.guardrail(GUARDRAIL)
    documents = [region_deny(["us-east-1"]), region_deny(["us-east-1"], exempt_profiles=[US]),
                 region_deny(["us-east-2", "us-west-1"])]
    oracle = Oracle()
    try:
        for document in documents:
            policy, proposal = _propose(document, source_region=None)
            policies = [policy] + [c.policy for c in proposal.candidates if c.verified]
            assert len(policies) >= 3, [c.rejected for c in proposal.candidates]
            cases, ours = [], []
            for candidate in policies:
                result = check(candidate, [profile], guardrail=guardrail)
                for item in result.checks:
                    for r in item.results:
                        request = r.request
                        context = {"aws:RequestedRegion": request.region, "aws:PrincipalArn": PRINCIPAL,
                                   **dict(request.context)}
                        cases.append({"policy": candidate.document, "full_access": True, "action": request.action,
                                      "resource": request.resource, "context": context})
                        ours.append(OUTCOMES[r.decision.outcome])
            assert any(c["action"] == "bedrock:ApplyGuardrail" for c in cases)
            for case, mine, theirs in zip(cases, ours, oracle.decide(cases)):
                assert theirs["decision"] != "error" and not theirs.get("ignored"), (theirs, case)
                assert mine == theirs["decision"], json.dumps(case, indent=1)
    finally:
        oracle.close()


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.test_newly_allowed_property import _covers  # noqa: E402  (how a claim is read, in one place)

US_REGIONS = ["us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1"]
CALLERS = ["arn:aws:iam::111122223333:role/Platform", "arn:aws:iam::999988887777:role/Nobody"]


@st.composite
def guarded_problems(draw: st.DrawFn) -> tuple[dict, str | None]:
    """A Region deny over US Regions (with, or without, an exemption the team already has) and a source."""
    source = draw(st.sampled_from(["us-east-1", "us-east-2", "us-west-2"]))
    allowed = draw(st.lists(st.sampled_from(US_REGIONS), min_size=1, max_size=3, unique=True))
    if source not in allowed:
        allowed.append(source)  # callers can at least make the originating call
    condition: dict = {"StringNotEquals": {"aws:RequestedRegion": allowed}}
    exemption = draw(st.sampled_from(["none", "profile", "principal"]))
    if exemption == "profile":
        condition["ArnNotLike"] = {"bedrock:InferenceProfileArn": [f"arn:aws:bedrock:*:*:inference-profile/{US}"]}
    elif exemption == "principal":
        condition["ArnNotLike"] = {"aws:PrincipalArn": ["arn:aws:iam::*:role/Platform"]}
    statement = {"Sid": "DenyOutside", "Effect": "Deny", "Resource": "*", "Condition": condition}
    statement["NotAction"] = draw(st.sampled_from([["iam:*", "sts:*"], ["iam:*", "bedrock:InvokeModel*"], ["s3:*"]]))
    return {"Version": "2012-10-17", "Statement": [statement]}, draw(st.sampled_from([None, source]))


@settings(max_examples=15, deadline=None)
@given(guarded_problems())
def test_every_apply_guardrail_a_proposal_newly_allows_is_stated(problem: tuple[dict, str | None]) -> None:
    """Asked over more Regions, callers and resources than the claim's grid (a guardrail of the account, another
    guardrail profile), every request a verified candidate newly allows is covered by one of its grants."""
    from rewriter.evaluate import Evaluator, Request

    document, source_region = problem
    policy, proposal = _propose(document, source_region=source_region)
    evaluator = Evaluator()
    model = load_catalog().get(US).model
    denied = {r.request.region for c in proposal.before.checks for r in c.results
              if r.authorization.role is Role.GUARDRAIL and not r.decision.allowed}
    for candidate in proposal.candidates:
        if candidate.delta is None or candidate.policy is None:
            continue
        opened: set[str] = set()  # where ApplyGuardrail on the guardrail profile became allowed
        for region in [*US_REGIONS, "eu-west-1", "ap-northeast-1"]:
            resources = {
                "bedrock:ApplyGuardrail": [f"arn:aws:bedrock:{region}:111122223333:guardrail-profile/{GUARDRAIL}",
                                           f"arn:aws:bedrock:{region}:111122223333:guardrail-profile/apac.guardrail.v1:0",
                                           f"arn:aws:bedrock:{region}:111122223333:guardrail/abc123def456"],
                "bedrock:InvokeModel": [f"arn:aws:bedrock:{region}::foundation-model/{model}"],
                "s3:GetObject": ["arn:aws:s3:::bucket/key"],
            }
            for (action, arns), caller in itertools.product(resources.items(), CALLERS):
                for resource in arns:
                    keys = {"aws:principalarn": caller, "aws:principalaccount": caller.split(":")[4]}
                    request = Request(action, resource, region, context=keys)
                    if evaluator.allowed(candidate.policy, request) and not evaluator.allowed(policy, request):
                        assert any(_covers(g, action, region, keys) for g in candidate.delta.newly_allowed), (
                            candidate.strategy, action, resource, caller,
                            [g.to_json() for g in candidate.delta.newly_allowed],
                        )
                        if resource.endswith(f"guardrail-profile/{GUARDRAIL}"):
                            opened.add(region)
        if candidate.verified:  # a verified fix opens at least where the guardrail was denied
            assert denied <= opened, (candidate.strategy, denied, opened)
