"""The rich console every human format prints through, with hostile text made harmless.

Text from the cluster or a repository (condition messages, Events, pod logs, annotations,
file names) reaches rich as ordinary text. Just before rich turns segments into the
characters written to the terminal, :class:`SafeConsole` passes every text segment (not
rich's own cursor and colour controls) through :func:`glmctl.sanitize.escape_text`, so an
``ESC [2J`` is printed as ``\\x1b[2J`` wherever it came from and whichever renderer drew
it. One place, so no renderer can forget.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.segment import Segment

from glmctl.sanitize import escape_text


class SafeConsole(Console):
    """A rich ``Console`` that never lets a text segment carry a control character."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(_escaped(buffer))


def _escaped(buffer: Iterable[Segment]) -> list[Segment]:
    result: list[Segment] = []
    for segment in buffer:
        text = segment.text if segment.control else escape_text(segment.text)
        result.append(
            segment if text is segment.text or text == segment.text else segment._replace(text=text)
        )
    return result
