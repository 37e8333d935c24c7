"""Rendering ``glmctl status``: a rich tree for people (``-o json|yaml``: the
``StatusReport`` document of :mod:`glmctl.contract`).

Pure functions of a :class:`~glmctl.status.StatusReport` and a clock, so tests
can render with a fixed ``now`` and snapshot the result.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text
    from rich.tree import Tree

    from glmctl.status import FluxNode, StatusReport

_STYLES = {"Ready": "green", "NotReady": "red", "Unknown": "yellow", "NotFound": "red"}
_MARKS = {"Ready": "✔", "NotReady": "✗", "Unknown": "?", "NotFound": "✗"}
_RELATIONS = {"source": "source", "dependsOn": "depends on", "deploys": "deploys"}


def status_tree(report: StatusReport, now: datetime) -> Tree:
    """The report as a rich Tree rooted at the lifecycle Kustomization."""
    from rich.tree import Tree

    tree = Tree(node_line(report.root, now, parent_namespace=None), guide_style="dim")
    _add_children(tree, report.root, now)
    return tree


def summary_line(report: StatusReport) -> Text:
    """One closing sentence: all Ready, or which objects are not."""
    from rich.text import Text

    nodes = report.nodes
    if report.all_ready:
        return Text(f"All {len(nodes)} objects Ready.", style="green")
    failing = report.not_ready
    names = ", ".join(f"{n.kind}/{n.name}" for n in failing)
    return Text(f"{len(failing)} of {len(nodes)} objects not Ready: {names}.", style="red")


def print_status(console: Console, report: StatusReport, now: datetime) -> None:
    """Print the header, the tree and the summary to ``console``."""
    from rich.text import Text

    context = report.context or "?"
    console.print(Text(f"Lifecycle status (context {context})", style="bold"))
    console.print(status_tree(report, now))
    console.print(summary_line(report))
    for line in next_step_lines(report):
        console.print(line)


def next_step_lines(report: StatusReport) -> list[Text]:
    """``Next: COMMAND  (why)``, one line per step the report suggests."""
    from rich.text import Text

    lines = []
    for step in report.next_steps:
        line = Text("Next: ", style="bold")
        line.append(step.command, style="cyan")
        line.append(f"  ({step.why})", style="dim")
        lines.append(line)
    return lines


def node_line(node: FluxNode, now: datetime, *, parent_namespace: str | None) -> Text:
    """Two lines: ``Kind/name (ns)  ✔ Ready  [suspended]  age``, then ``reason: message``.

    The message gets a line of its own, whole: a terminal wraps it, a pipe or CI log keeps
    it on one line. A Ready object's reason is always "it worked", so only failures show it.
    """
    from rich.text import Text

    line = Text()
    relation = _RELATIONS.get(node.relation)
    if relation:
        line.append(f"{relation} ", style="dim")
    line.append(f"{node.kind}/{node.name}", style="bold")
    if node.namespace and node.namespace != parent_namespace:
        line.append(f" ({node.namespace})", style="dim")
    label = "not found" if node.status == "NotFound" else node.status
    line.append(f"  {_MARKS.get(node.status, '?')} {label}", style=_STYLES.get(node.status, ""))
    if node.suspended:
        line.append("  suspended", style="bold yellow")
    if node.repeated:
        line.append("  (see above)", style="dim")
        return line
    if node.found:
        line.append(f"  {node.age(now)}", style="dim")
    detail = "" if node.message == "not found" else trim(node.message)  # said on line one
    if node.reason and not node.ready and node.status != "NotFound":
        detail = f"{node.reason}: {detail}" if detail else node.reason
    if detail:
        line.append("\n")
        line.append(detail, style="dim" if node.ready else "")
    if node.suspend_note:
        line.append("\n")
        line.append(node.suspend_note, style="yellow")
    return line


def trim(message: str, width: int | None = None) -> str:
    """``message`` on one line (runs of spaces and newlines become one space), whole; cut
    to ``width`` with an ellipsis only when a width is given (a live display's cell)."""
    flat = " ".join(message.split())
    if width is None or len(flat) <= width:
        return flat
    return flat[: width - 1].rstrip() + "…"


def _add_children(branch: Tree, node: FluxNode, now: datetime) -> None:
    for child in node.children:
        sub = branch.add(node_line(child, now, parent_namespace=node.namespace))
        _add_children(sub, child, now)
