"""Batch inference (``--batch``, ``--batch-role``): how a batch job through an inference profile is
authorized (reference R.2, BATCH-SR), and what check and propose make of it.

The job's caller makes ``bedrock:CreateModelInvocationJob`` in the source Region only (no
``bedrock:InferenceProfileArn``); the cross-Region work is ``bedrock:InvokeModel`` by the job's batch
service role, on the profile and on the model in each destination. So an exemption by principal must
name that role, not only the caller.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_strategy_cases import GLOBAL_SONNET, JP_SONNET, SAMPLES, assert_fixed, checked_actions, profiles_of
from typer.testing import CliRunner

from rewriter.check import check
from rewriter.cli import app
from rewriter.cris import (
    BATCH_ACTION,
    INFERENCE_ACTIONS,
    INFERENCE_PROFILE_KEY,
    UNSPECIFIED,
    authorizations,
    batch_role_arn,
    unnamed_batch_role,
)
from rewriter.errors import BadInputError
from rewriter.parse import parse_policy
from rewriter.propose import STRATEGY_NAMES, propose
from rewriter.vocabulary import Actor, Role

runner = CliRunner()
CALLER = "arn:aws:iam::111122223333:role/DataScience"
ROLE = "arn:aws:iam::111122223333:role/service-role/BedrockBatchRole"
BATCH = INFERENCE_ACTIONS + (BATCH_ACTION,)


def _exempting(*principals: str, allowed: tuple[str, ...] = ("ap-northeast-1",)) -> str:
    """A Region deny that lets the named principals (only) work anywhere: the shape of a landing
    zone's break-glass or platform-team exemption."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "DenyOutsideTokyo", "Effect": "Deny",
        "NotAction": ["iam:*", "organizations:*", "sts:*", "support:*"], "Resource": "*",
        "Condition": {
            "StringNotEquals": {"aws:RequestedRegion": list(allowed)},
            "ArnNotLike": {"aws:PrincipalArn": list(principals)},
        },
    }]}, indent=2)


def _by(result, actor: Actor):
    return [r for c in result.checks for r in c.results if r.authorization.actor is actor]


# --- the requests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("profile_id", [JP_SONNET, GLOBAL_SONNET])
def test_a_batch_job_is_created_in_the_source_region_and_run_by_its_service_role(profile_id: str) -> None:
    (profile,) = profiles_of([profile_id])
    source = "ap-northeast-1"
    batch = authorizations(profile, source, actions=(BATCH_ACTION,), principal=CALLER, batch_role=ROLE)
    direct = authorizations(profile, source, actions=(INFERENCE_ACTIONS[0],))

    created = [a for a in batch if a.role is Role.BATCH_JOB]
    assert created and all(a.actor is Actor.CALLER for a in created)
    # CreateModelInvocationJob: the caller, in the source Region only, with no profile ARN key
    assert {(a.request.action, a.request.region, a.request.principal) for a in created} == {(BATCH_ACTION, source, CALLER)}
    assert all(a.inference_profile_arn is None for a in created)
    assert not [a for a in batch if a.request.action == BATCH_ACTION and a.role is not Role.BATCH_JOB]

    # the role's hops are the hops of an InvokeModel through the profile, made by the role
    hops = [a for a in batch if a.actor is Actor.BATCH_ROLE]
    assert {a.request.principal for a in hops} == {ROLE}
    assert {a.request.action for a in hops} == {"bedrock:InvokeModel"}
    assert [(a.role, a.request.resource, a.request.region, a.inference_profile_arn) for a in hops] == [
        (a.role, a.request.resource, a.request.region, a.inference_profile_arn) for a in direct
    ]
    destinations = {a.request.region for a in hops if a.role is Role.DESTINATION}
    assert destinations == set(profile.destinations(source))
    assert all(a.inference_profile_arn for a in hops if a.role is not Role.PROFILE)
    regionless = [a for a in hops if a.role is Role.GLOBAL_MODEL]
    assert bool(regionless) == profile.is_global
    assert all(a.request.region == UNSPECIFIED and ":::" in a.request.resource for a in regionless)


