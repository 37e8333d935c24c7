"""``glmctl rollback``: suspend the lifecycle and bring the replaced jobs back (``--undo``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from glmctl.advice import Advice


def register(app: typer.Typer) -> None:
    """Add ``rollback`` to ``app``."""
    app.command("rollback")(rollback)


def rollback(
    ctx: typer.Context,
    undo: Annotated[
        bool, typer.Option("--undo", help="Reverse a rollback: every part, in dependsOn order.")
    ] = False,
    repo: Annotated[
        Path | None,
        typer.Option(
            "--repo",
            help="The GitOps repository (default: found upward from here).",
            show_default=False,
        ),
    ] = None,
    reason: Annotated[
        str, typer.Option("--reason", help="Why: recorded on the suspended Kustomization.")
    ] = "",
    health_checks: Annotated[
        bool,
        typer.Option(
            "--health-checks",
            help="Also restore the jobs' health checks in the Flux Kustomization file.",
        ),
    ] = False,
    skip_missing: Annotated[
        bool,
        typer.Option("--skip-missing", help="Go on without replaced jobs whose file is missing."),
    ] = False,
    dependents: Annotated[
        bool,
        typer.Option(
            "--dependents", help="Also suspend the Kustomizations that depend on the lifecycle one."
        ),
    ] = False,
    commit: Annotated[
        bool, typer.Option("--commit", help="Commit the edited files with git (never pushes).")
    ] = False,
    force_cluster: Annotated[
        bool,
        typer.Option(
            "--force-cluster",
            help="With --undo: also use journal entries too old to record their cluster.",
        ),
    ] = False,
) -> None:
    """Suspend the lifecycle Kustomization and re-enable the replaced jobs in the repository.

    Shows the plan (cluster changes and the file diff), asks before acting (--yes to skip,
    --dry-run to only show), journals every change. Parts already done are reported and
    skipped, so running it twice is safe. --undo reverses every part, using only the
    journal entries recorded on this cluster (not merely this context name).
    """
    from glmctl.cli._recovery_support import (
        finish,
        global_flags,
        mutation_lock,
        person_console,
        run_plan,
    )
    from glmctl.cli._runbook_runner import load_profile
    from glmctl.cli.app import run_context
    from glmctl.cluster.client import Cluster
    from glmctl.journal import Journal
    from glmctl.recovery import rollback as rb

    run = run_context(ctx)
    profile = load_profile(run)
    root = (repo or rb.find_repo(Path.cwd(), profile.repo.outpost_kustomization)).resolve()
    if repo is not None and not (root / profile.repo.outpost_kustomization).is_file():
        from glmctl.errors import UsageError

        raise UsageError(
            f"{root} has no {profile.repo.outpost_kustomization}.",
            hint="Pass the GitOps repository's root as --repo.",
        )
    journal = Journal()
    command = [
        "rollback",
        *global_flags(run),
        *_flags(undo, reason, health_checks, skip_missing, dependents, commit),
        *(["--force-cluster"] if force_cluster else []),
    ]
    with (
        mutation_lock(run, "repo", str(root), what=f"the repository {root}", command="rollback"),
        Cluster.from_options(run.options) as cluster,
    ):
        options = rb.RollbackOptions(
            repo=root,
            user=cluster.user_name,
            reason=reason,
            health_checks=health_checks,
            skip_missing=skip_missing,
            dependents=dependents,
        )
        planned = (
            rb.plan_undo(cluster, profile, options, journal, force_cluster=force_cluster)
            if undo
            else rb.plan_rollback(cluster, profile, options)
        )
        execution = run_plan(
            run,
            planned.plan,
            cluster,
            journal=journal,
            command=command,
            command_name=rb.UNDO_COMMAND if undo else rb.ROLLBACK_COMMAND,
            question="Undo the rollback as planned?" if undo else "Roll back as planned?",
            file_edits=planned.edits,
        )
        follow = None if undo else rb.next_after_rollback(cluster, profile)
        files_changed = any(
            outcome.result == "done" and outcome.item.action == "edit-file"
            for outcome in execution.outcomes
        )
        console = person_console(run)
        committed: str | None = None
        if files_changed:
            diff = rb.git_diff(root, planned.files)
            if diff:
                from glmctl.render.plan import diff_text

                console.print("git diff:", style="bold")
                console.print(diff_text(diff), end="")
            if commit:
                message = rb.commit_message(undo, profile, reason)
                committed = rb.git_commit(root, planned.files, message)
                console.print(
                    f"Committed {committed} (not pushed)."
                    if committed
                    else "Nothing to commit: the edited files already match the last commit."
                )
            _next_steps(console, follow, committed=committed is not None or commit)
        elif commit:
            console.print("Nothing to commit: no file was changed.")
    finish(run, execution, committed=committed)


def _flags(
    undo: bool, reason: str, health_checks: bool, skip_missing: bool, dependents: bool, commit: bool
) -> list[str]:
    flags = [
        flag
        for flag, on in (
            ("--undo", undo),
            ("--health-checks", health_checks),
            ("--skip-missing", skip_missing),
            ("--dependents", dependents),
            ("--commit", commit),
        )
        if on
    ]
    return [*flags, "--reason", reason] if reason else flags


def _next_steps(console: Console, follow: Advice | None, *, committed: bool) -> None:
    """What the operator does next: the cluster only sees the edit once it is pushed. After
    an undo, ``glmctl monitor`` follows the resumed lifecycle; after a rollback, ``follow``
    (never monitor: it would wait on the Kustomization just suspended)."""
    steps = [] if committed else ["commit the change: git commit (or rerun with --commit)"]
    steps.append("push it: git push")
    if follow is None:
        steps.append("follow Flux applying it: glmctl monitor")
    else:
        steps.append(f"{follow.why}: {follow.command}")
    console.print("Next steps:", style="bold")
    for number, step in enumerate(steps, start=1):
        console.print(f"  {number}. {step}", markup=False)
