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

from glmctl.render.checklist import STOPS_SAID_ONCE
from glmctl.runbook.result import RunbookResult, StepRecord
from glmctl.steps.registry import StepStatus

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from glmctl.troubleshoot import Triage

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
    head.append(f" ({_counts(result, verdict)})", style="" if plain else "dim")
    console.print(head)
    if result.stopped_because and result.status in STOPS_SAID_ONCE:
        console.print(Text("No diagnosis: the run stopped before it could make one."))
    elif result.stopped_because:
        console.print(Text(f"No diagnosis: the run stopped because {result.stopped_because}"))
    elif verdict is None or verdict.status is StepStatus.SKIP:
        reason = verdict.result.summary if verdict is not None else "this runbook has none"
        console.print(Text(f"No diagnosis: {reason}"))
    elif verdict.status is StepStatus.PASS:
        console.print(Text(verdict.result.summary, style="" if plain else "bold green"))
    else:
        _print_verdict(verdict, console, plain=plain)
    if result.exit_code:
        console.print()
        console.print(Text(f"exit code {result.exit_code}", style="" if plain else "dim"))


def _counts(result: RunbookResult, verdict: StepRecord | None) -> str:
    """``5 checks, 2 found a problem`` (and how many could not be made, if any)."""
    looked_at = [r for r in result.steps if r is not verdict and r.status is not StepStatus.SKIP]
    found = sum(1 for r in looked_at if r.status is StepStatus.FAIL)
    errors = sum(1 for r in looked_at if r.status is StepStatus.ERROR)
    text = f"{len(looked_at)} checks, {found} found a problem"
    return text + (f", {errors} could not be made" if errors else "")


def _print_verdict(verdict: StepRecord, console: Console, *, plain: bool) -> None:
    from rich.text import Text

    head = Text()
    label = "Diagnosis: " if verdict.status is StepStatus.FAIL else "No diagnosis: "
    head.append(label, style="" if plain else "bold red")
    head.append(verdict.result.summary, style="" if plain else "bold")
    console.print(head)
    if verdict.result.details:
        console.print(Text("  Evidence:"))
        for detail in verdict.result.details:
            text = detail.lstrip(" ")
            _indented(console, Text(text), 4 + len(detail) - len(text))
    if verdict.result.hint:
        console.print(Text("  What to do:"))
        _indented(console, Text(verdict.result.hint, style="" if plain else "cyan"), 4)
    if verdict.result.command:
        console.print(Text("  Next command:"))
        command = Text(f"    {verdict.result.command}", style="" if plain else "bold")
        console.print(command, soft_wrap=True)  # one line, to copy


def _indented(console: Console, text: Text, indent: int) -> None:
    """Print ``text`` indented; on a terminal wrapped with every line indented, so the
    structure of the evidence survives wrapping. Plain output (a pipe, a CI log) is never
    wrapped, like every plain output of glmctl: one line per item for grep."""
    import textwrap

    from rich.text import Text

    if console.soft_wrap:
        console.print(Text(" " * indent + text.plain, style=text.style), soft_wrap=True)
        return
    lines = textwrap.wrap(
        text.plain,
        width=max(40, console.width),
        initial_indent=" " * indent,
        subsequent_indent=" " * indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    for line in lines:
        console.print(Text(line, style=text.style), soft_wrap=True)


def render_triage(triage: Triage, console: Console) -> None:
    """Everything wrong, worst first, each with its topic, diagnosis and next command;
    then the topics where nothing was found. No clock times: same state, same text."""
    from rich.text import Text

    plain = not console.is_terminal or console.no_color
    total = len(triage.findings) + len(triage.healthy)
    found = len(triage.findings)
    head = Text("Triage", style="" if plain else "bold")
    head.append(
        f" ({total} topics, {found} found a problem{', worst first' if found > 1 else ''})",
        style="" if plain else "dim",
    )
    console.print()
    console.print(head)
    for number, finding in enumerate(triage.findings, 1):
        line = Text(f"  {number}. ")
        line.append(finding.topic.title, style="" if plain else "bold")
        style = "" if plain else _SEVERITY_STYLE.get(finding.severity, "")
        line.append(f"  [{finding.severity}]", style=style)
        console.print(line, soft_wrap=True)
        _indented(console, Text(finding.diagnosis), 5)
        if finding.command:
            console.print(Text(f"     Next: {finding.command}"), soft_wrap=True)
        console.print(Text(f"     More: glmctl troubleshoot {finding.topic.name}"), soft_wrap=True)
    if triage.healthy:
        names = ", ".join(topic.title for topic in triage.healthy)
        _indented(console, Text(f"Not found: {names}."), 0)
    if triage.stopped_because:
        _indented(console, Text(f"The triage stopped early: {triage.stopped_because}"), 0)
    if triage.exit_code:
        console.print()
        console.print(Text(f"exit code {triage.exit_code}", style="" if plain else "dim"))


_SEVERITY_STYLE = {"critical": "bold red", "error": "red", "warning": "yellow", "unchecked": "dim"}