def test_without_a_named_role_the_hops_are_an_unnamed_role_of_the_account() -> None:
    (profile,) = profiles_of([JP_SONNET])
    account = "444455556666"
    hops = [a for a in authorizations(profile, "ap-northeast-1", account=account, actions=(BATCH_ACTION,))
            if a.actor is Actor.BATCH_ROLE]
    assert {a.request.principal for a in hops} == {unnamed_batch_role(account)}
    assert f"::{account}:role/" in unnamed_batch_role(account)


@pytest.mark.parametrize("value", [
    "arn:aws:sts::111122223333:assumed-role/BedrockBatchRole/session",  # a session, not the role
    "arn:aws:iam::1111222233:role/BedrockBatchRole",  # not a 12-digit account
    "arn:aws:iam::111122223333:user/alice",  # a user runs no batch job
    "BedrockBatchRole",
    "arn:aws:iam::111122223333:role/",
])
def test_a_batch_role_must_be_an_iam_role_arn(value: str) -> None:
    with pytest.raises(BadInputError, match="--batch-role"):
        batch_role_arn(value)


def test_a_batch_role_arn_of_any_partition_is_taken_as_is() -> None:
    for value in (ROLE, "arn:aws-us-gov:iam::111122223333:role/Batch", "arn:aws-cn:iam::111122223333:role/a/b/Batch"):
        assert batch_role_arn(value) == value


# --- check: an exemption by principal ---------------------------------------------------------------


def test_an_exemption_naming_the_caller_but_not_the_batch_role_blocks_the_job_and_says_so() -> None:
    policy = parse_policy(_exempting(CALLER), path="exempt.json")
    profiles = profiles_of([JP_SONNET])
    inference = check(policy, profiles, source_region="ap-northeast-1", principal=CALLER)
    assert not inference.blocked  # the caller's own calls go through the exemption

    result = check(policy, profiles, source_region="ap-northeast-1", principal=CALLER, actions=BATCH, batch_role=ROLE)
    assert result.blocked
    assert all(r.decision.allowed for r in _by(result, Actor.CALLER))
    denied = [r for r in _by(result, Actor.BATCH_ROLE) if not r.decision.allowed]
    (profile,) = profiles
    assert {r.request.region for r in denied} == set(profile.destinations("ap-northeast-1")) - {"ap-northeast-1"}
    for r in denied:
        assert ROLE in r.reason and "aws:PrincipalArn" in r.reason and CALLER in r.reason
    assert any("must include that role" in note for note in result.notes)
    assert result.batch and result.batch_role == ROLE


def test_an_exemption_naming_the_batch_role_lets_the_job_through() -> None:
    policy = parse_policy(_exempting(CALLER, ROLE), path="exempt.json")
    result = check(policy, profiles_of([JP_SONNET]), source_region="ap-northeast-1", principal=CALLER,
                   actions=BATCH, batch_role=ROLE)
    assert not result.blocked
    assert _by(result, Actor.BATCH_ROLE) and _by(result, Actor.CALLER)


def test_an_unnamed_batch_role_is_not_assumed_exempt() -> None:
    """An exemption of the caller and of a role by its name: without --batch-role scp-fix cannot know
    the job runs as that role, so it checks an unnamed one and says to name it."""
    policy = parse_policy(_exempting(CALLER, ROLE), path="exempt.json")
    result = check(policy, profiles_of([JP_SONNET]), source_region="ap-northeast-1", principal=CALLER, actions=BATCH)
    assert result.blocked and result.batch_role is None
    assert not [r for r in _by(result, Actor.CALLER) if not r.decision.allowed]
    assert any("--batch-role" in note for note in result.notes)
    # an exemption of every role of the account covers any batch role, named or not
    wide = parse_policy(_exempting(CALLER, "arn:aws:iam::111122223333:role/*"), path="wide.json")
    assert not check(wide, profiles_of([JP_SONNET]), source_region="ap-northeast-1", principal=CALLER,
                     actions=BATCH).blocked


