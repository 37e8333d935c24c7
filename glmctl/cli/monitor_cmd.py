"""``glmctl monitor``: follow the lifecycle deploy with watches until its outcome is known."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``monitor`` to ``app``."""
    app.command("monitor")(monitor)


def monitor(
    ctx: typer.Context,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Print the current state and exit: 0 all Ready, 1 failed, 4 still in progress.",
        ),
    ] = False,
) -> None:
    """Follow the lifecycle Kustomization, the HelmRelease, their dependsOn that are not
    Ready yet and the chart's hook Jobs, with watches, until the outcome is known.

    Shows each object's Ready state, reason and message, and new Kubernetes events about
    them as they arrive (a live table on a terminal, one line per change otherwise). Stops
    as soon as the answer is known, unlike `flux get --watch`; a hook Job that failed ends
    the wait at once, unlike `kubectl wait --for=condition=complete`.

    Exit 0: all Ready at their current generation. Exit 1: one failed terminally (Stalled,
    or Ready=False with a terminal reason such as InstallFailed, UpgradeFailed or
    RetriesExceeded, or a hook Job Failed). Exit 4: still not settled after --timeout
    (default 10m; 0 waits without limit), or the API server did not answer in that time. Exit 130:
    interrupted (Ctrl-C), after showing the last state. A suspended Kustomization is
    waited on, not failed.
    """
    from glmctl.cli._output import require_output
    from glmctl.cli._runbook_runner import load_profile
    from glmctl.cli.app import run_context
    from glmctl.cluster.client import Cluster
    from glmctl.monitor import DEFAULT_TIMEOUT_SECONDS, FollowInterrupted, MonitorTargets, follow
    from glmctl.render.monitor import LiveMonitor, PlainMonitor, print_final
    from glmctl.render.output import is_document, write_document

    run = run_context(ctx)
    require_output(run, "monitor")
    targets = MonitorTargets.from_profile(load_profile(run))
    timeout = 0.0 if once else run.options.wait_seconds(DEFAULT_TIMEOUT_SECONDS)
    as_json = is_document(run.options.output)
    console = run.terminal.console()
    live = run.terminal.live and not (as_json or once)
    with Cluster.from_options(run.options) as cluster:
        try:
            if as_json or once:
                outcome = follow(cluster, targets, timeout)
            elif live:
                title = f"Following the lifecycle deploy (context {cluster.context_name})"
                with LiveMonitor(console, title=title) as view:
                    outcome = follow(cluster, targets, timeout, view)
            else:
                with PlainMonitor(console) as plain:
                    outcome = follow(cluster, targets, timeout, plain)
        except FollowInterrupted as interrupted:  # Ctrl-C: the last state, exit 130
            outcome = interrupted.outcome
    if as_json:
        from glmctl.contract.build import monitor_report

        write_document(run.terminal, run.options.output, monitor_report(outcome))
    else:
        print_final(console, outcome, objects=not live)
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)
