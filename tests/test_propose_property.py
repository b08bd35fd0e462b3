"""Properties of ``propose`` over generated region-deny policies and profile sets from the real catalog.

For every generated case that ``propose`` changes: the patch applies, the rendered text parses to the
patched document, the result allows every needed authorization, proposing again changes nothing, and no
Deny statement loses an action, resource or Region that the fix did not state. The newly-allowed grid
is off here (it is slow); the case tables keep it on. ``HYPOTHESIS_PROFILE=fuzz`` runs many more.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from hypothesis import event, example, given, note
from hypothesis import strategies as st
from test_strategy_cases import assert_fixed, checked_actions

from rewriter.catalog import load_catalog
from rewriter.check import allows_all, check
from rewriter.parse import parse_policy
from rewriter.propose import STRATEGY_NAMES, propose

pytestmark = pytest.mark.slow  # property tests at full size

REGIONS = (
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-central-1",
    "eu-west-1",
    "eu-west-3",
    "eu-north-1",
    "eu-south-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-2",
    "ap-south-1",
    "sa-east-1",
)
EXEMPT_SERVICES = (
    "iam:*",
    "organizations:*",
    "sts:*",
    "support:*",
    "cloudfront:*",
    "route53:*",
    "kms:*",
    "s3:ListAllMyBuckets",
)
PRINCIPALS = (
    "arn:aws:iam::*:role/OrganizationAccountAccessRole",
    "arn:aws:iam::*:role/Break*Glass",
)


@functools.cache
def _profiles() -> tuple[Any, ...]:
    # System profiles with known routes in the commercial partition: the ones a Region SCP restricts.
    return tuple(
        p
        for p in load_catalog().profiles
        if p.kind == "system" and p.routes and p.geography != "us-gov"
    )


@st.composite
def region_deny(draw: st.DrawFn, pool: tuple[str, ...] = REGIONS) -> dict[str, Any]:
    """One region-deny statement: allow-list or deny-list, scalar or list, NotAction or ``Action "*"``,
    with or without a principal exemption."""
    kind = draw(st.sampled_from(["allow-list", "deny-list"]))
    regions = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=5, unique=True))
    if kind == "allow-list":
        operator = draw(
            st.sampled_from(["StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike"])
        )
    else:
        operator = draw(st.sampled_from(["StringEquals", "StringEqualsIgnoreCase"]))
    value: Any = regions[0] if len(regions) == 1 and draw(st.booleans()) else regions
    statement: dict[str, Any] = {"Effect": "Deny"}
    if draw(st.booleans()):
        statement["Sid"] = draw(
            st.sampled_from(["DenyOutsideApprovedRegions", "RegionLock", "GuardRegions"])
        )
    if draw(st.booleans()):
        statement["NotAction"] = draw(
            st.lists(st.sampled_from(EXEMPT_SERVICES), min_size=1, max_size=6, unique=True)
        )
    else:
        statement["Action"] = draw(st.sampled_from(["*", ["*"]]))
    statement["Resource"] = "*"
    condition: dict[str, Any] = {operator: {"aws:RequestedRegion": value}}
    if draw(st.booleans()):
        principals = draw(
            st.lists(st.sampled_from(PRINCIPALS), min_size=1, max_size=2, unique=True)
        )
        key = draw(st.sampled_from(["aws:PrincipalARN", "aws:PrincipalArn"]))
        condition["ArnNotLike"] = {key: principals[0] if len(principals) == 1 else principals}
    statement["Condition"] = condition
    return statement


OTHER_GUARDRAILS = (
    {
        "Sid": "DenyLeaveOrganization",
        "Effect": "Deny",
        "Action": "organizations:LeaveOrganization",
        "Resource": "*",
    },
    {
        "Sid": "ProtectCloudTrail",
        "Effect": "Deny",
        "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
        "Resource": "*",
    },
)


@st.composite
def policy_text(draw: st.DrawFn, pool: tuple[str, ...] = REGIONS) -> str:
    statements = [draw(region_deny(pool)) for _ in range(draw(st.integers(1, 2)))]
    if len(statements) == 2 and statements[0].get("Sid") == statements[1].get("Sid"):
        statements[1].pop("Sid", None)  # Sids are unique within a policy
    statements += draw(
        st.lists(st.sampled_from(OTHER_GUARDRAILS), max_size=2, unique_by=lambda s: s["Sid"])
    )
    statements = draw(st.permutations(statements))
    document: dict[str, Any] = {"Version": "2012-10-17"}
    document["Statement"] = (
        statements[0] if len(statements) == 1 and draw(st.booleans()) else statements
    )
    indent = draw(st.sampled_from([None, 1, 2, 4, "\t"]))
    separators = (",", ":") if indent is None and draw(st.booleans()) else None
    text = json.dumps(document, indent=indent, separators=separators, sort_keys=draw(st.booleans()))
    if indent is not None and draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    if draw(st.booleans()):
        text += "\n"
    return text


@st.composite
def profile_set(draw: st.DrawFn) -> tuple[tuple[Any, ...], str | None]:
    profiles = tuple(
        draw(
            st.lists(st.sampled_from(_profiles()), min_size=1, max_size=3, unique_by=lambda p: p.id)
        )
    )
    common = set(profiles[0].sources).intersection(*(p.sources for p in profiles[1:]))
    choices: list[str | None] = [None, *sorted(common)]
    return profiles, draw(st.sampled_from(choices))


@st.composite
def case(draw: st.DrawFn) -> tuple[str, tuple[Any, ...], str | None]:
    """Profiles first, then a policy whose Regions are drawn mostly from the profiles' own Regions, so
    that most cases are near misses rather than policies no caller can get through."""
    profiles, source_region = draw(profile_set())
    near = sorted(
        {r for p in profiles for source in p.sources[:3] for r in (source, *p.routes[source])}
    )
    pool = tuple(near) + REGIONS if draw(st.booleans()) else tuple(near) or REGIONS
    return draw(policy_text(pool)), profiles, source_region


@given(
    generated=case(),
    strategy=st.sampled_from(STRATEGY_NAMES),
    batch=st.booleans(),
    prefix=st.booleans(),
    broad=st.booleans(),
)
def test_propose_fixes_and_converges(
    generated: tuple[str, tuple[Any, ...], str | None],
    strategy: str,
    batch: bool,
    prefix: bool,
    broad: bool,
) -> None:
    text, profiles, source_region = generated
    broad = broad and strategy == "notaction"
    options = {"batch": batch, "prefix": prefix, "broad": broad}
    note(f"profiles={[p.id for p in profiles]} source_region={source_region}")
    policy = parse_policy(text, path="<generated>")
    proposal = propose(
        policy,
        profiles,
        source_region=source_region,
        strategy=strategy,
        newly_allowed=False,
        **options,
    )
    event(f"{strategy}: {proposal.status}")
    before = check(policy, profiles, source_region=source_region, actions=checked_actions(batch=batch))
    if proposal.status == "unchanged":
        assert not before.blocked
        return
    assert before.blocked, "a change was proposed for a policy that blocks nothing"
    if proposal.status == "unsafe":
        assert proposal.chosen is None
        # The generated policies deny Bedrock only through their Region conditions, so these are the
        # only honest reasons: no source Region is usable, the profile-arn/notaction patterns cannot
        # exempt the originating call, or a deny-list would be left empty.
        if strategy in ("auto", "regions") and source_region is not None:
            assert "without a Region" in proposal.reason, proposal.reason
        else:
            known = ("no caller can use it", "must already be allowed", "without a Region")
            assert any(k in proposal.reason for k in known), proposal.reason
        return
    note(f"patch={json.dumps(proposal.chosen.fix.patch)}")
    assert_fixed(
        proposal, profiles, source_region=source_region, options=options, strategy=strategy
    )


# A source Region outside the profile's routes: its originating call is denied, so no caller uses it,
# and the profile still works from the others.
SKIPPED_SOURCE = (
    json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]}},
    }]}),
    tuple(load_catalog().resolve("us.anthropic.claude-3-5-sonnet-20240620-v1:0")),
    None,
)


@given(generated=case(), full_access=st.booleans())
@example(generated=SKIPPED_SOURCE, full_access=True)
def test_allows_all_is_what_check_says_of_blocked(
    generated: tuple[str, tuple[Any, ...], str | None], full_access: bool
) -> None:
    """propose verifies a fix with ``allows_all``; it must answer as the full check does, sources that
    no caller can use (an unreachable profile) included. Asked of the policy and of its fix, if any."""
    text, profiles, source_region = generated
    policy = parse_policy(text, path="<generated>")
    proposal = propose(policy, profiles, source_region=source_region, newly_allowed=False)
    for asked in (policy, proposal.chosen.policy if proposal.chosen else None):
        if asked is None:
            continue
        result = check(asked, profiles, source_region=source_region, full_access=full_access)
        event(f"blocked={result.blocked} unreachable={bool(result.unreachable)}")
        allows = allows_all(asked, profiles, source_region=source_region, full_access=full_access)
        assert allows == (not result.blocked)
