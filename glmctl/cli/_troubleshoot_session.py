"""``glmctl troubleshoot``'s triage and interactive session: menus, actions, leaving.

Imported only inside the command (it pulls in questionary, rich and the engine).

Leaving: Ctrl-C at any prompt raises ``KeyboardInterrupt`` (the CLI's boundary prints
"interrupted" and exits 130); Ctrl-D at any prompt raises ``EOFError``, which ends the
session with 0. While a plan is being carried out, SIGINT is held back until the plan's
changes are made and journaled, so an interrupt never leaves a change half-done or an
entry incomplete; the session then stops with 130.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import signal
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import IO, TYPE_CHECKING, Literal

import typer

from glmctl.errors import GlmctlError

if TYPE_CHECKING:
    from questionary import Question

    from glmctl.actions import Action
    from glmctl.cluster.client import Cluster
    from glmctl.config import Profile
    from glmctl.context import RunContext
    from glmctl.plan import Plan
    from glmctl.troubleshoot import Topic, Triage

log = logging.getLogger("glmctl.troubleshoot")
QUIT = "quit"
ANOTHER = "another"
AGAIN = "again"
ACTION = "action:"
VERIFY_SECONDS = 120.0
"""How long an action's verification waits without ``--timeout``."""

RunTopic = Callable[["RunContext", "Topic", "Profile"], int]


# --------------------------------------------------------------------------- triage


def run_triage_now(run: RunContext, profile: Profile) -> Triage:
    """Run every topic's diagnosis over one connection and print the triage."""
    from glmctl.cli._runbook_runner import runbook_search_path
    from glmctl.cluster.client import Cluster
    from glmctl.render.diagnosis import render_triage
    from glmctl.runbook.loader import load_runbook
    from glmctl.runbook.locate import find_runbook
    from glmctl.troubleshoot import TOPICS, run_triage, triage_of

    search = runbook_search_path(run, profile)
    runbooks = [
        (topic, load_runbook(find_runbook(topic.runbook, search), profile=profile))
        for topic in TOPICS
    ]
    console = run.terminal.console()
    with Cluster.from_options(run.options) as cluster:
        if run.terminal.is_tty:
            console.print(f"Looking at all {len(TOPICS)} topics …", style="dim")
        results = run_triage(
            runbooks,
            profile=profile,
            cluster_factory=lambda: cluster,
            timeout=run.options.timeout,
        )
        log.debug("triage: %d requests", cluster.request_count)
    triage = triage_of(results)
    render_triage(triage, console)
    from glmctl.cli._runbook_runner import raise_if_stopped

    for _topic, result in results:  # unreachable or out of time: its error line and code
        raise_if_stopped(result)
    return triage


def stdin_at_eof(stream: IO[str]) -> bool:
    """True when stdin is a terminal whose input has already ended (``script`` with its
    stdin at EOF passes the end on): nobody will answer a menu.

    A terminal in its usual line mode has something to read only once a line is complete
    or at its end; a read then returns b"" only at the end (a typed-ahead line is dropped,
    as the menu would have ignored it anyway).
    """
    import select

    try:
        fd = stream.fileno()
        readable, _, _ = select.select([fd], [], [], 0)
        return bool(readable) and os.read(fd, 4096) == b""
    except (AttributeError, OSError, ValueError):
        return False


# --------------------------------------------------------------------------- session


def session(
    ctx: typer.Context, run: RunContext, profile: Profile, triage: Triage, run_topic: RunTopic
) -> int:
    """Menu (topics with findings first), diagnosis, actions, until the operator quits.

    The exit code is the last diagnosis's (the triage's until a topic runs); Ctrl-D at a
    prompt ends with 0.
    """
    from glmctl.cluster.client import Cluster
    from glmctl.troubleshoot import find_topic

    code = triage.exit_code
    try:
        with Cluster.from_options(run.options) as cluster:
            name = _ask_topic(triage)
            while name is not None:
                topic = find_topic(name)
                code = run_topic(run, topic, profile)
                following = _after_diagnosis(ctx, run, cluster, profile, topic)
                if following == QUIT:
                    break
                name = topic.name if following == AGAIN else _ask_topic(triage)
    except EOFError:  # Ctrl-D: the operator is done; nothing is in progress at a prompt
        run.terminal.stderr.write("\n")
        return 0
    return code


def _ask_topic(triage: Triage) -> str | None:
    """The topic menu, those the triage found something in first; None to quit."""
    import questionary

    found = {finding.topic.name: finding.severity for finding in triage.findings}
    topics = triage.topics_worst_first()
    width = max(len(topic.title) for topic in topics)
    choices = []
    for topic in topics:
        mark = f"[{found[topic.name]}]" if topic.name in found else "[ok]"
        choices.append(
            questionary.Choice(
                title=f"{topic.title:<{width}}  {mark:<11} {topic.description}", value=topic.name
            )
        )
    choices.append(questionary.Choice(title="Quit", value=QUIT))
    answer = _ask(
        questionary.select(
            "What is going wrong?", choices=choices, instruction="(arrow keys, Enter; Ctrl-D quits)"
        )
    )
    return None if answer in (None, QUIT) else str(answer)


