"""``glmctl schema [KIND]``: the JSON Schema of glmctl's machine output.

Generated from the models in :mod:`glmctl.contract.models`, the same ones every
``-o json|yaml`` document is written from (``docs/output.md``).
"""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``schema`` to ``app``."""
    app.command("schema")(schema)


def schema(
    ctx: typer.Context,
    kind: Annotated[
        str | None,
        typer.Argument(
            metavar="KIND",
            help="One document kind, e.g. StatusReport (default: every kind, chosen by `kind`).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print the JSON Schema (2020-12) of what `-o json` and `-o yaml` print.

    Without KIND the schema accepts any glmctl document and picks the kind by its `kind`
    field. Written as JSON, or YAML with -o yaml.
    """
    import json

    from glmctl.cli._output import require_output
    from glmctl.cli.app import run_context
    from glmctl.context import OutputFormat
    from glmctl.contract.schema import schema as generate

    run = run_context(ctx)
    require_output(run, "schema", (OutputFormat.RICH, OutputFormat.JSON, OutputFormat.YAML))
    document = generate(kind)
    if run.options.output is OutputFormat.YAML:
        import yaml

        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=1 << 16)
    else:
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    run.terminal.stdout.write(text)
