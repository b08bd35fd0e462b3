"""The "newly allowed" grid: the bulk evaluation and the action classes must give what evaluating every
request one by one gives, since ``auto`` chooses between fixes by it."""

from __future__ import annotations

import bisect
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rewriter.catalog import load_catalog
from rewriter.evaluate import Evaluator, Request, action_matches
from rewriter.grid import Grid
from rewriter.iam_actions import action_catalogue
from rewriter.model import Policy
from rewriter.newly_allowed import _action_patterns, _classes, compare_policies
from rewriter.parse import parse_policy

SONNET = "anthropic.claude-sonnet-4-5-20250929-v1:0"
JP = "jp." + SONNET
PROFILE_KEY = "bedrock:InferenceProfileArn"

ACTIONS = st.sampled_from(
    ["s3:GetObject", "s3:PutObject", "ec2:DescribeRegions", "iam:CreateRole", "bedrock:InvokeModel",
     "bedrock:InvokeModelWithResponseStream", "bedrock:ListFoundationModels", "sts:GetCallerIdentity"]
)
PATTERNS = st.sampled_from(
    ["*", "s3:*", "s3:Get*", "ec2:Describe*", "iam:*", "bedrock:*", "bedrock:Invoke*", "bedrock:InvokeModel",
     "sts:GetCallerIdentity", "*:Get*", "s?:*", "S3:GETOBJECT"]
)
REGIONS = ["ap-northeast-1", "ap-northeast-3", "us-east-1", "unspecified"]
CONDITIONS = st.sampled_from(
    [
        {},
        {"StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1"]}},
        {"StringEquals": {"aws:RequestedRegion": ["ap-northeast-3", "us-east-1"]}},
        {"StringNotEqualsIfExists": {"aws:RequestedRegion": ["us-*"]}},
        {"StringNotLike": {"aws:RequestedRegion": ["ap-*"]}},
        {"ArnNotLike": {PROFILE_KEY: ["arn:aws:bedrock:*:*:inference-profile/jp.*"]}},
        {"Null": {PROFILE_KEY: "true"}},
        {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/Admin"]}},
        {
            "StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1"]},
            "ArnNotLike": {PROFILE_KEY: ["arn:aws:bedrock:*:*:inference-profile/jp.*"]},
        },
    ]
)
RESOURCES = st.sampled_from(["*", "arn:aws:bedrock:*::foundation-model/*", "arn:aws:bedrock:ap-northeast-3::*"])


