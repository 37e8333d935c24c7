"""``glmctl troubleshoot [TOPIC]``: the guide's common issues, each a diagnostic runbook.

With a TOPIC it runs that topic's runbook and prints the diagnosis (scripts, CI, a pipe).
Without one, on a terminal, it is a session: pick a topic from a menu, watch the checks
run, read the diagnosis, then pick another or quit. Without a TOPIC and without a terminal
there is nobody to ask, so it stops with exit 2 and names the topics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from glmctl.config import Profile
    from glmctl.context import RunContext
    from glmctl.troubleshoot import Topic

QUIT = "quit"
ANOTHER = "another"
AGAIN = "again"


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
            "or failed-pods (default: choose from a menu).",
            show_default=False,
        ),
    ] = None,
    list_topics: Annotated[
        bool, typer.Option("--list", help="List the topics with a line about each, and exit.")
    ] = False,
) -> None:
    """Diagnose one of the deployment guide's common issues (read-only).

    Each topic gathers what the guide's commands would show (kubectl describe, controller
    logs, ExternalSecret conditions, can-i) and ends with a diagnosis and the next command
    to run. Without TOPIC on a terminal: a menu of topics, then "another topic / quit".

    Exit 0 nothing wrong found, 1 a problem diagnosed, 2 no TOPIC and no terminal (or an
    unknown topic), 3 cluster unreachable, 4 timed out.
    """
    from glmctl.cli.app import run_context
    from glmctl.errors import UsageError
    from glmctl.troubleshoot import find_topic, topic_names

    run_ctx = run_context(ctx)
    if list_topics:
        _print_topics(run_ctx)
        return
    chosen = find_topic(topic) if topic is not None else None
    if chosen is None and not run_ctx.terminal.interactive:
        raise UsageError(
            "name a troubleshooting topic: there is no terminal to show the menu on",
            hint=f"Topics: {', '.join(topic_names())}; e.g. `glmctl troubleshoot "
            f"{topic_names()[0]}`. `glmctl troubleshoot --list` describes them.",
        )
    from glmctl.cli._runbook_runner import load_profile

    profile = load_profile(run_ctx)
    code = run_topic(run_ctx, chosen, profile) if chosen else _session(run_ctx, profile)
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


def _session(run_ctx: RunContext, profile: Profile) -> int:
    """Menu, run, "what next?" until the operator quits; the last run's exit code."""
    from glmctl.troubleshoot import find_topic

    code = 0
    name = _ask_topic()
    while name is not None:
        topic = find_topic(name)
        code = run_topic(run_ctx, topic, profile)
        following = _ask_next(topic)
        if following == QUIT:
            break
        name = topic.name if following == AGAIN else _ask_topic()
    return code


def _ask_topic() -> str | None:
    """The topic menu; None when the operator chooses to quit."""
    import questionary

    from glmctl.troubleshoot import TOPICS

    width = max(len(topic.title) for topic in TOPICS)
    choices = [
        questionary.Choice(title=f"{topic.title:<{width}}  {topic.description}", value=topic.name)
        for topic in TOPICS
    ]
    choices.append(questionary.Choice(title="Quit", value=QUIT))
    answer = questionary.select(
        "What is going wrong?", choices=choices, instruction="(arrow keys, Enter)"
    ).unsafe_ask()
    return None if answer in (None, QUIT) else str(answer)


def _ask_next(topic: Topic) -> str:
    """After a diagnosis: another topic, the same one again (after a fix), or quit."""
    import questionary

    answer = questionary.select(
        "What next?",
        choices=[
            questionary.Choice(title="Another topic", value=ANOTHER),
            questionary.Choice(title=f"Run “{topic.title}” again", value=AGAIN),
            questionary.Choice(title="Quit", value=QUIT),
        ],
    ).unsafe_ask()
    return str(answer or QUIT)


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
