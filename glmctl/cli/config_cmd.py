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
    from glmctl.context import OutputFormat

    run = _run_context(ctx)
    loaded = _load(run)
    if run.options.output is OutputFormat.JSON:
        typer.echo(_json_text(loaded), file=run.terminal.stdout, nl=False)
    else:
        _print_table(loaded, run)


@config_app.command("path")
def path(ctx: typer.Context) -> None:
    """Print which profile file is used, or "none: defaults" when there is none."""
    import json

    from glmctl.context import OutputFormat

    run = _run_context(ctx)
    loaded = _load(run)
    where = str(loaded.path) if loaded.path is not None else None
    if run.options.output is OutputFormat.JSON:
        typer.echo(json.dumps({"path": where}), file=run.terminal.stdout)
    else:
        typer.echo(where or "none: defaults", file=run.terminal.stdout)


def _run_context(ctx: typer.Context) -> RunContext:
    from glmctl.cli.app import run_context

    return run_context(ctx)


def _load(run: RunContext) -> LoadedProfile:
    from glmctl.config import load_profile

    return load_profile(run.options.config)


def _json_text(loaded: LoadedProfile) -> str:
    import json

    document = {
        "path": str(loaded.path) if loaded.path is not None else None,
        "profile": loaded.profile.model_dump(mode="json"),
        "sources": {value.path: value.source for value in loaded.values()},
    }
    return json.dumps(document, indent=2) + "\n"


def _print_table(loaded: LoadedProfile, run: RunContext) -> None:
    from rich.table import Table
    from rich.text import Text

    where = str(loaded.path) if loaded.path is not None else "none: defaults"
    table = Table(title=f"glmctl profile ({where})", title_justify="left", box=None)
    table.add_column("field", no_wrap=True)
    table.add_column("value", overflow="fold")
    table.add_column("source", no_wrap=True, style="dim")
    section = ""
    for value in loaded.values():
        head, _, rest = value.path.partition(".")
        if head != section:
            section = head
            table.add_row(Text(f"{section}:", style="bold"), Text(""), Text(""))
        table.add_row(
            Text(f"  {rest or head}"),
            Text(_display(value.value)),
            Text(_short_source(value.source)),
        )
    run.terminal.console().print(table)


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
