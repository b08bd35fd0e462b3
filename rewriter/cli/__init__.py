"""The ``scp-fix`` command line: a thin layer over the library.

Each command group lives in its own module and imports heavy modules inside its functions,
so ``scp-fix --help`` and ``scp-fix --version`` stay fast.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from rewriter import __version__

_SETTINGS = dict(
    name="scp-fix",
    help="Find and fix service control policies that block Amazon Bedrock cross-Region inference.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"scp-fix {__version__}")
        raise typer.Exit(0)


def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
    ),
) -> None:
    """Find and fix service control policies that block Amazon Bedrock cross-Region inference."""


def _register(target: typer.Typer, name: str) -> None:
    from rewriter.cli import check, explain, org, profiles, propose, simulate

    commands = {"simulate": simulate.simulate, "check": check.check, "propose": propose.propose,
                "explain": explain.explain}
    groups = {"profiles": profiles.profiles_app, "org": org.org_app}
    if name in commands:
        target.command(name)(commands[name])
    else:
        target.add_typer(groups[name], name=name)


COMMANDS = ("simulate", "check", "propose", "explain", "profiles", "org")


def _app(names: tuple[str, ...]) -> typer.Typer:
    built = typer.Typer(**_SETTINGS)  # type: ignore[arg-type]
    built.callback()(_root)
    for name in names:
        _register(built, name)
    return built


_WHOLE: list[typer.Typer] = []


def whole_app() -> typer.Typer:
    """Every command: for help, and for anything a run's first word does not name."""
    if not _WHOLE:
        _WHOLE.append(_app(COMMANDS))
    return _WHOLE[0]


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
    app_for(sys.argv[1:])()
