"""Entry point and the one error boundary: exceptions become a sentence and an exit code."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from glmctl.errors import ExitCode, GlmctlError


def run() -> None:
    """The console script: run :func:`main` and exit the process with its code.

    Before exiting, every object left is frozen out of the cyclic garbage collector. The
    interpreter's teardown otherwise walks tens of thousands of objects from pydantic,
    typer and rich one last time, about 50 ms of a 0.4 s ``preflight``. Nothing is lost:
    files, locks and temporary directories are closed by their ``with`` blocks and
    ``atexit`` handlers, which still run. Only the process entry does this; tests call
    :func:`main`, whose memory must stay collectable.
    """
    import gc

    code = main()
    gc.freeze()
    raise SystemExit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run glmctl with ``argv`` (default: the process arguments) and return the exit code."""
    import typer

    from glmctl.cli.app import app
    from glmctl.cli.commands import print_subcommand_help, wants_subcommand_help
    from glmctl.cli.globals import hoist_global_options

    given = list(sys.argv[1:] if argv is None else argv)
    if _completing():
        from glmctl.cli.completions import answer_from_environment

        return answer_from_environment(given)
    debug = "--debug" in given
    _configure_logging(debug=debug, verbose=sum(a.count("v") for a in given if _is_v(a)))
    try:
        args = hoist_global_options(given)
        if wants_subcommand_help(args):
            return print_subcommand_help(args)
        result = app(args=args, prog_name="glmctl", standalone_mode=False)
    except GlmctlError as error:
        _report(error.message, error.hint)
        if debug:
            logging.getLogger("glmctl").exception("details")
        return int(error.exit_code)
    except typer.TyperException as error:
        if isinstance(error, typer.BadParameter):
            error.message = _without_pydantic_prefix(error.message)
        show = getattr(error, "show", None)  # usage errors know how to print their usage line
        if callable(show):
            show()
        else:
            print(f"glmctl: error: {error.format_message()}", file=sys.stderr)
        return int(ExitCode.USAGE if error.exit_code == 2 else error.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        print("\nglmctl: interrupted.", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except Exception as error:  # the last line of defence: never a bare traceback
        if debug:
            raise
        _report(
            f"internal error: {type(error).__name__}: {error}",
            "This is a bug in glmctl; run again with --debug for the traceback and report it.",
        )
        return int(ExitCode.INTERNAL)
    code = result if isinstance(result, int) else int(ExitCode.OK)
    if code == ExitCode.INTERRUPTED:  # typer turned Ctrl-C into an exit code on its own
        print("\nglmctl: interrupted.", file=sys.stderr)
    return code


def _completing() -> bool:
    """True when a completion script (``glmctl completion SHELL``) asks for candidates."""
    import os

    from glmctl.cli import COMPLETE_VAR

    return COMPLETE_VAR in os.environ


def _without_pydantic_prefix(message: str) -> str:
    """typer converts option values with pydantic, which starts the message of every
    ``ValueError`` raised by a converter with "Value error, "; the sentence is the rest."""
    return message.removeprefix("Value error, ")


def report_error(error: GlmctlError) -> None:
    """Print ``error`` the way the boundary does (``runbook validate`` goes on after one)."""
    _report(error.message, error.hint)


def _report(message: str, hint: str | None) -> None:
    """One ``glmctl: error:`` line per line of the message (a runbook's problems are one
    per line, FILE:LINE:COL first, so editors can jump to each), then the hints."""
    from glmctl.sanitize import escape_text  # messages may quote the API server or a file

    for line in message.splitlines() or [message]:
        print(f"glmctl: error: {escape_text(line)}", file=sys.stderr)
    for line in (hint or "").splitlines():
        print(f"  hint: {escape_text(line)}", file=sys.stderr)


def _is_v(arg: str) -> bool:
    return arg == "--verbose" or (arg.startswith("-v") and set(arg[1:]) == {"v"})


def _configure_logging(*, debug: bool, verbose: int) -> None:
    """glmctl logs to stderr; the client libraries stay at WARNING, always.

    The ``kubernetes`` and ``urllib3`` loggers print bearer tokens and Secret bodies at
    DEBUG, so they never follow glmctl's own level.
    """
    level = logging.DEBUG if debug or verbose >= 2 else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("glmctl").setLevel(level)
    for noisy in ("kubernetes", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
