"""End-of-life and announced profiles: old policies and error messages still name them.

An end-of-life profile keeps its last known routes, is checked with them, and every place that shows
it says "end of life since ...". An announced id without confirmed routes is known by name only:
asking to check it is bad input (exit 2) that says what to do.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewriter.catalog import load_catalog
from rewriter.cli import app
from rewriter.errors import ProfileNotFoundError

ROOT = Path(__file__).resolve().parent.parent
TOKYO = str(ROOT / "samples" / "tokyo-only.json")
EOL = "us.anthropic.claude-3-7-sonnet-20250219-v1:0"  # end of life 2026-04-28
ANNOUNCED = "us.anthropic.claude-opus-5-5"  # announced 2026-09, no routes in any copy
runner = CliRunner()


def run(*args: str, stdin: str | None = None):
    return runner.invoke(app, list(args), input=stdin)


# -- the library ------------------------------------------------------------------------------


def test_end_of_life_profile_keeps_its_routes() -> None:
    profile = load_catalog().get(EOL)
    assert profile.is_end_of_life
    assert profile.lifecycle_text == "end of life since 2026-04-28"
    assert profile.destinations("us-east-1") == ("us-east-1", "us-east-2", "us-west-2")
    assert profile.to_dict()["lifecycle"] == "end-of-life"


@pytest.mark.parametrize(
    "ref",
    [ANNOUNCED, f"  {ANNOUNCED}\n", f"arn:aws:bedrock:us-east-1:111122223333:inference-profile/{ANNOUNCED}"],
)
def test_announced_id_is_known_by_name_but_not_checkable(ref: str) -> None:
    catalog = load_catalog()
    assert catalog.announcement(ANNOUNCED).model == "anthropic.claude-opus-5-5"
    for look_up in (catalog.get, catalog.resolve):
        with pytest.raises(ProfileNotFoundError) as info:
            look_up(ref)
        message = str(info.value)
        assert "announced" in message and "routes are not confirmed" in message
        assert "--profiles-file" in message and "profiles sync" in message
        assert "nearest known" not in message  # not treated as a typo


def test_a_user_file_with_routes_replaces_the_announcement(tmp_path: Path) -> None:
    path = tmp_path / "opus.yaml"
    path.write_text(
        f'- id: "{ANNOUNCED}"\n  model: "anthropic.claude-opus-5-5"\n'
        "  routes:\n    us-east-1: [us-east-1, us-east-2, us-west-2]\n",
        encoding="utf-8",
    )
    catalog = load_catalog(str(path))
    assert catalog.announcement(ANNOUNCED) is None
    assert catalog.get(ANNOUNCED).destinations("us-east-1") == ("us-east-1", "us-east-2", "us-west-2")
    assert len(catalog.announced) == len(load_catalog().announced) - 1


# -- the CLI ------------------------------------------------------------------------------------


def test_check_with_an_end_of_life_profile_works_and_says_so() -> None:
    result = run("check", TOKYO, "--profile", EOL, "--source-region", "us-east-1")
    assert result.exit_code == 1, result.output  # checked: the Tokyo-only SCP blocks it
    assert f"{EOL} from us-east-1: BLOCKED (end of life since 2026-04-28)" in result.stdout
    assert f"note: {EOL} is end of life since 2026-04-28" in result.stderr

    data = json.loads(run("check", TOKYO, "--profile", EOL, "--source-region", "us-east-1", "--format", "json").stdout)
    assert {(p["lifecycle"], p["end_of_life"]) for p in data["profiles"]} == {("end-of-life", "2026-04-28")}
    # Unreachable from every source (Tokyo only): the lifecycle goes with it.
    everywhere = run("check", TOKYO, "--profile", EOL)
    assert f"{EOL}: BLOCKED (end of life since 2026-04-28):" in everywhere.stdout
    (unreachable,) = json.loads(run("check", TOKYO, "--profile", EOL, "--format", "json").stdout)["unreachable"]
    assert unreachable["lifecycle"] == "end-of-life"


def test_check_with_an_active_profile_says_nothing_of_lifecycle() -> None:
    result = run("check", TOKYO, "--profile", "us.anthropic.claude-sonnet-5", "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    (unreachable,) = data["unreachable"]  # known since the 2026-12-04 revision, with its six sources
    assert unreachable["source_regions"] == [
        "ca-central-1", "ca-west-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
    ]
    assert "lifecycle" not in unreachable
    assert "note:" not in result.stderr


def test_a_legacy_profile_is_checked_quietly_with_its_lifecycle_in_json() -> None:
    """Legacy profiles still work: JSON says so, the text does not repeat it on every line."""
    legacy = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"  # legacy, end of life 2027-04-08
    text = run("check", TOKYO, "--profile", legacy)
    assert text.exit_code == 1 and "note:" not in text.stderr and "end of life" not in text.stdout
    data = json.loads(run("check", TOKYO, "--profile", legacy, "--format", "json").stdout)
    assert {(p["lifecycle"], p["end_of_life"]) for p in data["profiles"]} == {("legacy", "2027-04-08")}


@pytest.mark.parametrize("command", ["check", "propose"])
def test_an_announced_profile_is_bad_input(command: str) -> None:
    result = run(command, TOKYO, "--profile", ANNOUNCED)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "routes are not confirmed" in result.stderr and "profiles sync" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_profiles_list_and_show_say_end_of_life() -> None:
    listing = run("profiles", "list", "--model", "claude-3-7-sonnet")
    assert listing.exit_code == 0, listing.output
    row = next(line for line in listing.stdout.splitlines() if line.startswith(EOL))
    assert row.endswith("end of life since 2026-04-28")
    assert "announced without confirmed routes" in listing.stdout

    shown = run("profiles", "show", EOL)
    assert "lifecycle: end of life since 2026-04-28" in shown.stdout
    assert "evidence:" in shown.stdout

    document = json.loads(run("profiles", "list", "--format", "json").stdout)
    assert ANNOUNCED in {a["id"] for a in document["announced_unconfirmed"]}


def test_profiles_show_an_announced_id() -> None:
    result = run("profiles", "show", ANNOUNCED)
    assert result.exit_code == 0, result.output
    assert "Routes: not confirmed" in result.stdout and "profiles sync" in result.stdout
    data = json.loads(run("profiles", "show", ANNOUNCED, "--format", "json").stdout)
    assert data["announced_unconfirmed"][0]["model"] == "anthropic.claude-opus-5-5"


def test_explain_names_an_end_of_life_candidate() -> None:
    message = (
        "An error occurred (AccessDeniedException) when calling the InvokeModel operation: User: "
        "arn:aws:iam::123456789012:user/dev is not authorized to perform: bedrock:InvokeModel on resource: "
        "arn:aws:bedrock:us-east-2::foundation-model/anthropic.claude-3-7-sonnet-20250219-v1:0 "
        "with an explicit deny in a service control policy"
    )
    text = run("explain", message, "--source-region", "us-east-1")
    assert text.exit_code == 0, text.output
    assert f"{EOL}: from us-east-1: us-east-1, us-east-2, us-west-2 (end of life since 2026-04-28)" in text.stdout
    data = json.loads(run("explain", message, "--format", "json").stdout)
    (candidate,) = [c for c in data["candidates"] if c["profile"] == EOL]
    assert (candidate["lifecycle"], candidate["end_of_life"]) == ("end-of-life", "2026-04-28")


# -- unknown Region codes: located warnings naming the nearest known code ------------------------


def test_unknown_regions_in_an_scp_simulate_and_a_user_file_are_warned(tmp_path: Path) -> None:
    policy = tmp_path / "typo.json"
    policy.write_text(
        '{"Version": "2012-10-17", "Statement": [{"Sid": "D", "Effect": "Deny", "NotAction": "iam:*",\n'
        ' "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion":\n'
        '  ["ap-northeast-1", "ap-northest-3", "eu-*"]}}}]}\n',
        encoding="utf-8",
    )
    result = run("check", str(policy), "--profile", "jp.anthropic.claude-sonnet-4-6")
    assert result.exit_code == 1
    (warning,) = [line for line in result.stderr.splitlines() if "aws:RequestedRegion" in line]
    assert warning.startswith(f"scp-fix: warning: {policy}:3:22: statement 1 (D, line 1)")
    assert "'ap-northest-3' is not a Region scp-fix knows (nearest known: ap-northeast-3)" in warning

    simulated = run("simulate", str(policy), "--action", "bedrock:InvokeModel", "--region", "ap-northest-1")
    assert simulated.exit_code == 1  # evaluated as given
    assert "warning: --region: 'ap-northest-1' is not a Region scp-fix knows (nearest known: ap-northeast-1)" in simulated.stderr
    assert "warning" not in run("simulate", str(policy), "--action", "bedrock:InvokeModel", "--region", "unspecified").stderr

    user = tmp_path / "p.yaml"
    user.write_text('- id: "jp.x.m"\n  model: "x.m"\n  routes:\n    ap-northeast-1: [ap-northeast-1, ap-northest-3]\n')
    checked = run("check", str(policy), "--profile", "jp.x.m", "--profiles-file", str(user))
    assert f"scp-fix: warning: {user}:4:38: profile 0 (jp.x.m): destination Region 'ap-northest-3'" in checked.stderr
    assert "nearest known: ap-northeast-3" in checked.stderr
