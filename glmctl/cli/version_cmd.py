"""``glmctl version``: the client version (and, later, what it talks to)."""

from __future__ import annotations

import typer

from glmctl import __version__


def register(app: typer.Typer) -> None:
    """Add ``version`` to ``app``."""
    app.command("version")(version)


def version() -> None:
    """Print glmctl's version."""
    typer.echo(f"glmctl {__version__}")
