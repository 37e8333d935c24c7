"""``glmctl redeploy``: the guide's clean deployment, planned, confirmed and followed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from glmctl.cluster.client import Cluster
    from glmctl.config import Profile
    from glmctl.context import RunContext
    from glmctl.monitor import MonitorOutcome


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
    the deploy failed, 4 on --timeout (default 10m; 0 waits without limit).
    """
    from glmctl.cli._recovery_support import finish, global_flags, mutation_lock, run_plan
    from glmctl.cli._runbook_runner import load_profile
    from glmctl.cli.app import run_context
    from glmctl.cluster.client import Cluster
    from glmctl.errors import CheckFailed, TimedOut
    from glmctl.journal import Journal
    from glmctl.recovery import redeploy as rd

    run = run_context(ctx)
    profile = load_profile(run)
    journal = Journal()
    command = ["redeploy", *global_flags(run)]
    if no_wait:
        command.append("--no-wait")
    if selector is not None:
        command += ["--selector", selector]
    release = profile.flux.helm_release
    with Cluster.from_options(run.options) as cluster:
        lifecycle = f"HelmRelease {release.namespace}/{release.name} at {cluster.server}"
        with mutation_lock(run, "lifecycle", lifecycle, what=lifecycle, command="redeploy"):
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
        if execution.declined or execution.dry_run or no_wait:
            finish(run, execution)
            return
        outcome = _follow(run, cluster, profile)
    if outcome.exit_code == 1:
        raise CheckFailed(
            f"the redeploy failed: {outcome.summary}",
            hint="`glmctl status` shows the objects; `kubectl describe helmrelease` the events.",
        )
    if outcome.exit_code:
        raise TimedOut(
            f"the redeploy was not Ready after {outcome.timeout:g} seconds: {outcome.summary}",
            hint="`glmctl monitor` keeps following it; --timeout waits longer.",
        )
    finish(run, execution, wait=outcome)


def _follow(run: RunContext, cluster: Cluster, profile: Profile) -> MonitorOutcome:
    """Follow the deploy like ``glmctl monitor`` (live table, plain lines, or silently for
    ``-o json``) until Ready, failed for good, or ``--timeout`` (default 10m; 0: no limit)."""
    from glmctl.cli._recovery_support import person_console
    from glmctl.monitor import DEFAULT_TIMEOUT_SECONDS, MonitorTargets, follow
    from glmctl.render.monitor import LiveMonitor, PlainMonitor, print_final
    from glmctl.render.output import is_document

    targets = MonitorTargets.from_profile(profile)
    timeout = run.options.wait_seconds(DEFAULT_TIMEOUT_SECONDS)
    console = person_console(run)
    if is_document(run.options.output):
        return follow(cluster, targets, timeout)
    live = run.terminal.live
    if live:
        title = f"Following the redeploy (context {cluster.context_name})"
        with LiveMonitor(console, title=title) as view:
            outcome = follow(cluster, targets, timeout, view)
    else:
        with PlainMonitor(console) as plain:
            outcome = follow(cluster, targets, timeout, plain)
    print_final(console, outcome, objects=not live)
    return outcome
