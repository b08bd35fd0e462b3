"""Policies a pipeline fills in: JSON templates with ${NAME} placeholders, CloudFormation parameters,
Terraform variables and dynamic "statement" blocks."""

from __future__ import annotations

import json
from pathlib import Path

from test_strategy_cases import JP_SONNET
from typer.testing import CliRunner

from rewriter.cli import app
from rewriter.parse import parse_policy
from rewriter.placeholders import find_placeholders, render_template
from rewriter.policy_files import load_policy_file

runner = CliRunner()
TOKYO = ["--profile", JP_SONNET, "--source-region", "ap-northeast-1"]

HOME_REGION_DENY = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "HomeRegionOnly",
      "Effect": "Deny",
      "NotAction": ["iam:*", "sts:*"],
      "Resource": "*",
      "Condition": {
        "StringNotEquals": {"aws:RequestedRegion": "${HOME_REGION}"},
        "ArnNotLike": {"aws:PrincipalARN": ["arn:${PARTITION}:iam::*:role/${aws:PrincipalTag/team}-admin"]}
      }
    }
  ]
}
"""


def test_placeholders_have_no_colon_and_iam_policy_variables_are_left_alone() -> None:
    found = find_placeholders(parse_policy(HOME_REGION_DENY, path="t.json"))
    assert [(p.name, p.line, p.column) for p in found] == [("HOME_REGION", 10, 53), ("PARTITION", 11, 50)]
    rendered = render_template(parse_policy(HOME_REGION_DENY, path="t.json"), {"HOME_REGION": "ap-northeast-1", "PARTITION": "aws"})
    condition = rendered.document["Statement"][0]["Condition"]
    assert condition["StringNotEquals"]["aws:RequestedRegion"] == "ap-northeast-1"
    assert condition["ArnNotLike"]["aws:PrincipalARN"] == ["arn:aws:iam::*:role/${aws:PrincipalTag/team}-admin"]


def test_a_placeholder_without_a_value_is_bad_input_and_never_a_region(tmp_path: Path) -> None:
    path = tmp_path / "home.json"
    path.write_text(HOME_REGION_DENY, encoding="utf-8")
    for command in ("check", "propose"):
        result = runner.invoke(app, [command, str(path), *TOKYO, "--parameter", "PARTITION=aws"])
        assert result.exit_code == 2, result.output
        assert f"needs a value for HOME_REGION ({path}:10:53); pass --parameter HOME_REGION=..." in result.output
    assert path.read_text(encoding="utf-8") == HOME_REGION_DENY


def test_a_fix_keeps_the_placeholders_and_does_not_rewrite_one(tmp_path: Path) -> None:
    path = tmp_path / "home.json"
    path.write_text(HOME_REGION_DENY, encoding="utf-8")
    values = ["--parameter", "HOME_REGION=ap-northeast-1", "--parameter", "PARTITION=aws"]
    result = runner.invoke(app, ["propose", str(path), *TOKYO, *values, "--format", "json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["strategy"] == "profile-arn"
    regions = next(a for a in data["alternatives"] if a["strategy"] == "regions")
    assert "holds ${HOME_REGION}" in regions["rejected"]
    written = runner.invoke(app, ["propose", str(path), *TOKYO, *values, "--write"])
    assert written.exit_code == 1
    text = path.read_text(encoding="utf-8")
    assert '"${HOME_REGION}"' in text and "arn:${PARTITION}:iam" in text
    assert runner.invoke(app, ["propose", str(path), *TOKYO, *values]).exit_code == 0


def test_the_size_limit_is_measured_on_the_rendered_policy(tmp_path: Path) -> None:
    path = tmp_path / "home.json"
    path.write_text(HOME_REGION_DENY, encoding="utf-8")
    long_partition = "aws" + "x" * 5200  # a value nobody uses, to push the rendered policy over 5,120
    result = runner.invoke(app, ["propose", str(path), *TOKYO, "--parameter", "HOME_REGION=ap-northeast-1",
                                 "--parameter", f"PARTITION={long_partition}", "--format", "json"])
    assert result.exit_code == 3, result.output
    assert "over the 5120-character SCP limit" in result.stdout


def test_a_list_placeholder_takes_comma_separated_items() -> None:
    template = parse_policy('{"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": '
                            '{"StringNotEquals": {"aws:RequestedRegion": ["${regions}"]}}}]}', path="t.json")
    rendered = render_template(template, {"regions": "us-east-1, us-west-2"})
    assert rendered.document["Statement"][0]["Condition"]["StringNotEquals"]["aws:RequestedRegion"] == ["us-east-1", "us-west-2"]


TERRAFORM = """variable "statements" {
  type = map(object({ actions = list(string), regions = list(string) }))
  default = {
    OutsideTokyo = { actions = ["*"], regions = ["ap-northeast-1"] }
  }
}

