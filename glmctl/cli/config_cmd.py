"""``glmctl config show|path``: the effective profile and where each value came from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from glmctl.config import LoadedProfile
    from glmctl.context import RunContext

config_app = typer.Typer(
    name="config",
    help="Show the cluster profile: the names glmctl looks for, and where each came from.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``config`` group to ``app``."""
    app.add_typer(config_app)


@config_app.command("show")
def show(ctx: typer.Context) -> None:
    """Print every field of the effective profile, its value, and its source.

    The source is "default" (from the deployment guide) or FILE:LINE of the glmctl.yaml
    that set it.
    """
    from glmctl.cli._output import require_output
    from glmctl.contract import models
    from glmctl.contract.build import config
    from glmctl.render.output import Column, show_list

    run = _run_context(ctx)
    require_output(run, "config show")
    loaded = _load(run)
    document = config(loaded)
    where = document.path or "none: defaults"
    columns: list[Column[models.ConfigField]] = [
        Column("FIELD", lambda row: row.field),
        Column("VALUE", lambda row: _display(row.value)),
        Column("SOURCE", lambda row: _short_source(row.source), style="dim"),
    ]
    show_list(
        run.terminal,
        run.options.output,
        document,
        columns,
        document.fields,
        title=f"glmctl profile ({where})",
    )


@config_app.command("path")
def path(ctx: typer.Context) -> None:
    """Print which profile file is used, or "none: defaults" when there is none."""
    from glmctl.cli._output import require_output
    from glmctl.contract.models import ConfigPath
    from glmctl.render.output import is_document, write_document

    run = _run_context(ctx)
    require_output(run, "config path")
    loaded = _load(run)
    where = str(loaded.path) if loaded.path is not None else None
    if is_document(run.options.output):
        write_document(run.terminal, run.options.output, ConfigPath(path=where))
    else:
        typer.echo(where or "none: defaults", file=run.terminal.stdout)


def _run_context(ctx: typer.Context) -> RunContext:
    from glmctl.cli.app import run_context

    return run_context(ctx)


def _load(run: RunContext) -> LoadedProfile:
    from glmctl.config import load_profile

    return load_profile(run.options.config)


def _short_source(source: str) -> str:
    """``/long/path/glmctl.yaml:7`` as ``glmctl.yaml:7``: the title names the whole path."""
    from pathlib import PurePath

    from glmctl.config import DEFAULT_SOURCE

    if source == DEFAULT_SOURCE:
        return source
    file_part, _, line = source.rpartition(":")
    return f"{PurePath(file_part).name}:{line}"


def _display(value: Any) -> str:
    """Values as YAML would write them (a list one item a line), so it reads like the file."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "\n".join(f"- {_display(item)}" for item in value) if value else "[]"
    if value == {}:
        return "{}"
    return str(value)
