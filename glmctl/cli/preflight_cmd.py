"""``glmctl preflight``: is it safe to deploy? The shipped ``preflight`` runbook."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``preflight`` to ``app``."""
    app.command("preflight")(preflight)


def preflight(
    ctx: typer.Context,
    repo: Annotated[
        Path | None,
        typer.Option(
            "--repo",
            help="Lint this GitOps repository first (offline; its errors fail preflight).",
            exists=True,
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Check the prerequisites before deploying the lifecycle chart (read-only).

    Cluster reachable, Flux and External Secrets CRDs, prerequisite Kustomizations Ready,
    1Password Connect pods Ready with clean logs, the ClusterSecretStore Ready, no replaced
    job still running, no Failed pods in the identity namespace, your RBAC, local tools.

    Exit 0 all passed, 1 a check failed, 2 bad configuration, 3 cluster unreachable,
    4 timed out.
    """
    from glmctl.cli._runbook_runner import load_profile, run_runbook
    from glmctl.cli.app import run_context

    run_ctx = run_context(ctx)
    params = {"repo": str(repo) if repo is not None else ""}
    code = run_runbook(
        run_ctx, "preflight", params, profile=load_profile(run_ctx), command="preflight"
    )
    if code:
        raise typer.Exit(code)
