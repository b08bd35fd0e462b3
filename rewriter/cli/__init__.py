"""The ``scp-fix`` command line: a thin layer over the library.

Each command group lives in its own module and imports heavy modules inside its functions,
so ``scp-fix --help`` and ``scp-fix --version`` stay fast.
"""

from __future__ import annotations

import typer

from rewriter import __version__

app = typer.Typer(
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


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_print_version, is_eager=True
    ),
) -> None:
    """Find and fix service control policies that block Amazon Bedrock cross-Region inference."""


def _register() -> None:
    from rewriter.cli import check, explain, org, profiles, propose, simulate

    app.command("simulate")(simulate.simulate)
    app.command("check")(check.check)
    app.command("propose")(propose.propose)
    app.command("explain")(explain.explain)
    app.add_typer(profiles.profiles_app, name="profiles")
    app.add_typer(org.org_app, name="org")


_register()


def main() -> None:
    app()
