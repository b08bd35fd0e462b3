"""The ``scp-fix`` command line: a thin layer over the library.

Each command group lives in its own module and imports heavy modules inside its functions,
so ``scp-fix --help`` and ``scp-fix --version`` stay fast.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
from typing import Any, NoReturn

import typer
import typer.core

from rewriter import __version__


class _Guarded(typer.core.TyperGroup):
    """The root command: every command runs inside the one error boundary, so an error raised
    anywhere (building an AWS client, printing a result) gets its one line and exit code."""

    def invoke(self, ctx: Any) -> Any:
        from rewriter.cli._common import error_boundary

        with error_boundary(root=True, debug=bool(ctx.params.get("debug"))):
            return super().invoke(ctx)


_SETTINGS = dict(
    name="scp-fix",
    help="Find and fix service control policies that block Amazon Bedrock cross-Region inference.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=_Guarded,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"scp-fix {__version__}")
        raise typer.Exit(0)


def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
    ),
    debug: bool = typer.Option(False, "--debug", help="On an internal error, print the traceback too."),
) -> None:
    """Find and fix service control policies that block Amazon Bedrock cross-Region inference."""


# command -> the module and attribute that hold it; a Typer of its own is added as a group
_COMMANDS = {
    "simulate": ("simulate", "simulate"),
    "check": ("check", "check"),
    "propose": ("propose", "propose"),
    "explain": ("explain", "explain"),
    "profiles": ("profiles", "profiles_app"),
    "org": ("org", "org_app"),
}
COMMANDS = tuple(_COMMANDS)


def _register(target: typer.Typer, name: str) -> None:
    module, attribute = _COMMANDS[name]
    command = getattr(importlib.import_module(f"rewriter.cli.{module}"), attribute)  # only what is named
    if isinstance(command, typer.Typer):
        target.add_typer(command, name=name)
    else:
        target.command(name)(command)


def _app(names: tuple[str, ...]) -> typer.Typer:
    built = typer.Typer(**_SETTINGS)  # type: ignore[arg-type]
    built.callback()(_root)
    for name in names:
        _register(built, name)
    return built


@functools.cache
def whole_app() -> typer.Typer:
    """Every command: for help, and for anything a run's first word does not name."""
    return _app(COMMANDS)


def __getattr__(name: str) -> Any:
    # ``app`` is made on first use: --version needs none of the command modules it imports
    if name == "app":
        return whole_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def app_for(args: list[str]) -> typer.Typer:
    """The app a command line needs. Typer reads the signature of every command it holds before it
    runs one (~20 ms for the whole tree, a tenth of a run), so a run of one command gets an app that
    holds only that command; help and anything unrecognised get the whole tree."""
    positional = next((a for a in args if not a.startswith("-")), None)
    if positional in COMMANDS:
        return _app((positional,))
    if positional is None and "--version" in args and "--help" not in args:
        return _app(())  # the version is printed (eagerly) before any command would be looked at
    return whole_app()


def main() -> None:
    # A policy, a key or a file name may hold what the terminal cannot encode (an unpaired surrogate
    # from a JSON escape, a non-UTF-8 byte from the command line): escape it rather than crash.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    try:
        app_for(sys.argv[1:])()  # standalone click: it always ends in SystemExit
    except SystemExit as done:
        _end(done.code)
    _end(0)


def _end(code: int | str | None) -> NoReturn:
    """Exit as ``sys.exit(code)`` would, without the interpreter's teardown.

    PERF: the teardown frees every module and object one by one, ~10 ms of a 150 ms run (a twentieth
    of ``check`` and ``propose``); the process is ending, so the system frees it all at once. Nothing
    of scp-fix waits for it: files are written and closed by the time a command returns, and no
    ``atexit`` hook is registered. What is still buffered is flushed here; a reader that went away
    (``| head``) is no error, as click's own handling of a broken pipe has it.
    """
    if isinstance(code, str):  # as sys.exit: the message on standard error, exit 1
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a broken pipe, or a stream closed under us
            pass
    os._exit(code or 0)
