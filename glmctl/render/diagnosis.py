"""A troubleshooting run as a person reads it: what was looked at, then the diagnosis.

The generic runbook summary lists every failing step with its hint; for a diagnosis that
buries the one thing the operator came for. Here the conclusion (the ``diagnose.conclude``
step) gets the space: the diagnosis, the evidence it rests on, what to do, and the next
command on a line of its own to copy.

No durations or clock times are printed, so the same cluster state always renders the same
text. Only summaries, details, hints and commands are shown, never step outputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glmctl.runbook.result import RunbookResult, StepRecord
from glmctl.steps.registry import StepStatus

if TYPE_CHECKING:
    from rich.console import Console

CONCLUSION_STEP = "diagnose.conclude"


def conclusion(result: RunbookResult) -> StepRecord | None:
    """The run's diagnosis step, or None for a runbook without one."""
    return next((r for r in reversed(result.steps) if r.uses == CONCLUSION_STEP), None)


def render_diagnosis(title: str, result: RunbookResult, console: Console) -> None:
    """Print the diagnosis with its evidence, what to do and the next command.

    The checks themselves were on screen while they ran (the live checklist, or one line
    each without a terminal), so they are counted here, not repeated.
    """
    from rich.text import Text

    plain = not console.is_terminal or console.no_color
    verdict = conclusion(result)
    console.print()
    head = Text(f"Troubleshooting: {title}", style="" if plain else "bold")
    looked_at = [r for r in result.steps if r is not verdict and r.status is not StepStatus.SKIP]
    problems = [r for r in looked_at if r.status in (StepStatus.FAIL, StepStatus.ERROR)]
    head.append(
        f" ({len(looked_at)} checks, {len(problems)} found a problem)",
        style="" if plain else "dim",
    )
    console.print(head)
    if result.stopped_because:
        console.print(Text(f"Stopped because {result.stopped_because}."))
    if verdict is None or verdict.status is StepStatus.SKIP:
        reason = verdict.result.summary if verdict is not None else "this runbook has none"
        console.print(Text(f"No diagnosis: {reason}"))
    elif verdict.status is StepStatus.PASS:
        console.print(Text(verdict.result.summary, style="" if plain else "bold green"))
    else:
        _print_verdict(verdict, console, plain=plain)
    if result.exit_code:
        console.print()
        console.print(Text(f"exit code {result.exit_code}", style="" if plain else "dim"))


def _print_verdict(verdict: StepRecord, console: Console, *, plain: bool) -> None:
    from rich.text import Text

    head = Text()
    head.append("Diagnosis: ", style="" if plain else "bold red")
    head.append(verdict.result.summary, style="" if plain else "bold")
    console.print(head)
    if verdict.result.details:
        console.print(Text("  Evidence:"))
        for detail in verdict.result.details:
            console.print(Text(f"    {detail}"))
    if verdict.result.hint:
        console.print(Text(f"  What to do: {verdict.result.hint}", style="" if plain else "cyan"))
    if verdict.result.command:
        console.print(Text("  Next command:"))
        command = Text(f"    {verdict.result.command}", style="" if plain else "bold")
        console.print(command, soft_wrap=True)  # one line, to copy
