"""``glmctl status``: the lifecycle's Flux objects as a dependency tree, one screen."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``status`` to ``app``."""
    app.command("status")(status)


def status(
    ctx: typer.Context,
    kustomization: Annotated[
        str | None,
        typer.Argument(
            metavar="KUSTOMIZATION",
            help="Start the tree from this Kustomization, in the lifecycle Kustomization's "
            "namespace (default: the lifecycle Kustomization).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Show the lifecycle Kustomization, what it depends on, the HelmRelease and their sources.

    Each line: kind/name, Ready / NotReady / Unknown (with the suspended flag), reason,
    age and message, read the way `flux get` reads them. Objects that do not exist show as
    "not found". What is not Ready gets a next step (resume, monitor, troubleshoot). Writes
    -o rich, json or yaml. Exit 0 when everything shown is Ready, 1 otherwise.
    """
    from datetime import UTC, datetime

    from glmctl.cli._output import require_output
    from glmctl.cli._runbook_runner import load_profile
    from glmctl.cli.app import run_context
    from glmctl.cluster.client import Cluster
    from glmctl.render.output import is_document, write_document
    from glmctl.render.status import print_status
    from glmctl.status import StatusTargets, build_status

    run = run_context(ctx)
    require_output(run, "status")
    targets = StatusTargets.from_profile(load_profile(run))
    if kustomization is not None:
        from dataclasses import replace

        targets = replace(targets, kustomization_name=kustomization)
    with Cluster.from_options(run.options) as cluster:
        report = build_status(cluster, targets, context=cluster.context_name)
    now = datetime.now(UTC)
    if is_document(run.options.output):
        from glmctl.contract.build import status_report

        write_document(run.terminal, run.options.output, status_report(report, now))
    else:
        print_status(run.terminal.console(), report, now)
    if not report.all_ready:
        raise typer.Exit(1)