def test_a_source_region_open_only_to_the_caller_blocks_the_roles_call_on_the_profile() -> None:
    """The caller works in Tokyo only through the exemption; the role's call on the profile there
    carries no profile ARN, so only naming the role (or allowing the Region) helps."""
    policy = parse_policy(_exempting(CALLER, allowed=("eu-west-1",)), path="eu.json")
    result = check(policy, profiles_of([JP_SONNET]), source_region="ap-northeast-1", principal=CALLER,
                   actions=BATCH, batch_role=ROLE)
    denied = {(r.authorization.role, r.request.region) for r in _by(result, Actor.BATCH_ROLE) if not r.decision.allowed}
    assert (Role.PROFILE, "ap-northeast-1") in denied
    assert not [r for r in _by(result, Actor.CALLER) if not r.decision.allowed]
    proposal = propose(policy, profiles_of([JP_SONNET]), source_region="ap-northeast-1", strategy="profile-arn",
                       batch=True, batch_role=ROLE, principal=CALLER, newly_allowed=False)
    assert proposal.status == "unsafe"
    assert "batch service role's call on the profile in ap-northeast-1" in proposal.reason


# --- propose -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGY_NAMES)
@pytest.mark.parametrize("profile_id", [JP_SONNET, GLOBAL_SONNET])
def test_propose_with_batch_is_verified_for_the_role_and_stable(strategy: str, profile_id: str) -> None:
    policy = parse_policy(_exempting(CALLER), path="exempt.json")
    profiles = profiles_of([profile_id])
    options = {"batch": True, "batch_role": ROLE}
    # without batch the caller needs nothing: the change is for the role's hops
    assert propose(policy, profiles, source_region="ap-northeast-1", principal=CALLER,
                   strategy=strategy).status == "unchanged"
    proposal = propose(policy, profiles, source_region="ap-northeast-1", strategy=strategy, principal=CALLER, **options)
    assert proposal.status == "changed", proposal.reason
    new_policy = assert_fixed(proposal, profiles, source_region="ap-northeast-1", options=options, strategy=strategy)
    after = check(new_policy, profiles, source_region="ap-northeast-1", principal=CALLER,
                  actions=checked_actions(batch=True), batch_role=ROLE)
    assert not after.blocked and _by(after, Actor.BATCH_ROLE)
    # a carve-out names the inference actions only: the job's creation is a source-Region call
    assert BATCH_ACTION not in json.dumps(proposal.chosen.document)
    assert any("--batch-role" not in n and ROLE in n for n in proposal.notes)


def test_propose_with_batch_and_no_role_still_works_and_says_to_name_it() -> None:
    policy = parse_policy((SAMPLES / "tokyo-only.json").read_text(encoding="utf-8"), path="tokyo-only.json")
    proposal = propose(policy, profiles_of([JP_SONNET]), source_region="ap-northeast-1", batch=True)
    assert proposal.status == "changed"
    assert any("--batch-role" in note for note in proposal.notes)
    # a Region allow-list lets any principal through the profile: the same change as without --batch
    plain = propose(policy, profiles_of([JP_SONNET]), source_region="ap-northeast-1")
    assert proposal.chosen.document == plain.chosen.document


# --- the command line --------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scp.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_json_names_who_makes_each_request(tmp_path: Path) -> None:
    path = _write(tmp_path, _exempting(CALLER))
    args = ["check", str(path), "--profile", JP_SONNET, "--source-region", "ap-northeast-1", "--format", "json"]
    result = runner.invoke(app, [*args, "--batch-role", ROLE])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["batch"] is True and data["batch_role"] == ROLE
    requests = data["profiles"][0]["requests"]
    assert {r["actor"] for r in requests} == {"caller", "batch-role"}
    assert {r["principal"] for r in requests if r["actor"] == "batch-role"} == {ROLE}
    jobs = [r for r in requests if r["role"] == "batch-job"]
    assert jobs and {r["requested_region"] for r in jobs} == {"ap-northeast-1"}
    assert all(r["inference_profile_arn"] is None for r in jobs)
    denied_by_role = [r for r in requests if r["actor"] == "batch-role" and r["decision"] != "allowed"]
    assert denied_by_role and all(ROLE in r["reason"] for r in denied_by_role)
    assert any("must include that role" in n for n in data["notes"])
    plain = json.loads(runner.invoke(app, args).stdout)
    assert "batch" not in plain and {r["actor"] for r in plain["profiles"][0]["requests"]} == {"caller"}


