"""The ``-o`` formats a command can write: one check, so every command refuses the same way."""

from __future__ import annotations

from collections.abc import Sequence

from glmctl.context import OutputFormat, RunContext
from glmctl.errors import UsageError

DATA_FORMATS = (OutputFormat.RICH, OutputFormat.JSON, OutputFormat.YAML)
"""Every command that prints data: text for people, or one document (``docs/output.md``)."""
REPORT_FORMATS = (*DATA_FORMATS, OutputFormat.JUNIT, OutputFormat.MARKDOWN)
"""Runbook reports (preflight, verify, troubleshoot, runbook run): also JUnit and Markdown."""
TEXT_ONLY = (OutputFormat.RICH,)
"""Commands that print no data (demo, sim serve, completion)."""


def require_output(
    run: RunContext,
    command: str,
    supported: Sequence[OutputFormat] = DATA_FORMATS,
    *,
    chosen: OutputFormat | None = None,
) -> None:
    """Refuse (exit 2) an ``-o`` the command cannot write, naming those it can, rather than
    silently printing another format a script would then misread. ``chosen`` defaults to
    ``-o`` (lint's ``--format`` alias passes its own)."""
    chosen = chosen or run.options.output
    if chosen in supported:
        return
    names = [f.value for f in supported]
    choices = ", ".join(f"-o {name}" for name in names[:-1])
    choices = f"{choices} or -o {names[-1]}" if choices else f"-o {names[-1]}"
    raise UsageError(
        f"glmctl {command} cannot write -o {chosen.value}.",
        hint=f"Use {choices}"
        + (f" ({names[0]} is the default)." if OutputFormat.RICH in supported else "."),
    )
