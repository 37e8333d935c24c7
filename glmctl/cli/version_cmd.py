"""``glmctl version``: the client version (and, later, what it talks to)."""

from __future__ import annotations

import typer

from glmctl import __version__


def register(app: typer.Typer) -> None:
    """Add ``version`` to ``app``."""
    app.command("version")(version)


def version(ctx: typer.Context) -> None:
    """Print glmctl's version."""
    from glmctl.cli._output import require_output
    from glmctl.cli.app import run_context
    from glmctl.render.output import is_document, write_document

    run = run_context(ctx)
    require_output(run, "version")
    if is_document(run.options.output):
        from glmctl.contract.build import version as version_document

        write_document(run.terminal, run.options.output, version_document(__version__))
        return
    typer.echo(f"glmctl {__version__}", file=run.terminal.stdout)
