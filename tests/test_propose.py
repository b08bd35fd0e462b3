"""``propose`` beyond the case tables: the SCP size limit, Control Tower advice, alternatives, and the
invariant checker the tables and the property test rely on (it must catch what it claims to catch)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_strategy_cases import (
    GLOBAL_SONNET,
    JP_SONNET,
    SAMPLES,
    assert_fixed,
    carved_actions,
    deny_losses,
    policy_of,
    profiles_of,
    stated_patterns,
)

from rewriter.errors import ScpFixError
from rewriter.parse import parse_policy
from rewriter.propose import SCP_SIZE_LIMIT, propose

ROOT = Path(__file__).resolve().parent.parent

JP_PROFILES = (
    "jp.amazon.nova-2-lite-v1:0",
    "jp.anthropic.claude-haiku-4-5-20251001-v1:0",
    "jp.anthropic.claude-opus-4-7",
    "jp.anthropic.claude-opus-4-8",
    JP_SONNET,
    "jp.anthropic.claude-sonnet-4-6",
)


def tokyo_document() -> dict[str, Any]:
    return json.loads((SAMPLES / "tokyo-only.json").read_text(encoding="utf-8"))


def minified(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"))


def padded_tokyo(size: int) -> str:
    """The Tokyo-only policy, minified, its NotAction padded with exemptions to exactly ``size`` characters."""
    document = tokyo_document()
    exempt = document["Statement"]["NotAction"]
    n = 0
    while len(minified(document)) < size - 40:
        exempt.append(f"padding{n:03d}:Describe*")
        n += 1
    exempt.append("padlast:Get")
    short = size - len(minified(document))
    exempt[-1] = "padlast:Get" + "x" * short
    text = minified(document)
    assert len(text) == size
    return text


# --- the size limit --------------------------------------------------------------------------------


def test_exact_patterns_too_large_so_the_prefix_form_is_used() -> None:
    text = padded_tokyo(SCP_SIZE_LIMIT - 200)
    policy = parse_policy(text, path="near-limit.json")
    profiles = profiles_of(JP_PROFILES)
    proposal = propose(policy, profiles, source_region="ap-northeast-1", strategy="profile-arn")
    assert proposal.status == "changed", proposal.reason
    chosen = proposal.chosen
    assert chosen.strategy == "profile-arn"
    assert chosen.size.after_minified <= SCP_SIZE_LIMIT
    added = chosen.document["Statement"]["Condition"]["ArnNotLike"]["bedrock:InferenceProfileArn"]
    assert added == ["arn:aws:bedrock:*:*:inference-profile/jp.*"]
    note = next(n for n in chosen.notes if "geography prefix form" in n)
    # the note gives the exact form's size, which is over the limit
    exact_size = int(note.split(" characters")[0].rsplit(" ", 1)[1])
    assert exact_size > SCP_SIZE_LIMIT
    assert_fixed(
        proposal, profiles, source_region="ap-northeast-1", options={}, strategy="profile-arn"
    )


def test_the_exact_patterns_are_kept_when_they_fit() -> None:
    policy = parse_policy(padded_tokyo(SCP_SIZE_LIMIT - 1200), path="roomy.json")
    proposal = propose(
        policy, profiles_of(JP_PROFILES), source_region="ap-northeast-1", strategy="profile-arn"
    )
    added = proposal.chosen.document["Statement"]["Condition"]["ArnNotLike"][
        "bedrock:InferenceProfileArn"
    ]
    assert len(added) == len(JP_PROFILES) and all(not p.endswith("*") for p in added)
    assert not any("prefix" in n for n in proposal.chosen.notes)


def test_nothing_fits_is_unsafe_with_the_figures() -> None:
    policy = parse_policy(padded_tokyo(SCP_SIZE_LIMIT - 5), path="full.json")
    proposal = propose(policy, profiles_of([JP_SONNET]), source_region="ap-northeast-1")
    assert proposal.status == "unsafe"
    assert proposal.chosen is None
    assert {c.strategy for c in proposal.candidates} == {"regions", "notaction", "profile-arn"}
    for candidate in proposal.candidates:
        assert not candidate.verified
        assert f"over the {SCP_SIZE_LIMIT}-character SCP limit" in candidate.rejected
        assert candidate.size.after_minified > SCP_SIZE_LIMIT
    assert f"{SCP_SIZE_LIMIT}-character SCP limit" in proposal.reason


def test_too_large_as_written_but_fits_minified_says_upload_minified() -> None:
    document = json.loads(padded_tokyo(SCP_SIZE_LIMIT - 1000))
    text = json.dumps(document, indent=8)
    assert len(text) > SCP_SIZE_LIMIT
    proposal = propose(parse_policy(text), profiles_of([JP_SONNET]), source_region="ap-northeast-1")
    chosen = proposal.chosen
    assert proposal.status == "changed"
    assert not chosen.size.fits_as_is and chosen.size.fits
    assert any("upload it minified" in n for n in chosen.notes)
    assert chosen.size.after == len(chosen.text)
    assert chosen.size.before == len(text)


# --- Control Tower, alternatives, options ----------------------------------------------------------


def test_control_tower_advice_for_a_global_profile_needs_unspecified() -> None:
    proposal = propose(
        policy_of("control-tower-region-deny.json"),
        profiles_of([GLOBAL_SONNET]),
        source_region="ap-northeast-1",
    )
    assert proposal.status == "unsafe" and "--force" in proposal.reason
    advice = proposal.control_tower
    assert advice.needs_unspecified
    assert advice.statement_label == "statement 1 (GRREGIONDENY, line 5)"
    assert advice.parameters[0] == {"key": "AllowedRegions", "value": ["ap-northeast-1"]}


def test_control_tower_advice_with_batch_lets_the_batch_job_through() -> None:
    """A batch job's hops are InvokeModel calls by its service role, so the control's parameters as
    advised (the inference actions exempted, the Regions allowed) let the whole job through, the
    source-Region CreateModelInvocationJob included, without exempting that action."""
    from rewriter.check import check
    from rewriter.cris import BATCH_ACTION, INFERENCE_ACTIONS

    policy = policy_of("control-tower-region-deny.json")
    profiles = profiles_of([JP_SONNET])
    proposal = propose(policy, profiles, source_region="ap-northeast-1", batch=True)
    parameters = {p["key"]: p["value"] for p in proposal.control_tower.parameters}
    assert BATCH_ACTION not in parameters["ExemptedActions"]
    assert not proposal.control_tower.needs_unspecified
    # the control as Control Tower would deploy it with those parameters
    document = json.loads(json.dumps(policy.document))
    statement = document["Statement"][0]
    statement["NotAction"] += parameters["ExemptedActions"]
    statement["Condition"]["StringNotEquals"]["aws:RequestedRegion"] = parameters["AllowedRegions"]
    deployed = parse_policy(json.dumps(document), path="<deployed>")
    result = check(deployed, profiles, source_region="ap-northeast-1", actions=INFERENCE_ACTIONS + (BATCH_ACTION,))
    assert not result.blocked
    assert {r.authorization.role for c in result.checks for r in c.results} >= {"batch-job", "destination"}


def test_auto_lists_every_other_strategy_with_what_it_opens() -> None:
    proposal = propose(
        policy_of("tokyo-only.json"), profiles_of([JP_SONNET]), source_region="ap-northeast-1"
    )
    assert proposal.chosen.strategy == "profile-arn"
    alternatives = {c.strategy: c for c in proposal.alternatives}
    assert set(alternatives) == {"regions", "notaction"}
    regions = alternatives["regions"]
    assert regions.verified and regions.delta.weight > proposal.chosen.delta.weight
    # regions opens ap-northeast-3 to direct calls of nearly every service
    (grant,) = regions.delta.newly_allowed
    assert (
        grant.condition is None
        and grant.regions == ("ap-northeast-3",)
        and grant.action_count > 20000
    )


def test_a_named_strategy_runs_alone() -> None:
    proposal = propose(
        policy_of("tokyo-only.json"),
        profiles_of([JP_SONNET]),
        source_region="ap-northeast-1",
        strategy="regions",
    )
    assert [c.strategy for c in proposal.candidates] == ["regions"]
    assert proposal.alternatives == ()


US_PEGASUS = "us.twelvelabs.pegasus-1-2-v1:0"  # from us-east-2 it reaches 3 Regions, from us-east-1 also us-west-1


def test_allowing_a_region_that_callers_then_use_as_a_source_allows_its_destinations_too() -> None:
    policy = policy_of({"Version": "2012-10-17", "Statement": [_deny(Condition={"StringNotEquals": {"aws:RequestedRegion": ["us-east-2"]}})]})
    profiles = profiles_of([US_PEGASUS])
    proposal = propose(policy, profiles, strategy="regions", newly_allowed=False)
    assert proposal.status == "changed", proposal.reason
    chosen = proposal.chosen
    # us-east-2's destinations open us-east-1 as a source Region, and calls from there also reach us-west-1
    assert [e.value for e in chosen.fix.edits] == ["us-east-1", "us-west-2", "us-west-1"]
    assert "The first step lets callers use the profiles from us-east-1, whose calls also need more, so the fix goes on to allow us-west-1." in chosen.fix.notes
    assert_fixed(proposal, profiles, source_region=None, options={}, strategy="regions")


def test_a_deny_list_stops_denying_the_destinations_of_a_source_it_stops_denying() -> None:
    regions = ["us-west-1", "us-east-1", "eu-west-1"]
    policy = policy_of({"Version": "2012-10-17", "Statement": [
        _deny(NotAction=["iam:*"], Condition={"StringEquals": {"aws:RequestedRegion": regions}})
    ]})
    profiles = profiles_of([US_PEGASUS])
    proposal = propose(policy, profiles, strategy="regions", newly_allowed=False)
    assert proposal.status == "changed", proposal.reason
    # us-east-1 first (a destination from us-east-2), then us-west-1, reached from us-east-1
    assert [e.path.rsplit("/", 1)[1] for e in proposal.chosen.fix.edits] == ["1", "0"]
    assert proposal.chosen.document["Statement"][0]["Condition"]["StringEquals"]["aws:RequestedRegion"] == ["eu-west-1"]
    assert any(n.startswith("The first step lets callers use the profiles from us-east-1") and n.endswith("stop denying us-west-1.")
               for n in proposal.chosen.fix.notes)
    assert_fixed(proposal, profiles, source_region=None, options={}, strategy="regions")


def test_a_broad_exemption_that_opens_a_source_exempts_bedrock_where_that_source_is_denied_too() -> None:
    # bedrock:* out of the allow-list lets callers use the EU profile from il-central-1, whose calls
    # also go to eu-south-1, which the second statement denies
    policy = policy_of({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["ca-central-1", "ca-west-1", "eu-central-1"]}}},
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-south-1"]}}},
    ]})
    profiles = profiles_of(["eu.amazon.nova-lite-v1:0"])
    options = {"broad": True}
    proposal = propose(policy, profiles, strategy="notaction", newly_allowed=False, **options)
    assert proposal.status == "changed", proposal.reason
    assert [s.get("NotAction") for s in proposal.chosen.document["Statement"]] == [["bedrock:*"], ["bedrock:*"]]
    assert any("from il-central-1" in n for n in proposal.chosen.fix.notes)
    assert_fixed(proposal, profiles, source_region=None, options=options, strategy="notaction")


def test_with_the_source_region_named_only_its_destinations_are_allowed() -> None:
    policy = policy_of({"Version": "2012-10-17", "Statement": [_deny(Condition={"StringNotEquals": {"aws:RequestedRegion": ["us-east-2"]}})]})
    proposal = propose(policy, profiles_of([US_PEGASUS]), source_region="us-east-2", strategy="regions", newly_allowed=False)
    assert [e.value for e in proposal.chosen.fix.edits] == ["us-east-1", "us-west-2"]
    assert not any("first step" in n for n in proposal.chosen.fix.notes)


def test_unknown_strategy_is_a_user_error() -> None:
    with pytest.raises(ScpFixError, match="unknown strategy"):
        propose(policy_of("tokyo-only.json"), profiles_of([JP_SONNET]), strategy="widen-everything")


def test_the_rendered_text_keeps_the_original_formatting() -> None:
    proposal = propose(
        policy_of("action-star-us.json"),
        profiles_of(["us.anthropic.claude-haiku-4-5-20251001-v1:0"]),
        source_region="us-east-1",
        strategy="notaction",
    )
    original = (SAMPLES / "action-star-us.json").read_text(encoding="utf-8")
    text = proposal.chosen.text
    assert '\t\t\t"Sid": "DenyAllOutsideApprovedRegions"' in text  # tabs kept
    assert "    " not in text  # no space indentation introduced
    # NotAction takes Action's place in the statement
    assert text.index('"NotAction"') < text.index('"Resource"')
    assert text.splitlines()[:4] == original.splitlines()[:4]


@pytest.mark.parametrize(
    ("sample", "profiles"),
    [
        ("organizations-deny-outside-eu.json", ["eu.anthropic.claude-sonnet-4-5-20250929-v1:0", GLOBAL_SONNET]),
        ("control-tower-region-deny.json", ["jp.anthropic.claude-sonnet-4-5-20250929-v1:0", GLOBAL_SONNET]),
    ],
)
def test_proposals_are_the_same_in_processes_that_hash_strings_differently(sample: str, profiles: list[str]) -> None:
    """Sets and dicts of strings are laid out by a per-process hash seed: nothing a user sees (the
    patch, the text, what is newly allowed, the notes) may follow that layout."""
    command = [sys.executable, "-m", "rewriter", "propose", f"samples/{sample}", "--force", "--format", "json"]
    for profile in profiles:
        command += ["--profile", profile]
    outputs = []
    for seed in ("1", "2", "12345"):
        done = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, check=False,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)},
        )
        assert done.returncode == 1, done.stderr  # a change proposed
        outputs.append(done.stdout)
    assert json.loads(outputs[0])  # a proposal, not an empty answer
    assert outputs[1:] == outputs[:1] * 2


# --- the invariant checker itself ------------------------------------------------------------------


def _deny(**overrides: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": "RegionLock",
        "Effect": "Deny",
        "NotAction": ["iam:*"],
        "Resource": "*",
        "Condition": {
            "StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1"]},
            "ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/Admin"},
        },
    }
    statement.update(overrides)
    return statement


def _losses(before: dict[str, Any], after: dict[str, Any], **kwargs: Any) -> list[str]:
    profiles = profiles_of([JP_SONNET])
    return deny_losses(
        {"Statement": [before]},
        {"Statement": after if isinstance(after, list) else [after]},
        needed=kwargs.get("needed", {"ap-northeast-3"}),
        patterns=stated_patterns(profiles),
        carved=carved_actions(broad=kwargs.get("broad", False)),
    )


JP_PATTERN = f"arn:aws:bedrock:*:*:inference-profile/{JP_SONNET}"


@pytest.mark.parametrize(
    ("after", "kwargs"),
    [
        pytest.param(
            _deny(NotAction=["iam:*", "bedrock:InvokeModel"]), {}, id="carve-an-inference-action"
        ),
        pytest.param(_deny(NotAction=["iam:*", "bedrock:*"]), {"broad": True}, id="broad-carve"),
        pytest.param(
            _deny(
                Condition={
                    "StringNotEquals": {
                        "aws:RequestedRegion": ["ap-northeast-1", "ap-northeast-3"]
                    },
                    "ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/Admin"},
                }
            ),
            {},
            id="add-a-needed-region",
        ),
        pytest.param(
            _deny(
                Condition={
                    "StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1"]},
                    "ArnNotLike": {
                        "aws:PrincipalARN": "arn:aws:iam::*:role/Admin",
                        "bedrock:InferenceProfileArn": [JP_PATTERN],
                    },
                }
            ),
            {},
            id="exempt-the-profile",
        ),
        pytest.param(
            [_deny(), {"Effect": "Deny", "Action": "bedrock:InvokeModel", "Resource": "*"}],
            {},
            id="append-a-deny",
        ),
    ],
)
def test_deny_losses_accepts_what_a_fix_states(after: Any, kwargs: dict[str, Any]) -> None:
    assert _losses(_deny(), after, **kwargs) == []


@pytest.mark.parametrize(
    ("before", "after", "kwargs", "needle"),
    [
        pytest.param(_deny(), _deny(NotAction=[]), {}, "NotAction", id="notaction-loses-an-item"),
        pytest.param(
            _deny(), _deny(NotAction=["iam:*", "ec2:*"]), {}, "NotAction", id="notaction-gains-ec2"
        ),
        pytest.param(
            _deny(),
            _deny(NotAction=["iam:*", "bedrock:*"]),
            {},
            "NotAction",
            id="bedrock-star-without-broad",
        ),
        pytest.param(
            _deny(),
            _deny(
                Condition={
                    "StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1", "us-east-1"]},
                    "ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/Admin"},
                }
            ),
            {},
            "aws:RequestedRegion",
            id="allow-list-gains-an-unneeded-region",
        ),
        pytest.param(
            _deny(
                Condition={"StringEquals": {"aws:RequestedRegion": ["ap-northeast-3", "us-east-2"]}}
            ),
            _deny(Condition={"StringEquals": {"aws:RequestedRegion": ["ap-northeast-3"]}}),
            {},
            "aws:RequestedRegion",
            id="deny-list-loses-an-unneeded-region",
        ),
        pytest.param(
            _deny(),
            _deny(Condition={"StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1"]}}),
            {},
            "removed",
            id="principal-exemption-dropped",
        ),
        pytest.param(
            _deny(),
            _deny(
                Condition={
                    "StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1"]},
                    "ArnNotLike": {
                        "aws:PrincipalARN": ["arn:aws:iam::*:role/Admin", "arn:aws:iam::*:role/*"]
                    },
                }
            ),
            {},
            "aws:PrincipalARN",
            id="principal-exemption-widened",
        ),
        pytest.param(
            _deny(),
            _deny(
                Condition={
                    "StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1"]},
                    "ArnNotLike": {
                        "aws:PrincipalARN": "arn:aws:iam::*:role/Admin",
                        "bedrock:InferenceProfileArn": ["arn:aws:bedrock:*:*:inference-profile/*"],
                    },
                }
            ),
            {},
            "bedrock:InferenceProfileArn",
            id="profile-pattern-not-stated",
        ),
        pytest.param(
            _deny(), _deny(Resource="arn:aws:s3:::*"), {}, "Resource", id="resource-narrowed"
        ),
        pytest.param(
            _deny(Action="ec2:*", NotAction=None),
            _deny(NotAction=["bedrock:InvokeModel"]),
            {},
            "Action",
            id="named-action-removed",
        ),
        pytest.param(
            _deny(),
            [_deny(), {"Effect": "Allow", "Action": "*", "Resource": "*"}],
            {},
            "not a Deny",
            id="append-an-allow",
        ),
        pytest.param(_deny(), [], {}, "removed", id="statement-removed"),
    ],
)
def test_deny_losses_catches_what_a_fix_does_not_state(
    before: dict[str, Any], after: Any, kwargs: dict[str, Any], needle: str
) -> None:
    before = {k: v for k, v in before.items() if v is not None}
    if isinstance(after, dict):
        after = {k: v for k, v in after.items() if v is not None}
    losses = _losses(before, after, **kwargs)
    assert losses and any(needle in loss for loss in losses), losses


def test_action_star_may_become_the_carved_notaction_only() -> None:
    before = _deny(Action="*")
    del before["NotAction"]
    fine = {**before, "NotAction": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]}
    del fine["Action"]
    assert _losses(before, fine) == []
    assert _losses(before, {**fine, "NotAction": ["s3:*"]})


def test_fix_titles_name_what_they_change() -> None:
    """The title is the line a reviewer reads first: it names the actions or Regions, whatever the shape."""
    from rewriter.catalog import load_catalog
    from rewriter.parse import parse_policy
    from rewriter.propose import propose

    jp = load_catalog().get(JP_SONNET)
    for sample in ("tokyo-only.json", "action-star-us.json", "guardrails-with-region-deny.json"):
        policy = parse_policy((SAMPLES / sample).read_bytes(), path=sample)
        titles = {
            strategy: propose(policy, [jp], source_region="ap-northeast-1", strategy=strategy, force=True,
                              newly_allowed=False).chosen
            for strategy in ("notaction", "regions")
        }
        if titles["notaction"] is not None:
            assert titles["notaction"].fix.title.startswith(
                "Exempt bedrock:InvokeModel, bedrock:InvokeModelWithResponseStream from the Region deny"
            ), sample
        assert "ap-northeast-3" in titles["regions"].fix.title, sample


def test_prefix_widens_to_the_geography_only_where_the_id_carries_it() -> None:
    from dataclasses import replace

    from rewriter.catalog import load_catalog
    from rewriter.strategies.base import profile_patterns

    jp = load_catalog().get(JP_SONNET)
    custom = replace(jp, id="acme.claude-router-v1", geography="custom")
    assert profile_patterns([jp, custom], prefix=True) == (
        "arn:aws:bedrock:*:*:inference-profile/jp.*",
        "arn:aws:bedrock:*:*:inference-profile/acme.claude-router-v1",
    )
    assert profile_patterns([jp], prefix=False) == (f"arn:aws:bedrock:*:*:inference-profile/{JP_SONNET}",)


def test_invariant_checker_lets_an_allow_gain_needed_regions_only() -> None:
    allow = {"Effect": "Allow", "Action": "*", "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestedRegion": ["ap-northeast-1"]}}}
    grown = json.loads(json.dumps(allow))
    grown["Condition"]["StringEquals"]["aws:RequestedRegion"].append("ap-northeast-3")
    before = {"Version": "2012-10-17", "Statement": [allow]}
    after = {"Version": "2012-10-17", "Statement": [grown]}
    kwargs = dict(patterns=set(), carved=set())
    assert deny_losses(before, after, needed={"ap-northeast-3"}, **kwargs) == []
    assert deny_losses(before, after, needed={"us-east-1"}, **kwargs) == ["statement 0: an Allow statement was edited"]
    widened = json.loads(json.dumps(grown))
    widened["Action"] = ["*", "iam:*"]
    assert deny_losses(before, {"Version": "2012-10-17", "Statement": [widened]}, needed={"ap-northeast-3"}, **kwargs)


def test_policies_proposed_with_one_shared_evaluator_get_what_each_gets_alone() -> None:
    """The files of one command share an evaluator (compiled statements, the grid's action classes):
    what each file is told must not depend on which files came before it."""
    from pathlib import Path

    from rewriter.catalog import load_catalog
    from rewriter.evaluate import Evaluator
    from rewriter.report import proposal_to_json

    samples = Path(__file__).resolve().parent.parent / "samples"
    tokyo = (samples / "tokyo-only.json").read_text(encoding="utf-8")
    texts = [
        tokyo.replace('"aws:RequestedRegion": "ap-northeast-1"', f'"aws:RequestedRegion": {json.dumps(regions)}', 1)
        for regions in (["ap-northeast-1"], ["ap-northeast-1", "eu-west-1"], ["ap-northeast-1", "ap-northeast-3"])
    ] + [(samples / "control-tower-region-deny.json").read_text(encoding="utf-8")]
    catalog = load_catalog()
    profiles = [catalog.get("jp.anthropic.claude-sonnet-4-5-20250929-v1:0"),
                catalog.get("global.anthropic.claude-sonnet-4-5-20250929-v1:0")]
    shared = Evaluator()
    for number, text in enumerate(texts):
        policy = parse_policy(text, path=f"policy-{number}.json")
        alone = proposal_to_json(propose(policy, profiles, force=True))
        together = proposal_to_json(propose(policy, profiles, force=True, evaluator=shared))
        assert together == alone, number
