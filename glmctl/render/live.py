"""The one way glmctl runs a rich live display: a context manager that always stops it.

A live display that is not stopped leaves the cursor hidden and the terminal garbled, so
every live view (the runbook checklist, the monitor table) starts and stops it here, on
error or Ctrl-C as well as on success. Subclasses only say what to draw.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live


class LiveView:
    """Redraws :meth:`render` in place while the ``with`` block runs."""

    refresh_per_second = 4

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live: Live | None = None
        self.stopping = False
        """True while the last frame is drawn: it stays on screen above what the command
        prints next, so a view leaves out what that repeats (the monitor's verdict)."""

    def render(self) -> RenderableType:
        """What to draw now; called from rich's refresh thread."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        from rich.live import Live

        self.live = Live(
            get_renderable=self.render,
            console=self.console,
            refresh_per_second=self.refresh_per_second,
            transient=False,
        )
        self.live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.live is not None:
            self.stopping = True
            self.live.stop()
            self.live = None
