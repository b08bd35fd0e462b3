"""Organization mode against moto's server: a real HTTP endpoint, the real Organizations API shapes."""

from __future__ import annotations

import json
import sys

import pytest
import typer
from typer.testing import CliRunner

from org_builder import EU_PROFILE, US_PROFILE, action_deny, new_org, region_deny, reset, sample_org
from rewriter.cli.org import org_app
from rewriter.org.live import read_organization
from rewriter.org.snapshot import FULL_AWS_ACCESS_ID, load_snapshot

pytestmark = pytest.mark.integration  # moto's server, started on 127.0.0.1 by tests/org/conftest.py

app = typer.Typer()
app.add_typer(org_app, name="org")


def run(*args: str):
    result = CliRunner().invoke(app, ["org", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture()
def org(org_client):
    return sample_org(org_client)


def _snapshot(endpoint, path):
    result = run("snapshot", "--endpoint-url", endpoint, "-o", str(path))
    assert result.exit_code == 1, result.output  # a finding: the policy that is not JSON
    return path


@pytest.fixture()
def snapshot_file(org, endpoint, tmp_path):
    return _snapshot(endpoint, tmp_path / "org.json")


@pytest.fixture(scope="module")
def shared(moto_endpoint, tmp_path_factory):
    """One sample organization and its snapshot for the tests that only read the snapshot file."""
    from rewriter.org.live import make_client

    reset(moto_endpoint)
    org = sample_org(make_client(endpoint_url=moto_endpoint))
    return org, _snapshot(moto_endpoint, tmp_path_factory.mktemp("org") / "org.json")


def _accounts(document):
    return {a["name"]: a for a in document["accounts"]}


def test_snapshot_holds_tree_policies_and_attachments(shared):
    org, snapshot_file = shared
    data = json.loads(snapshot_file.read_text())
    assert data["format"] == "scp-fix/org-snapshot@1"
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes[org.root]["kind"] == "root"
    assert nodes[org.ous["Prod"]]["parent"] == org.ous["Europe"]
    assert nodes[org.accounts["eu-prod"]] == {
        "id": org.accounts["eu-prod"], "name": "eu-prod", "kind": "account", "parent": org.ous["Prod"]
    }
    policies = {p["name"]: p for p in data["policies"]}
    # content exactly as stored, whatever it is
    for name, content in org.contents.items():
        if name != "Oversized":  # attached nowhere: not reachable through ListPoliciesForTarget
            assert policies[name]["content"] == content
    assert "Oversized" not in policies
    attachments = data["attachments"]
    assert attachments[org.root] == [FULL_AWS_ACCESS_ID, org.policies["RootRegionDeny"]]
    assert set(attachments[org.accounts["us-b"]]) == {FULL_AWS_ACCESS_ID, org.policies["NoWest2"]}
    assert {f["policy"]["name"]: f["code"] for f in data["findings"]} == {"Broken": "invalid-policy"}


def test_snapshot_reports_policies_aws_would_reject(org, endpoint, tmp_path):
    org.attach("Oversized", "us-a")
    path = tmp_path / "org.json"
    result = run("snapshot", "--endpoint-url", endpoint, "-o", str(path))
    assert result.exit_code == 1
    findings = {f["policy"]["name"]: f for f in json.loads(path.read_text())["findings"]}
    assert findings["Broken"]["code"] == "invalid-policy"
    assert (findings["Broken"]["line"], findings["Broken"]["column"]) == (1, 2)
    assert findings["Oversized"]["code"] == "too-large"
    assert "5120" in findings["Oversized"]["message"]
    assert "Broken" in result.stderr and "Oversized" in result.stderr


def test_check_names_the_level_policy_and_statement(shared):
    org, snapshot_file = shared
    result = run("check", "--snapshot", str(snapshot_file), "-p", US_PROFILE, "-p", EU_PROFILE, "--format", "json")
    assert result.exit_code == 2  # sandbox-1 sits under a policy that cannot be read
    doc = json.loads(result.stdout)
    accounts = _accounts(doc)
    assert {n: a["status"] for n, a in accounts.items()} == {
        "master": "ok", "us-a": "ok", "us-c": "ok",
        "us-b": "blocked", "eu-prod": "blocked", "eu-dev": "blocked", "sandbox-1": "error",
    }
    assert accounts["sandbox-1"]["invalid_policies"] == [{"id": org.policies["Broken"], "name": "Broken"}]

    eu = {p["source_region"]: p for p in accounts["eu-prod"]["profiles"] if p["profile"] == EU_PROFILE}
    assert set(eu) == {"eu-west-1", "eu-central-1"}  # every other source Region is denied outright
    (denial,) = eu["eu-west-1"]["denials"]
    assert denial["level"] == "ou"
    assert denial["target"]["id"] == org.ous["Europe"]
    assert denial["level_label"].startswith("OU Root/Europe")
    assert denial["policy"] == {"id": org.policies["EuOnly"], "name": "EuOnly"}
    assert denial["statement"]["sid"] == "DenyOutsideEu"
    assert set(denial["regions"]) == {"eu-north-1", "eu-south-1", "eu-south-2", "eu-west-3"}
    # the US profile cannot be called from any Region the Europe OU allows
    assert [u["profile"] for u in accounts["eu-prod"]["unreachable"]] == [US_PROFILE]

    us_b = {p["source_region"]: p for p in accounts["us-b"]["profiles"] if p["profile"] == US_PROFILE}
    (denial,) = us_b["us-east-1"]["denials"]
    assert (denial["level"], denial["policy"]["name"], denial["regions"]) == ("account", "NoWest2", ["us-west-2"])
    # the root allows Europe only partly: eu-west-2 and eu-central-2 are not in its list
    assert {p["source_region"] for p in accounts["us-a"]["profiles"] if p["profile"] == EU_PROFILE} == {
        "eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"
    }
    assert {f["policy"]["name"] for f in doc["findings"]} == {"Broken"}


def test_identical_scp_paths_are_evaluated_once(shared):
    org, snapshot_file = shared
    result = run("check", "--snapshot", str(snapshot_file), "-p", US_PROFILE, "--ou", org.root, "--format", "json")
    doc = json.loads(result.stdout)
    # master, us-a and us-c differ only by policies that cannot touch Bedrock (ProtectTrail, FullAWSAccess);
    # eu-prod and eu-dev share root + Europe; us-b has its own. sandbox-1 is not evaluable.
    assert doc["evaluations"] == 3
    accounts = _accounts(doc)
    assert accounts["us-a"]["evaluated_as"] == accounts["us-c"]["evaluated_as"]
    assert accounts["eu-prod"]["evaluated_as"] == accounts["eu-dev"]["evaluated_as"]


def test_check_selects_accounts_and_exit_codes(shared):
    org, snapshot_file = shared
    ok = run("check", "--snapshot", str(snapshot_file), "-p", US_PROFILE, "--account", org.accounts["us-a"])
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.splitlines()[0] == f"{org.accounts['us-a']} (us-a) in Root/US: ok"
    blocked = run("check", "--snapshot", str(snapshot_file), "-p", EU_PROFILE, "--ou", org.ous["Europe"])
    assert blocked.exit_code == 1, blocked.output
    assert "policy EuOnly" in blocked.stdout and "eu-dev" in blocked.stdout and "us-a" not in blocked.stdout
    bad = run("check", "--snapshot", str(snapshot_file), "-p", US_PROFILE, "--account", org.ous["US"])
    assert bad.exit_code == 2 and "not an account" in bad.stderr


def test_live_check_matches_the_snapshot(org, endpoint, snapshot_file):
    args = ["-p", EU_PROFILE, "--ou", org.ous["Europe"], "--format", "json"]
    live = json.loads(run("check", "--live", "--endpoint-url", endpoint, *args).stdout)
    offline = json.loads(run("check", "--snapshot", str(snapshot_file), *args).stdout)
    assert live["accounts"] == offline["accounts"]


def test_propose_changes_the_denying_policy_and_warns_about_its_other_accounts(org, endpoint, snapshot_file, tmp_path):
    out = tmp_path / "changes"
    result = run(
        "propose", "--snapshot", str(snapshot_file), "-p", EU_PROFILE, "--account", org.accounts["eu-prod"],
        "--write-dir", str(out), "--format", "json",
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["status"] == "changed"
    (change,) = doc["changes"]
    assert change["policy"]["name"] == "EuOnly"
    assert [t["id"] for t in change["targets"]] == [org.ous["Europe"]]
    assert [a["name"] for a in change["also_affects"]] == ["eu-dev"]
    # every OU and account the change reaches, the named account too
    assert change["reaches"][0]["id"] == org.ous["Europe"]
    assert {n["name"] for n in change["reaches"] if n["kind"] == "account"} == {"eu-prod", "eu-dev"}
    assert "eu-dev" in change["warnings"][0]
    assert change["proposal"]["status"] == "changed"
    assert _accounts(doc["after"])["eu-prod"]["status"] == "ok"
    assert sorted(p.name for p in out.iterdir()) == ["EuOnly.diff", "EuOnly.json"]
    diff = (out / "EuOnly.diff").read_text()
    assert diff.startswith("--- a/EuOnly.json\n+++ b/EuOnly.json\n")

    # upload the proposed policy: the account now passes, live
    org.client.update_policy(PolicyId=org.policies["EuOnly"], Content=(out / "EuOnly.json").read_text())
    after = run("check", "--live", "--endpoint-url", endpoint, "-p", EU_PROFILE, "--account", org.accounts["eu-prod"])
    assert after.exit_code == 0, after.output


def test_propose_touches_only_policies_on_the_named_paths(shared):
    org, snapshot_file = shared
    result = run(
        "propose", "--snapshot", str(snapshot_file), "-p", US_PROFILE, "--account", org.accounts["us-b"],
        "--source-region", "us-east-1", "--format", "json",
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert [c["policy"]["name"] for c in doc["changes"]] == ["NoWest2"]
    assert doc["changes"][0]["also_affects"] == []  # attached to us-b alone
    nothing = run("propose", "--snapshot", str(snapshot_file), "-p", US_PROFILE, "--account", org.accounts["us-a"])
    assert nothing.exit_code == 0 and nothing.stdout.startswith("nothing to change")


def _root_and_team(org_client, root_regions, *, other=False):
    """An organization with a Region deny at the root and one at OU Team (us-east-1/2), proposed for the
    account team-1 calling the us. profile from us-east-1."""
    from rewriter.catalog import load_catalog
    from rewriter.org.propose import propose_org

    org = new_org(org_client)
    org.ou("Team")
    org.account("team-1", "Team")
    if other:
        org.account("other", None)
    org.policy("RootDeny", region_deny("RootDeny", root_regions))
    org.attach("RootDeny", "root")
    org.policy("TeamDeny", region_deny("TeamDeny", ["us-east-1", "us-east-2"]))
    org.attach("TeamDeny", "Team")
    snapshot = read_organization(org_client)
    result = propose_org(snapshot, [load_catalog().get(US_PROFILE)], accounts=[org.accounts["team-1"]],
                         source_region="us-east-1")
    return org, result


def test_propose_changes_root_and_ou_policies_together(org_client):
    org, result = _root_and_team(org_client, ["us-east-1", "us-east-2"], other=True)
    assert result.status == "changed"
    assert {c.policy.name for c in result.changes} == {"RootDeny", "TeamDeny"}
    root_change = next(c for c in result.changes if c.policy.name == "RootDeny")
    assert {a.name for a in root_change.also_affects} == {"master", "other"}
    assert root_change.reaches[0].kind == "root"
    assert {n.id for n in root_change.reaches if n.kind == "ou"} == {org.ous["Team"]}
    assert {n.name for n in root_change.reaches if n.kind == "account"} == {"master", "other", "team-1"}
    assert not next(c for c in result.changes if c.policy.name == "TeamDeny").also_affects
    assert result.after is not None and not result.after.blocked


def test_propose_leaves_a_root_policy_that_does_not_block(org_client):
    # the root's deny allows every Region the profile needs; the OU's blocks one
    org, result = _root_and_team(org_client, ["us-east-1", "us-east-2", "us-west-2"])
    assert result.status == "changed"
    (change,) = result.changes
    assert change.policy.name == "TeamDeny"  # the policy nearest the account, which blocks
    assert [n.id for n in change.reaches] == [org.ous["Team"], org.accounts["team-1"]]


def _count_calls(client):
    calls: dict[str, int] = {}

    def count(model, **_):
        calls[model.name] = calls.get(model.name, 0) + 1

    client.meta.events.register("before-call.organizations", count)
    return calls


def _grid_org(client, *, ous: int, accounts_per_ou: int, policies: int):
    """Every policy attached to every OU and every account: attachments grow as the product."""
    org = new_org(client)
    for i in range(ous):
        org.ou(f"ou{i}")
        for j in range(accounts_per_ou):
            org.account(f"a{i}-{j}", f"ou{i}")
    for k in range(policies):
        org.policy(f"p{k}", action_deny(f"P{k}", [f"s3:Delete{k}"]))
        for target in [*org.ous, *org.accounts]:
            org.attach(f"p{k}", target)
    return org


@pytest.mark.parametrize("shape", [(2, 2, 2), (4, 3, 4)])
def test_snapshot_api_calls_grow_with_the_sum_not_the_product(org_client, shape):
    ous, per_ou, policies = shape
    _grid_org(org_client, ous=ous, accounts_per_ou=per_ou, policies=policies)
    calls = _count_calls(org_client)
    snapshot = read_organization(org_client)
    parents = 1 + ous  # the root and each OU
    targets = parents + ous * per_ou + 1  # + the management account, at the root
    assert calls == {
        "ListRoots": 1,
        "ListOrganizationalUnitsForParent": parents,
        "ListAccountsForParent": parents,
        "ListPoliciesForTarget": targets,
        "DescribePolicy": policies + 1,  # + FullAWSAccess, fetched once for all its targets
    }
    assert sum(calls.values()) == 1 + 2 * parents + targets + policies + 1
    assert len(snapshot.attached(snapshot.accounts[-1].id)) == policies + 1


def test_missing_boto3_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "boto3", None)
    result = run("snapshot", "-o", str(tmp_path / "org.json"))
    assert result.exit_code == 2
    assert "pip install 'scp-fix[aws]'" in result.stderr
    assert not (tmp_path / "org.json").exists()


def test_snapshot_file_errors_are_one_located_line(tmp_path):
    bad = tmp_path / "org.json"
    bad.write_text('{"format": "scp-fix/org-snapshot@1",\n "nodes": [}')
    result = run("check", "--snapshot", str(bad), "-p", US_PROFILE)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"scp-fix: {bad}:2:") and len(result.stderr.splitlines()) == 1
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something-else"}))
    result = run("check", "--snapshot", str(other), "-p", US_PROFILE)
    assert result.exit_code == 2 and "not an scp-fix organization snapshot" in result.stderr
    neither = run("check", "-p", US_PROFILE)
    assert neither.exit_code == 2 and "--snapshot FILE or --live" in neither.stderr


def test_load_snapshot_round_trips(shared):
    org, snapshot_file = shared
    snapshot = load_snapshot(str(snapshot_file))
    europe = next(n for n in snapshot.nodes if n.name == "Europe")
    assert {a.name for a in snapshot.accounts_under(europe.id)} == {"eu-prod", "eu-dev"}
    prod = next(n for n in snapshot.accounts if n.name == "eu-prod")
    assert [n.kind for n in snapshot.path(prod.id)] == ["root", "ou", "ou", "account"]
