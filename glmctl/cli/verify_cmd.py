"""``glmctl verify``: did the deploy work? The shipped ``verify`` runbook."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``verify`` to ``app``."""
    app.command("verify")(verify)


def verify(
    ctx: typer.Context,
    smoke: bool = typer.Option(
        False, "--smoke", help="Also run the post-deployment tests (glmctl smoke)."
    ),
) -> None:
    """Validate the deployed lifecycle chart (read-only).

    Helm release deployed, HelmRelease and Kustomization Ready, ExternalSecrets synced with
    their Secrets' keys (names and byte counts only, never values), service-discovery
    pods Ready with clean logs, hook jobs completed and cleaned up, database-init
    succeeded, the service account's RBAC, the ServiceMonitor when monitoring is on.

    Exit 0 all passed, 1 a check failed, 2 bad configuration, 3 cluster unreachable,
    4 timed out. With --smoke, the post-deployment tests of `glmctl smoke` run after it,
    and the worse exit code wins.
    """
    from glmctl.cli._runbook_runner import load_profile, run_runbook
    from glmctl.cli.app import run_context

    run_ctx = run_context(ctx)
    code = run_runbook(run_ctx, "verify", {}, profile=load_profile(run_ctx), command="verify")
    if smoke:
        from glmctl.cli.smoke_cmd import run_smoke

        code = max(code, run_smoke(run_ctx))
    if code:
        raise typer.Exit(code)
