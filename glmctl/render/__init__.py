"""Rendering: runbook results (and progress) as text for people and machines.

Nothing here decides anything: the engine returns a frozen ``RunbookResult`` and these
modules only draw it. :func:`progress_display` picks the live view for a terminal and
output format; :func:`render_report` produces the final document for ``-o json`` and
``yaml`` (the ``RunbookReport`` of :mod:`glmctl.contract`), ``junit`` and ``markdown``;
:func:`glmctl.render.checklist.render_summary` writes the
summary for people.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from glmctl.context import OutputFormat, Terminal

if TYPE_CHECKING:
    from glmctl.runbook.result import RunbookResult, RunEvent

MACHINE_FORMATS = (
    OutputFormat.JSON,
    OutputFormat.YAML,
    OutputFormat.JUNIT,
    OutputFormat.MARKDOWN,
)


def render_report(result: RunbookResult, output: OutputFormat) -> str:
    """The document for a machine-readable ``-o`` format."""
    if output in (OutputFormat.JSON, OutputFormat.YAML):
        from glmctl.contract.build import runbook_report
        from glmctl.render.output import document_text

        return document_text(runbook_report(result), output)
    from glmctl.sanitize import escape_text  # JSON and YAML stay exact; people read the others

    if output is OutputFormat.JUNIT:
        from glmctl.render.junit import render_junit

        return escape_text(render_junit(result))
    if output is OutputFormat.MARKDOWN:
        from glmctl.render.markdown import render_markdown

        return escape_text(render_markdown(result))
    raise ValueError(f"no report renderer for -o {output.value}")


@contextmanager
def progress_display(
    terminal: Terminal, output: OutputFormat
) -> Iterator[Callable[[RunEvent], None]]:
    """The event callback to hand the engine, live for as long as the ``with`` block.

    People (``-o rich``) see a live checklist on a colour terminal and plain lines
    otherwise. With a machine format stdout carries only the document, so there is no
    progress display at all.
    """
    from glmctl.render.checklist import LiveChecklist, PlainProgress

    if output in MACHINE_FORMATS:
        yield _ignore
        return
    console = terminal.console()
    if terminal.live:
        with LiveChecklist(console) as live:
            yield live
    else:
        yield PlainProgress(console)


def _ignore(event: RunEvent) -> None:
    return None
