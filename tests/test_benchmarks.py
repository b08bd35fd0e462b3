"""The benchmark entry point runs in quick mode and prints every figure (not that it is fast)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FIGURES = (
    "scp-fix --version",
    "scp-fix check (Control Tower)",
    "scp-fix propose (Control Tower, exit 3)",
    "scp-fix propose --force (Control Tower)",
    "scp-fix propose (Tokyo)",
    "propose(force=True), newly_allowed=True",
    "propose(force=True), newly_allowed=False",
    "newly allowed grid, profile-arn (",
    "newly allowed grid, notaction (",
    "newly allowed grid, regions (",
    "newly allowed grid, the 3 together (",
    "IAM action catalogue load (disk cache)",
    "inference-profile catalog load",
    "evaluate(), ",
    "evaluate(), one request repeated",
)


def test_quick_run_prints_every_figure_with_a_baseline() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    assert done.returncode == 0, done.stderr
    rows = {line.split("  ")[0]: line for line in done.stdout.splitlines()}
    for figure in FIGURES:
        matching = [line for name, line in rows.items() if name.startswith(figure)]
        assert matching, f"{figure!r} missing from:\n{done.stdout}"
        for line in matching:
            # a row that errored has no figure: the command or the library call failed
            assert "error:" not in line, line
            assert line.rstrip().endswith(("met", "missed", "info")), line
    # every "newly allowed" row names how many evaluator calls it made
    grid = [line for name, line in rows.items() if name.startswith("newly allowed grid")]
    assert grid and all("evaluator calls)" in line for line in grid)
    assert "targets met" in done.stdout


def test_light_parameter_coercion_gives_what_typer_gives() -> None:
    """The start-up work: rewriter.cli._light_params coerces command values without pydantic.
    For every parameter of every command it must return what typer's own coercion returns, and
    fail with typer's own message."""
    from enum import Enum

    import typer.main
    from typer import _click, core
    from typer._coercion import build_runtime_param as typer_build

    from rewriter.cli import app

    light_build = core.build_runtime_param
    assert getattr(light_build, "scp_fix_light", False), "the CLI did not install light coercion"

    def outcome(build, param, ctx, value):
        try:
            return ("ok", build(param.type_descriptor)._coerce_value(value, param=param, ctx=ctx))
        except _click.exceptions.BadParameter as error:
            return ("error", error.format_message())

    def params(command):
        yield from ((command, p) for p in command.params)
        for sub in getattr(command, "commands", {}).values():
            yield from params(sub)

    checked = 0
    for command, param in params(typer.main.get_command(app)):
        annotation = param.type_descriptor.annotation
        if annotation is str:
            values = ["us-east-1", "caf\u00e9", b"caf\xc3\xa9", 3]
        elif annotation == list[str]:
            values = [["a", "b"], ("a",), "a", ["x", b"y"]]
        elif annotation is bool:
            values = [True, False, "true", "0", "maybe"]
        elif isinstance(annotation, type) and issubclass(annotation, Enum):
            member = next(iter(annotation))
            values = [member, member.value, member.value.upper(), "no-such-choice"]
        else:
            continue
        ctx = _click.Context(command)
        for value in values:
            expected = outcome(typer_build, param, ctx, value)
            got = outcome(light_build, param, ctx, value)
            assert got == expected, (command.name, param.name, value)
            assert type(got[1]) is type(expected[1])
            checked += 1
    assert checked > 50
