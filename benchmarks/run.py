"""scp-fix benchmarks: one table of figures, each beside a baseline measured in the same run.

    python benchmarks/run.py [--quick]

The machine this runs on is shared and noisy, so every figure is a median over repeated runs and is
judged by its ratio to a baseline timed in the same run, interleaved with it. The one exception is
the "newly allowed" grid, whose target the issue states in seconds; its baseline is still printed.
The exit code is 0 whether or not targets are met: each row says met, missed or error (error: the
command failed or gave an unexpected exit code, so its time means nothing). ``--quick`` runs each
measurement only a few times: the table is complete but its figures are rough.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTROL_TOWER = ROOT / "samples" / "control-tower-region-deny.json"
TOKYO = ROOT / "samples" / "tokyo-only.json"
PROFILE = "jp.anthropic.claude-sonnet-4-5-20250929-v1:0"
ALL_REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-southeast-2",
               "ap-south-1", "sa-east-1", "ca-central-1"]

# This checkout is what is measured, whatever another install of scp-fix the interpreter has: first
# on the path here, and for the commands (PYTHONPATH, ahead of site-packages and editable installs).
sys.path.insert(0, str(ROOT))


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    value: str  # the measurement, formatted
    baseline: str  # what it is compared with
    baseline_value: str
    ratio: float | None  # value / baseline (None: not comparable)
    target: str  # "" when the figure is only printed
    status: str  # "met", "missed", "info" or "error: ..."


# ---------------------------------------------------------------------------------------------
# Timing


def _seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _medians(
    fns: Sequence[Callable[[], object]], repeats: int, prepare: Callable[[], None] | None = None
) -> list[float]:
    """Interleave the functions so that a noisy spell hits all of them alike; median of each.
    ``prepare`` runs before each timed call, outside the timing (e.g. dropping caches)."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for index, fn in enumerate(fns):
            if prepare is not None:
                prepare()
            gc.collect()
            times[index].append(_seconds(fn))
    return [statistics.median(t) for t in times]


def _cli() -> list[str]:
    script = Path(sys.executable).parent / "scp-fix"
    return [str(script)] if script.exists() else [sys.executable, "-m", "rewriter"]


@dataclass(frozen=True, slots=True)
class _Command:
    name: str
    argv: list[str]
    expected: int  # the exit code the command is meant to give
    cold: bool = False  # each run with an empty cache folder, as in a fresh CI or pre-commit container


def _environment() -> dict[str, str]:
    """As an installed package runs: with bytecode caching, whatever PYTHONDONTWRITEBYTECODE says
    here (without it every run compiles scp-fix's modules again, ~60-100 ms on this machine)."""
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), environment.get("PYTHONPATH"))))
    return environment


def _run(command: _Command) -> Callable[[], None]:
    environment = _environment()

    def run() -> None:
        with tempfile.TemporaryDirectory() as empty:
            if command.cold:
                environment["XDG_CACHE_HOME"] = environment["XDG_DATA_HOME"] = empty
            done = subprocess.run(
                command.argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, env=environment
            )
        if done.returncode != command.expected:
            tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
            raise RuntimeError(f"exit {done.returncode}, expected {command.expected}: {tail[0][:120]}")

    return run


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def _ratio_figure(name: str, seconds: float, baseline: str, base: float, limit: float | None) -> Figure:
    ratio = seconds / base
    if limit is None:
        return Figure(name, _ms(seconds), baseline, _ms(base), ratio, "", "info")
    return Figure(name, _ms(seconds), baseline, _ms(base), ratio, f"<= {limit:g}x", "met" if ratio <= limit else "missed")


def _error(name: str, baseline: str, error: Exception) -> Figure:
    return Figure(name, "-", baseline, "-", None, "", f"error: {error}")


# ---------------------------------------------------------------------------------------------
# Command line: start-up and end to end, against ``python -c "import typer"``


def _callable_profiles(policy: Path) -> list[str]:
    """Every catalog profile that a caller in some Region the policy allows can call: what a team that
    names all of them at once asks ``propose`` about."""
    from rewriter.catalog import load_catalog

    allowed = {
        region
        for statement in json.loads(policy.read_text(encoding="utf-8"))["Statement"]
        for region in statement.get("Condition", {}).get("StringNotEquals", {}).get("aws:RequestedRegion", [])
    }
    return [
        p.id for p in load_catalog().profiles
        if p.routes and not p.is_end_of_life and allowed & set(p.sources)
    ]