@st.composite
def statements(draw: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    statement[draw(st.sampled_from(["Action", "NotAction"]))] = draw(st.lists(PATTERNS, min_size=1, max_size=4))
    statement[draw(st.sampled_from(["Resource", "NotResource"]))] = draw(RESOURCES)
    condition = draw(CONDITIONS)
    if condition:
        statement["Condition"] = condition
    return statement


def policy_of(statements: list[dict[str, Any]]) -> Policy:
    return parse_policy(json.dumps({"Version": "2012-10-17", "Statement": statements}))


def resource_for(region: str) -> str:
    return f"arn:aws:bedrock:{'' if region == 'unspecified' else region}::foundation-model/{SONNET}"


@pytest.mark.slow  # a property test at full size
@settings(max_examples=300, deadline=None)
@given(st.lists(statements(), min_size=1, max_size=4), st.lists(ACTIONS, min_size=1, max_size=5), st.booleans())
def test_allowed_grid_is_allowed_for_every_cell(statements: list[dict[str, Any]], actions: list[str],
                                                 full_access: bool) -> None:
    policy = policy_of(statements)
    resources = [resource_for(region) for region in REGIONS]
    contexts = [{}, {PROFILE_KEY: f"arn:aws:bedrock:ap-northeast-1:111122223333:inference-profile/{JP}"},
                {PROFILE_KEY: "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.x-v1:0"}]
    grid = Grid(Evaluator(), REGIONS, contexts)
    (masks,), tests = grid.answers(policy, [(actions, resources)], full_access=full_access)
    assert len(masks) == len(actions) and tests > 0
    evaluator = Evaluator()  # a fresh one: the grid's compiled lists are not the ones checked
    for action, mask in zip(actions, masks):
        for c, context in enumerate(contexts):
            for r, region in enumerate(REGIONS):
                request = Request(action, resources[r], region, context=context)
                cell = bool(mask >> (c * len(REGIONS) + r) & 1)
                assert cell == evaluator.allowed(policy, request, full_access=full_access), (action, region, context)
                assert cell == evaluator.evaluate(policy, request, full_access=full_access).allowed
    # several resource forms in one pass answer as one pass each
    other = ["*"] * len(REGIONS)
    (bedrock_masks, any_masks), _ = grid.answers(
        policy, [(actions, resources), (actions[::-1], other)], full_access=full_access
    )
    assert bedrock_masks == masks
    assert any_masks == Grid(Evaluator(), REGIONS, contexts).answers(
        policy, [(actions[::-1], other)], full_access=full_access)[0][0]


def _shaped(action: str, cut: int, shape: int) -> str:
    """A pattern made from a real action: the shapes the classes find by bisection (a name, a prefix),
    and those they must search or test name by name (a wildcard inside, "?", a letter outside ASCII, a
    variable)."""
    service, _, name = action.partition(":")
    k = cut % (len(name) + 1)
    return [
        action, action.upper(), f"{service}:{name[:k]}*", f"{service}:*{name[k:]}", f"{service}:{name[:k]}?{name[k + 1:]}",
        f"{service}:{name[:k]}*{name[-1:]}", f"{service}:{name}x", f"{service}:{name[:k]}\u212a*",
        f"{service}:${{aws:username}}", f"{service[:k]}*:{name[:2]}*",
        f"{service}:{name[:k]}" + name[k:].replace("s", "\u017f").replace("S", "\u017f"),  # a long s: "s" to a case-blind regex
    ][shape]


CATALOGUE_PATTERNS = PATTERNS | st.builds(
    _shaped, st.sampled_from(action_catalogue().actions), st.integers(0, 40), st.integers(0, 10)
)


@pytest.mark.slow  # a property test at full size
@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(CATALOGUE_PATTERNS, st.integers(0, 2)), min_size=1, max_size=6))
def test_classes_group_exactly_the_actions_every_statement_treats_alike(listed: list[tuple[str, int]]) -> None:
    """Each pattern is listed by one of three statements; an action's answer from a statement is whether
    any of its patterns match."""
    catalogue = action_catalogue()
    owners: dict[str, set[int]] = {}
    for pattern, statement in listed:
        owners.setdefault(pattern.lower(), set()).add(statement)
    classes = _classes(catalogue, {p: tuple(sorted(o)) for p, o in owners.items()})

    def behaviour(action: str) -> tuple:
        answers = tuple(any(action_matches(p, action) for p, o in owners.items() if n in o) for n in range(3))
        # the resource the grid asks on: a model's ARN for Bedrock, a guardrail profile's for ApplyGuardrail
        form = "guardrail-profile" if action == "bedrock:ApplyGuardrail" else action.startswith("bedrock:")
        return answers, action in catalogue.profile_key_actions, form

    seen: set[int] = set()
    behaviours: set[tuple] = set()
    for signature, members in classes.items():
        positions = [p for start, stop in members for p in range(start, stop)]
        assert positions and not seen.intersection(positions)
        seen.update(positions)
        # ranges ascend and do not overlap
        assert all(start < stop <= next_start for (start, stop), (next_start, _) in zip(members, members[1:]))
        # a sample of each class: its first, last and middle members, and each range's first
        sample = {positions[0], positions[-1], positions[len(positions) // 2], *(start for start, _ in members[:50])}
        answers = {behaviour(catalogue.actions[q]) for q in sample}
        assert len(answers) == 1, (signature, [catalogue.actions[q] for q in sample])
        assert not behaviours & answers, "two classes behave alike: they should be one"
        behaviours |= answers
    assert len(seen) == len(catalogue.actions)
    # A name put in the wrong class can hide in a large one from the sample: every action of the
    # services the patterns name is checked against its class, one by one.
    ranges = sorted((start, stop, signature) for signature, members in classes.items() for start, stop in members)
    starts = [start for start, _, _ in ranges]
    answer = {signature: behaviour(catalogue.actions[members[0][0]]) for signature, members in classes.items()}
    services = {p.partition(":")[0] for p in owners} & catalogue.runs_of.keys()
    for service in services:
        for start, stop in catalogue.runs_of[service]:
            for position in range(start, stop):
                signature = ranges[bisect.bisect_right(starts, position) - 1][2]
                assert behaviour(catalogue.actions[position]) == answer[signature], catalogue.actions[position]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(PATTERNS, min_size=1, max_size=5), min_size=1, max_size=4))
def test_each_pattern_is_owned_by_every_statement_that_lists_it(lists: list[list[str]]) -> None:
    # one statement per list, in a policy each; a list may repeat another, in part or whole
    policies = [policy_of([{"Effect": "Deny", "NotAction": listed, "Resource": "*"}]) for listed in lists]
    expected: dict[str, list[int]] = {}
    for number, listed in enumerate(lists):
        for pattern in dict.fromkeys(p.lower() for p in listed):
            expected.setdefault(pattern, []).append(number)
    owners = _action_patterns(policies)
    assert {p: sorted(o) for p, o in owners.items()} == expected  # each statement once


