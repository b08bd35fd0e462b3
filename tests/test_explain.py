"""scp-fix explain: the diagnosis and the CLI, on the fixtures of tests/data/messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rewriter.catalog import load_catalog
from rewriter.cli import app
from rewriter.explain import diagnose
from rewriter.messages import parse_denial

MESSAGES = Path(__file__).parent / "data" / "messages"
ROOT = Path(__file__).resolve().parent.parent
TOKYO = str(ROOT / "samples" / "tokyo-only.json")
runner = CliRunner()


def message(name: str) -> str:
    return (MESSAGES / name).read_text(encoding="utf-8")


def run(*args: str, stdin: str | None = None):
    return runner.invoke(app, ["explain", *args], input=stdin)


def test_seed_console_message_names_the_us_family_and_us_east_2():
    result = run("-", "--policy", TOKYO, "--format", "json", stdin=message("seed_console_ja.txt"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["diagnosis"]["kind"] == "cris-destination"
    profiles = {c["profile"] for c in data["candidates"]}
    assert profiles and all(p.startswith("us.") for p in profiles)
    assert all("us-east-2" in r["regions_needed"] for c in data["candidates"] for r in c["routes"])
    # The policy was checked for the candidates: a Tokyo-only SCP blocks every us. source Region.
    assert data["results"] and all(r["check"]["blocked"] for r in data["results"])


def test_seed_cli_message_names_the_global_profile_and_unspecified():
    result = run(message("seed_cli_global.txt"), "--policy", TOKYO, "--source-region", "ap-northeast-1",
                 "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["diagnosis"]["kind"] == "cris-global"
    assert [c["profile"] for c in data["candidates"]] == ["global.anthropic.claude-sonnet-4-5-20250929-v1:0"]
    assert data["candidates"][0]["routes"][0]["regions_needed"] == ["ap-northeast-1", "unspecified"]
    (result_for_policy,) = data["results"]
    assert result_for_policy["check"]["profiles"][0]["denied_regions"] == ["unspecified"]
    assert result_for_policy["changed"] is True
    assert result_for_policy["patch"], "a proposal for the global profile"


def test_text_output_explains_the_hop():
    result = run(message("seed_console_ja.txt"))
    assert result.exit_code == 0
    assert "routed the call to us-east-2" in result.stdout
    assert "us.anthropic.claude-sonnet-4-20250514-v1:0 from us-east-1: us-east-1, us-east-2, us-west-2" in result.stdout


@pytest.mark.parametrize(
    "fixture, kind",
    [
        ("sdk_identity_implicit.txt", "not-scp"),
        ("sdk_boundary_explicit.txt", "not-scp"),
        ("sdk_session_policy.txt", "not-scp"),
        ("sdk_rcp.txt", "not-scp"),
        ("sdk_scp_profile.txt", "cris-source"),
        ("wrapped_cli.txt", None),
        ("masked_stars.txt", None),
    ],
)
def test_message_kinds_are_diagnosed(fixture, kind):
    denial = parse_denial(message(fixture))
    diagnosis = diagnose(denial, load_catalog())
    if kind is not None:
        assert diagnosis.kind == kind
    else:
        assert diagnosis.kind in {"cris-destination", "cris-global", "scp-other", "not-scp", "cris-source"}
    assert diagnosis.summary


def test_non_scp_denial_says_what_to_look_at():
    result = run(message("sdk_identity_implicit.txt"))
    assert result.exit_code == 0
    assert "This is not the SCP" in result.stdout


def test_source_region_narrows_candidates():
    denial = parse_denial(message("seed_console_ja.txt"))
    narrowed = diagnose(denial, load_catalog(), source_region="us-west-2")
    assert {r.source_region for c in narrowed.candidates for r in c.routes} == {"us-west-2"}


@pytest.mark.parametrize("text", ["hello world", "", "{\"Version\": \"2012-10-17\"}"])
def test_unparseable_message_exits_2(text):
    result = run(text)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.count("\n") <= 1
