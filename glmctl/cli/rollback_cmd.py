"""``glmctl rollback``: suspend the lifecycle and bring the replaced jobs back (``--undo``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


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
    from glmctl.cli._output import require_output
    from glmctl.cli._recovery_support import finish
    from glmctl.cli._runbook_runner import load_profile
    from glmctl.cli.app import run_context
    from glmctl.recovery.rollback import ROLLBACK_COMMAND, UNDO_COMMAND
    from glmctl.recovery.run import RollbackRequest, run_rollback

    run = run_context(ctx)
    require_output(run, UNDO_COMMAND if undo else ROLLBACK_COMMAND)
    request = RollbackRequest(
        undo=undo,
        repo=repo,
        reason=reason,
        health_checks=health_checks,
        skip_missing=skip_missing,
        dependents=dependents,
        commit=commit,
        force_cluster=force_cluster,
    )
    finish(run, run_rollback(run, load_profile(run), request))