def test_a_grant_over_several_services_counts_them() -> None:
    before = policy_of([{"Effect": "Deny", "Action": "*", "Resource": "*",
                         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1"]}}}])
    after = policy_of([{"Effect": "Deny", "NotAction": ["s3:Get*", "ec2:Describe*"], "Resource": "*",
                        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1"]}}}])
    profiles = tuple(load_catalog().resolve(JP))
    delta = compare_policies(before, after, profiles, regions=["ap-northeast-1", "us-east-1"])
    actions = action_catalogue().actions
    expected = sum(1 for a in actions if action_matches("s3:Get*", a) or action_matches("ec2:Describe*", a))
    (grant,) = delta.newly_allowed
    assert grant.action_count == expected and grant.regions == ("us-east-1",)
    assert grant.summary == f"{expected} actions in 2 services in us-east-1"
    assert not delta.newly_denied


def test_comparing_several_fixes_at_once_gives_each_comparison_alone() -> None:
    from pathlib import Path

    from rewriter.newly_allowed import compare_many
    from rewriter.propose import propose

    text = (Path(__file__).parent.parent / "samples" / "control-tower-region-deny.json").read_text(encoding="utf-8")
    before = parse_policy(text)
    profiles = tuple(load_catalog().resolve(JP))
    proposal = propose(before, profiles, force=True, newly_allowed=False)
    afters = [parse_policy(c.text) for c in proposal.candidates if c.text]
    assert len(afters) == 3
    together = compare_many(before, afters, profiles)
    alone = [compare_policies(before, after, profiles) for after in afters]
    assert [(d.newly_allowed, d.newly_denied) for d in together] == [(d.newly_allowed, d.newly_denied) for d in alone]
    assert all(d.newly_allowed for d in together) and len({d.newly_allowed for d in together}) > 1


# --- issue 17: the grid varies the caller and every key a statement reads ---------------------------

PLATFORM = {"Version": "2012-10-17", "Statement": [
    {"Sid": "DenyOutsideHomeExceptPlatform", "Effect": "Deny", "NotAction": ["iam:*", "sts:*", "bedrock:InvokeModel*"],
     "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]},
                                    "ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/Platform"]}}},
    {"Sid": "DenyOutsideApprovedForEveryone", "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
     "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-1"]}}}]}
US_SONNET = "us." + SONNET


def test_a_region_fix_states_that_the_exempt_caller_gains_every_service_there() -> None:
    from rewriter.propose import propose

    profiles = tuple(load_catalog().resolve(US_SONNET))
    proposal = propose(policy_of(PLATFORM["Statement"]), profiles, source_region="us-east-1", strategy="regions")
    grants = proposal.chosen.delta.newly_allowed
    platform = [g for g in grants if g.principals == ["arn:aws:iam::*:role/Platform"]]
    assert len(platform) == 1 and set(platform[0].regions) == {"us-east-2", "us-west-2"}
    # every action but iam:* and sts:*, which no statement denies
    catalogue = action_catalogue()
    expected = sum(1 for a in catalogue.actions if a.split(":")[0].lower() not in ("iam", "sts")) - 2
    assert platform[0].action_count == expected and platform[0].has_action("s3:PutObject")
    assert "only for callers matching arn:aws:iam::*:role/Platform" in platform[0].summary
    assert platform[0].to_json()["principals"] == ["arn:aws:iam::*:role/Platform"]
    # everyone else gains only the inference actions
    (everyone,) = [g for g in grants if g.principals is None]
    assert set(everyone.actions) == {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}


def test_auto_chooses_a_bedrock_only_fix_over_one_that_opens_every_service_to_one_caller() -> None:
    from rewriter.propose import propose

    profiles = tuple(load_catalog().resolve(US_SONNET))
    proposal = propose(policy_of(PLATFORM["Statement"]), profiles, source_region="us-east-1")
    assert proposal.chosen.strategy in ("profile-arn", "notaction")
    for grant in proposal.chosen.delta.newly_allowed:
        assert all(a.startswith("bedrock:") for a in grant.actions) and grant.action_count <= 3
    regions = next(c for c in proposal.candidates if c.strategy == "regions")
    assert regions.verified and regions.delta.weight > proposal.chosen.delta.weight


def test_govcloud_a_fix_that_opens_a_region_says_so() -> None:
    from rewriter.propose import propose

    policy = policy_of([{"Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
                         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-gov-east-1"]}}}])
    profiles = tuple(load_catalog().resolve("us-gov." + SONNET))
    proposal = propose(policy, profiles, strategy="regions")
    (grant,) = proposal.chosen.delta.newly_allowed
    assert grant.regions == ("us-gov-west-1",) and grant.action_count > 20000 and grant.principals is None


def test_china_regions_the_policy_names_are_in_the_grid() -> None:
    before = policy_of([{"Effect": "Deny", "Action": "*", "Resource": "*",
                         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["cn-north-1"]}}}])
    after = policy_of([{"Effect": "Deny", "Action": "*", "Resource": "*",
                        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["cn-north-1", "cn-northwest-1"]}}}])
    (grant,) = compare_policies(before, after, ()).newly_allowed
    assert grant.regions == ("cn-northwest-1",) and grant.action_count == len(action_catalogue().actions)


