"""``glmctl smoke [TOPIC]``: the guide's post-deployment tests, the shipped ``smoke`` runbook.

What a run creates (a temporary Service, a one-off Job) is labelled with the run's id and
removed by the steps themselves; the command removes it again once the run has ended,
which covers Ctrl-C (the engine stops waiting for the step threads) and a timeout.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from glmctl.errors import UsageError

if TYPE_CHECKING:
    from glmctl.context import RunContext

TOPICS = ("authentik", "service-discovery", "onepassword", "database", "config")


def register(app: typer.Typer) -> None:
    """Add ``smoke`` to ``app``."""
    app.command("smoke")(smoke)


def smoke(
    ctx: typer.Context,
    topic: str = typer.Argument(
        "all", help="authentik, service-discovery, onepassword, database, config or all."
    ),
    authentik_url: str = typer.Option(
        "",
        "--authentik-url",
        help="Authentik's base URL; by default it is reached through the API server's "
        "service proxy.",
    ),
    pg_image: str = typer.Option(
        "", "--pg-image", help="Image of the pg_isready Job (default: profile smoke.pg_image)."
    ),
) -> None:
    """Run the guide's post-deployment tests: Authentik, service discovery, 1Password
    Connect, the database, the configuration values.

    Authentik's admin token (from its Secret, never shown) is valid; the Grafana and
    Dashboard OIDC providers and applications exist and their client secrets match the
    Secrets (by SHA-256); the external outpost is configured. Service discovery: a
    temporary Service glmctl-smoke-ID labelled authentik.io/proxy=enabled gets a proxy
    provider, which goes when the Service is deleted. 1Password Connect's /heartbeat and
    /health; every ExternalSecret reads its expected item. The database init hook
    succeeded, its credentials Secret has its keys, and a one-off Job runs pg_isready.
    The HelmRelease's values match the guide's key configuration values.

    Exit 0 all passed, 1 a check failed, 2 bad usage, 3 cluster unreachable, 4 timed out.
    """
    from glmctl.cli.app import run_context

    code = run_smoke(run_context(ctx), topic, authentik_url=authentik_url, pg_image=pg_image)
    if code:
        raise typer.Exit(code)


def run_smoke(
    run_ctx: RunContext, topic: str = "all", *, authentik_url: str = "", pg_image: str = ""
) -> int:
    """Run the smoke runbook for ``topic``; what it created is swept when it ends."""
    import secrets

    from glmctl.cli._runbook_runner import load_profile, run_runbook
    from glmctl.suggest import did_you_mean

    if topic not in (*TOPICS, "all"):
        guess = did_you_mean(topic, [*TOPICS, "all"])
        raise UsageError(
            f"unknown smoke topic {topic!r}" + (f"; {guess}" if guess else "") + ".",
            hint=f"Topics: {', '.join(TOPICS)}, or all.",
        )
    run_id = secrets.token_hex(4)
    params = {
        "topic": topic,
        "run_id": run_id,
        "authentik_url": authentik_url,
        "pg_image": pg_image,
    }
    try:
        return run_runbook(run_ctx, "smoke", params, profile=load_profile(run_ctx), command="smoke")
    finally:
        if not run_ctx.options.dry_run:
            _sweep(run_ctx, run_id)


def _sweep(run_ctx: RunContext, run_id: str) -> None:
    """Remove this run's objects if a step could not (interrupted, timed out)."""
    import logging

    from glmctl.cli._runbook_runner import default_cluster_factory
    from glmctl.errors import GlmctlError
    from glmctl.steps.smoke import sweep

    try:
        cluster = default_cluster_factory(run_ctx)()
        try:
            removed = sweep(cluster, run_id)
        finally:
            cluster.close()
    except GlmctlError as error:
        run_ctx.terminal.stderr.write(
            f"glmctl: warning: could not remove this run's test objects: {error.message} "
            "The next `glmctl smoke` removes them.\n"
        )
        return
    if removed:
        logging.getLogger("glmctl.smoke").info("removed after the run: %s", ", ".join(removed))
