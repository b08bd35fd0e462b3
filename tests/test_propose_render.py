"""Every sample x every strategy: the proposal's text means the patched document, its diff carries only
the change (no diff noise), and git accepts the diff."""

from __future__ import annotations

import subprocess
from pathlib import Path

import jsonpatch
import pytest

from rewriter import strategies
from rewriter.catalog import load_catalog
from rewriter.diff import unified_diff
from rewriter.parse import parse_policy
from rewriter.propose import propose

from diffnoise import diff_noise

SAMPLES = sorted((Path(__file__).resolve().parent.parent / "samples").glob("*.json"))
# Profiles whose source Regions the samples allow between them, so every strategy has work to do.
PROFILES = [
    ("jp.anthropic.claude-sonnet-4-5-20250929-v1:0", "ap-northeast-1"),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "ap-northeast-1"),
    ("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1"),
    ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "us-east-1"),
    ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "eu-central-1"),
    ("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "eu-west-1"),
    ("au.anthropic.claude-sonnet-4-5-20250929-v1:0", "ap-southeast-2"),
]
STRATEGIES = [s.name for s in strategies.of_kind("scp")]
# The Bedrock statement there names its actions ("Action": "bedrock:*"), so nothing can be carved out.
NOT_APPLICABLE = {("bedrock-statement-allows-unspecified", "notaction")}


def read(path: Path) -> str:
    return path.open(encoding="utf-8", newline="").read()


def git_apply_check(tmp_path: Path, old: str, new: str, name: str) -> None:
    repo = tmp_path / "repo"
    (repo / Path(name).parent).mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / name).write_text(old, encoding="utf-8", newline="")
    patch = repo / "change.patch"
    patch.write_text(unified_diff(old, new, path=name), encoding="utf-8", newline="")
    subprocess.run(["git", "apply", "--check", "change.patch"], cwd=repo, check=True, capture_output=True)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("sample", SAMPLES, ids=[s.stem for s in SAMPLES])
def test_each_strategy_renders_without_noise(sample: Path, strategy: str, tmp_path: Path) -> None:
    text = read(sample)
    policy = parse_policy(text, path=sample.name)
    catalog = load_catalog()
    changed = 0
    for ref, source in PROFILES:
        proposal = propose(policy, [catalog.get(ref)], source_region=source, strategy=strategy, force=True,
                           newly_allowed=False)
        if not proposal.changed:
            continue
        changed += 1
        chosen = proposal.chosen
        assert jsonpatch.apply_patch(policy.document, chosen.fix.patch) == chosen.document
        assert parse_policy(chosen.text, path=sample.name).document == chosen.document
        noise = diff_noise(text, chosen.text, policy.document, chosen.fix.patch)
        assert noise == [], f"{ref} from {source}: lines changed that carry no change: {noise}"
        assert chosen.text.startswith("\ufeff") == text.startswith("\ufeff")
        assert chosen.text.endswith("\n") == text.endswith("\n")
        assert ("\r\n" in chosen.text) == ("\r\n" in text)
        git_apply_check(tmp_path / f"{changed}", text, chosen.text, f"scp/{sample.name}")
    if (sample.stem, strategy) in NOT_APPLICABLE:
        assert not changed
    else:
        assert changed, f"no profile gave {strategy} anything to do on {sample.name}"
