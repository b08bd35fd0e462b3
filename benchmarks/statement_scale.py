"""How check and propose grow with the number of statements in one policy (issue 18).

    python benchmarks/statement_scale.py [--quick] [--check-sizes 1000,2000] [--propose-sizes 25,50]

A policy of N statements, each a Region deny outside Tokyo (so every statement decides every denied
request: the case where a search per deciding statement made check quadratic), is checked and
proposed by the library. Each row prints the time as a ratio to the first size's time, beside the
ratio of the sizes, and the time per statement as a ratio to the first size's: linear growth keeps
that near 1x (below it, while a fixed cost per run still counts), quadratic growth multiplies it by
the size ratio. No absolute target: this machine is shared and noisy. propose runs on smaller sizes:
every fix edits every statement, and each of its three candidates is written, read back and verified.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROFILE = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"


def policy_text(statements: int) -> str:
    body = [
        {
            "Sid": f"DenyOutsideTokyo{i}",
            "Effect": "Deny",
            "NotAction": ["iam:*", "organizations:*", "sts:*", f"support:Describe{i}"],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["ap-northeast-1"]}},
        }
        for i in range(statements)
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": body}, indent=2)


def _seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def curve(operation: str, sizes: Sequence[int], repeats: int) -> list[tuple[int, float]]:
    """(statements, median seconds) of ``check`` or ``propose`` for each size."""
    from rewriter.catalog import load_catalog
    from rewriter.check import check
    from rewriter.parse import parse_policy
    from rewriter.propose import propose

    profile = load_catalog().get(PROFILE)
    run = check if operation == "check" else propose
    rows = []
    for size in sizes:
        policy = parse_policy(policy_text(size), path=f"{size}.json")
        rows.append((size, _seconds(lambda: run(policy, [profile]), repeats)))
    return rows


def table(operation: str, rows: Sequence[tuple[int, float]]) -> str:
    first, base = rows[0]
    lines = [
        f"| {operation}: statements | size ratio | time | time ratio | per statement |",
        "| --- | --- | --- | --- | --- |",
    ]
    for size, seconds in rows:
        per = (seconds / size) / (base / first)
        lines.append(f"| {size:,} | {size / first:.1f}x | {seconds * 1000:.0f} ms | {seconds / base:.1f}x | {per:.2f}x |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one run each")
    parser.add_argument("--check-sizes", help="comma-separated statement counts for check")
    parser.add_argument("--propose-sizes", help="comma-separated statement counts for propose")
    args = parser.parse_args(argv)
    repeats = 1 if args.quick else 3
    for operation, given, quick, full in (
        ("check", args.check_sizes, (500, 1000, 2000), (1000, 2000, 4000, 8000, 16000)),
        ("propose", args.propose_sizes, (10, 20, 40), (10, 20, 40, 80, 160, 320)),
    ):
        sizes = [int(s) for s in given.split(",")] if given else list(quick if args.quick else full)
        print(table(operation, curve(operation, sizes, repeats)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
