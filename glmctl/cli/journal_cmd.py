"""``glmctl journal list|show|restore``: what mutating commands changed, and what they kept.

``restore`` plans from ``JournalEntry.restorable_objects()``, confirms, creates each object
that does not exist again, and journals the restore itself as a new entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from glmctl.context import RunContext
    from glmctl.journal import EntrySummary, JournalEntry

journal_app = typer.Typer(
    name="journal",
    help=(
        "Show the journal of mutating commands: every change, planned and done, and the "
        "full manifest of what was changed or deleted (Secret values redacted); restore "
        "what they deleted."
    ),
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``journal`` group to ``app``."""
    app.add_typer(journal_app)


@journal_app.command("list")
def list_entries(ctx: typer.Context) -> None:
    """List journal entries, oldest first; "incomplete" means the command did not finish."""
    import json
    from dataclasses import asdict

    from glmctl.context import OutputFormat
    from glmctl.journal import Journal

    run = _run_context(ctx)
    summaries = Journal().list()
    if run.options.output is OutputFormat.JSON:
        document = [asdict(summary) for summary in summaries]
        typer.echo(json.dumps(document, indent=2), file=run.terminal.stdout)
        return
    _print_list(summaries, run)


@journal_app.command("show")
def show(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="Entry id, or its unique start.")],
) -> None:
    """Show one entry: its plan, which changes were done, and the objects it recorded.

    -o json prints the whole entry, with the recorded manifests.
    """
    import json

    from glmctl.context import OutputFormat
    from glmctl.journal import Journal

    run = _run_context(ctx)
    entry = Journal().get(entry_id)
    if run.options.output is OutputFormat.JSON:
        typer.echo(json.dumps(entry.to_json_data(), indent=2), file=run.terminal.stdout)
        return
    _print_entry(entry, run)


@journal_app.command("restore")
def restore(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="Entry id, or its unique start.")],
    force: Annotated[
        bool, typer.Option("--force", help="Allow a plan of more than 50 objects.")
    ] = False,
) -> None:
    """Re-create the objects an entry deleted, from their recorded manifests.

    Server-set fields are stripped; objects that exist again are left alone; Secrets
    (recorded with values redacted) cannot be restored. Shows the plan and asks first
    (--yes to skip, --dry-run to only show).
    """
    from glmctl.cli._recovery_support import finish, global_flags, mutation_lock, run_plan
    from glmctl.cluster.client import Cluster
    from glmctl.journal import Journal
    from glmctl.recovery.restore import RESTORE_COMMAND, plan_restore

    run = _run_context(ctx)
    journal = Journal()
    entry = journal.get(entry_id)
    what = f"journal entry {entry.id}"
    with (
        mutation_lock(run, "entry", entry.id, what=what, command="journal restore"),
        Cluster.from_options(run.options) as cluster,
    ):
        plan = plan_restore(cluster, entry)
        execution = run_plan(
            run,
            plan,
            cluster,
            journal=journal,
            command=["journal", "restore", entry.id, *global_flags(run)],
            command_name=RESTORE_COMMAND,
            question="Re-create these objects?",
            force=force,
        )
    finish(run, execution)


def _run_context(ctx: typer.Context) -> RunContext:
    from glmctl.cli.app import run_context

    return run_context(ctx)


def _print_list(summaries: list[EntrySummary], run: RunContext) -> None:
    from rich.table import Table
    from rich.text import Text

    console = run.terminal.console()
    if not summaries:
        console.print("No journal entries yet.")
        return
    table = Table(box=None)
    widest_id = max(len(summary.id) for summary in summaries)
    for column in ("id", "status", "command", "context", "done"):
        table.add_column(  # an id is copied into `journal show`: never cut, whatever the width
            column,
            no_wrap=column != "command",
            min_width=widest_id if column == "id" else None,
            overflow="fold" if column != "id" else "ignore",
        )
    for summary in summaries:
        status = summary.status if summary.status == "incomplete" else summary.outcome or ""
        table.add_row(
            Text(summary.id),
            Text(status, style="yellow" if summary.status == "incomplete" else ""),
            Text(" ".join(summary.command)),
            Text(summary.context or "-"),
            Text(f"{summary.done}/{summary.planned}"),
        )
    console.print(table)


def _print_entry(entry: JournalEntry, run: RunContext) -> None:
    from rich.table import Table
    from rich.text import Text

    console = run.terminal.console()
    status = "incomplete" if entry.status == "incomplete" else f"finished: {entry.outcome}"
    header = Text()
    for label, value in (
        ("entry", entry.id),
        ("command", " ".join(entry.command)),
        ("context", entry.context or "-"),
        ("started", entry.started_at),
        ("status", status),
    ):
        header.append(f"{label:>8}: ", style="bold")
        header.append(f"{value}\n")
    console.print(header, end="")
    plan = Table(title="plan", title_justify="left", box=None)
    for column in ("change", "action", "object", "done", "detail"):
        plan.add_column(column)
    for change in entry.plan:
        progress = entry.progress(change.id)
        plan.add_row(
            Text(change.id),
            Text(change.action),
            Text(_object_name(change.kind, change.namespace, change.name)),
            Text(progress.outcome or "done" if progress.done else "pending"),
            Text(change.detail),
        )
    console.print(plan)
    recorded = Table(title="recorded before the change", title_justify="left", box=None)
    for column in ("action", "object", "change", "note"):
        recorded.add_column(column)
    for record in entry.before:
        metadata = record.object.get("metadata") or {}
        recorded.add_row(
            Text(record.action),
            Text(
                _object_name(
                    str(record.object.get("kind", "?")),
                    metadata.get("namespace"),
                    str(metadata.get("name", "?")),
                )
            ),
            Text(record.change_id or "-"),
            Text("values redacted" if record.redacted else ""),
        )
    console.print(recorded)


def _object_name(kind: str, namespace: str | None, name: str) -> str:
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
