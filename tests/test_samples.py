"""Every sample in samples/ parses, restricts Regions as expected, and decides requests as expected.

The expectations live in tests/expected/samples.yaml (one entry per sample); this module is the
one harness that runs them.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from rewriter.evaluate import Request, evaluate
from rewriter.parse import parse_policy
from rewriter.regions import find_region_restrictions

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
EXPECTED = Path(__file__).resolve().parent / "expected" / "samples.yaml"
SAMPLE_FILES = sorted(p.name for p in SAMPLES.glob("*.json"))


@functools.cache
def expected() -> dict[str, Any]:
    import yaml

    return yaml.safe_load(EXPECTED.read_text(encoding="utf-8"))


@functools.cache
def load(name: str):
    return parse_policy((SAMPLES / name).read_bytes(), path=f"samples/{name}")


def _decision_cases() -> list[Any]:
    return [
        pytest.param(name, case, id=f"{name.removesuffix('.json')}-{i}-{case['action']}-{case['region']}")
        for name in SAMPLE_FILES
        for i, case in enumerate(expected().get(name, {}).get("decisions", ()))
    ]


def test_every_sample_has_expectations() -> None:
    assert SAMPLE_FILES, "no samples found"
    assert sorted(expected()) == SAMPLE_FILES
    for name in SAMPLE_FILES:
        assert expected()[name]["decisions"], f"{name} has no expected decisions"


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_sample_parses(name: str) -> None:
    policy = load(name)
    # bytes, not read_text(): a sample may use CRLF, and spans count the \r
    text = (SAMPLES / name).read_bytes().decode("utf-8")
    want = expected()[name]
    assert policy.document == json.loads(text)
    assert len(policy.statements) == want["statements"]
    assert policy.statement_is_list is want["statement_is_list"]
    # every statement's pointer resolves to the statement in the document
    for statement in policy.statements:
        span = policy.source.spans[statement.pointer]
        assert json.loads(text[span.start : span.end]) == _resolve(policy.document, statement.pointer)


def _resolve(document: Any, pointer: str) -> Any:
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        document = document[int(token)] if isinstance(document, list) else document[token]
    return document


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_region_restrictions(name: str) -> None:
    found = find_region_restrictions(load(name))
    got = [
        {
            "statement": r.statement.index,
            "kind": r.kind,
            "regions": list(r.regions),
            "ignore_case": r.ignore_case,
            "uses_patterns": r.uses_patterns,
            "not_actions": len(r.exemptions.not_actions),
            "principal_patterns": list(r.exemptions.principal_patterns),
        }
        for r in found
    ]
    want = [
        {"ignore_case": False, "uses_patterns": False, **entry} for entry in expected()[name]["regions"]
    ]
    assert got == want
    for restriction in found:
        assert restriction.clause.key.lower() == "aws:requestedregion"
        assert restriction.clause.pointer.startswith(restriction.statement.pointer + "/Condition/")


def _refs(decision) -> list[Any]:
    return [
        "FullAWSAccess" if ref.policy_index < 0 else {"index": ref.index, "sid": ref.sid}
        for ref in decision.statements
    ]


@pytest.mark.parametrize(("name", "case"), _decision_cases())
def test_decision(name: str, case: dict[str, Any]) -> None:
    policy = load(name)
    request = Request(
        action=case["action"],
        resource=case.get("resource", "*"),
        region=case["region"],
        principal=case.get("principal"),
        context=case.get("context", {}),
    )
    decision = evaluate(policy, request, full_access=case.get("full_access", True))
    assert decision.outcome == case["outcome"]
    assert decision.allowed is (case["outcome"] == "allowed")
    assert _refs(decision) == case["deciding"]
    for ref in decision.statements:
        if ref.policy_index >= 0:
            statement = policy.statements[ref.index]
            assert (ref.pointer, ref.effect) == (statement.pointer, statement.effect)


# ---------------------------------------------------------------------------------------------
# Region-restriction shapes the samples do not show


def _restrictions(statement: str):
    return find_region_restrictions(parse_policy(f'{{"Version": "2012-10-17", "Statement": [{statement}]}}'))


def test_allow_statement_with_region_condition() -> None:
    (found,) = _restrictions(
        '{"Effect": "Allow", "Action": "*", "Resource": "*",'
        ' "Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1"]}}}'
    )
    assert (found.kind, found.regions) == ("allow-statement", ("eu-west-1",))
    assert "allows only eu-west-1" in found.describe()


def test_pattern_and_if_exists_forms() -> None:
    (found,) = _restrictions(
        '{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",'
        ' "Condition": {"StringNotLikeIfExists": {"AWS:REQUESTEDREGION": ["eu-*"]},'
        ' "StringNotLike": {"bedrock:InferenceProfileArn": "arn:aws:bedrock:*:*:inference-profile/eu.*"}}}'
    )
    assert (found.kind, found.regions, found.uses_patterns) == ("allow-list", ("eu-*",), True)
    assert found.exemptions.inference_profile_patterns == ("arn:aws:bedrock:*:*:inference-profile/eu.*",)
    assert found.exemptions.not_actions == ("iam:*",)


def test_set_qualifiers_on_the_region_key_restrict_regions() -> None:
    # aws:RequestedRegion holds one value, so ForAllValues:/ForAnyValue: decide as the plain operator does
    for qualifier, operator, kind in (
        ("ForAllValues", "StringNotEquals", "allow-list"),
        ("ForAnyValue", "StringNotEquals", "allow-list"),
        ("ForAnyValue", "StringEquals", "deny-list"),
    ):
        (found,) = _restrictions(
            '{"Effect": "Deny", "Action": "*", "Resource": "*",'
            f' "Condition": {{"{qualifier}:{operator}": {{"aws:RequestedRegion": ["eu-west-1"]}}}}}}'
        )
        assert (found.kind, found.regions) == (kind, ("eu-west-1",))


def test_conditions_that_do_not_restrict_regions() -> None:
    # a Region key under another name, and an Allow that excludes Regions
    assert _restrictions(
        '{"Effect": "Deny", "Action": "*", "Resource": "*",'
        ' "Condition": {"StringNotEquals": {"ec2:Region": "eu-west-1"}}}'
    ) == ()
