"""A second opinion on the evaluator: hypothesis draws SCPs and requests, and scp-fix's ``evaluate``
must reach the decision that @cloud-copilot/iam-simulate (an independent IAM simulator, from npm at
the version in tests/oracle/package.json) reaches, except where the two are known to differ
(``DIVERGENCES``, each with its reason).

The SCP is evaluated beside FullAWSAccess, or alone (an allow-list SCP), with an identity policy that
allows everything, so the SCP alone decides. The policies use every operator family (String, Arn,
Numeric, Date, Bool, IpAddress, Null), IfExists, ForAnyValue and ForAllValues, wildcards, NotAction
and NotResource, several statements, Allow and Deny.

node runs one script (tests/oracle/iam_simulate.js) for the whole test, fed the cases in a batch.
``.ci/run`` installs the package (``scripts/install-oracle``, into the ignored ``.oracle/``); when it
is missing the test fails: it is part of the suite. ``HYPOTHESIS_PROFILE=fuzz`` runs it long.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rewriter.evaluate import Request, evaluate
from rewriter.parse import parse_policy

ROOT = Path(__file__).resolve().parent.parent
ORACLE = Path(__file__).resolve().parent / "oracle"
PREFIX = ROOT / ".oracle"  # where scripts/install-oracle puts node_modules
ACCOUNT = "111122223333"
PRINCIPAL = f"arn:aws:iam::{ACCOUNT}:role/Caller"
REGIONS = ("us-east-1", "ap-northeast-1", "eu-west-1")

# (action, resource ARN pattern): real actions on resources of the types iam-simulate knows for them
REQUESTS = (
    ("bedrock:InvokeModel", "arn:aws:bedrock:{region}::foundation-model/anthropic.claude-v2"),
    ("bedrock:InvokeModel", "arn:aws:bedrock:{region}:" + ACCOUNT + ":inference-profile/jp.anthropic.claude-v2"),
    ("bedrock:InvokeModelWithResponseStream", "arn:aws:bedrock:{region}::foundation-model/amazon.nova-pro-v1:0"),
    ("s3:GetObject", "arn:aws:s3:::reports/2026/key.txt"),
    ("s3:PutObject", "arn:aws:s3:::logs/key.txt"),
    ("ec2:RunInstances", "arn:aws:ec2:{region}:" + ACCOUNT + ":instance/i-0123"),
    ("iam:GetRole", "arn:aws:iam::" + ACCOUNT + ":role/Caller"),
)

# Where the two evaluators are known to differ, in one place: (name, reason, test on the document).
DIVERGENCES: tuple[tuple[str, str], ...] = (
    ("*:*", "iam-simulate compares the service part of an action pattern literally, so '*:*' (and '*:Get*') "
     "matches no action there, while IAM (and scp-fix) treats '*' in the service part as a wildcard"),
    ("wildcard-only actions", "for an action whose only resource is '*' (sts:GetCallerIdentity) iam-simulate lets a "
     "statement's Resource match whatever it names; no Bedrock authorization is of that kind, so no request "
     "here is one (REQUESTS)"),
    ("short ARN patterns", "iam-simulate matches an ARN pattern segment by segment, so one with fewer than six parts "
     "(arn:aws:bedrock:*) matches no resource there, while IAM (and scp-fix) lets its last '*' run over the "
     "colons; the patterns here have all six parts"),
    ("epoch dates", "an epoch number in the request compared with an ISO 8601 date in the policy decides differently "
     "(aws:EpochTime 1900000000 against DateLessThan 2026-01-01T00:00:00Z: iam-simulate allows); dates are "
     "ISO 8601 on both sides here"),
)


def _diverges(document: dict[str, Any]) -> bool:
    """Whether a document falls under ``DIVERGENCES`` ("*:*": a wildcard in an action's service part)."""
    for statement in document["Statement"]:
        for element in ("Action", "NotAction"):
            patterns = statement.get(element, ())
            for pattern in [patterns] if isinstance(patterns, str) else patterns:
                service = pattern.partition(":")[0]
                if pattern != "*" and any(c in service for c in "*?"):
                    return True
    return False


# -- policies ------------------------------------------------------------------------------------

actions = st.sampled_from([
    "*", "bedrock:*", "bedrock:Invoke*", "bedrock:InvokeModel", "bedrock:InvokeModel?ithResponseStream", "s3:*", "s3:Get*",
    "s3:GetObject", "ec2:*", "ec2:Run*", "iam:*", "sts:*", "*:*", "*:Get*",
])
resources = st.sampled_from([
    "*", "arn:aws:bedrock:*:*:*", "arn:aws:bedrock:*::foundation-model/*", "arn:aws:bedrock:*:*:inference-profile/jp.*",
    "arn:aws:s3:::reports/*", "arn:aws:s3:::*", "arn:aws:ec2:*:*:instance/*", "arn:aws:iam::*:role/Caller",
    "arn:aws:s3:::logs/key.???",
])
regions = st.sampled_from([*REGIONS, "ap-*", "us-*", "*-1", "eu-west-?"])

# (operator family, key, value strategy): each key is one the request may carry (or lack)
CONDITION_KEYS = (
    ("String", "aws:RequestedRegion", regions),
    ("String", "aws:PrincipalTag/team", st.sampled_from(["platform", "data", "plat*", "*", "Platform"])),
    ("Arn", "aws:PrincipalArn", st.sampled_from([PRINCIPAL, f"arn:aws:iam::{ACCOUNT}:role/*", "arn:aws:iam::*:role/Admin"])),
    ("Numeric", "aws:MultiFactorAuthAge", st.sampled_from(["0", "300", "3600", "86400"])),
    ("Date", "aws:CurrentTime", st.sampled_from(["2025-06-01T00:00:00Z", "2026-01-01T00:00:00Z", "2027-12-31T23:59:59Z"])),
    ("Bool", "aws:SecureTransport", st.sampled_from(["true", "false"])),
    ("Ip", "aws:SourceIp", st.sampled_from(["10.0.0.0/8", "192.0.2.0/24", "203.0.113.7/32"])),
    ("Set", "aws:PrincipalOrgPaths", st.sampled_from(["o-a1b2c3/r-ab12/ou-ab12-11111111/*", "o-a1b2c3/*", "o-zzz/*"])),
)
OPERATORS = {
    "String": ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"],
    "Arn": ["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"],
    "Numeric": ["NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"],
    "Date": ["DateEquals", "DateNotEquals", "DateLessThan", "DateGreaterThan"],
    "Bool": ["Bool"],
    "Ip": ["IpAddress", "NotIpAddress"],
    "Set": ["ForAnyValue:StringLike", "ForAllValues:StringLike", "ForAnyValue:StringNotLike", "ForAllValues:StringEquals"],
}


@st.composite
def conditions(draw: st.DrawFn) -> dict[str, dict[str, Any]]:
    block: dict[str, dict[str, Any]] = {}
    for _ in range(draw(st.integers(1, 2))):
        family, key, values = draw(st.sampled_from(CONDITION_KEYS))
        if draw(st.integers(0, 5)) == 0:
            operator, value = "Null", draw(st.sampled_from(["true", "false"]))
        else:
            operator = draw(st.sampled_from(OPERATORS[family]))
            if family != "Set" and draw(st.booleans()):
                operator += "IfExists"
            items = draw(st.lists(values, min_size=1, max_size=3, unique=True))
            value = items[0] if len(items) == 1 and draw(st.booleans()) else items
        block.setdefault(operator, {})[key] = value
    return block


@st.composite
def statements(draw: st.DrawFn, effect: str) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": effect}
    action = draw(st.lists(actions, min_size=1, max_size=3, unique=True))
    statement[draw(st.sampled_from(["Action", "NotAction"]))] = action if len(action) > 1 else action[0]
    resource = draw(st.lists(resources, min_size=1, max_size=2, unique=True))
    statement[draw(st.sampled_from(["Resource", "Resource", "NotResource"]))] = resource
    if draw(st.integers(0, 3)):
        statement["Condition"] = draw(conditions())
    return statement


@st.composite
def policies(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    """(document, full_access): a deny-list SCP beside FullAWSAccess, or an allow-list SCP alone."""
    full_access = draw(st.booleans())
    effects = ["Deny"] if full_access else ["Allow", "Allow", "Deny"]
    body = [draw(statements(draw(st.sampled_from(effects)))) for _ in range(draw(st.integers(1, 4)))]
    if not full_access and not any(s["Effect"] == "Allow" for s in body):
        body.append(draw(statements("Allow")))
    return {"Version": "2012-10-17", "Statement": body}, full_access


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, dict[str, Any]]:
    action, resource = draw(st.sampled_from(REQUESTS))
    region = draw(st.sampled_from(REGIONS))
    context: dict[str, Any] = {"aws:RequestedRegion": region, "aws:PrincipalArn": PRINCIPAL}
    optional = {
        "aws:PrincipalTag/team": st.sampled_from(["platform", "data", "Platform"]),
        "aws:MultiFactorAuthAge": st.sampled_from(["0", "300", "7200"]),
        "aws:CurrentTime": st.sampled_from(["2025-12-31T12:00:00Z", "2026-01-01T00:00:00Z", "2030-03-01T00:00:00Z"]),
        "aws:SecureTransport": st.sampled_from(["true", "false"]),
        "aws:SourceIp": st.sampled_from(["10.1.2.3", "192.0.2.10", "198.51.100.1"]),
        "aws:PrincipalOrgPaths": st.lists(
            st.sampled_from(["o-a1b2c3/r-ab12/ou-ab12-11111111/", "o-a1b2c3/r-ab12/", "o-zzz/r-zz/"]),
            min_size=1, max_size=2, unique=True,
        ),
    }
    for key, values in optional.items():
        if draw(st.booleans()):
            context[key] = draw(values)
    return action, resource.format(region=region), context


# -- the two evaluators ----------------------------------------------------------------------------


class Oracle:
    """iam-simulate in one node process: a case a line in, a decision a line out."""

    def __init__(self) -> None:
        node = shutil.which("node")
        assert node, "node is not installed: the differential test needs it (see scripts/install-oracle)"
        assert (PREFIX / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir(), (
            "@cloud-copilot/iam-simulate is not installed: run scripts/install-oracle (.ci/run does)"
        )
        self.process = subprocess.Popen(
            [node, str(ORACLE / "iam_simulate.js")], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env={"SCP_FIX_ORACLE_PREFIX": str(PREFIX), "PATH": ""},
        )

    def decide(self, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write("".join(json.dumps(c) + "\n" for c in cases))
        self.process.stdin.flush()
        return [json.loads(self.process.stdout.readline()) for _ in cases]

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def oracle() -> Iterator[Oracle]:
    running = Oracle()
    yield running
    running.close()


OUTCOMES = {"allowed": "Allowed", "explicit_deny": "ExplicitlyDenied", "implicit_deny": "ImplicitlyDenied"}


def ours(document: dict[str, Any], full_access: bool, action: str, resource: str, context: dict[str, Any]) -> str:
    policy = parse_policy(json.dumps(document))
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in context.items()}
    request = Request(action=action, resource=resource, region=context["aws:RequestedRegion"], principal=PRINCIPAL, context=values)
    outcome = evaluate(policy, request, full_access=full_access).outcome
    return OUTCOMES[getattr(outcome, "value", outcome)]


def test_the_oracle_answers_a_known_case(oracle: Oracle) -> None:
    """The setup itself: a Region deny outside Tokyo denies Tokyo nothing and the US everything."""
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": "ap-northeast-1"}}}]}
    cases = [
        {"policy": deny, "full_access": True, "action": "bedrock:InvokeModel",
         "resource": f"arn:aws:bedrock:{region}::foundation-model/anthropic.claude-v2",
         "context": {"aws:RequestedRegion": region, "aws:PrincipalArn": PRINCIPAL}}
        for region in ("ap-northeast-1", "us-east-1")
    ]
    assert [a["decision"] for a in oracle.decide(cases)] == ["Allowed", "ExplicitlyDenied"]


@given(st.lists(st.tuples(policies(), st.lists(requests(), min_size=1, max_size=4)), min_size=5, max_size=5))
def test_scp_fix_and_iam_simulate_agree(oracle: Oracle, batch) -> None:
    cases, expected = [], []
    for (document, full_access), drawn in batch:
        if _diverges(document):
            continue
        for action, resource, context in drawn:
            cases.append({"policy": document, "full_access": full_access, "action": action,
                          "resource": resource, "context": context})
            expected.append(ours(document, full_access, action, resource, context))
    answers = oracle.decide(cases)
    for case, mine, theirs in zip(cases, expected, answers):
        assert theirs["decision"] != "error", (theirs, case)
        assert not theirs.get("ignored"), ("iam-simulate ignored context keys", theirs, case)
        assert mine == theirs["decision"], json.dumps(case, indent=1)
