"""org check without a server: the shared, reduced evaluation must equal check_levels on each full path."""

from __future__ import annotations

import json

import pytest

from org_builder import EU_PROFILE, US_PROFILE, action_deny, region_deny
from rewriter.catalog import load_catalog
from rewriter.check import check_levels
from rewriter.org.check import check_org, relevance
from rewriter.org.snapshot import FULL_AWS_ACCESS_ID, OrgNode, OrgPolicy, build_snapshot

FULL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")


def _snapshot():
    nodes = [
        OrgNode("r-1", "Root", "root"),
        OrgNode("ou-a", "A", "ou", "r-1"),
        OrgNode("ou-b", "B", "ou", "ou-a"),
        OrgNode("111111111111", "one", "account", "ou-b"),
        OrgNode("222222222222", "two", "account", "ou-a"),
        OrgNode("333333333333", "three", "account", "r-1"),
        OrgNode("444444444444", "four", "account", "ou-b"),
    ]
    guard = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny", "Action": "bedrock:Invoke*", "Resource": "*",
            "Condition": {"ArnNotLike": {"bedrock:InferenceProfileArn": "arn:aws:bedrock:*:444444444444:*"}},
        }],
    }
    allow_list = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "us-east-2", "us-west-2"]}},
    }]}
    policies = [
        OrgPolicy(FULL_AWS_ACCESS_ID, "FullAWSAccess", FULL, aws_managed=True),
        OrgPolicy("p-root", "RootDeny", json.dumps(region_deny("Root", [
            "us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "eu-north-1", "eu-west-3"]))),
        OrgPolicy("p-a", "ADeny", json.dumps(region_deny("A", ["us-east-1", "us-east-2", "eu-west-1", "eu-central-1"]))),
        OrgPolicy("p-trail", "Trail", json.dumps(action_deny("Trail", ["cloudtrail:StopLogging"]))),
        OrgPolicy("p-guard", "Guard", json.dumps(guard)),
        OrgPolicy("p-allow", "AllowList", json.dumps(allow_list)),
    ]
    attachments = {
        "r-1": [FULL_AWS_ACCESS_ID, "p-root"],
        "ou-a": [FULL_AWS_ACCESS_ID, "p-a", "p-trail"],
        "ou-b": [FULL_AWS_ACCESS_ID],
        "111111111111": [FULL_AWS_ACCESS_ID, "p-trail"],
        "222222222222": ["p-allow"],  # no FullAWSAccess: only the allow-list allows
        "333333333333": [FULL_AWS_ACCESS_ID],
        "444444444444": [FULL_AWS_ACCESS_ID, "p-guard"],
    }
    return build_snapshot(nodes, policies, attachments)


def _facts(result):
    return sorted(
        (c.profile.id, c.source_region, r.request.action, r.request.region, r.request.resource,
         r.decision.outcome, r.decision.level, tuple((s.policy_index, s.index, s.level) for s in r.decision.statements
                                                      if r.decision.outcome != "allowed"), r.reason)
        for c in result.checks for r in c.results
    ) + sorted((u.profile.id, u.sources, u.reason) for u in result.unreachable)


@pytest.mark.parametrize(
    ("source_region", "ids"), [(None, (US_PROFILE, EU_PROFILE)), ("us-west-2", (US_PROFILE,)), ("eu-west-1", (EU_PROFILE,))]
)
def test_shared_evaluation_equals_check_levels_on_every_full_path(source_region, ids):
    snapshot = _snapshot()
    catalog = load_catalog()
    profiles = [catalog.get(i) for i in ids]
    result = check_org(snapshot, profiles, source_region=source_region)
    for item in result.accounts:
        full_ids = [pid for ids in snapshot.levels(item.account.id) for pid in ids]
        levels = [[snapshot.parsed(pid) for pid in ids] for ids in snapshot.levels(item.account.id)]
        expected = check_levels(levels, profiles, source_region=source_region, account=item.evaluated_as)
        assert item.blocked == expected.blocked, item.account.id
        # reduced levels name policies differently; compare what a user is told: outcome, reason,
        # and the (level, policy) of every denying statement mapped back to the full path
        got = {(d.profile, d.source_region, d.region, d.action, d.node.id, d.policy.id if d.policy else None)
               for d in item.denials}
        want = set()
        for check in expected.checks:
            for r in check.results:
                if r.decision.outcome == "explicit_deny":
                    for s in r.decision.statements:
                        want.add((check.profile.id, check.source_region, r.request.region, r.request.action,
                                  snapshot.path(item.account.id)[s.level].id, full_ids[s.policy_index]))
                elif r.decision.outcome == "implicit_deny":
                    want.add((check.profile.id, check.source_region, r.request.region, r.request.action,
                              snapshot.path(item.account.id)[r.decision.level].id, None))
        assert got == want, item.account.id
        assert {(c.profile.id, c.source_region) for c in item.result.checks} == {
            (c.profile.id, c.source_region) for c in expected.checks}
        assert sorted(r.reason or "" for c in item.result.checks for r in c.results) == sorted(
            r.reason or "" for c in expected.checks for r in c.results)


def test_a_policy_naming_an_account_keeps_that_account_in_the_key():
    snapshot = _snapshot()
    catalog = load_catalog()
    result = check_org(snapshot, [catalog.get(US_PROFILE)], source_region="us-east-1")
    by_id = {a.account.id: a for a in result.accounts}
    # the guard allows only profiles of account 444444444444: evaluated with that account's own ARNs
    assert by_id["444444444444"].evaluated_as == "444444444444"
    guarded = {(d.region, d.action) for d in by_id["444444444444"].denials if d.policy.name == "Guard"}
    # through-profile requests carry 444444444444's profile ARN and pass; the rest do not
    assert guarded and len(guarded) < len({(d.region, d.action) for d in by_id["444444444444"].denials}) + 1
    # one and three do not name an account: they share the id the requests carry
    assert by_id["111111111111"].evaluated_as == by_id["333333333333"].evaluated_as != "444444444444"
    two = by_id["222222222222"]
    assert two.blocked  # the A deny: us-west-2
    assert {(d.node.id, d.policy.name) for d in two.denials} == {("ou-a", "ADeny")}


def test_implicit_deny_names_the_level_without_an_allow():
    snapshot = _snapshot()
    profiles = [load_catalog().get(EU_PROFILE)]
    result = check_org(snapshot, profiles, accounts=["222222222222"], source_region="eu-west-1")
    (item,) = result.accounts
    levels = {(d.node.id, d.policy.id if d.policy else None) for d in item.denials}
    assert ("222222222222", None) in levels  # the allow-list allows no EU Region
    assert ("ou-a", "p-a") in levels


def test_relevance_reads_what_a_policy_can_do_to_bedrock():
    assert relevance(FULL, ACTIONS).allows_all
    assert not relevance(json.dumps(action_deny("x", ["s3:Delete*", "ec2:*"])), ACTIONS).relevant
    assert relevance(json.dumps(action_deny("x", ["BEDROCK:invoke*"])), ACTIONS).denies
    assert relevance(json.dumps(action_deny("x", ["*:Invoke*"])), ACTIONS).denies
    assert relevance(json.dumps(region_deny("x", ["us-east-1"])), ACTIONS).denies
    not_bedrock = {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "NotAction": "bedrock:*", "Resource": "*"}}
    assert not relevance(json.dumps(not_bedrock), ACTIONS).relevant
    conditional = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                                                            "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}
    found = relevance(json.dumps(conditional), ACTIONS)
    assert found.allows and not found.allows_all
    assert relevance("not json", ACTIONS).relevant  # unreadable: evaluated, so the parser reports it


def test_unknown_account_or_ou_is_an_input_error():
    from rewriter.errors import InputError

    snapshot = _snapshot()
    with pytest.raises(InputError, match="no root, OU or account '999'"):
        check_org(snapshot, [], accounts=["999"])
    with pytest.raises(InputError, match="not both"):
        check_org(snapshot, [], accounts=["111111111111"], ous=["ou-a"])


def _streamed_equals_plain(result, snapshot_name=None) -> str:
    from rewriter.org.report import org_check_json_chunks, org_check_to_json

    plain = json.dumps(org_check_to_json(result, snapshot=snapshot_name), indent=2, ensure_ascii=False)
    streamed = "".join(org_check_json_chunks(result, snapshot=snapshot_name))
    assert streamed == plain
    return streamed


def test_the_streamed_json_is_the_plain_document_text():
    snapshot = _snapshot()
    catalog = load_catalog()
    profiles = [catalog.get(US_PROFILE), catalog.get(EU_PROFILE)]
    text = _streamed_equals_plain(check_org(snapshot, profiles), "snap.json")
    assert len(json.loads(text)["accounts"]) == 4
    _streamed_equals_plain(check_org(snapshot, profiles[1:], accounts=["222222222222"], source_region="eu-west-1"))
    # an unreadable policy, names that JSON must escape, and no account at all
    broken = [OrgPolicy("p-bad", 'Bad "one"', "{not json")]
    nodes = [OrgNode("r-1", "Root", "root"), OrgNode("ou-x", "Zürich \"HQ\"\n", "ou", "r-1"),
             OrgNode("555555555555", "ünï\\code", "account", "ou-x"), OrgNode("666666666666", "ok", "account", "r-1")]
    odd = build_snapshot(nodes, [OrgPolicy(FULL_AWS_ACCESS_ID, "FullAWSAccess", FULL, aws_managed=True), *broken],
                         {"r-1": [FULL_AWS_ACCESS_ID], "ou-x": [FULL_AWS_ACCESS_ID, "p-bad"],
                          "555555555555": [FULL_AWS_ACCESS_ID], "666666666666": [FULL_AWS_ACCESS_ID]})
    _streamed_equals_plain(check_org(odd, profiles))
    empty = build_snapshot([OrgNode("r-1", "Root", "root")], [OrgPolicy(FULL_AWS_ACCESS_ID, "FullAWSAccess", FULL,
                                                                       aws_managed=True)], {"r-1": [FULL_AWS_ACCESS_ID]})
    assert json.loads(_streamed_equals_plain(check_org(empty, profiles)))["accounts"] == []


def test_the_streamed_json_equals_the_plain_one_on_a_large_synthetic_organization():
    """Hundreds of accounts over dozens of OUs with shared and account-level denials: every account's
    entry reuses serialized text, and the document must still be the plain one, byte for byte."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from org_scale import PROFILES, synthetic_snapshot

    from rewriter.org.snapshot import snapshot_from_json

    document = synthetic_snapshot(accounts=400, ous=40, scps=120, seed=3)
    snapshot = snapshot_from_json(document)
    catalog = load_catalog()
    result = check_org(snapshot, [catalog.get(p) for p in PROFILES[:5]])
    assert result.evaluations < len(result.accounts) / 4  # the reuse is what is being tested
    _streamed_equals_plain(result)


def test_accounts_sharing_an_evaluation_each_name_their_own_denying_level_in_the_streamed_json():
    guard = json.dumps({"Version": "2012-10-17", "Statement": [{  # the same account-level deny on both accounts
        "Effect": "Deny", "Action": "bedrock:InvokeModel*", "Resource": "*",
        "Condition": {"StringEquals": {"aws:RequestedRegion": "us-west-2"}}}]})
    nodes = [OrgNode("r-1", "Root", "root"), OrgNode("ou-a", "A", "ou", "r-1"), OrgNode("ou-b", "B", "ou", "r-1"),
             OrgNode("111111111111", "one", "account", "ou-a"), OrgNode("222222222222", "two", "account", "ou-b")]
    policies = [OrgPolicy(FULL_AWS_ACCESS_ID, "FullAWSAccess", FULL, aws_managed=True), OrgPolicy("p-g", "Guard", guard)]
    attachments = {n.id: [FULL_AWS_ACCESS_ID] for n in nodes}
    attachments["111111111111"] = attachments["222222222222"] = [FULL_AWS_ACCESS_ID, "p-g"]
    result = check_org(build_snapshot(nodes, policies, attachments), [load_catalog().get(US_PROFILE)],
                       source_region="us-east-1")
    assert result.evaluations == 1 and all(a.blocked for a in result.accounts)
    accounts = json.loads(_streamed_equals_plain(result))["accounts"]
    targets = [{d["target"]["id"] for p in a["profiles"] for d in p["denials"]} for a in accounts]
    assert targets == [{"111111111111"}, {"222222222222"}]