def test_check_and_propose_with_batch_and_no_role_print_the_note(tmp_path: Path) -> None:
    tokyo = str(SAMPLES / "tokyo-only.json")
    checked = runner.invoke(app, ["check", tokyo, "--profile", JP_SONNET, "--batch"])
    assert checked.exit_code == 1
    assert "batch service role" in checked.stdout and "--batch-role ARN" in checked.stdout
    assert "--batch" in checked.stderr  # the suggested propose keeps it
    proposed = runner.invoke(app, ["propose", tokyo, "--profile", JP_SONNET, "--batch"])
    assert proposed.exit_code == 1
    assert "--batch-role ARN" in proposed.stderr and proposed.stdout.startswith("---")


def test_with_a_guardrail_only_the_callers_calls_apply_it_and_the_note_says_so(tmp_path: Path) -> None:
    # a batch job's request names no guardrail: ApplyGuardrail is the caller's, never the batch role's
    us = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    path = _write(tmp_path, _exempting("arn:aws:iam::*:role/BreakGlass", allowed=("us-east-1",)))
    args = [str(path), "--profile", us, "--source-region", "us-east-1", "--guardrail", "us.guardrail.v1:0",
            "--batch-role", ROLE]
    checked = runner.invoke(app, ["check", *args, "--format", "json"])
    assert checked.exit_code == 1, checked.output
    data = json.loads(checked.stdout)
    requests = data["profiles"][0]["requests"]
    guardrail = [r for r in requests if r["role"] == "guardrail"]
    assert guardrail and {r["actor"] for r in guardrail} == {"caller"}
    assert {r["requested_region"] for r in guardrail if r["decision"] != "allowed"} == {"us-east-2", "us-west-2"}
    assert {r["actor"] for r in requests} == {"caller", "batch-role"}
    assert any("us.guardrail.v1:0" in n and "caller's own calls only" in n for n in data["notes"])
    proposed = runner.invoke(app, ["propose", *args, "--strategy", "notaction"])
    assert proposed.exit_code == 1, proposed.output
    assert "caller's own calls only" in proposed.stderr
    without = json.loads(runner.invoke(app, ["check", *args[:-2], "--batch", "--format", "json"]).stdout)
    assert any("caller's own calls only" in n for n in without["notes"])
    alone = json.loads(runner.invoke(app, ["check", *args[:-2], "--format", "json"]).stdout)
    assert not any("batch" in n for n in alone.get("notes", []))


@pytest.mark.parametrize("command", ["check", "propose"])
def test_a_bad_batch_role_is_one_line_exit_2_and_no_file_changed(tmp_path: Path, command: str) -> None:
    path = _write(tmp_path, _exempting(CALLER))
    before = path.read_bytes()
    extra = ["--write"] if command == "propose" else []
    result = runner.invoke(app, [command, str(path), "--profile", JP_SONNET, "--batch-role",
                                 "arn:aws:sts::111122223333:assumed-role/BedrockBatchRole/s", *extra])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--batch-role" in lines[0] and "Traceback" not in result.output
    assert path.read_bytes() == before


def test_propose_batch_role_write_is_stable(tmp_path: Path) -> None:
    path = _write(tmp_path, _exempting(CALLER, ROLE.replace("BedrockBatchRole", "Other")))
    args = [str(path), "--profile", JP_SONNET, "--source-region", "ap-northeast-1", "--batch-role", ROLE]
    first = runner.invoke(app, ["propose", *args, "--write"])
    assert first.exit_code == 1, first.output
    assert runner.invoke(app, ["check", *args]).exit_code == 0
    again = runner.invoke(app, ["propose", *args])
    assert again.exit_code == 0, again.output


