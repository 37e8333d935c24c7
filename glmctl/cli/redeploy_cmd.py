"""``glmctl redeploy``: the guide's clean deployment, planned, confirmed and followed."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``redeploy`` to ``app``."""
    app.command("redeploy")(redeploy)


def redeploy(
    ctx: typer.Context,
    no_wait: Annotated[
        bool, typer.Option("--no-wait", help="Stop after the reconcile request.")
    ] = False,
    selector: Annotated[
        str | None,
        typer.Option(
            "--selector",
            "-l",
            help="Jobs to delete (default: the profile's lifecycle selector; may only narrow it).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Allow a plan of more than 50 objects.")
    ] = False,
) -> None:
    """Delete the HelmRelease and the lifecycle's Jobs, request a reconcile, wait for Ready.

    The plan lists every object found; deletes go by name with uid and resourceVersion
    preconditions, so anything that changed after the plan is left alone and reported.
    Asks before acting (--yes to skip, --dry-run to only show). --timeout is the deadline
    of the whole run, the waits for deletion and for Ready included (default 10m; 0: no
    limit). Exit 0 once Ready, 1 if the deploy failed, 4 when the deadline passed.
    """
    from glmctl.cli._output import require_output
    from glmctl.cli._recovery_support import finish
    from glmctl.cli._runbook_runner import load_profile
    from glmctl.cli.app import run_context
    from glmctl.recovery.run import run_redeploy

    run = run_context(ctx)
    require_output(run, "redeploy")
    profile = load_profile(run)
    finish(run, run_redeploy(run, profile, selector=selector, wait=not no_wait, force=force))