def cli_figures(repeats: int, scratch: Path) -> list[Figure]:
    cli = _cli()
    baseline = _Command('python -c "import typer"', [sys.executable, "-c", "import typer"], 0)
    profile = ["--profile", PROFILE]
    ct, tokyo = str(CONTROL_TOWER), str(TOKYO)
    every = [arg for p in _callable_profiles(CONTROL_TOWER) for arg in ("--profile", p)]
    # A repository of 100 policies from one template, each with its own Region list: in a hook run
    # most already let the profile through (``ok``); the other set needs a change in every file.
    files: dict[str, list[str]] = {"ok": [], "blocked": []}
    tokyo_text = TOKYO.read_text(encoding="utf-8")
    for number in range(100):
        extra = ALL_REGIONS[number % len(ALL_REGIONS)]
        for kind, allowed in (("ok", ["ap-northeast-1", "ap-northeast-3", extra]), ("blocked", ["ap-northeast-1", extra])):
            copy = scratch / f"{kind}-{number:03d}.json"
            regions = '"aws:RequestedRegion": ' + json.dumps(allowed)
            copy.write_text(tokyo_text.replace('"aws:RequestedRegion": "ap-northeast-1"', regions, 1), encoding="utf-8")
            files[kind].append(str(copy))
    rows = [
        (_Command("scp-fix --version", [*cli, "--version"], 0), 1.25),
        (_Command("scp-fix --help", [*cli, "--help"], 0), 1.25),
        (_Command("scp-fix check (Control Tower)", [*cli, "check", ct, *profile], 1), 2.0),
        (_Command("scp-fix propose (Control Tower, exit 3)", [*cli, "propose", ct, *profile], 3), 2.0),
        (_Command("scp-fix propose --force (Control Tower)", [*cli, "propose", "--force", ct, *profile], 1), 2.0),
        (_Command("scp-fix propose (Tokyo)", [*cli, "propose", tokyo, *profile], 1), 2.0),
        (_Command("scp-fix propose (Tokyo), cold: no cache yet", [*cli, "propose", tokyo, *profile], 1, True), 3.0),
        (_Command(f"scp-fix propose --force (Control Tower), {len(every) // 2} profiles at once",
                  [*cli, "propose", "--force", ct, *every], 1), 3.0),
        (_Command("scp-fix propose, 100 files, nothing to change (a hook run)", [*cli, "propose", *files["ok"], *profile],
                  0), 3.0),
        (_Command("scp-fix propose, 100 files, each needs a change", [*cli, "propose", *files["blocked"], *profile], 1),
         None),
    ]
    figures: list[Figure] = []
    runnable = []
    for command, limit in rows:
        try:
            _run(command)()  # warm-up: fills the on-disk caches and the page cache
            runnable.append((command, limit))
        except (OSError, RuntimeError) as error:
            figures.append(_error(command.name, baseline.name, error))
    fns = [_run(baseline)] + [_run(command) for command, _ in runnable]
    try:
        base, *times = _medians(fns, repeats)
    except (OSError, RuntimeError) as error:
        return figures + [_error(command.name, baseline.name, error) for command, _ in runnable]
    figures += [
        _ratio_figure(command.name, seconds, baseline.name, base, limit)
        for (command, limit), seconds in zip(runnable, times)
    ]
    return figures


# ---------------------------------------------------------------------------------------------
# Library


def _cold() -> None:
    """Drop the process-wide caches of compiled patterns (not the IAM action catalogue, which has its
    own figure), so a repeat costs what a fresh process pays. Compiled statements live in each run's
    evaluator, which nothing keeps."""
    import functools

    from rewriter import iam_actions

    keep = {id(iam_actions.action_catalogue)}
    for name, module in list(sys.modules.items()):
        if not name.startswith("rewriter") or module is None:
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and id(value) not in keep and isinstance(value, functools._lru_cache_wrapper):
                clear()


def _round_trip(text: str) -> Callable[[], None]:
    def round_trip() -> None:
        json.dumps(json.loads(text))

    return round_trip


