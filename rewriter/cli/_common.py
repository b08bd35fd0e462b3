"""What every command shares: reading inputs, the error boundary, output formats."""

from __future__ import annotations

import contextlib
import re
import sys
import traceback
from collections.abc import Iterator
from enum import Enum
from typing import NoReturn

import typer

from rewriter.errors import InputError, InternalError, ScpFixError

EXIT_OK = 0
EXIT_FINDING = 1
EXIT_BAD_INPUT = 2
EXIT_UNSAFE = 3
EXIT_INTERNAL = 70  # sysexits' EX_SOFTWARE: a bug in scp-fix, never a verdict on the policy
EXIT_INTERRUPTED = 130

REPORT_HINT = "this is a bug in scp-fix, please report it with the command line"


# Options several commands share, declared once so their names and help stay the same everywhere.
PROFILE_OPTION = typer.Option(
    ..., "--profile", help="Inference profile id or ARN, or a model id (its profiles callers can call). Repeatable."
)
SOURCE_REGION_OPTION = typer.Option(
    None, "--source-region", help="The Region callers call from (default: every source the SCP allows)."
)
PROFILES_FILE_OPTION = typer.Option(
    None, "--profiles-file", help="YAML/JSON file of extra or overriding inference profiles."
)
GUARDRAIL_OPTION = typer.Option(
    None, "--guardrail", metavar="GUARDRAIL_PROFILE",
    help="The guardrail profile the calls use (us.guardrail.v1:0, or its ARN): each call is also checked for "
    "bedrock:ApplyGuardrail in the guardrail's destination Regions (SCPs).",
)
NO_FULL_ACCESS_OPTION = typer.Option(
    False, "--no-full-access", help="Evaluate the policy alone, not beside FullAWSAccess."
)
PARAMETER_OPTION = typer.Option([], "--parameter", help="CloudFormation template parameter, Name=value (repeatable).")
VAR_FILE_OPTION = typer.Option([], "--var-file", help="Terraform .tfvars file (repeatable).")


class PolicyKind(str, Enum):
    scp = "scp"
    identity = "identity"


KIND_OPTION = typer.Option(
    None, "--kind",
    help="What the policy is: scp (a service control policy, the default for plain JSON) or identity "
    "(an IAM policy of the caller). In CloudFormation and Terraform each resource says; --kind keeps those.",
)
ACCOUNT_OPTION = typer.Option(
    None, "--account",
    help="The callers' account, for profile ARNs (default: the one the policy's Bedrock ARNs name).",
)
BATCH_OPTION = typer.Option(
    False, "--batch",
    help="Also batch inference jobs: created by the caller in the source Region "
    "(CreateModelInvocationJob), run across Regions by the job's batch service role (InvokeModel).",
)
BATCH_ROLE_OPTION = typer.Option(
    None, "--batch-role", metavar="ARN",
    help="The batch service role's ARN (implies --batch). An exemption by principal must name it; "
    "without it, the role's calls are checked as an unnamed role no such exemption covers.",
)
PRINCIPAL_OPTION = typer.Option(
    None, "--principal", metavar="ARN",
    help="The caller's aws:PrincipalArn (an IAM role or user ARN), for a policy that exempts principals "
    "(default: a request without one).",
)
ACTION_OPTION = typer.Option(
    [], "--action",
    help="Identity policies: an action callers need (repeatable; default bedrock:InvokeModel and "
    "bedrock:InvokeModelWithResponseStream).",
)


LANG_OPTION = typer.Option(
    None, "--lang", metavar="LANG",
    help="Language of text and Markdown: en or ja (default: from LC_ALL, LC_MESSAGES or LANG; else en).",
)


def resolve_lang(option: str | None) -> str:
    """"ja" or "en", from --lang or the locale variables."""
    import os

    from rewriter.i18n import language

    return language(option, os.environ)


def batch_settings(batch: bool, batch_role: str | None) -> tuple[bool, str | None]:
    """--batch and --batch-role: whether batch jobs are checked, and their service role, checked
    (a bad ARN is bad input). Naming the role asks for batch jobs."""
    if batch_role is None:
        return batch, None
    from rewriter.cris import batch_role_arn

    return True, batch_role_arn(batch_role)


def batch_words(batch: bool, batch_role: str | None, principal: str | None = None) -> list[str]:
    """The words of a suggested command line that keep --batch, --batch-role and --principal."""
    words = ["--principal", principal] if principal is not None else []
    if batch_role is not None:
        return words + ["--batch-role", batch_role]
    return words + (["--batch"] if batch else [])


def checked_principal(principal: str | None) -> str | None:
    """--principal's value, checked (a bad ARN is bad input)."""
    if principal is None:
        return None
    from rewriter.cris import principal_arn

    return principal_arn(principal)


