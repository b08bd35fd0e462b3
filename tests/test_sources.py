"""Policies inside CloudFormation and Terraform files: read, rewrite by span edits, golden diffs."""

from __future__ import annotations

import difflib
import os
import subprocess
import sys
from pathlib import Path

import jsonpatch
import pytest

from rewriter.sources import ReferencedValueError, detect_kind, load_embedded, rewrite

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples" / "iac"
GOLDEN = Path(__file__).resolve().parent / "golden" / "iac"
TFVARS = str(SAMPLES / "tf-policy-document.tfvars")

REGION = [{"op": "add", "path": "/Statement/0/Condition/StringNotEquals/aws:RequestedRegion/-", "value": "ap-northeast-3"}]
PROFILE_ARN = {"bedrock:InferenceProfileArn": ["arn:aws:bedrock:*:*:inference-profile/apac.*"]}
CONDITION = [{"op": "add", "path": "/Statement/0/Condition/ArnNotLike", "value": PROFILE_ARN}]
STATEMENT = [
    {
        "op": "add",
        "path": "/Statement/-",
        "value": {
            "Sid": "DenyBedrockInferenceOutsideApac",
            "Effect": "Deny",
            "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1", "ap-northeast-3"]}},
        },
    }
]
SCENARIOS = {"region": REGION, "condition": CONDITION, "statement": STATEMENT}

# (sample, policy name, scenario): the YAML RegionDenyPolicy already has ArnNotLike, so the
# condition goes in as a new key under it
CASES = [
    ("cfn-region-deny.yaml", "RegionDenyPolicy", "region", REGION),
    ("cfn-region-deny.yaml", "RegionDenyPolicy", "condition",
     [{"op": "add", "path": "/Statement/0/Condition/ArnNotLike/bedrock:InferenceProfileArn",
       "value": PROFILE_ARN["bedrock:InferenceProfileArn"]}]),
    ("cfn-region-deny.yaml", "RegionDenyPolicy", "statement", STATEMENT),
    ("cfn-region-deny.yaml", "BedrockRegionPolicy", "condition", CONDITION),
    ("cfn-region-deny.yaml", "BedrockRegionPolicy", "statement", STATEMENT),
    ("cfn-region-deny.yaml", "SandboxPolicy", "notaction",
     [{"op": "remove", "path": "/Statement/0/Action"},
      {"op": "add", "path": "/Statement/0/NotAction", "value": ["bedrock:*"]}]),
] + [
    (sample, None, scenario, ops)
    for sample in ("cfn-region-deny.json", "tf-jsonencode.tf", "tf-heredoc.tf")
    for scenario, ops in SCENARIOS.items()
] + [
    ("cfn-region-deny.yaml", "SandboxPolicy", scenario, ops) for scenario, ops in SCENARIOS.items()
] + [
    ("tf-policy-document.tf", None, "condition", CONDITION),
    ("tf-policy-document.tf", None, "statement", STATEMENT),
    ("tf-policy-document.tf", None, "notaction",
     [{"op": "remove", "path": "/Statement/1/Action"},
      {"op": "add", "path": "/Statement/1/NotAction", "value": ["organizations:DescribeOrganization"]}]),
]


def _load(sample: str, name: str | None):
    path = str(SAMPLES / sample)
    text = Path(path).read_text(encoding="utf-8")
    var_files = [TFVARS] if "policy-document" in sample else []
    found = load_embedded(path, text, var_files=var_files)
    chosen = [e for e in found if name is None or e.name == name]
    assert len(chosen) == 1
    return path, text, chosen[0], var_files


def _diff(sample: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), f"a/{sample}", f"b/{sample}"))


def _normalise(value):
    # aws_iam_policy_document writes every element as a list; IAM reads "x" and ["x"] alike
    if isinstance(value, dict):
        return {k: _normalise([v] if isinstance(v, str) and k not in ("Version", "Sid", "Effect") else v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalise(v) for v in value]
    return value


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.iterdir() if not p.name.endswith(".tfvars")))
def test_no_edits_give_every_policy_of_every_fixture_back_byte_for_byte(sample):
    path = str(SAMPLES / sample)
    text = Path(path).read_text(encoding="utf-8")
    found = load_embedded(path, text, var_files=[TFVARS] if "policy-document" in sample else [])
    assert found
    for embedded in found:
        assert rewrite(text, embedded, []) == text


