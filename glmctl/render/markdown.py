"""``-o markdown``: a table plus details, made to be pasted into an issue or a chat.

GitHub-flavoured Markdown: a status table of every step, then a section per failing,
erroring or warning step with its details, hint and the equivalent command in a code
block. Cell text is escaped so a ``|`` in a summary cannot break the table.
"""

from __future__ import annotations

from glmctl.render.checklist import count_line, format_duration
from glmctl.runbook.result import RunbookResult, RunStatus, StepRecord
from glmctl.steps.registry import StepStatus

ICONS = {
    StepStatus.PASS: "✅ pass",
    StepStatus.FAIL: "❌ fail",
    StepStatus.ERROR: "⛔ error",
    StepStatus.WARN: "⚠️ warn",
    StepStatus.SKIP: "⏭️ skip",
}
OUTCOMES = {
    RunStatus.PASSED: "passed",
    RunStatus.FAILED: "failed",
    RunStatus.UNREACHABLE: "stopped: cluster unreachable",
    RunStatus.TIMED_OUT: "timed out",
    RunStatus.INTERRUPTED: "interrupted",
}


def render_markdown(result: RunbookResult) -> str:
    """The run as Markdown text, ending with a newline."""
    mode = " (dry run)" if result.dry_run else ""
    lines = [
        f"## glmctl runbook `{result.runbook}`{mode}: {OUTCOMES[result.status]}",
        "",
    ]
    if result.description:
        lines += [_escape_text(result.description.strip()), ""]
    lines += [
        f"{count_line(result)}, exit code {result.exit_code}.",
        "",
    ]
    if result.stopped_because:
        lines += [f"Stopped because {_escape_text(result.stopped_because)}.", ""]
    lines += ["| Status | Step | Result | Time |", "| --- | --- | --- | ---: |"]
    for record in result.steps:
        lines.append(
            f"| {ICONS[record.status]} | {_cell(record.title)} | "
            f"{_cell(record.result.summary)} | {format_duration(record.result.duration)} |"
        )
    for record in result.steps:
        if record.status in (StepStatus.FAIL, StepStatus.ERROR, StepStatus.WARN):
            lines += ["", *_details(record)]
    return "\n".join(lines) + "\n"


def _details(record: StepRecord) -> list[str]:
    result = record.result
    lines = [
        f"### {ICONS[record.status]}: {_escape_text(record.title)}",
        "",
        _escape_text(result.summary),
    ]
    if result.details:
        lines.append("")
        lines += [_detail_item(detail) for detail in result.details]
    if result.hint:
        lines += ["", f"**Hint:** {_escape_text(result.hint)}"]
    if result.command:
        lines += ["", "```sh", result.command, "```"]
    return lines


def _detail_item(detail: str) -> str:
    """A detail as a list item; an indented detail (a log line under a pod) nests under it."""
    stripped = detail.lstrip()
    nested = "  " if stripped != detail else ""
    return f"{nested}- {_escape_text(stripped)}"


def _cell(text: str) -> str:
    return _escape_text(text).replace("|", "\\|").replace("\n", " ")


def _escape_text(text: str) -> str:
    """Keep text literal: no accidental HTML, no stray code fences."""
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("```", "'''")
