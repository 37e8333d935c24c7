"""``glmctl status``: the lifecycle's Flux objects as a dependency tree, one screen."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``status`` to ``app``."""
    app.command("status")(status)


def status(ctx: typer.Context) -> None:
    """Show the lifecycle Kustomization, what it depends on, the HelmRelease and their sources.

    Each line: kind/name, Ready / NotReady / Unknown (with the suspended flag), reason,
    age and message, read the way `flux get` reads them. Objects that do not exist show as
    "not found". What is not Ready gets a next step (resume, monitor, troubleshoot). Writes
    -o rich or json. Exit 0 when everything shown is Ready, 1 otherwise.
    """
    from datetime import UTC, datetime

    from glmctl.cli._output import require_output
    from glmctl.cli._runbook_runner import load_profile
    from glmctl.cli.app import run_context
    from glmctl.cluster.client import Cluster
    from glmctl.context import OutputFormat
    from glmctl.render.status import print_status, status_json
    from glmctl.status import StatusTargets, build_status

    run = run_context(ctx)
    require_output(run, "status", (OutputFormat.RICH, OutputFormat.JSON))
    targets = StatusTargets.from_profile(load_profile(run))
    with Cluster.from_options(run.options) as cluster:
        report = build_status(cluster, targets, context=cluster.context_name)
    now = datetime.now(UTC)
    if run.options.output is OutputFormat.JSON:
        run.terminal.stdout.write(status_json(report, now))
    else:
        print_status(run.terminal.console(), report, now)
    if not report.all_ready:
        raise typer.Exit(1)
