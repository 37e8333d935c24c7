"""The root typer application: global options and the registry of command groups."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from glmctl import __version__
from glmctl.cli.commands import LazyCommandGroup
from glmctl.context import GlobalOptions, OutputFormat, RunContext

EXIT_CODES_HELP = (
    "Exit codes: 0 all passed, 1 a check failed, 2 usage or configuration error, "
    "3 cluster unreachable or unauthorized, 4 timed out, 130 interrupted."
)

app = typer.Typer(
    name="glmctl",
    cls=LazyCommandGroup,
    help=(
        "Operator's console for the GitOps Lifecycle Management deployment on Flux CD.\n\n"
        "Turns the deployment guide into runbook commands: check prerequisites (preflight), "
        "follow a deploy (monitor), validate it (verify), undo it (rollback), redo it "
        "(redeploy), diagnose it (troubleshoot) and lint the repository offline (lint). "
        "New here? Run `glmctl demo` to try every command on a simulated cluster."
    ),
    epilog=EXIT_CODES_HELP
    + " Global options may appear anywhere on the command line; see `glmctl --help`.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"glmctl {__version__}")
        raise typer.Exit(0)


def _output_format(value: str | OutputFormat) -> OutputFormat:
    """Our own sentence for a wrong ``-o``: typer's lists the choices in Python quotes."""
    try:
        return OutputFormat(value)
    except ValueError:
        choices = ", ".join(OutputFormat)
        raise ValueError(f"{value!r} is not one of {choices}") from None


def _timeout(value: str | float) -> float:
    from glmctl.cli.globals import parse_timeout

    return value if isinstance(value, float) else parse_timeout(str(value))


@app.callback()
def root(
    ctx: typer.Context,
    context: Annotated[
        str | None, typer.Option("--context", metavar="NAME", help="Kubeconfig context to use.")
    ] = None,
    kubeconfig: Annotated[
        Path | None,
        typer.Option(
            "--kubeconfig",
            metavar="FILE",
            help="Kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).",
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="Profile file (default: glmctl.yaml found upward from here).",
        ),
    ] = None,
    output: Annotated[
        OutputFormat,
        typer.Option(
            "--output",
            "-o",
            parser=_output_format,
            metavar="FORMAT",
            help="Output format: rich, json, junit or markdown (sarif, github: lint only).",
        ),
    ] = OutputFormat.RICH,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            parser=_timeout,
            metavar="DURATION",
            help="Give up after this long (exit 4): seconds or 90s, 5m, 1h30m, 500ms; "
            "0 means no limit.",
            show_default=False,
        ),
    ] = None,
    namespace: Annotated[
        str | None,
        typer.Option(
            "--namespace",
            "-n",
            metavar="NAMESPACE",
            help="Look for the Flux objects in this namespace (default: the profile's, "
            "flux-system).",
        ),
    ] = None,
    all_namespaces: Annotated[
        bool,
        typer.Option(
            "--all-namespaces",
            "-A",
            help="Find the Flux objects in whichever namespace holds the lifecycle Kustomization.",
        ),
    ] = False,
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as", metavar="USER", help="Act as this user or service account (impersonation)."
        ),
    ] = None,
    as_groups: Annotated[
        list[str] | None,
        typer.Option(
            "--as-group", metavar="GROUP", help="Act as a member of this group; repeatable."
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; change nothing.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose", "-v", count=True, show_default=False, help="More detail; repeat for more."
        ),
    ] = 0,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain text, no colour.")] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks and debug logs on errors.")
    ] = False,
    runbook_dir: Annotated[
        Path | None,
        typer.Option(
            "--runbook-dir",
            metavar="DIR",
            help="Also look for runbooks here, before the shipped ones (named when used).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Global options, the same on every command."""
    from glmctl.context import Terminal

    options = GlobalOptions(
        context=context,
        kubeconfig=kubeconfig,
        config=config,
        output=output,
        timeout=timeout,
        as_user=as_user,
        namespace=namespace,
        all_namespaces=all_namespaces,
        as_groups=tuple(as_groups or ()),
        dry_run=dry_run,
        yes=yes,
        verbose=verbose,
        no_color=no_color,
        debug=debug,
        runbook_dir=runbook_dir,
    )
    ctx.obj = RunContext(options=options, terminal=Terminal(no_color=no_color))


def run_context(ctx: typer.Context) -> RunContext:
    """The :class:`RunContext` the root callback stored for this invocation."""
    found = ctx.find_root().obj
    if not isinstance(found, RunContext):  # pragma: no cover - the callback always runs
        return RunContext()
    return found