def _after_diagnosis(
    ctx: typer.Context, run: RunContext, cluster: Cluster, profile: Profile, topic: Topic
) -> str:
    """The actions that fit the diagnosis, then another topic, again, quit; loops after an
    action so its effect can be followed by another."""
    import questionary

    from glmctl.actions import actions_for, read_scene

    while True:
        offered = actions_for(topic.name, read_scene(cluster, profile))
        choices = [
            questionary.Choice(title=action.title, value=f"{ACTION}{index}")
            for index, action in enumerate(offered)
        ]
        choices += [
            questionary.Choice(title="Another topic", value=ANOTHER),
            questionary.Choice(title=f"Run “{topic.title}” again", value=AGAIN),
            questionary.Choice(title="Quit", value=QUIT),
        ]
        answer = str(_ask(questionary.select("What next?", choices=choices)) or QUIT)
        if not answer.startswith(ACTION):
            return answer
        act(ctx, run, cluster, offered[int(answer.removeprefix(ACTION))])


def _ask(question: Question) -> object:
    """Ask; Ctrl-C raises KeyboardInterrupt, Ctrl-D raises EOFError (a select menu has no
    binding of its own for Ctrl-D, which is why the menu used to ignore it)."""
    from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
    from prompt_toolkit.key_binding.key_processor import KeyPressEvent

    bindings = KeyBindings()

    @bindings.add("c-d", eager=True)
    def _end(event: KeyPressEvent) -> None:
        event.app.exit(exception=EOFError())

    application = question.application
    existing = application.key_bindings
    application.key_bindings = (
        merge_key_bindings([existing, bindings]) if existing is not None else bindings
    )
    return question.unsafe_ask()


# --------------------------------------------------------------------------- actions


def act(ctx: typer.Context, run: RunContext, cluster: Cluster, action: Action) -> None:
    """Carry out ``action``: plan, confirm, journal (``carry_out``), then verify."""
    from glmctl.actions import COMMANDS, plan_for, verify
    from glmctl.journal import Journal
    from glmctl.recovery.execute import carry_out
    from glmctl.recovery.run import global_flags
    from glmctl.render.plan import print_execution, print_plan

    console = run.terminal.console()
    if action.kind in COMMANDS:
        kind: Literal["redeploy", "rollback"] = (
            "redeploy" if action.kind == "redeploy" else "rollback"
        )
        code = run_recovery_command(ctx, run, kind)
        console.print(f"glmctl {action.kind} ended with exit code {code}.")
        return
    plan = plan_for(action, datetime.now(UTC))
    targets = [item.target for item in plan.todo]
    print_plan(console, plan)
    with held_interrupts() as interrupted:
        execution = carry_out(
            plan,
            cluster,
            journal=Journal(),
            command=["troubleshoot", action.kind, *targets, *global_flags(run)],
            command_name=f"troubleshoot {action.kind}",
            dry_run=run.options.dry_run,
            yes=run.options.yes,
            force=False,
            confirm=lambda shown: _confirm(run, shown),
        )
    print_execution(console, execution)
    if interrupted():
        raise KeyboardInterrupt
    if execution.declined or execution.dry_run or not execution.changed_anything:
        return
    seconds = run.options.wait_seconds(VERIFY_SECONDS)
    limit = "without a time limit" if math.isinf(seconds) else f"up to {seconds:g} s"
    console.print(f"Verifying: waiting {limit} until {action.promise} …")
    result = verify(action, plan, cluster, timeout=seconds)
    if result.came:
        console.print(f"Verified: {action.promise}.")
    else:
        console.print(f"Not verified: it did not come in time ({action.promise}).")
    for line in result.lines:
        console.print(f"  {line}", soft_wrap=True)


def _confirm(run: RunContext, plan: Plan) -> bool:
    import questionary

    if not run.terminal.interactive:  # pragma: no cover - the session runs on a terminal
        return False
    question = "Make this change?" if len(plan.todo) == 1 else "Make these changes?"
    answer = _ask(questionary.confirm(question, default=False))
    return bool(answer)


@contextlib.contextmanager
def held_interrupts() -> Iterator[Callable[[], bool]]:
    """Hold SIGINT back while a plan is carried out; yields "was one held back?".

    Outside the main thread (signals cannot be handled there) nothing is changed.
    """
    held: list[int] = []

    def note(signum: int, _frame: object) -> None:
        held.append(signum)

    try:
        previous = signal.signal(signal.SIGINT, note)
    except ValueError:
        yield lambda: False
        return
    try:
        yield lambda: bool(held)
    finally:
        signal.signal(signal.SIGINT, previous)


def run_recovery_command(
    ctx: typer.Context, run: RunContext, which: Literal["redeploy", "rollback"]
) -> int:
    """Run ``glmctl redeploy`` / ``glmctl rollback`` as the commands themselves do (their
    plan, confirmation, journal and, for redeploy, the wait for Ready); their exit code.

    The one place troubleshoot calls them. The commands are thin: each runs its shipped
    runbook through ``glmctl.recovery.run_redeploy`` / ``run_rollback`` (lock, gate,
    journal, deadline) and renders the same report a user would see.
    """
    from glmctl.cli import redeploy_cmd, rollback_cmd

    try:
        if which == "redeploy":
            redeploy_cmd.redeploy(ctx, no_wait=False, selector=None, force=False)
        else:
            rollback_cmd.rollback(
                ctx,
                undo=False,
                repo=None,
                reason="chosen in glmctl troubleshoot",
                health_checks=False,
                skip_missing=False,
                dependents=False,
                commit=False,
                force_cluster=False,
            )
    except typer.Exit as stop:
        return int(stop.exit_code)
    except GlmctlError as error:
        from glmctl.sanitize import escape_text

        run.terminal.stderr.write(f"glmctl: error: {escape_text(error.message)}\n")
        return int(error.exit_code)
    return 0
