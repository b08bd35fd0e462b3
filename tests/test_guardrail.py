"""Guardrail profiles (``--guardrail``): the catalog entries, and a call with a guardrail checked whole.

A STANDARD-tier guardrail runs bedrock:ApplyGuardrail through its guardrail profile, on the
guardrail-profile ARN in every destination Region of the caller's source Region (reference R.2);
ApplyGuardrail has no condition keys, so no bedrock:InferenceProfileArn exemption covers it.
"""

from __future__ import annotations

import fnmatch
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
            (region, resource) for region in COMMERCIAL
            for resource in (f"guardrail-profile/{GUARDRAIL}", "guardrail/abc123def456")
            if evaluator.allowed(candidate.policy, _apply_guardrail(region, resource))
            and not evaluator.allowed(policy, _apply_guardrail(region, resource))
        }
        assert {"us-east-2", "us-west-2"} <= {region for region, _ in opened}, candidate.strategy
        for region, resource in opened:
            arn = _apply_guardrail(region, resource).resource
            assert any(g.has_action("bedrock:ApplyGuardrail") and region in g.regions and g.through_profiles is None
                       and (g.resources is None or any(fnmatch.fnmatchcase(arn, r) for r in g.resources))
                       for g in candidate.delta.newly_allowed), (candidate.strategy, region, resource)


def test_newly_allowed_says_when_apply_guardrail_is_opened_on_the_guardrail_profile_alone() -> None:
    """notaction's companion re-denies ApplyGuardrail on every other resource: its grant names the profile.
    Adding the Regions opens ApplyGuardrail on everything there: that grant names no resource."""
    _, proposal = _propose(region_deny(["us-east-1"]), source_region="us-east-1")
    by_strategy = {c.strategy: c for c in proposal.candidates if c.verified}
    pattern = f"arn:aws:bedrock:*:*:guardrail-profile/{GUARDRAIL}"
    (alone,) = [g for g in by_strategy["notaction"].delta.newly_allowed if g.has_action("bedrock:ApplyGuardrail")]
    assert alone.resources == (pattern,) and alone.actions == ("bedrock:ApplyGuardrail",)
    assert alone.to_json()["resources"] == [pattern]
    assert f"bedrock:ApplyGuardrail on guardrail profile {GUARDRAIL} only," in alone.summary
    assert {"us-east-2", "us-west-2"} <= set(alone.regions)
    # the model calls' grants stay unscoped by resource
    assert all(g.resources is None for g in by_strategy["notaction"].delta.newly_allowed if g is not alone)
    everywhere = [g for g in by_strategy["regions"].delta.newly_allowed if g.has_action("bedrock:ApplyGuardrail")]
    assert everywhere and all(g.resources is None and "guardrail profile" not in g.summary for g in everywhere)
    # without --guardrail no grant names a resource
    from rewriter.propose import propose

    plain = propose(parse_policy(json.dumps(region_deny(["us-east-1"]))), [load_catalog().get(US)],
                    source_region="us-east-1")
    assert all(g.resources is None for c in plain.candidates if c.delta for g in c.delta.newly_allowed)


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
                        assert any(_covers(g, action, region, keys, resource) for g in candidate.delta.newly_allowed), (
                            candidate.strategy, action, resource, caller,
                            [g.to_json() for g in candidate.delta.newly_allowed],
                        )
                        if resource.endswith(f"guardrail-profile/{GUARDRAIL}"):
                            opened.add(region)
        if candidate.verified:  # a verified fix opens at least where the guardrail was denied
            assert denied <= opened, (candidate.strategy, denied, opened)


# -- explain --------------------------------------------------------------------------------------

# The deployment record's message (reference R.2): a call from us-east-1, ApplyGuardrail denied in us-east-2.
DENIED = ("An error occurred (AccessDeniedException) when calling the ApplyGuardrail operation: User: "
          "arn:aws:sts::111122223333:assumed-role/App/session is not authorized to perform: bedrock:ApplyGuardrail "
          "on resource: arn:aws:bedrock:us-east-2:111122223333:guardrail-profile/us.guardrail.v1:0 with an explicit "
          "deny in a service control policy")


def test_explain_names_a_guardrail_hop_and_what_can_fix_it() -> None:
    result = runner.invoke(app, ["explain", DENIED, "--source-region", "us-east-1", "--format", "json"])
    assert result.exit_code == 0, result.output
    diagnosis = json.loads(result.stdout)["diagnosis"]
    assert diagnosis["kind"] == "cris-guardrail" and diagnosis["guardrail"] == GUARDRAIL
    assert "Routed there, with the Regions each source needs: us-east-1 -> us-east-1, us-east-2, us-west-2." in diagnosis["summary"]
    assert "no bedrock:InferenceProfileArn exemption can let it through" in diagnosis["advice"]
    assert "--guardrail us.guardrail.v1:0" in diagnosis["advice"]
    text = runner.invoke(app, ["explain", DENIED]).stdout
    assert "this is not a cross-Region inference hop" not in text
    assert "us-west-1 -> us-east-1, us-east-2, us-west-1, us-west-2" in text  # every source routed there


def test_explain_in_japanese_says_the_guardrail_hop() -> None:
    result = runner.invoke(app, ["explain", DENIED, "--lang", "ja"])
    assert result.exit_code == 0
    assert "ガードレールプロファイル us.guardrail.v1:0" in result.stdout


