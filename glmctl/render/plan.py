"""Rendering plans and their execution: what will change, then what did.

Pure functions of :class:`~glmctl.plan.Plan` and
:class:`~glmctl.recovery.execute.Execution`: the recovery commands print the plan
before asking anything, and the outcome after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from glmctl.plan import Plan
    from glmctl.recovery.execute import Execution

_ACTION_STYLES = {
    "delete": "bold red",
    "suspend": "yellow",
    "resume": "green",
    "reconcile": "cyan",
    "create": "green",
    "edit-file": "magenta",
    "annotate": "cyan",
}
_RESULT_MARKS = {
    "done": ("✔", "green"),
    "already": ("=", "dim"),
    "left-alone": ("!", "yellow"),
    "dry-run": ("·", "cyan"),
}


def plan_lines(plan: Plan) -> list[Text]:
    """Per item ``  delete    Job/flux-system/x``, and its detail on an indented line below
    (so long object names and details never wrap into each other); done items dimmed."""
    from rich.text import Text

    lines: list[Text] = []
    indent = " " * 12
    for item in plan.items:
        line = Text("  ")
        if item.state == "already":
            line.append(f"{item.action:<9} {item.target}  already done", style="dim")
            if item.detail and not item.detail.startswith("already"):
                line.append(f"\n{indent}{item.detail}", style="dim")
        else:
            line.append(f"{item.action:<9}", style=_ACTION_STYLES.get(item.action, ""))
            line.append(f" {item.target}", style="bold")
            if item.detail:
                line.append(f"\n{indent}{item.detail}", style="dim")
        lines.append(line)
    return lines


def print_plan(console: Console, plan: Plan) -> None:
    """The plan as a person reads it: header, items, notes, and the file diff."""
    from rich.text import Text

    todo = len(plan.todo)
    header = f"Plan for glmctl {plan.command}: {todo} change{'s' if todo != 1 else ''}"
    if len(plan.items) > todo:
        header += f", {len(plan.items) - todo} already done"
    console.print(Text(header, style="bold"))
    for line in plan_lines(plan):
        console.print(line)
    for note in plan.notes:
        console.print(Text(f"  note: {note}", style="yellow"))
    if plan.diff:
        console.print(Text("Repository changes:", style="bold"))
        console.print(diff_text(plan.diff), end="")


def diff_text(diff: str) -> Text:
    """A unified diff coloured by line kind (plain when the console has no colour)."""
    from rich.text import Text

    text = Text()
    for line in diff.splitlines(keepends=True):
        style = ""
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        text.append(line.replace("\r", ""), style=style)
    return text


def print_execution(console: Console, execution: Execution) -> None:
    """What happened to each item, and the one-line verdict."""
    from rich.text import Text

    if execution.declined:
        console.print("Nothing was changed.")
        return
    if execution.plan.nothing_to_do:
        console.print(Text("Already done: nothing to change.", style="green"))
        return
    for outcome in execution.outcomes:
        if outcome.result == "already" and outcome.item.state == "already":
            continue
        mark, style = _RESULT_MARKS[outcome.result]
        line = Text(f"  {mark} ", style=style)
        line.append(f"{outcome.item.action} {outcome.item.target}")
        if outcome.message and outcome.result != "done":
            line.append(f"  {outcome.message}", style=style)
        console.print(line)
    if execution.dry_run:
        console.print(Text("Dry run: nothing was changed.", style="bold"))
    for outcome in execution.left_alone:
        console.print(
            Text(f"Left alone: {outcome.item.target} changed after the plan.", style="yellow")
        )
    if execution.entry_id:
        console.print(Text(f"Journal entry: {execution.entry_id}", style="dim"))
