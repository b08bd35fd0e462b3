"""The bundled organization snapshot (samples/org/snapshot.json): org check and org propose offline."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rewriter.cli import app

SNAPSHOT = str(Path(__file__).resolve().parent.parent / "samples" / "org" / "snapshot.json")
JP = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
runner = CliRunner()


def test_org_check_names_the_ou_policy_and_statement_that_block_one_account():
    result = runner.invoke(app, ["org", "check", "--snapshot", SNAPSHOT, "--profile", JP, "--format", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    status = {a["name"]: a["status"] for a in data["accounts"]}
    assert status == {"jp-prod": "blocked", "jp-dev": "ok", "us-prod": "ok"}
    (blocked,) = [a for a in data["accounts"] if a["blocked"]]
    (denial,) = blocked["profiles"][0]["denials"]
    assert denial["level"] == "ou" and denial["target"]["name"] == "Tokyo-only"
    assert denial["policy"] == {"id": "p-ex12tokyo", "name": "TokyoOnly"}
    assert denial["statement"]["sid"] == "DenyOutsideTokyo"
    assert denial["regions"] == ["ap-northeast-3"]


def test_org_propose_changes_only_the_policy_that_denies(tmp_path):
    result = runner.invoke(app, ["org", "propose", "--snapshot", SNAPSHOT, "--profile", JP,
                                 "--account", "111122223333", "--write-dir", str(tmp_path)])
    assert result.exit_code == 1, result.output
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["TokyoOnly.diff", "TokyoOnly.json"]
    policy = json.loads((tmp_path / "TokyoOnly.json").read_text(encoding="utf-8"))
    condition = policy["Statement"][0]["Condition"]
    assert condition["ArnNotLike"]["bedrock:InferenceProfileArn"] == [
        f"arn:aws:bedrock:*:*:inference-profile/{JP}"
    ]
    assert condition["StringNotEquals"]["aws:RequestedRegion"] == ["ap-northeast-1"]  # no Region opened


def test_org_check_each_level_cites_its_own_statement():
    """The root and an OU both deny 'unspecified': each level's line names its own policy's statement."""
    GLOBAL = "global.anthropic.claude-sonnet-4-5-20250929-v1:0"
    args = ["org", "check", "--snapshot", SNAPSHOT, "--profile", GLOBAL, "--source-region", "ap-northeast-1"]
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    (prod,) = [a for a in data["accounts"] if a["name"] == "jp-prod"]
    denials = {d["level"]: d for d in prod["profiles"][0]["denials"]}
    assert set(denials) == {"root", "ou"}
    assert denials["root"]["statement"]["sid"] == "DenyOutsideApprovedRegions"
    assert "DenyOutsideApprovedRegions" in denials["root"]["reason"] and "DenyOutsideTokyo" not in denials["root"]["reason"]
    assert denials["ou"]["statement"]["sid"] == "DenyOutsideTokyo"
    assert "DenyOutsideTokyo" in denials["ou"]["reason"] and "DenyOutsideApprovedRegions" not in denials["ou"]["reason"]
    text = runner.invoke(app, args).stdout.splitlines()
    root_line = next(line for line in text if "root (r-ex12)" in line)
    ou_line = next(line for line in text if "OU Root/Japan/Tokyo-only" in line)
    assert "DenyOutsideTokyo" not in root_line and "DenyOutsideApprovedRegions" not in ou_line


def _snapshot_with(tmp_path, name: str | None = None, extra_statement: dict | None = None) -> str:
    """The bundled snapshot with the TokyoOnly policy renamed or given one more statement."""
    data = json.loads(Path(SNAPSHOT).read_text(encoding="utf-8"))
    policy = next(p for p in data["policies"] if p["id"] == "p-ex12tokyo")
    if name is not None:
        policy["name"] = name
    if extra_statement is not None:
        content = json.loads(policy["content"])
        content["Statement"] = [*content["Statement"], extra_statement] if isinstance(content["Statement"], list) else [content["Statement"], extra_statement]
        policy["content"] = json.dumps(content, indent=2)
    path = tmp_path / "snapshot.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_org_propose_leaves_a_policy_named_aws_guardrails_to_control_tower(tmp_path):
    snapshot = _snapshot_with(tmp_path, name="aws-guardrails-AbCdEf")
    result = runner.invoke(app, ["org", "propose", "--snapshot", snapshot, "--profile", JP, "--account", "111122223333"])
    assert result.exit_code == 3, result.output
    assert "managed by AWS Control Tower" in result.output


def test_org_propose_refuses_a_deliberate_control_unless_its_sid_is_overridden(tmp_path):
    snapshot = _snapshot_with(tmp_path, extra_statement={
        "Sid": "NoJapanProfiles", "Effect": "Deny", "Action": "bedrock:*", "Resource": "*",
        "Condition": {"ArnLike": {"bedrock:InferenceProfileArn": "arn:aws:bedrock:*:*:inference-profile/jp.*"}},
    })
    args = ["org", "propose", "--snapshot", snapshot, "--profile", JP, "--account", "111122223333"]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 3, refused.output
    assert "forbidden by statement 2 (NoJapanProfiles" in refused.output
    lifted = runner.invoke(app, [*args, "--override", "NoJapanProfiles"])
    assert lifted.exit_code == 1, lifted.output
    assert "--override lifts statement 2 (NoJapanProfiles" in lifted.output
    unknown = runner.invoke(app, [*args, "--override", "NoSuchSid"])
    assert unknown.exit_code == 2 and "no policy in the organization has a statement with that Sid" in unknown.output
