"""The checklist people read: live while a runbook runs, then a summary of what needs doing.

On a terminal with colour, a rich ``Live`` table shows every step with a spinner while it
runs and ✓ ✗ ! or - when done, with elapsed times. Anywhere else (``--no-color``, a pipe, a
CI log) each finished step is one plain line, in the order they finish, with no ANSI codes
and no cursor movement. Both end with the same summary: counts, then each failing or
warning step's summary, details, hint and the equivalent command.

Only ``summary``, ``details``, ``hint`` and ``command`` are ever shown, never a step's
``outputs``, which may hold data that must not reach a terminal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from glmctl.render.live import LiveView
from glmctl.runbook.result import (
    PlanCarriedOut,
    PlanReady,
    RunbookResult,
    RunEvent,
    RunFinished,
    RunStarted,
    RunStatus,
    RunStopping,
    StepFinished,
    StepRecord,
    StepRetrying,
    StepStarted,
)
from glmctl.steps.registry import StepStatus

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.spinner import Spinner
    from rich.text import Text

SYMBOLS = {
    StepStatus.PASS: ("✓", "green"),
    StepStatus.FAIL: ("✗", "bold red"),
    StepStatus.ERROR: ("✗", "bold magenta"),
    StepStatus.WARN: ("!", "bold yellow"),
    StepStatus.SKIP: ("-", "dim"),
}
WORDS = {
    StepStatus.PASS: "PASS",
    StepStatus.FAIL: "FAIL",
    StepStatus.ERROR: "ERROR",
    StepStatus.WARN: "WARN",
    StepStatus.SKIP: "SKIP",
}
OUTCOMES = {
    RunStatus.PASSED: ("passed", "bold green"),
    RunStatus.FAILED: ("failed", "bold red"),
    RunStatus.UNREACHABLE: ("stopped: cluster unreachable", "bold red"),
    RunStatus.TIMED_OUT: ("timed out", "bold red"),
    RunStatus.INTERRUPTED: ("interrupted", "bold yellow"),
}
STOPS_SAID_ONCE = (RunStatus.TIMED_OUT, RunStatus.UNREACHABLE)
"""Why a run stopped early is the command's one error line (``glmctl: error: ...``), so the
summary does not repeat it."""
COUNT_NAMES = {
    StepStatus.PASS: ("passed", "passed"),
    StepStatus.FAIL: ("failed", "failed"),
    StepStatus.ERROR: ("error", "errors"),
    StepStatus.WARN: ("warning", "warnings"),
    StepStatus.SKIP: ("skipped", "skipped"),
}


def format_duration(seconds: float) -> str:
    """``0.3s``, ``12.0s``, ``2m05s``: short, and stable for snapshots."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}m{rest:02d}s"


def marker(status: StepStatus, *, plain: bool) -> Text:
    """The symbol (colour terminal) or word (plain text) for a status."""
    from rich.text import Text

    if plain:
        return Text(f"{WORDS[status]:<5}")
    symbol, style = SYMBOLS[status]
    return Text(symbol, style=style)


def step_line(record: StepRecord, *, plain: bool) -> Text:
    """One finished step: marker, title, summary, duration."""
    from rich.text import Text

    line = Text()
    line.append_text(marker(record.status, plain=plain))
    line.append(" ")
    line.append(record.title, style="" if plain else "bold")
    line.append(f": {record.result.summary}")
    line.append(f" ({format_duration(record.result.duration)})", style="" if plain else "dim")
    return line


def count_line(result: RunbookResult) -> str:
    """``3 passed, 1 failed, 2 skipped in 4.2s`` (statuses with no step are left out)."""
    counts = result.counts()
    parts = [f"{counts[s]} {COUNT_NAMES[s][counts[s] != 1]}" for s in COUNT_NAMES if counts[s]]
    return ", ".join(parts or ["no steps"]) + f" in {format_duration(result.duration)}"


def render_summary(result: RunbookResult, console: Console) -> None:
    """Print what a person needs after the run: the outcome, then what to look at."""
    from rich.text import Text

    plain = not console.is_terminal or console.no_color
    console.print()
    outcome, style = OUTCOMES[result.status]
    mode = " (dry run)" if result.dry_run else ""
    head = Text()
    head.append(f"Runbook {result.runbook}{mode} {outcome}: ", style="" if plain else style)
    head.append(count_line(result))
    console.print(head)
    if result.stopped_because and result.status not in STOPS_SAID_ONCE:
        console.print(Text(f"  stopped because {result.stopped_because}"))
    for record in result.steps:
        if record.status in (StepStatus.FAIL, StepStatus.ERROR, StepStatus.WARN):
            _print_problem(record, console, plain=plain)
    if result.dry_run:
        planned = [r for r in result.steps if r.mutating]
        if planned:
            console.print()
            console.print(Text("Would change (not run, --dry-run):"))
            for record in planned:
                console.print(Text(f"  {record.title}: {record.result.summary}"))
                for detail in record.result.details:
                    console.print(Text(f"      {detail}"))
                if record.result.command:
                    console.print(Text(f"      command: {record.result.command}"))
    if result.exit_code:
        console.print()
        console.print(Text(f"exit code {result.exit_code}", style="" if plain else "dim"))


