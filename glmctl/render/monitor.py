"""Rendering ``glmctl monitor``: a live table for people, plain lines for logs, JSON for programs.

* On a colour terminal, :class:`LiveMonitor` redraws one table (each followed object's
  state, reason and message) with the newest events for those objects under it.
* Anywhere else (``--no-color``, a pipe, CI), :class:`PlainMonitor` prints one line per
  change and one per new event, in order, without cursor movement.
* Both end with :func:`print_final`: every object's last state and one summary sentence.
* ``-o json|yaml`` prints only the ``MonitorReport`` document at the end
  (:mod:`glmctl.contract`).

Pure functions of the data the follower hands over; nothing here talks to a cluster.
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING

from glmctl.render.live import LiveView
from glmctl.render.status import trim

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.text import Text

    from glmctl.monitor import MonitorOutcome, MonitorUpdate, ObjectState, SeenEvent

LIVE_EVENTS = 8
_STYLES = {
    "Ready": "green",
    "Complete": "green",
    "NotReady": "red",
    "Failed": "red",
    "NotFound": "yellow",
    "Unknown": "yellow",
    "Running": "yellow",
}
_MARKS = {"Ready": "✔", "Complete": "✔", "NotReady": "✗", "Failed": "✗"}
_VERDICT_STYLES = {
    "ready": "bold green",
    "failed": "bold red",
    "waiting": "bold yellow",
    "interrupted": "bold yellow",
}


def mark(row: ObjectState) -> str:
    """One character: ✔ done, ✗ failed or not ready, … still going."""
    if row.failed:
        return "✗"
    return _MARKS.get(row.state, "…")


def row_line(row: ObjectState) -> Text:
    """``✔ Kind/namespace/name  State  reason: message`` on one line, the message whole."""
    from rich.text import Text

    line = Text()
    line.append(f"{mark(row)} ", style=_style(row))
    line.append(row.ref, style="bold")
    line.append(f"  {row.state}", style=_style(row))
    if row.suspended:
        line.append("  suspended", style="bold yellow")
    detail = _detail(row)
    if detail:
        line.append(f"  {detail}", style="dim" if row.ready else "")
    return line


def event_line(event: SeenEvent) -> Text:
    """``event Warning InstallFailed HelmRelease/ns/name: message``."""
    from rich.text import Text

    line = Text("event ", style="dim")
    line.append(event.type, style="red" if event.warning else "cyan")
    line.append(f" {event.reason} ", style="bold")
    line.append(f"{event.ref}: ", style="dim")
    line.append(trim(event.message))
    if event.count > 1:
        line.append(f" (x{event.count})", style="dim")
    return line


def summary_text(outcome: MonitorOutcome) -> Text:
    """The closing sentence, coloured by verdict, with the time it took."""
    from rich.text import Text

    # A timed-out summary already says how long it waited.
    timed_out = outcome.verdict == "waiting" and outcome.summary.startswith("Timed out")
    took = f" ({outcome.elapsed:.0f} s)" if outcome.elapsed >= 1 and not timed_out else ""
    return Text(outcome.summary + took, style=_VERDICT_STYLES.get(str(outcome.verdict), ""))


def print_final(console: Console, outcome: MonitorOutcome, *, objects: bool = True) -> None:
    """Every followed object's final state (unless the live table still shows it), then
    the summary sentence."""
    from rich.text import Text

    if objects:
        console.print(Text("Final state:", style="bold"))
        for row in outcome.objects:
            line = Text("  ").append_text(row_line(row))
            console.print(line)
    console.print(summary_text(outcome))


class PlainMonitor:
    """``on_update`` for logs: one line per changed object, one per new event."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def __call__(self, update: MonitorUpdate) -> None:
        stamp = f"[{update.elapsed:6.1f}s] "
        for row in update.changed:
            self.console.print(stamp, row_line(row), sep="")
        for event in update.new_events:
            self.console.print(stamp, event_line(event), sep="")

    def __enter__(self) -> PlainMonitor:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        return None


class LiveMonitor(LiveView):
    """``on_update`` for a terminal: one table redrawn in place, newest events under it.

    A context manager so the live display always stops (cursor restored), error or not.
    """

    def __init__(self, console: Console, *, title: str = "") -> None:
        super().__init__(console)
        self.title = title
        self.latest: MonitorUpdate | None = None
        self.events: tuple[SeenEvent, ...] = ()

    def __call__(self, update: MonitorUpdate) -> None:
        # rich redraws from its own thread: replace values whole, never mutate them.
        self.events = (*self.events, *update.new_events)[-LIVE_EVENTS:]
        self.latest = update
        if self.live is not None:
            self.live.refresh()

    def render(self) -> RenderableType:
        """The table as it stands (rich calls this on every refresh)."""
        from rich.console import Group
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        table = Table(title=self.title or None, title_justify="left", expand=False)
        table.add_column("", width=1, no_wrap=True)
        table.add_column("Object", style="bold", overflow="fold", ratio=3)
        table.add_column("Ready", no_wrap=True, min_width=8)
        table.add_column("Reason", overflow="fold", ratio=2)
        table.add_column("Message", overflow="fold", ratio=4)
        update = self.latest
        for row in update.objects if update else ():
            first: RenderableType = (
                Text(mark(row), style=_style(row))
                if row.ready or row.failed
                else Spinner("dots", style="yellow")
            )
            table.add_row(
                first,
                f"{row.kind}/{row.name}",
                Text(row.state, style=_style(row)),
                row.reason,
                trim(row.message, 80),
            )
        parts: list[RenderableType] = [table]
        for event in self.events:
            parts.append(event_line(event))
        if update is not None and not self.stopping:  # the command prints the verdict after
            parts.append(
                Text(f"{update.summary}  ({update.elapsed:.0f} s)", style="dim", overflow="fold")
            )
        return Group(*parts)


def _style(row: ObjectState) -> str:
    return "red" if row.failed else _STYLES.get(row.state, "")


def _detail(row: ObjectState) -> str:
    message = trim(row.message)
    if row.ready:
        return ""
    return ": ".join(part for part in (row.reason, message) if part)
