"""What the recovery commands (rollback, redeploy, journal restore) share at the CLI edge:
showing the plan, asking for confirmation, running it, rendering the outcome.

Imported only inside command functions (it pulls in rich and questionary).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from glmctl.context import RunContext
from glmctl.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from glmctl.cluster.client import Cluster
    from glmctl.journal import Journal
    from glmctl.monitor import MonitorOutcome
    from glmctl.plan import Plan
    from glmctl.recovery.execute import Execution, FileEdit

NON_INTERACTIVE = (
    "refusing to change anything without confirmation: there is no terminal to ask on; "
    "pass --yes to confirm non-interactively."
)


@contextlib.contextmanager
def mutation_lock(
    run: RunContext, kind: str, key: str, *, what: str, command: str
) -> Iterator[None]:
    """Hold the lock on ``key`` (a repository, a lifecycle, a journal entry) while a run
    plans and changes it; a second run waits up to 10 s (or ``--timeout``), then names the
    holder (exit 2). A stale lock left by a killed run is noted and taken over."""
    from glmctl.journal import default_journal_dir
    from glmctl.lock import DEFAULT_WAIT, hold, lock_path
    from glmctl.sanitize import escape_text

    wait = DEFAULT_WAIT if run.options.timeout is None else min(DEFAULT_WAIT, run.options.timeout)

    def note(text: str) -> None:
        run.terminal.stderr.write(f"glmctl: note: {escape_text(text)}\n")

    path = lock_path(default_journal_dir().parent, kind, key)
    with hold(path, what=what, command=f"glmctl {command}", wait=wait, note=note):
        yield


def person_console(run: RunContext) -> Console:
    """Where people-facing text goes: stdout, or stderr when stdout carries a document."""
    from glmctl.render.output import is_document

    return run.terminal.console(stderr=is_document(run.options.output))


def terminal_confirm(run: RunContext, question: str) -> Callable[[Plan], bool]:
    """Ask ``question`` with questionary (default No); refuse when nobody can answer."""

    def ask(plan: Plan) -> bool:
        if not run.terminal.interactive:
            raise UsageError(NON_INTERACTIVE, hint="Read the plan above first; --dry-run shows it.")
        import questionary

        answer = questionary.confirm(question, default=False).ask()
        return bool(answer)

    return ask


def run_plan(
    run: RunContext,
    plan: Plan,
    cluster: Cluster | None,
    *,
    journal: Journal,
    command: Sequence[str],
    command_name: str,
    question: str,
    force: bool = False,
    file_edits: Mapping[str, FileEdit] | None = None,
) -> Execution:
    """Resume an interrupted run's progress, print the plan, then confirm and carry it out."""
    from glmctl.cli._output import require_output
    from glmctl.cluster.identity import identify
    from glmctl.recovery.execute import carry_out, resume_plan
    from glmctl.render.plan import print_execution, print_plan

    require_output(run, command_name)
    context = cluster.context_name if cluster is not None else None
    identity = identify(cluster) if cluster is not None else None
    plan, interrupted = resume_plan(plan, journal, command_name, context, identity)
    console = person_console(run)
    print_plan(console, plan)
    execution = carry_out(
        plan,
        cluster,
        journal=journal,
        command=command,
        command_name=command_name,
        dry_run=run.options.dry_run,
        yes=run.options.yes,
        force=force,
        confirm=terminal_confirm(run, question),
        file_edits=file_edits,
        interrupted=interrupted,
        identity=identity,
    )
    print_execution(console, execution)
    return execution


def finish(
    run: RunContext,
    execution: Execution,
    *,
    committed: str | None = None,
    wait: MonitorOutcome | None = None,
) -> None:
    """Write the ``ChangeReport`` document (``-o json|yaml``) and exit 1 when the operator
    said no."""
    import typer

    from glmctl.render.output import is_document, write_document

    if is_document(run.options.output):
        from glmctl.contract.build import change_report

        document = change_report(execution, committed=committed, wait=wait)
        write_document(run.terminal, run.options.output, document)
    if execution.declined:
        raise typer.Exit(1)


def global_flags(run: RunContext) -> list[str]:
    """The global options that shape a mutating run, for the journal's command line."""
    flags: list[str] = []
    if run.options.context:
        flags += ["--context", run.options.context]
    if run.options.dry_run:
        flags.append("--dry-run")
    if run.options.yes:
        flags.append("--yes")
    return flags