def _print_problem(record: StepRecord, console: Console, *, plain: bool) -> None:
    from rich.text import Text

    console.print()
    console.print(step_line(record, plain=plain))
    if record.result.attempts > 1:
        console.print(Text(f"      after {record.result.attempts} attempts"))
    for detail in record.result.details:
        console.print(Text(f"      {detail}"))
    if record.result.hint:
        console.print(Text(f"      hint: {record.result.hint}", style="" if plain else "cyan"))
    if record.result.command:
        console.print(Text(f"      command: {record.result.command}"))


def show_gate(console: Console, event: PlanReady | PlanCarriedOut) -> None:
    """A mutating step's plan before the confirmation, and what was done after it."""
    from glmctl.render.plan import print_execution, print_plan

    if isinstance(event, PlanReady):
        print_plan(console, event.plan)
    else:
        print_execution(console, event.execution)


class PlainProgress:
    """Progress for logs and pipes: one line per finished step, nothing that redraws.

    Steps run concurrently and finish in any order; lines are printed in runbook order (a
    step's line waits for the steps before it), so two runs of one runbook read alike.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.pending: list[str] = []
        self.finished: dict[str, StepRecord] = {}
        self.stopped = False
        self.quiet: set[str] = set()

    def __call__(self, event: RunEvent) -> None:
        from rich.text import Text

        if isinstance(event, RunStarted):
            self.console.print(Text(f"Runbook {event.runbook}: {len(event.steps)} steps"))
            self.pending = [step_id for step_id, _title in event.steps]
        elif isinstance(event, StepRetrying):
            self.console.print(
                Text(
                    f"RETRY {event.step_id}: attempt {event.attempt} ended "
                    f"{event.result.status.value}: {event.result.summary}; "
                    f"again in {format_duration(event.delay)}"
                )
            )
        elif isinstance(event, RunStopping):
            self.stopped = True
        elif isinstance(event, PlanReady | PlanCarriedOut):
            self._print_in_order(flush=True)
            show_gate(self.console, event)
        elif isinstance(event, StepFinished):
            if self.stopped and event.record.status is StepStatus.SKIP:
                # Cut short or never started: the summary counts them, the error says why.
                self.quiet.add(event.record.id)
            if event.record.id in self.pending:
                self.finished[event.record.id] = event.record
                self._print_in_order()
            else:  # not announced at the start: nothing to keep it in order with
                self.console.print(step_line(event.record, plain=True))

    def _print_in_order(self, *, flush: bool = False) -> None:
        """Print finished steps in runbook order, up to the first one not finished yet."""
        while self.pending and (flush or self.pending[0] in self.finished):
            record = self.finished.pop(self.pending.pop(0), None)
            if record is not None and record.id not in self.quiet:
                self.console.print(step_line(record, plain=True))

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._print_in_order(flush=True)


class LiveChecklist(LiveView):
    """A rich live table of every step: spinner and elapsed time while running, then ✓ ✗ ! -.

    Use it as a context manager so the live display is always stopped (and the cursor
    restored) even when the run ends with an exception.
    """

    refresh_per_second = 8

    def __init__(self, console: Console, *, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(console)
        self.clock = clock
        self.order: list[tuple[str, str]] = []
        self.started: dict[str, float] = {}
        self.records: dict[str, StepRecord] = {}
        self.retries: dict[str, int] = {}
        self.spinners: dict[str, Spinner] = {}

    def __call__(self, event: RunEvent) -> None:
        if isinstance(event, RunStarted):
            self.order = list(event.steps)
        elif isinstance(event, StepStarted):
            self.started[event.step_id] = self.clock()
        elif isinstance(event, StepRetrying):
            self.retries[event.step_id] = event.attempt
        elif isinstance(event, StepFinished):
            self.records[event.record.id] = event.record
        elif isinstance(event, PlanReady) and self.live is not None:
            self.live.stop()  # the plan and the confirmation prompt own the terminal
            show_gate(self.console, event)
        elif isinstance(event, PlanCarriedOut) and self.live is not None:
            show_gate(self.console, event)
            self.live.start()
        elif isinstance(event, RunFinished) and self.live is not None:
            self.live.refresh()

    def render(self) -> RenderableType:
        """The table as it stands now (rich calls this on every refresh)."""
        from rich.spinner import Spinner
        from rich.table import Table
        from rich.text import Text

        table = Table.grid(padding=(0, 1))
        table.add_column(width=1, no_wrap=True)
        table.add_column(style="bold", ratio=2)
        table.add_column(ratio=3)
        table.add_column(justify="right", style="dim", no_wrap=True)
        for step_id, title in self.order:
            record = self.records.get(step_id)
            if record is not None:
                table.add_row(
                    marker(record.status, plain=False),
                    record.title,
                    Text(record.result.summary),
                    format_duration(record.result.duration),
                )
            elif step_id in self.started:
                spinner = self.spinners.setdefault(step_id, Spinner("dots", style="cyan"))
                note = Text()
                if step_id in self.retries:
                    note.append(f"retrying (attempt {self.retries[step_id] + 1})", "yellow")
                elapsed = format_duration(self.clock() - self.started[step_id])
                table.add_row(spinner, title, note, elapsed)
            else:
                table.add_row(Text("·", style="dim"), Text(title, style="dim"), "", "")
        return table
