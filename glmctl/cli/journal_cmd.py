"""``glmctl journal list|show|restore``: what mutating commands changed, and what they kept.

``restore`` runs the ``journal-restore`` runbook (:func:`glmctl.recovery.run.run_restore`):
it plans from ``JournalEntry.restorable_objects()``, confirms, creates each object that does
not exist again, and journals the restore itself as a new entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from glmctl.context import RunContext
    from glmctl.journal import JournalEntry

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
    from glmctl.cli._output import require_output
    from glmctl.contract import models
    from glmctl.contract.build import journal_list
    from glmctl.journal import Journal
    from glmctl.render.output import Column, show_list

    run = _run_context(ctx)
    require_output(run, "journal list")
    document = journal_list(Journal().list())
    columns: list[Column[models.JournalSummary]] = [
        Column("ID", lambda row: row.id),
        Column(
            "STATUS",
            lambda row: row.status if row.status == "incomplete" else row.outcome or "",
            style=lambda row: "yellow" if row.status == "incomplete" else "",
        ),
        Column("COMMAND", lambda row: " ".join(row.command)),
        Column("CONTEXT", lambda row: row.context or "-"),
        Column("CLUSTER", lambda row: row.cluster.server if row.cluster else "-"),
        Column("DONE", lambda row: f"{row.done}/{row.planned}"),
    ]
    show_list(
        run.terminal,
        run.options.output,
        document,
        columns,
        document.items,
        empty="No journal entries yet.",
    )


@journal_app.command("show")
def show(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="Entry id, or its unique start.")],
) -> None:
    """Show one entry: its plan, which changes were done, and the objects it recorded.

    -o json|yaml prints the whole entry, with the recorded manifests.
    """
    from glmctl.cli._output import require_output
    from glmctl.contract.build import journal_entry
    from glmctl.journal import Journal
    from glmctl.render.output import is_document, write_document

    run = _run_context(ctx)
    require_output(run, "journal show")
    entry = Journal().get(entry_id)
    if is_document(run.options.output):
        write_document(run.terminal, run.options.output, journal_entry(entry))
        return
    _print_entry(entry, run)


@journal_app.command("restore")
def restore(
    ctx: typer.Context,
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="Entry id, or its unique start.")],
    force: Annotated[
        bool, typer.Option("--force", help="Allow a plan of more than 50 objects.")
    ] = False,
    force_cluster: Annotated[
        bool,
        typer.Option(
            "--force-cluster",
            help="Restore an entry too old to record its cluster onto this one.",
        ),
    ] = False,
) -> None:
    """Re-create the objects an entry deleted, from their recorded manifests.

    Server-set fields are stripped; objects that exist again are left alone; Secrets
    (recorded with values redacted) cannot be restored. An entry recorded on another
    cluster is refused, even under the same context name. Shows the plan and asks first
    (--yes to skip, --dry-run to only show).
    """
    from glmctl.cli._output import require_output
    from glmctl.cli._recovery_support import finish
    from glmctl.recovery.restore import RESTORE_COMMAND
    from glmctl.recovery.run import run_restore

    run = _run_context(ctx)
    require_output(run, RESTORE_COMMAND)
    finish(run, run_restore(run, entry_id, force=force, force_cluster=force_cluster))


def _run_context(ctx: typer.Context) -> RunContext:
    from glmctl.cli.app import run_context

    return run_context(ctx)


def _print_entry(entry: JournalEntry, run: RunContext) -> None:
    from rich.text import Text

    from glmctl.journal import BeforeRecord, PlannedChange
    from glmctl.render.output import Column, print_table

    console = run.terminal.console()
    status = "incomplete" if entry.status == "incomplete" else f"finished: {entry.outcome}"
    header = Text()
    for label, value in (
        ("entry", entry.id),
        ("command", " ".join(entry.command)),
        ("context", entry.context or "-"),
        ("cluster", entry.cluster.describe() if entry.cluster else "not recorded"),
        ("started", entry.started_at),
        ("status", status),
    ):
        header.append(f"{label:>8}: ", style="bold")
        header.append(f"{value}\n")
    console.print(header, end="")

    def progress(change: PlannedChange) -> str:
        done = entry.progress(change.id)
        return done.outcome or "done" if done.done else "pending"

    plan: list[Column[PlannedChange]] = [
        Column("CHANGE", lambda change: change.id),
        Column("ACTION", lambda change: change.action),
        Column("OBJECT", lambda change: _object_name(change.kind, change.namespace, change.name)),
        Column("DONE", progress),
        Column("DETAIL", lambda change: change.detail),
    ]
    print_table(run.terminal, plan, entry.plan, title="plan")

    def recorded_object(record: BeforeRecord) -> str:
        metadata = record.object.get("metadata") or {}
        return _object_name(
            str(record.object.get("kind", "?")),
            metadata.get("namespace"),
            str(metadata.get("name", "?")),
        )

    recorded: list[Column[BeforeRecord]] = [
        Column("ACTION", lambda record: record.action),
        Column("OBJECT", recorded_object),
        Column("CHANGE", lambda record: record.change_id or "-"),
        Column("NOTE", lambda record: "values redacted" if record.redacted else ""),
    ]
    print_table(run.terminal, recorded, entry.before, title="recorded before the change")


def _object_name(kind: str, namespace: str | None, name: str) -> str:
    return f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