def identity_words(kind: PolicyKind | None, account: str | None, actions: list[str]) -> list[str]:
    """The --kind, --account and --action words of a command line, for the commands it suggests."""
    words = ["--kind", kind.value] if kind else []
    words += ["--account", account] if account else []
    return words + [word for action in actions for word in ("--action", action)]


class TextOrJson(str, Enum):
    text = "text"
    json = "json"


# typer's own exits and usage errors, which already carry their exit code: BadParameter and its bases
# up to Exception (UsageError, ClickException, whichever click typer uses)
_TYPER_EXITS = (typer.Exit, typer.Abort) + tuple(
    kind for kind in typer.BadParameter.__mro__ if issubclass(kind, Exception) and kind is not Exception
)


@contextlib.contextmanager
def error_boundary(*, root: bool = False, debug: bool = False) -> Iterator[None]:
    """The one place an error becomes an exit code, so no traceback reaches a user and a crash never
    reads as a finding (exit 1). Bad input: one line, exit 2. A bug of ours (an ``InternalError`` or
    any exception scp-fix did not expect): one line with a hint to report it, exit 70, and the
    traceback only with ``--debug``.

    The root command runs inside it (``root=True``, with the run's ``--debug``); commands that go on
    after one bad file (``check``, ``propose`` with several) also use it per file, and there a bug
    goes on up to the root: it stops the run."""
    try:
        yield
    except _TYPER_EXITS:
        raise
    except InternalError as error:
        if not root:
            raise
        _internal(one_line(str(error)), error, debug=debug)
    except ScpFixError as error:
        typer.echo(f"scp-fix: {one_line(str(error))}", err=True)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except KeyboardInterrupt:
        typer.echo("scp-fix: interrupted", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except BrokenPipeError:
        raise  # the reader went away (`| head`): click ends quietly
    except Exception as error:  # noqa: BLE001 - the last line of defence, and it says so
        if not root:
            raise
        _internal(f"internal error: {type(error).__name__}: {one_line(str(error))}", error, debug=debug)


def _internal(text: str, error: BaseException, *, debug: bool) -> NoReturn:
    if debug:
        typer.echo("".join(traceback.format_exception(error)).rstrip("\n"), err=True)
        typer.echo(f"scp-fix: {text} ({REPORT_HINT})", err=True)
    else:
        typer.echo(f"scp-fix: {text} ({REPORT_HINT}; --debug shows the traceback)", err=True)
    raise typer.Exit(EXIT_INTERNAL) from None


_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def one_line(text: str) -> str:
    """Escape line breaks and other control characters: a key or path may hold them, and an
    error must stay one line that a script can parse."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def read_input(path: str) -> tuple[str, bytes]:
    """Read a file (or standard input for ``-``) as bytes; returns (display name, data)."""
    if path == "-":
        # a closed standard input (``<&-``) leaves sys.stdin as None
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise InputError(
                "standard input is closed; pass a file name or pipe the policy in", path="<stdin>"
            )
        from rewriter.files import read_limited

        try:
            return "<stdin>", read_limited(stream, path="<stdin>", what="policy")
        except ValueError as error:  # read from a closed file
            raise InputError(f"cannot read standard input: {error}", path="<stdin>") from None
    from rewriter.files import read_bytes

    return path, read_bytes(path, what="policy file")


def use_colour(stream) -> bool:
    """Colour only for a terminal that shows it: not a pipe or file, not ``TERM=dumb``, not when
    ``NO_COLOR`` is set (https://no-color.org)."""
    import os

    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def emit(text: str) -> None:
    """Print a result to stdout, with exactly one trailing newline."""
    typer.echo(text.rstrip("\n"))


def emit_chunks(chunks: Iterator[str]) -> None:
    """Print a result that comes in pieces (a large document, written as it is made), then a newline."""
    for chunk in chunks:
        typer.echo(chunk, nl=False)
    typer.echo("")


def load_catalog(profiles_file: str | None = None):
    """The catalog a command uses: built-in, the synced user catalog over it when there is one
    (``scp-fix profiles sync``, its date said on stderr), then ``--profiles-file``."""
    import os

    from rewriter.catalog.loader import load_catalog as load, user_catalog_path

    synced = user_catalog_path()
    catalog = load(profiles_file, synced_file=synced if os.path.isfile(synced) else None)
    if catalog.synced is not None:
        path, date = catalog.synced
        typer.echo(
            f"scp-fix: note: using the catalog synced {date} ({path}) over the built-in one "
            f"(data {catalog.data_date})",
            err=True,
        )
    for warning in catalog.warnings:
        typer.echo(f"scp-fix: warning: {warning}", err=True)
    return catalog