@pytest.mark.parametrize("sample,name,scenario,ops", CASES, ids=lambda v: v if isinstance(v, str) else None)
def test_rewrite_matches_golden_and_reads_back(sample, name, scenario, ops):
    path, before, embedded, var_files = _load(sample, name)
    after = rewrite(before, embedded, ops)
    diff = _diff(sample, before, after)
    golden = GOLDEN / f"{sample}.{name or 'policy'}.{scenario}.diff"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(diff, encoding="utf-8")
    assert diff == golden.read_text(encoding="utf-8")

    # the rewritten file reads back, with the same reader, as exactly the patched document
    again = [e for e in load_embedded(path, after, var_files=var_files) if e.name == embedded.name]
    expected = jsonpatch.apply_patch(embedded.document, ops)
    got = again[0].document
    if embedded.form == "policy-document":
        expected, got = _normalise(expected), _normalise(got)
    assert got == expected
    # the other policies of the file are untouched
    others = {e.name: e.document for e in load_embedded(path, before, var_files=var_files) if e.name != embedded.name}
    assert others == {e.name: e.document for e in load_embedded(path, after, var_files=var_files) if e.name != embedded.name}


@pytest.mark.parametrize("sample,name", [
    ("cfn-region-deny.yaml", "RegionDenyPolicy"), ("cfn-region-deny.yaml", "SandboxPolicy"),
    ("tf-jsonencode.tf", None), ("tf-heredoc.tf", None),
])
def test_adding_a_region_touches_only_the_list(sample, name):
    _, before, embedded, _ = _load(sample, name)
    after = rewrite(before, embedded, REGION)
    old, new = before.splitlines(), after.splitlines()
    changes = [op for op in difflib.SequenceMatcher(None, old, new).get_opcodes() if op[0] != "equal"]
    assert len(changes) == 1
    tag, i1, i2, j1, j2 = changes[0]
    # a list one item a line: at most the last item's line changes (a comma) and one line is
    # added; a one-line list: only its line changes
    one_line = i2 - i1 == 1 and j2 - j1 == 1
    assert i2 - i1 <= 1 and (j2 - j1) - (i2 - i1) == (0 if one_line else 1)
    assert "ap-northeast-3" in new[j2 - 1]


def test_json_string_content_changes_on_its_own_line():
    _, before, embedded, _ = _load("cfn-region-deny.json", None)
    after = rewrite(before, embedded, REGION)
    changed = [i for i, (a, b) in enumerate(zip(before.splitlines(), after.splitlines())) if a != b]
    assert changed == [10]  # the Content line, and nothing else
    assert '\\"ap-southeast-2\\", \\"ap-northeast-3\\"]' in after


def test_documents_as_read():
    _, _, deny, _ = _load("cfn-region-deny.yaml", "RegionDenyPolicy")
    statement = deny.document["Statement"][0]
    assert statement["NotAction"] == ["iam:*", "organizations:*", "sts:*", "support:*"]
    assert statement["Condition"]["StringNotEquals"] == {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}
    assert [r.pointer for r in deny.unresolved] == ["/Statement/0/Condition/ArnNotLike/aws:PrincipalARN/0"]
    assert deny.unresolved[0].text.startswith("!Sub")

    _, _, tf, _ = _load("tf-jsonencode.tf", None)
    assert tf.name == "aws_organizations_policy.region_deny" and tf.form == "jsonencode"
    assert tf.document["Statement"][0]["Condition"]["StringNotEquals"]["aws:RequestedRegion"] == ["ap-northeast-1", "ap-southeast-2"]

    _, _, heredoc, _ = _load("tf-heredoc.tf", None)
    # $${ is Terraform's escape for a literal ${, an IAM policy variable here
    assert heredoc.document["Statement"][0]["Condition"]["StringNotLike"]["aws:PrincipalARN"] == (
        "arn:aws:iam::*:role/${aws:PrincipalTag/team}-admin"
    )

    _, _, doc, _ = _load("tf-policy-document.tf", None)
    assert doc.document["Statement"][0]["Condition"]["StringNotEquals"]["aws:RequestedRegion"] == ["eu-west-1", "eu-central-1"]
    assert doc.document["Statement"][1] == {
        "Sid": "DenyLeavingOrganization", "Effect": "Deny",
        "Action": ["organizations:LeaveOrganization"], "Resource": ["*"],
    }
    assert doc.policy.statements[0].effect == "Deny"


