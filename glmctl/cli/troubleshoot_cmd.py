"""``glmctl troubleshoot [TOPIC]``: the guide's common issues, each a diagnostic runbook.

With a TOPIC it runs that topic's runbook and prints the diagnosis (scripts, CI, a pipe).
Without one it triages first: every topic's diagnosis, everything wrong worst first. Off a
terminal (or with stdin at its end) that is all, exit 1 if anything is wrong, else 0. On a
terminal a session follows (``_troubleshoot_session``): the topics, those with findings
first; after a topic's diagnosis, the actions that fit it (resume, reconcile, force an
upgrade, force-sync, delete a stuck Job, redeploy, rollback), each planned, confirmed,
journaled and verified. Ctrl-C leaves with 130, Ctrl-D with 0, never in the middle of a
change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from glmctl.config import Profile
    from glmctl.context import RunContext
    from glmctl.troubleshoot import Topic


def register(app: typer.Typer) -> None:
    """Add ``troubleshoot`` to ``app``."""
    app.command("troubleshoot")(troubleshoot)


def troubleshoot(
    ctx: typer.Context,
    topic: Annotated[
        str | None,
        typer.Argument(
            metavar="TOPIC",
            help="helmrelease, external-secrets, service-discovery, onepassword, old-jobs "
            "or failed-pods (default: every topic, worst first, then a menu).",
            show_default=False,
        ),
    ] = None,
    list_topics: Annotated[
        bool, typer.Option("--list", help="List the topics with a line about each, and exit.")
    ] = False,
) -> None:
    """Diagnose the deployment guide's common issues, then offer fixes.

    Each topic gathers what the guide's commands would show (kubectl describe, controller
    logs, ExternalSecret conditions, can-i) and ends with a diagnosis and the next command
    to run. Without TOPIC: every topic at once, everything wrong worst first; on a terminal
    then a menu (topics with findings first) and, after a diagnosis, the actions that fit
    it, each shown as a plan, confirmed, journaled and verified. A TOPIC only reads.

    Exit 0 nothing wrong found, 1 a problem diagnosed, 2 an unknown topic, 3 cluster
    unreachable, 4 timed out, 130 Ctrl-C (Ctrl-D leaves a menu with 0).
    """
    from glmctl.cli._runbook_runner import load_profile
    from glmctl.cli.app import run_context
    from glmctl.troubleshoot import find_topic

    run_ctx = run_context(ctx)
    if list_topics:
        _print_topics(run_ctx)
        return
    chosen = find_topic(topic) if topic is not None else None
    profile = load_profile(run_ctx)
    if chosen is not None:
        code = run_topic(run_ctx, chosen, profile)
    else:
        code = _triage_first(ctx, run_ctx, profile)
    if code:
        raise typer.Exit(code)


def run_topic(run_ctx: RunContext, topic: Topic, profile: Profile) -> int:
    """Run the topic's runbook with the live checklist; print the diagnosis; the exit code."""
    from glmctl.cli._runbook_runner import execute_runbook, raise_if_stopped, render_result
    from glmctl.context import OutputFormat
    from glmctl.render.diagnosis import conclusion, render_diagnosis

    result = execute_runbook(run_ctx, topic.runbook, {}, profile, command="troubleshoot")
    if run_ctx.options.output is OutputFormat.RICH and conclusion(result) is not None:
        render_diagnosis(topic.title, result, run_ctx.terminal.console())
    else:
        render_result(run_ctx, result)
    raise_if_stopped(result)
    return result.exit_code


def _triage_first(ctx: typer.Context, run_ctx: RunContext, profile: Profile) -> int:
    """Every topic's diagnosis, worst first; then, on a terminal, the session.

    Without a terminal (or with stdin at its end, as under ``script < /dev/null``) there
    is nobody to ask: the triage is the answer, exit 1 when anything is wrong, else 0.
    """
    from glmctl.cli._output import require_output
    from glmctl.cli._troubleshoot_session import run_triage_now, session, stdin_at_eof
    from glmctl.context import OutputFormat

    require_output(run_ctx, "troubleshoot without a TOPIC", (OutputFormat.RICH,))
    triage = run_triage_now(run_ctx, profile)
    if not run_ctx.terminal.interactive or stdin_at_eof(run_ctx.terminal.stdin):
        return triage.exit_code
    return session(ctx, run_ctx, profile, triage, run_topic)


def _print_topics(run_ctx: RunContext) -> None:
    from glmctl.cli._output import require_output
    from glmctl.contract import models
    from glmctl.contract.build import topic_list
    from glmctl.render.output import Column, show_list
    from glmctl.troubleshoot import TOPICS

    require_output(run_ctx, "troubleshoot --list")
    document = topic_list(TOPICS)
    columns: list[Column[models.Topic]] = [
        Column("TOPIC", lambda topic: topic.name, style="bold"),
        Column("TITLE", lambda topic: topic.title),
        Column("DESCRIPTION", lambda topic: topic.description),
    ]
    show_list(run_ctx.terminal, run_ctx.options.output, document, columns, document.items)
