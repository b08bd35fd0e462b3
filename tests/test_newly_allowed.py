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
        return answers, action in catalogue.profile_key_actions, action.startswith("bedrock:")

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
