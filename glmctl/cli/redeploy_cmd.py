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
    Asks before acting (--yes to skip, --dry-run to only show). Exit 0 once Ready, 1 if
    the deploy failed, 4 on --timeout (default 600 s).

    Examples: glmctl redeploy; glmctl redeploy --yes --no-wait; glmctl redeploy --dry-run
    """
    from glmctl.cli._recovery_support import finish, global_flags, person_console, run_plan
    from glmctl.cli.app import run_context
    from glmctl.cluster.client import Cluster
    from glmctl.config import load_profile
    from glmctl.errors import CheckFailed
    from glmctl.journal import Journal
    from glmctl.recovery import redeploy as rd

    run = run_context(ctx)
    profile = load_profile(run.options.config).profile
    journal = Journal()
    command = ["redeploy", *global_flags(run)]
    if no_wait:
        command.append("--no-wait")
    if selector is not None:
        command += ["--selector", selector]
    with Cluster.connect(run.options.kubeconfig, run.options.context) as cluster:
        plan = rd.plan_redeploy(cluster, profile, selector)
        execution = run_plan(
            run,
            plan,
            cluster,
            journal=journal,
            command=command,
            command_name="redeploy",
            question="Delete and redeploy as planned?",
            force=force,
        )
        requested = any(
            outcome.item.action == "reconcile" and outcome.result == "done"
            for outcome in execution.outcomes
        )
        if execution.declined or execution.dry_run or no_wait:
            finish(run, execution)
            return
        console = person_console(run)
        console.print("Waiting for the Kustomization and the HelmRelease to be Ready…")
        outcome = rd.wait_for_ready(
            cluster,
            profile,
            rd.requested_at(execution.plan) if requested else None,
            timeout=run.options.timeout or rd.DEFAULT_WAIT_SECONDS,
            report=lambda state: console.print(f"  {state}", style="dim", markup=False),
        )
    if outcome.result == "failed":
        raise CheckFailed(
            f"the redeploy failed: {outcome.message}",
            hint="`glmctl status` shows the objects; `kubectl describe helmrelease` the events.",
        )
    console.print(outcome.message, style="green")
    finish(run, execution, wait=outcome.result)