variable "extra" {
  type    = list(string)
  default = []
}

data "aws_iam_policy_document" "scp" {
  dynamic "statement" {
    for_each = var.statements
    content {
      sid         = statement.key
      effect      = "Deny"
      not_actions = ["iam:*"]
      resources   = ["*"]
      condition {
        test     = "StringNotEquals"
        variable = "aws:RequestedRegion"
        values   = statement.value.regions
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.extra) > 0 ? [1] : []
    content {
      sid       = "Extra"
      effect    = "Deny"
      actions   = var.extra
      resources = ["*"]
    }
  }
}

resource "aws_organizations_policy" "scp" {
  name    = "scp"
  content = data.aws_iam_policy_document.scp.json
}
"""


def test_dynamic_statement_blocks_are_expanded_from_defaults_and_var_files(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text(TERRAFORM, encoding="utf-8")
    (item,) = load_policy_file(str(path), TERRAFORM)
    assert [s["Sid"] for s in item.policy.document["Statement"]] == ["OutsideTokyo"]
    assert item.policy.document["Statement"][0]["Condition"] == {
        "StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1"]}
    }
    values = tmp_path / "more.tfvars"
    values.write_text('extra = ["bedrock:*"]\n', encoding="utf-8")
    (item,) = load_policy_file(str(path), TERRAFORM, var_files=[str(values)])
    assert [s["Sid"] for s in item.policy.document["Statement"]] == ["OutsideTokyo", "Extra"]
    # a fix is never written into a statement a dynamic block makes: each candidate says why
    result = runner.invoke(app, ["propose", str(path), *TOKYO, "--format", "json"])
    assert result.exit_code == 3, result.output
    data = json.loads(result.stdout)
    assert all('comes from a dynamic "statement" block' in a["rejected"] for a in data["alternatives"])


def test_a_dynamic_block_that_cannot_be_expanded_is_named(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    text = TERRAFORM.replace("for_each = var.statements", "for_each = local.statements")
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", str(path), *TOKYO])
    assert result.exit_code == 2, result.output
    assert f'the dynamic "statement" block at {path}:14 cannot be expanded: its for_each reads local' in result.output
    assert path.read_text(encoding="utf-8") == text


CLOUDFORMATION = """AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  AllowedRegions:
    Type: CommaDelimitedList
    Default: "ap-northeast-1,ap-northeast-3"
  Extra:
    Type: String
Resources:
  RegionPolicy:
    Type: AWS::Organizations::Policy
    Properties:
      Name: region
      Type: SERVICE_CONTROL_POLICY
      Content:
        Version: '2012-10-17'
        Statement:
          - Sid: OutsideAllowed
            Effect: Deny
            NotAction: ['iam:*']
            Resource: '*'
            Condition:
              StringNotEquals:
                aws:RequestedRegion: !Ref AllowedRegions
"""


def test_a_parameter_default_is_used_and_said_and_a_missing_value_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "scp.yaml"
    path.write_text(CLOUDFORMATION, encoding="utf-8")
    result = runner.invoke(app, ["check", str(path), *TOKYO])
    assert result.exit_code == 0, result.output
    assert "!Ref AllowedRegions takes the default of AllowedRegions" in result.output
    needs = CLOUDFORMATION.replace("!Ref AllowedRegions", "!Ref Extra")
    path.write_text(needs, encoding="utf-8")
    result = runner.invoke(app, ["propose", str(path), *TOKYO])
    assert result.exit_code == 2, result.output
    assert f"needs a value for Extra ({path}:23:38); pass --parameter Extra=..." in result.output