def test_profiles_list_and_show_a_guardrail_profile(tmp_path: Path) -> None:
    shown = runner.invoke(app, ["profiles", "show", GUARDRAIL])
    assert shown.exit_code == 0
    assert "kind:      guardrail" in shown.stdout
    assert "  us-west-1  us-east-1, us-east-2, us-west-1, us-west-2" in shown.stdout
    listed = runner.invoke(app, ["profiles", "list"]).stdout
    assert "guardrail profiles (bedrock:ApplyGuardrail; check --guardrail ID): us-gov.guardrail.v1:0, us.guardrail.v1:0" in listed
    # the JSON export of the guardrail profiles is a --profiles-file that loads back to the same entries
    document = json.loads(runner.invoke(app, ["profiles", "list", "--format", "json"]).stdout)
    exported = tmp_path / "guardrails.json"
    exported.write_text(json.dumps({"profiles": document["guardrail_profiles"], "announced_unconfirmed": [
        a for a in document["announced_unconfirmed"] if a.get("kind") == "guardrail"]}), encoding="utf-8")
    again = load_catalog(exported)
    assert [(g.id, dict(g.routes)) for g in again.guardrails] == [(g.id, dict(g.routes)) for g in load_catalog().guardrails]
    assert {a.id for a in load_catalog().announced_guardrails} == {"eu.guardrail.v1:0", "apac.guardrail.v1:0"}


REFERENCE = next((d / "shared" / "reference" / "inference-profiles.yaml" for d in ROOT.parents
                  if (d / "shared" / "reference" / "inference-profiles.yaml").is_file()), None)


@pytest.mark.skipif(REFERENCE is None, reason="shared reference data not present")
def test_the_built_in_catalog_is_what_the_build_script_writes(tmp_path: Path) -> None:
    """profiles.json is built, not edited: the script, from the reference and scripts/guardrail-profiles.yaml,
    writes exactly the checked-in file (guardrail entries included)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_catalog", ROOT / "scripts" / "build_catalog.py")
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    output = tmp_path / "profiles.json"
    assert script.main(["--source", str(REFERENCE), "--output", str(output)]) == 0
    built = json.loads(output.read_text(encoding="utf-8"))
    assert built == json.loads((ROOT / "rewriter" / "catalog" / "profiles.json").read_text(encoding="utf-8"))
    assert {p["id"] for p in built["profiles"] if p.get("kind") == "guardrail"} == {"us.guardrail.v1:0", "us-gov.guardrail.v1:0"}


def test_the_guardrail_companion_leaves_out_the_profile_arn_clause_apply_guardrail_never_meets() -> None:
    """The Region deny's own profile exemption holds for every ApplyGuardrail (which carries no profile ARN):
    the companion keeps the Region condition only, and decides every request as the full copy would."""
    from rewriter.evaluate import Evaluator

    document = region_deny(["us-east-1"], exempt_profiles=[US])
    _, proposal = _propose(document, strategy="notaction")
    new = proposal.chosen.policy
    guard = next(s for s in new.document["Statement"] if s.get("Sid") == "DenyApplyGuardrailOutsideAllowedRegions")
    assert guard["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}}
    full = json.loads(json.dumps(new.document))
    full_guard = next(s for s in full["Statement"] if s.get("Sid") == "DenyApplyGuardrailOutsideAllowedRegions")
    full_guard["Condition"] = document["Statement"][0]["Condition"]
    evaluator, copied = Evaluator(), parse_policy(json.dumps(full))
    for region in US_REGIONS + ["eu-west-1"]:
        for resource in (f"guardrail-profile/{GUARDRAIL}", "guardrail/abc123def456"):
            request = _apply_guardrail(region, resource)
            assert evaluator.allowed(new, request) == evaluator.allowed(copied, request), (region, resource)


def test_control_tower_advice_exempts_apply_guardrail_too(tmp_path: Path) -> None:
    """A Control Tower Region deny is changed through the control's parameters: with a guardrail, ApplyGuardrail
    must be among the exempted actions (no profile ARN to exempt it by) or its Regions among the allowed."""
    text = (ROOT / "samples" / "control-tower-region-deny.json").read_text(encoding="utf-8")
    path = tmp_path / "ct.json"
    path.write_text(text.replace('"ap-northeast-1"', '"us-east-1"'), encoding="utf-8")
    args = ["propose", str(path), "--profile", US, "--source-region", "us-east-1", "--format", "json"]
    plain = json.loads(runner.invoke(app, args).stdout)["control_tower"]
    guarded = json.loads(runner.invoke(app, [*args, "--guardrail", GUARDRAIL]).stdout)["control_tower"]
    exempted = {p["key"]: p["value"] for p in guarded["parameters"]}["ExemptedActions"]
    assert "bedrock:ApplyGuardrail" in exempted
    assert "bedrock:ApplyGuardrail" not in {p["key"]: p["value"] for p in plain["parameters"]}["ExemptedActions"]


def test_a_model_id_with_a_guardrail_keeps_the_profiles_the_guardrail_serves(tmp_path: Path) -> None:
    """A model id stands for its profiles callers can call; with a guardrail, only from the Regions the guardrail
    profile serves too, so jp. and eu. profiles are named once as not callable, never an error."""
    path = write(tmp_path, region_deny(["us-east-1", "us-east-2", "us-west-2"]))
    model = load_catalog().get(US).model
    result = runner.invoke(app, ["check", str(path), "--profile", model, "--guardrail", GUARDRAIL, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    body = json.loads(result.stdout)
    assert {p["profile"] for p in body["profiles"]} <= {US, f"global.{model}"} and US in {p["profile"] for p in body["profiles"]}
    assert {f"jp.{model}", f"eu.{model}"} <= set(body["not_callable"]["profiles"])
    assert {p["source_region"] for p in body["profiles"]} <= set(load_catalog().guardrail(GUARDRAIL).sources)