def test_effective_regions_are_where_the_profile_routes_from_the_allowed_sources() -> None:
    from pathlib import Path

    from rewriter.propose import propose

    text = (Path(__file__).parent.parent / "samples" / "tokyo-only.json").read_text(encoding="utf-8")
    profiles = tuple(load_catalog().resolve(JP))
    proposal = propose(parse_policy(text), profiles, strategy="profile-arn")
    (grant,) = proposal.chosen.delta.newly_allowed
    assert grant.effective_regions == ("ap-northeast-3",) and len(grant.regions) > 30
    assert grant.through_profiles == [f"arn:aws:bedrock:*:*:inference-profile/{JP}"]
    assert grant.summary.startswith(f"in practice: ap-northeast-3, only through {JP}; in principle: ")


def test_other_condition_keys_are_classes_too() -> None:
    before = policy_of([{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
                         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]},
                                       "StringNotEqualsIfExists": {"aws:SourceVpc": ["vpc-1"]}}},
                        {"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
                         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}}}])
    after = policy_of(before.document["Statement"][:1])
    (grant,) = compare_policies(before, after, ()).newly_allowed
    # the second statement was the only fence for calls from vpc-1: only those gain
    assert grant.other_conditions == {"aws:SourceVpc": ["vpc-1"]} and grant.principals is None
    assert "only where aws:SourceVpc is vpc-1" in grant.summary


def test_an_exemption_names_only_the_profiles_its_statement_denies() -> None:
    from rewriter.propose import propose

    policy = policy_of([
        {"Sid": "BlocksGlobal", "Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1", "ap-northeast-3"]}}},
        {"Sid": "BlocksJp", "Effect": "Deny", "NotAction": ["iam:*"], "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1", "unspecified"]}}}])
    profiles = (*load_catalog().resolve(JP), *load_catalog().resolve("global." + SONNET))
    for strategy in ("profile-arn", "notaction"):
        proposal = propose(policy, profiles, source_region="ap-northeast-1", strategy=strategy)
        assert proposal.chosen is not None and proposal.chosen.verified, proposal.reason
        statements = proposal.chosen.document["Statement"]
        named = {s.get("Sid"): json.dumps(s) for s in statements}
        exempting = [s for s in statements if "InferenceProfileArn" in json.dumps(s)]
        global_only = [s for s in exempting if "global." in json.dumps(s) and "jp." not in json.dumps(s)]
        jp_only = [s for s in exempting if "jp." in json.dumps(s) and "global." not in json.dumps(s)]
        assert len(global_only) == 1 and len(jp_only) == 1, (strategy, named)


def test_a_tie_goes_to_fewer_statements_touched_and_the_output_says_why() -> None:
    from pathlib import Path

    from rewriter.propose import propose
    from rewriter.report import proposal_summary, proposal_to_json

    text = (Path(__file__).parent.parent / "samples" / "control-tower-region-deny.json").read_text(encoding="utf-8")
    proposal = propose(parse_policy(text), tuple(load_catalog().resolve(JP)), force=True)
    notaction = next(c for c in proposal.candidates if c.strategy == "notaction")
    assert notaction.verified and notaction.delta.weight == proposal.chosen.delta.weight
    assert proposal.chosen.strategy == "profile-arn"  # one statement changed, against two
    assert proposal.choice == (
        "profile-arn over notaction: both newly allow the same; profile-arn changes 1 statement(s), notaction 2"
    )
    assert f"  chosen: {proposal.choice}" in proposal_summary(proposal).splitlines()
    assert proposal_to_json(proposal)["choice"] == proposal.choice


def test_proposing_again_and_again_keeps_nothing() -> None:
    """No cache outlives a run (issue 15): a library user who proposes many times holds no more memory for it."""
    import gc
    import tracemalloc
    from pathlib import Path

    from rewriter.propose import propose

    text = (Path(__file__).parent.parent / "samples" / "control-tower-region-deny.json").read_text(encoding="utf-8")
    profiles = tuple(load_catalog().resolve(JP))

    def run() -> None:
        propose(parse_policy(text), profiles, force=True)

    tracemalloc.start()
    try:
        # bounded pure memos (compiled regexes, condition predicates) fill up here, and whatever holds
        # the last run's result (traced from here, so that its replacement is not counted as growth)
        for _ in range(2):
            run()
        gc.collect()
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(10):
            run()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert grown < 32 * 1024, f"{grown} bytes kept by 10 proposals"
