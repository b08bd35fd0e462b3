"""Organization check at scale: 1,000 to 20,000 accounts (a tenth as many OUs), 1,000 SCPs, 5 inference profiles.

A synthetic snapshot shaped like a large landing zone: a Region deny at the root, 20 stricter Region
denies on some OUs, 10 Bedrock guard policies on 50 accounts, and the rest service guardrails
(deny CloudTrail, S3, EC2 ... actions) spread over OUs and accounts, up to five OU levels deep.

Runs ``scp-fix org check --format json`` end to end, a process per run, and prints its wall time as a
ratio to ``python -c "import typer"`` timed in the same run (interleaved), its peak resident memory as
the operating system counts it, and the cost per account, at several sizes, so that the growth shows.
No assertion: a benchmark reports.

    python benchmarks/org_scale.py [--accounts 5000 ...] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without an install
    sys.path.insert(0, str(ROOT))

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
    strict_ous = set(rng.sample(ou_ids[:60], min(len(region_denies), len(ou_ids[:60]))))
    for ou_id, pid in zip(sorted(strict_ous), region_denies):
        attachments[ou_id] = [FULL_AWS_ACCESS_ID, pid]
    for ou_id in ou_ids:
        attachments.setdefault(ou_id, [FULL_AWS_ACCESS_ID]).extend(rng.sample(rails, min(len(rails), rng.randint(1, 3))))
    for account_id in account_ids:
        attachments[account_id] = [FULL_AWS_ACCESS_ID]
    for account_id in rng.sample(account_ids, min(len(account_ids), accounts * 3 // 10)):
        attachments[account_id].append(rng.choice(rails))
    for account_id in rng.sample(account_ids, min(len(account_ids), 50)):
        attachments[account_id].append(rng.choice(guards))
    return {"format": SNAPSHOT_FORMAT, "created": None, "source": "synthetic", "nodes": nodes,
            "policies": policies, "attachments": attachments, "findings": []}


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "scp-fix"
    return [str(script)] if script.exists() else [sys.executable, "-m", "rewriter"]


def _run(argv: list[str]) -> tuple[float, int, int]:
    """(wall seconds, peak resident memory in bytes, exit code) of one process, measured by the OS
    (``wait4``'s rusage is the child's own), not by tracemalloc, which sees only Python's allocations."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss * 1024, child.returncode


def _measure(path: str, repeats: int) -> tuple[float, int, float, int]:
    """Medians of ``org check --format json`` and of the baseline, interleaved: (check seconds, check
    peak bytes, baseline seconds, baseline peak bytes)."""
    argv = [*_cli(), "org", "check", "--snapshot", path, "--format", "json"]
    for profile in PROFILES[:5]:
        argv += ["--profile", profile]
    baseline = [sys.executable, "-c", "import typer"]
    _run(argv)  # warm-up: bytecode and the page cache
    runs, bases = [], []
    for _ in range(repeats):
        bases.append(_run(baseline))
        runs.append(_run(argv))
    if any(code not in (0, 1) for _, _, code in runs):
        raise SystemExit(f"org check failed: exit {runs[0][2]}")
    median = statistics.median
    return (median(r[0] for r in runs), max(r[1] for r in runs), median(b[0] for b in bases), max(b[1] for b in bases))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, action="append",
                        help="organization size; repeat for several (default: 1,000, 5,000 and 20,000)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sizes = args.accounts or [1000, 5000, 20000]

    print(f"org check --format json, {len(PROFILES[:5])} profiles, end to end (a process each run); "
          'baseline: python -c "import typer"; memory: the process\'s peak resident size')
    print(f"{'accounts':>8} {'OUs':>5} {'SCPs':>5} {'snapshot':>9} {'time':>8} {'ratio':>7} {'peak':>8} "
          f"{'per account':>12}  targets at 5,000: <= 25x, <= 300 MB; linear: per-account cost within 1.5x of 5,000's")
    per_account: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as directory:
        for accounts in sizes:
            ous, scps = max(10, accounts // 10), 1000
            path = os.path.join(directory, f"org-{accounts}.json")
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(synthetic_snapshot(accounts=accounts, ous=ous, scps=scps), handle)
            seconds, peak, base, _ = _measure(path, args.repeats)
            ratio = seconds / base
            per_account[accounts] = (seconds - base) / accounts
            verdict = ""
            if accounts == 5000:
                verdict = "met" if ratio <= 25 and peak <= 300e6 else "missed"
            elif 5000 in per_account:
                verdict = "linear" if per_account[accounts] <= 1.5 * per_account[5000] else "not linear"
            print(f"{accounts:>8} {ous:>5} {scps:>5} {os.path.getsize(path) / 1e6:>7.1f}MB {seconds:>7.2f}s "
                  f"{ratio:>6.1f}x {peak / 1e6:>6.0f}MB {per_account[accounts] * 1e6:>9.0f} us  {verdict}")


if __name__ == "__main__":
    main()
