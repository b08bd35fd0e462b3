"""Organization check at scale: 5,000 accounts, 500 OUs, 1,000 SCPs, 10 inference profiles.

A synthetic snapshot shaped like a large landing zone: a Region deny at the root, 20 stricter Region
denies on some OUs, 10 Bedrock guard policies on 50 accounts, and the rest service guardrails
(deny CloudTrail, S3, EC2 ... actions) spread over OUs and accounts, up to five OU levels deep.

Prints wall time and peak memory (tracemalloc, in a second run) of ``load_snapshot`` + ``check_org`` as ratios to
a baseline measured in the same run (``json.loads`` of the snapshot file), plus the absolute
numbers, so runs on different machines compare. No assertion: a benchmark reports, CI decides.

    python benchmarks/org_scale.py [--accounts 5000] [--ous 500] [--scps 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
import tracemalloc

GLOBAL = ["iam:*", "organizations:*", "sts:*", "support:*", "cloudfront:*", "route53:*", "budgets:*", "health:*"]
REGION_SETS = [
    ["us-east-1", "us-east-2", "us-west-2"],
    ["eu-west-1", "eu-central-1", "eu-west-3", "eu-north-1", "eu-south-1", "eu-south-2"],
    ["us-east-1", "us-west-2", "eu-west-1"],
    ["ap-northeast-1", "ap-northeast-3", "us-east-1"],
    ["eu-west-1", "eu-central-1"],
]
SERVICES = ["cloudtrail", "s3", "ec2", "kms", "rds", "lambda", "logs", "config", "guardduty", "sns"]
PROFILES = [
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "jp.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "apac.anthropic.claude-sonnet-4-20250514-v1:0",
    "us.amazon.nova-pro-v1:0",
    "eu.amazon.nova-pro-v1:0",
    "au.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "ca.amazon.nova-lite-v1:0",
    "us.meta.llama3-2-1b-instruct-v1:0",
]


def _doc(statements: list[dict]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, indent=2)


def _region_deny(sid: str, regions: list[str]) -> str:
    return _doc([{
        "Sid": sid, "Effect": "Deny", "NotAction": GLOBAL, "Resource": "*",
        "Condition": {
            "StringNotEquals": {"aws:RequestedRegion": regions},
            "ArnNotLike": {"aws:PrincipalARN": ["arn:aws:iam::*:role/OrganizationAccountAccessRole"]},
        },
    }])


def synthetic_snapshot(*, accounts: int = 5000, ous: int = 500, scps: int = 1000, seed: int = 7) -> dict:
    from rewriter.org.snapshot import FULL_AWS_ACCESS_ID, SNAPSHOT_FORMAT

    rng = random.Random(seed)
    nodes = [{"id": "r-root", "name": "Root", "kind": "root", "parent": None}]
    depth = {"r-root": 0}
    ou_ids: list[str] = []
    for i in range(ous):
        candidates = ["r-root"] + [o for o in ou_ids if depth[o] < 5]
        parent = "r-root" if i < 10 else rng.choice(candidates)
        ou_id = f"ou-root-{i:08d}"
        nodes.append({"id": ou_id, "name": f"ou{i}", "kind": "ou", "parent": parent})
        depth[ou_id] = depth[parent] + 1
        ou_ids.append(ou_id)
    account_ids = [f"{100000000000 + i:012d}" for i in range(accounts)]
    for account_id in account_ids:
        nodes.append({"id": account_id, "name": f"acct-{account_id[-5:]}", "kind": "account",
                      "parent": rng.choice(ou_ids)})

    policies = [{"id": FULL_AWS_ACCESS_ID, "name": "FullAWSAccess", "description": "", "aws_managed": True,
                 "arn": None, "content": _doc([{"Effect": "Allow", "Action": "*", "Resource": "*"}])}]
    root_deny = "p-rootdeny"
    policies.append({"id": root_deny, "name": "RootRegionDeny", "description": "", "aws_managed": False, "arn": None,
                     "content": _region_deny("DenyOutsideApproved", sorted({r for s in REGION_SETS for r in s}))})
    region_denies = [f"p-region{i:03d}" for i in range(20)]
    for i, pid in enumerate(region_denies):
        policies.append({"id": pid, "name": f"RegionDeny{i}", "description": "", "aws_managed": False, "arn": None,
                         "content": _region_deny(f"Deny{i}", REGION_SETS[i % len(REGION_SETS)])})
    guards = [f"p-bedrock{i:03d}" for i in range(10)]
    for i, pid in enumerate(guards):
        policies.append({"id": pid, "name": f"BedrockGuard{i}", "description": "", "aws_managed": False, "arn": None,
                         "content": _doc([{"Sid": "DenyDirectModelCalls", "Effect": "Deny",
                                           "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
                                           "Resource": "*",
                                           "Condition": {"Null": {"bedrock:InferenceProfileArn": "true"}}}])})
    rails = [f"p-rail{i:04d}" for i in range(scps - 1 - len(region_denies) - len(guards))]
    for i, pid in enumerate(rails):
        service = SERVICES[i % len(SERVICES)]
        actions = [f"{service}:Delete{i}*", f"{service}:Stop{i}*", f"{service}:Disable{i}*"]
        policies.append({"id": pid, "name": f"Guardrail{i}", "description": "", "aws_managed": False, "arn": None,
                         "content": _doc([{"Sid": f"Protect{i}", "Effect": "Deny", "Action": actions, "Resource": "*"}])})

    attachments: dict[str, list[str]] = {"r-root": [FULL_AWS_ACCESS_ID, root_deny]}
    strict_ous = set(rng.sample(ou_ids[:60], len(region_denies)))
    for ou_id, pid in zip(sorted(strict_ous), region_denies):
        attachments[ou_id] = [FULL_AWS_ACCESS_ID, pid]
    for ou_id in ou_ids:
        attachments.setdefault(ou_id, [FULL_AWS_ACCESS_ID]).extend(rng.sample(rails, rng.randint(1, 3)))
    for account_id in account_ids:
        attachments[account_id] = [FULL_AWS_ACCESS_ID]
    for account_id in rng.sample(account_ids, 1500):
        attachments[account_id].append(rng.choice(rails))
    for account_id in rng.sample(account_ids, 50):
        attachments[account_id].append(rng.choice(guards))
    return {"format": SNAPSHOT_FORMAT, "created": None, "source": "synthetic", "nodes": nodes,
            "policies": policies, "attachments": attachments, "findings": []}


def _measure(work) -> tuple[float, int, object]:
    """Wall time of a run without tracing (tracemalloc slows Python several times), then the peak
    of a second, traced run."""
    start = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - start
    del result
    tracemalloc.start()
    result = work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, peak, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--ous", type=int, default=500)
    parser.add_argument("--scps", type=int, default=1000)
    args = parser.parse_args()

    from rewriter.catalog import load_catalog
    from rewriter.org.check import check_org
    from rewriter.org.snapshot import load_snapshot

    catalog = load_catalog()
    profiles = [catalog.get(p) for p in PROFILES]
    document = synthetic_snapshot(accounts=args.accounts, ous=args.ous, scps=args.scps)
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "org.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        del document

        def baseline():
            with open(path, "rb") as handle:
                return json.loads(handle.read())

        def run():
            return check_org(load_snapshot(path), profiles)

        base_time, base_peak, _ = _measure(baseline)
        run_time, run_peak, result = _measure(run)
        size = os.path.getsize(path)
    blocked = sum(1 for a in result.accounts if a.blocked)
    print(f"organization: {args.accounts} accounts, {args.ous} OUs, {args.scps} SCPs; {len(profiles)} profiles; "
          f"snapshot {size / 1e6:.1f} MB")
    print(f"result: {len(result.accounts)} accounts, {blocked} blocked, {result.evaluations} distinct SCP paths evaluated")
    print(f"baseline json.loads: {base_time * 1000:.0f} ms, peak {base_peak / 1e6:.1f} MB")
    print(f"load + check:        {run_time * 1000:.0f} ms, peak {run_peak / 1e6:.1f} MB")
    print(f"ratio to baseline:   time x{run_time / base_time:.1f}, peak memory x{run_peak / base_peak:.1f}")


if __name__ == "__main__":
    main()