def test_parameter_ref_is_unresolved_until_given():
    path = str(SAMPLES / "cfn-region-deny.yaml")
    text = Path(path).read_text(encoding="utf-8")
    bedrock = {e.name: e for e in load_embedded(path, text)}["BedrockRegionPolicy"]
    (ref,) = bedrock.unresolved
    assert ref.pointer == "/Statement/0/Condition/StringNotEquals/aws:RequestedRegion"
    assert ref.text == "!Ref AllowedRegions" and ref.line == 60
    assert (ref.origin.line, ref.origin.column) == (12, 14)  # the Parameter's Default
    given = {e.name: e for e in load_embedded(path, text, parameters={"AllowedRegions": "eu-west-1,ap-northeast-1"})}
    condition = given["BedrockRegionPolicy"].document["Statement"][0]["Condition"]["StringNotEquals"]
    assert condition == {"aws:RequestedRegion": ["eu-west-1", "ap-northeast-1"]}
    assert given["BedrockRegionPolicy"].unresolved == ()
    defaults = {e.name: e for e in load_embedded(path, text, use_defaults=True)}
    assert defaults["BedrockRegionPolicy"].document["Statement"][0]["Condition"]["StringNotEquals"] == {
        "aws:RequestedRegion": ["eu-west-1", "eu-central-1"]
    }


def test_change_to_a_parameter_value_names_its_default():
    path, text, bedrock, _ = _load("cfn-region-deny.yaml", "BedrockRegionPolicy")
    with pytest.raises(ReferencedValueError) as caught:
        rewrite(text, bedrock, REGION)
    assert (caught.value.line, caught.value.column) == (12, 14)


def test_change_to_a_variable_names_the_tfvars_line():
    path, text, doc, _ = _load("tf-policy-document.tf", None)
    with pytest.raises(ReferencedValueError) as caught:
        rewrite(text, doc, REGION)
    assert caught.value.path == TFVARS and caught.value.line == 2
    # without a var file the variable is unresolved and points at its declaration
    (ref,) = load_embedded(path, text)[0].unresolved
    assert ref.text == "var.allowed_regions" and ref.origin.line == 1


def test_detect_kind():
    assert detect_kind("x.tf", "") == "terraform"
    assert detect_kind("t.yaml", "") == "cloudformation"
    assert detect_kind("t.json", (SAMPLES / "cfn-region-deny.json").read_text()) == "cloudformation"
    assert detect_kind("p.json", '{"Version": "2012-10-17", "Statement": []}') == "json-policy"


def _cfn_lint(*paths: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())", *paths], capture_output=True, text=True, check=False)


@pytest.mark.integration  # cfn-lint, run as a program
def test_cloudformation_samples_pass_cfn_lint(tmp_path):
    pytest.importorskip("cfnlint")
    samples = [str(SAMPLES / "cfn-region-deny.yaml"), str(SAMPLES / "cfn-region-deny.json")]
    result = _cfn_lint(*samples)
    assert result.returncode == 0, result.stdout + result.stderr
    # and so do the rewritten templates
    written = []
    for sample, name, _, ops in CASES:
        if sample.startswith("cfn-"):
            _, before, embedded, _ = _load(sample, name)
            target = tmp_path / f"{len(written)}-{sample}"
            target.write_text(rewrite(before, embedded, ops), encoding="utf-8")
            written.append(str(target))
    result = _cfn_lint(*written)
    assert result.returncode == 0, result.stdout + result.stderr


def _outside_the_policy(parsed: dict) -> dict:
    """What python-hcl2 reads from a Terraform file, less the policy a rewrite may change: the
    organization policy's content and the aws_iam_policy_document blocks."""
    import copy

    kept = copy.deepcopy(parsed)
    for resource in kept.get("resource", []):
        for blocks in resource.values():
            for block in blocks.values():
                block.pop("content", None)
    kept["data"] = [d for d in kept.get("data", []) if '"aws_iam_policy_document"' not in d]
    return kept


def test_terraform_rewrites_read_the_same_to_python_hcl2_outside_the_policy():
    """python-hcl2, a reader of its own, sees the rewritten file as the original everywhere but the
    policy; a heredoc policy it reads holds exactly the patched document."""
    import json

    import hcl2

    for sample in ("tf-jsonencode.tf", "tf-heredoc.tf", "tf-policy-document.tf", "tf-policy-document.tfvars"):
        hcl2.loads((SAMPLES / sample).read_text(encoding="utf-8"))
    checked = 0
    for sample, name, _, ops in CASES:
        if not sample.endswith(".tf"):
            continue
        _, before, embedded, _ = _load(sample, name)
        old, new = hcl2.loads(before), hcl2.loads(rewrite(before, embedded, ops))
        assert new != old
        assert _outside_the_policy(new) == _outside_the_policy(old)
        if embedded.form == "heredoc":
            (resource,) = [b for r in new["resource"] for blocks in r.values() for b in blocks.values()]
            body = resource["content"].strip('"').split("\n", 1)[1].rsplit("\n", 1)[0]  # inside <<-POLICY ... POLICY
            assert json.loads(body.replace("$${", "${")) == jsonpatch.apply_patch(embedded.document, ops)
        checked += 1
    assert checked >= 8