def library_figures(repeats: int) -> list[Figure]:
    from rewriter.catalog import load_catalog
    from rewriter.evaluate import Evaluator, Request
    from rewriter.iam_actions import action_catalogue
    from rewriter.newly_allowed import compare_many, compare_policies
    from rewriter.parse import parse_policy
    from rewriter.propose import propose
    from rewriter.regions_data import ALL_COMMERCIAL

    text = CONTROL_TOWER.read_text(encoding="utf-8")
    profiles = tuple(load_catalog().resolve(PROFILE))
    floor = "json.loads + json.dumps"
    figures: list[Figure] = []

    # propose(), with and without the "newly allowed" grid
    def run_propose(grid: bool) -> Callable[[], None]:
        def run() -> None:
            proposal = propose(parse_policy(text, path=str(CONTROL_TOWER)), profiles, force=True, newly_allowed=grid)
            if not proposal.changed:
                raise RuntimeError(f"propose did not change the policy: {proposal.reason}")

        return run

    action_catalogue()  # loaded once per process; its own figure is below
    try:
        run_propose(True)()
        base, with_grid, without_grid = _medians(
            [_round_trip(text), run_propose(True), run_propose(False)], repeats, prepare=_cold
        )
        # Printed, with no target: the CLI budgets above are what a user sees (issue 15 retired the 30x).
        for grid, seconds in ((True, with_grid), (False, without_grid)):
            figures.append(Figure(f"propose(force=True), newly_allowed={grid}", _ms(seconds), floor, _ms(base),
                                  seconds / base, "", "info"))
    except Exception as error:  # a broken library must still leave the other figures
        figures.append(_error("propose(force=True)", floor, error))

    # the "newly allowed" grid, per strategy
    try:
        proposal = propose(parse_policy(text), profiles, force=True, newly_allowed=False)
        afters = [(c.strategy, c.text) for c in proposal.candidates if c.verified]
        regions = len(ALL_COMMERCIAL) + 1
        actions = action_catalogue().actions

        def touch_cells() -> None:  # the floor of any per-cell method: visit each cell once
            for action in actions:
                for _ in range(regions):
                    pass

        evaluations: dict[str, int] = {}
        callers: dict[str, int] = {}  # classes of callers (the SCP's aws:PrincipalARN exemption: two)

        def grid(after_text: str, strategy: str) -> Callable[[], None]:
            def run() -> None:
                before, after = parse_policy(text), parse_policy(after_text)
                delta = compare_policies(before, after, profiles)
                evaluations[strategy], callers[strategy] = delta.evaluations, delta.callers

            return run

        def together() -> None:  # what propose() does: every candidate against the original in one pass
            before = parse_policy(text)
            deltas = compare_many(before, [parse_policy(t) for _, t in afters], profiles)
            evaluations["together"] = sum(d.evaluations for d in deltas)

        base, *times = _medians([touch_cells] + [grid(t, s) for s, t in afters] + [together], repeats, prepare=_cold)
        cells = f"{len(actions)} actions x {regions} Regions"
        for (strategy, _), seconds in zip(afters, times):
            figures.append(
                Figure(
                    f"newly allowed grid, {strategy} ({evaluations[strategy]} evaluator calls, "
                    f"{callers[strategy]} caller classes)",
                    _ms(seconds), f"visit each of {cells} once", _ms(base), seconds / base,
                    "< 500 ms", "met" if seconds < 0.5 else "missed",
                )
            )
        figures.append(
            Figure(
                f"newly allowed grid, the {len(afters)} together ({evaluations['together']} evaluator calls)",
                _ms(times[-1]), f"visit each of {cells} once", _ms(base), times[-1] / base, "", "info",
            )
        )
    except Exception as error:
        figures.append(_error("newly allowed grid", "visit each cell once", error))

    # loading the IAM action catalogue (the bundled index, what a cold run reads) against reading its text
    try:
        from rewriter.iam_actions import INDEX_FILE

        def load() -> None:
            action_catalogue.cache_clear()
            action_catalogue()

        def read() -> None:
            INDEX_FILE.read_text(encoding="utf-8").splitlines()

        base, seconds = _medians([read, load], repeats)
        figures.append(Figure("IAM action catalogue load (bundled index)", _ms(seconds),
                              "reading and splitting the index file", _ms(base), seconds / base, "", "info"))
    except Exception as error:
        figures.append(_error("IAM action catalogue load", "reading the index file", error))

    # loading the inference-profile catalog (issue 3: it must not slow the CLI) against parsing its file
    try:
        from rewriter.catalog import loader

        catalog_text = (Path(loader.__file__).parent / "profiles.json").read_text(encoding="utf-8")

        def load_profiles() -> None:
            builtin = getattr(loader, "_BUILTIN", None)
            if builtin is not None:  # what a fresh process pays
                builtin.clear()
            loader.load_catalog()

        base, seconds = _medians([lambda: json.loads(catalog_text), load_profiles], repeats)
        figures.append(Figure("inference-profile catalog load", _ms(seconds), "json.loads of profiles.json",
                              _ms(base), seconds / base, "", "info"))
    except Exception as error:
        figures.append(_error("inference-profile catalog load", "json.loads of profiles.json", error))

    # evaluator throughput, one request at a time
    try:
        policy = parse_policy(text)
        sample = action_catalogue().actions[:: max(1, len(action_catalogue().actions) // 300)]
        requests = [Request(a, "*", r) for a in sample for r in (*ALL_COMMERCIAL, "unspecified")]
        one = requests[len(requests) // 2]

        # one Evaluator for the run, as check and propose use it (evaluate() alone compiles anew each call)
        def distinct() -> None:
            evaluator = Evaluator()
            for request in requests:
                evaluator.evaluate(policy, request)

        def repeated() -> None:
            evaluator = Evaluator()
            for _ in range(len(requests)):
                evaluator.evaluate(policy, one)

        round_trips = 200

        def floor_many() -> None:
            round_trip = _round_trip(text)
            for _ in range(round_trips):
                round_trip()

        base, t_distinct, t_repeated = _medians([floor_many, distinct, repeated], repeats, prepare=_cold)
        per_trip = base / round_trips
        for name, seconds in ((f"evaluate(), {len(requests)} distinct requests", t_distinct),
                              ("evaluate(), one request repeated", t_repeated)):
            per_request = seconds / len(requests)
            figures.append(Figure(name, f"{1 / per_request:,.0f} req/s", f"{floor} round trips",
                                  f"{1 / per_trip:,.0f} /s", per_request / per_trip, "", "info"))
    except Exception as error:
        figures.append(_error("evaluate()", floor, error))
    return figures


# ---------------------------------------------------------------------------------------------
# Output


def table(figures: Sequence[Figure]) -> str:
    header = ("figure", "median", "baseline", "baseline median", "ratio", "target", "status")
    rows = [header] + [
        (f.name, f.value, f.baseline, f.baseline_value, f"{f.ratio:.2f}x" if f.ratio is not None else "-",
         f.target or "-", f.status)
        for f in figures
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])
        if index == 0:
            lines.append("  ".join("-" * width for width in widths) + "  " + "-" * 6)
    return "\n".join(lines)


def _org_scale(quick: bool) -> str | None:
    """The organization benchmark, another engineer's, when it exists (full mode only: it may be slow)."""
    script = ROOT / "benchmarks" / "org_scale.py"
    if quick or not script.exists():
        return None
    try:
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    except subprocess.TimeoutExpired:
        return "benchmarks/org_scale.py: did not finish within 120 s"
    return done.stdout.rstrip() or f"benchmarks/org_scale.py: exit {done.returncode}, no output"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: every figure, roughly")
    args = parser.parse_args(argv)
    # A library figure is a few milliseconds against a baseline of a fraction of one: more runs, so
    # that a noisy spell moves neither median much.
    cli_repeats, library_repeats = (3, 2) if args.quick else (15, 41)
    import rewriter

    print(f"scp-fix {rewriter.__version__} from {Path(rewriter.__file__).parent}\n")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        figures = cli_figures(cli_repeats, Path(scratch)) + library_figures(library_repeats)
    print(table(figures))
    met = sum(f.status == "met" for f in figures)
    targets = sum(1 for f in figures if f.status in ("met", "missed"))
    errors = sum(1 for f in figures if f.status.startswith("error"))
    print(f"\n{met} of {targets} targets met, {errors} errors; medians of {cli_repeats} command runs and {library_repeats} library runs, "
          f"in {time.perf_counter() - started:.0f} s on {sys.platform}, Python {sys.version.split()[0]}")
    org = _org_scale(args.quick)
    if org:
        print("\n" + org)
    return 0


if __name__ == "__main__":
    sys.exit(main())