ORG_SNAPSHOT = str(SAMPLES / "org" / "snapshot.json")


def test_org_propose_with_batch_still_unblocks_the_account(tmp_path: Path) -> None:
    args = ["org", "propose", "--snapshot", ORG_SNAPSHOT, "--profile", JP_SONNET, "--account", "111122223333"]
    plain = runner.invoke(app, [*args, "--format", "json"])
    for extra in (["--batch"], ["--batch-role", ROLE]):
        result = runner.invoke(app, [*args, *extra, "--format", "json"])
        assert result.exit_code == 1, result.output
        data = json.loads(result.stdout)
        assert data["status"] == "changed"
        # the OU's Region allow-list lets any principal through the profile: the same change
        assert [c["proposal"]["policy"] for c in data["changes"]] == [
            c["proposal"]["policy"] for c in json.loads(plain.stdout)["changes"]
        ]
        (change,) = data["changes"]
        assert change["proposal"]["check"]["batch"] is True
        assert any("batch service role" in n for n in change["proposal"]["notes"])
    bad = runner.invoke(app, [*args, "--batch-role", "role/BedrockBatchRole"])
    assert bad.exit_code == 2 and "--batch-role" in bad.stderr


def test_org_propose_with_batch_verifies_the_roles_hops() -> None:
    from rewriter.org.check import check_org
    from rewriter.org.propose import propose_org
    from rewriter.org.snapshot import load_snapshot

    snapshot = load_snapshot(ORG_SNAPSHOT)
    profiles = profiles_of([JP_SONNET])
    result = propose_org(snapshot, profiles, accounts=["111122223333"], batch=True, batch_role=ROLE)
    assert result.status == "changed", result.reason
    roles = {r.request.principal for a in result.after.accounts for c in a.result.checks for r in c.results
             if r.authorization.actor is Actor.BATCH_ROLE}
    assert roles == {ROLE} and not result.after.blocked
    before = check_org(snapshot, profiles, accounts=["111122223333"], actions=BATCH, batch_role=ROLE)
    assert before.blocked


def test_the_cli_takes_the_callers_principal_and_names_the_role_the_exemption_leaves_out(tmp_path: Path) -> None:
    path = _write(tmp_path, _exempting(CALLER))
    args = ["check", str(path), "--profile", JP_SONNET, "--principal", CALLER]
    assert runner.invoke(app, args).exit_code == 0  # the caller is exempt everywhere
    result = runner.invoke(app, [*args, "--batch-role", ROLE])
    assert result.exit_code == 1
    denied = [line for line in result.stdout.splitlines() if "denied" in line]
    assert denied and all("batch service role" in line and ROLE in line and CALLER in line for line in denied)
    # the suggested propose keeps who calls, so it proposes for the same requests
    assert f"--principal {CALLER} --batch-role {ROLE}" in result.stderr
    proposed = runner.invoke(app, ["propose", str(path), "--profile", JP_SONNET, "--principal", CALLER,
                                   "--batch-role", ROLE, "--format", "json"])
    assert proposed.exit_code == 1, proposed.output
    data = json.loads(proposed.stdout)
    assert {r["principal"] for r in data["check"]["profiles"][0]["requests"]} == {CALLER, ROLE}
    bad = runner.invoke(app, [*args[:-1], "arn:aws:sts::111122223333:assumed-role/DataScience/me"])
    assert bad.exit_code == 2 and "--principal" in bad.stderr and "role's ARN" in bad.stderr


def test_org_check_with_batch_role_checks_the_roles_hops() -> None:
    args = ["org", "check", "--snapshot", ORG_SNAPSHOT, "--profile", JP_SONNET, "--format", "json"]
    plain = runner.invoke(app, args)
    batch = runner.invoke(app, [*args, "--batch-role", ROLE])
    assert batch.exit_code == plain.exit_code == 1
    status = lambda out: {a["name"]: a["status"] for a in json.loads(out)["accounts"]}  # noqa: E731
    assert status(batch.stdout) == status(plain.stdout)
    assert runner.invoke(app, [*args, "--batch-role", "x"]).exit_code == 2
