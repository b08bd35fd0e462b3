"""Guardrail profiles (``--guardrail``): the catalog entries, and a call with a guardrail checked whole.

A STANDARD-tier guardrail runs bedrock:ApplyGuardrail through its guardrail profile, on the
guardrail-profile ARN in every destination Region of the caller's source Region (reference R.2);
ApplyGuardrail has no condition keys, so no bedrock:InferenceProfileArn exemption covers it.
"""

from __future__ import annotations

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
