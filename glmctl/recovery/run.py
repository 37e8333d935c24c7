"""The recoveries as runbook runs: one public function each, for the commands and for
anything else that offers a recovery (troubleshoot's actions).

:func:`run_rollback`, :func:`run_redeploy` and :func:`run_restore` take the lock, connect
once, run the shipped runbook (``runbooks/rollback.yaml``, ``redeploy.yaml``,
``journal-restore.yaml``) through the engine with a :class:`ChangeGate` (the journal, the
command line it records, the terminal's confirmation or ``--yes``) and the global
``--timeout`` as the deadline of the whole run, and show what a person reads as it happens:
the plan, what was done, the redeploy's live wait. They return a :class:`Recovery` for the
command to render as a ``ChangeReport``, and raise the one error that stopped a run
(exit 2 refused, 4 deadline, 1 failed).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glmctl.context import RunContext
from glmctl.errors import CheckFailed, TimedOut, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from glmctl.advice import Advice
    from glmctl.cluster.client import Cluster
    from glmctl.config import Profile
    from glmctl.monitor import MonitorOutcome
    from glmctl.plan import Plan
    from glmctl.recovery.execute import Execution
    from glmctl.runbook.result import RunbookResult, RunEvent

NON_INTERACTIVE = (
    "refusing to change anything without confirmation: there is no terminal to ask on; "
    "pass --yes to confirm non-interactively."
)
WAIT_STEP = "ready"


@dataclass(frozen=True)
class Recovery:
    """A finished recovery run: the engine's result, what the gate did, and the follow-up."""

    result: RunbookResult
    execution: Execution | None
    committed: str | None = None
    wait: MonitorOutcome | None = None

    @property
    def declined(self) -> bool:
        return self.execution is not None and self.execution.declined


# --------------------------------------------------------------------------- the edge


@contextlib.contextmanager
def mutation_lock(
    run: RunContext, kind: str, key: str, *, what: str, command: str
) -> Iterator[None]:
    """Hold the lock on ``key`` (a repository, a lifecycle, a journal entry) while a run
    plans and changes it; a second run waits up to 10 s (or ``--timeout``), then names the
    holder (exit 2). A stale lock left by a killed run is noted and taken over."""
    from glmctl.lock import DEFAULT_WAIT, hold, lock_path
    from glmctl.sanitize import escape_text
    from glmctl.userdirs import state_dir

    wait = DEFAULT_WAIT if run.options.timeout is None else min(DEFAULT_WAIT, run.options.timeout)

    def note(text: str) -> None:
        run.terminal.stderr.write(f"glmctl: note: {escape_text(text)}\n")

    path = lock_path(state_dir(), kind, key)
    with hold(path, what=what, command=f"glmctl {command}", wait=wait, note=note):
        yield


def person_console(run: RunContext) -> Console:
    """Where people-facing text goes: stdout, or stderr when stdout carries a document."""
    from glmctl.render.output import is_document

    return run.terminal.console(stderr=is_document(run.options.output))


def terminal_confirm(run: RunContext, question: str) -> Callable[[Plan], bool]:
    """Ask ``question`` with questionary (default No); refuse when nobody can answer."""

    def ask(plan: Plan) -> bool:
        if not run.terminal.interactive:
            raise UsageError(NON_INTERACTIVE, hint="Read the plan above first; --dry-run shows it.")
        import questionary

        answer = questionary.confirm(question, default=False).ask()
        return bool(answer)

    return ask


def global_flags(run: RunContext) -> list[str]:
    """The global options that shape a mutating run, for the journal's command line."""
    flags: list[str] = []
    if run.options.context:
        flags += ["--context", run.options.context]
    if run.options.dry_run:
        flags.append("--dry-run")
    if run.options.yes:
        flags.append("--yes")
    return flags


# --------------------------------------------------------------------------- the recoveries


@dataclass(frozen=True)
class RollbackRequest:
    """What ``glmctl rollback`` was asked (``repo`` is found upward when None)."""

    undo: bool = False
    repo: Path | None = None
    reason: str = ""
    health_checks: bool = False
    skip_missing: bool = False
    dependents: bool = False
    commit: bool = False
    force_cluster: bool = False

    def flags(self) -> list[str]:
        """The command-line flags, for the journal."""
        flags = [
            flag
            for flag, on in (
                ("--undo", self.undo),
                ("--health-checks", self.health_checks),
                ("--skip-missing", self.skip_missing),
                ("--dependents", self.dependents),
                ("--commit", self.commit),
            )
            if on
        ]
        flags = [*flags, "--reason", self.reason] if self.reason else flags
        return [*flags, "--force-cluster"] if self.force_cluster else flags


def run_rollback(run_ctx: RunContext, profile: Profile, request: RollbackRequest) -> Recovery:
    """``glmctl rollback`` (or ``--undo``): the ``rollback`` runbook, then the git diff, the
    commit and the next steps printed. Locked per repository."""
    from glmctl.cluster.client import Cluster
    from glmctl.recovery import rollback as rb

    repo = request.repo
    root = (repo or rb.find_repo(Path.cwd(), profile.repo.outpost_kustomization)).resolve()
    if repo is not None and not (root / profile.repo.outpost_kustomization).is_file():
        raise UsageError(
            f"{root} has no {profile.repo.outpost_kustomization}.",
            hint="Pass the GitOps repository's root as --repo.",
        )
    command = ["rollback", *global_flags(run_ctx), *request.flags()]
    what = f"the repository {root}"
    with (
        mutation_lock(run_ctx, "repo", str(root), what=what, command="rollback"),
        Cluster.from_options(run_ctx.options) as cluster,
    ):
        recovery = _run(
            run_ctx,
            "rollback",
            {
                "repo": str(root),
                "undo": request.undo,
                "reason": request.reason,
                "health_checks": request.health_checks,
                "skip_missing": request.skip_missing,
                "dependents": request.dependents,
                "force_cluster": request.force_cluster,
                "commit": request.commit,
            },
            profile,
            cluster,
            command=command,
            question="Undo the rollback as planned?" if request.undo else "Roll back as planned?",
            deadline=run_ctx.options.budget,
        )
    _print_rollback_follow_up(person_console(run_ctx), recovery, request)
    return recovery


def run_redeploy(
    run_ctx: RunContext,
    profile: Profile,
    *,
    selector: str | None = None,
    wait: bool = True,
    force: bool = False,
) -> Recovery:
    """``glmctl redeploy``: the ``redeploy`` runbook, locked per HelmRelease. The global
    ``--timeout`` (default 10m, ``0`` none) is the deadline of the whole run: planning,
    deletes, the wait for the HelmRelease to go, and the wait until Ready. Raises
    :class:`CheckFailed` when the deploy failed and :class:`TimedOut` (exit 4) when the
    deadline passed."""
    from glmctl.cluster.client import Cluster
    from glmctl.monitor import DEFAULT_TIMEOUT_SECONDS

    command = ["redeploy", *global_flags(run_ctx)]
    if not wait:
        command.append("--no-wait")
    if selector is not None:
        command += ["--selector", selector]
    limit = run_ctx.options.wait_seconds(DEFAULT_TIMEOUT_SECONDS)
    release = profile.flux.helm_release
    with Cluster.from_options(run_ctx.options) as cluster:
        lifecycle = f"HelmRelease {release.namespace}/{release.name} at {cluster.server}"
        with mutation_lock(run_ctx, "lifecycle", lifecycle, what=lifecycle, command="redeploy"):
            recovery = _run(
                run_ctx,
                "redeploy",
                {"selector": selector or "", "use_selector": selector is not None, "wait": wait},
                profile,
                cluster,
                command=command,
                question="Delete and redeploy as planned?",
                force=force,
                deadline=None if math.isinf(limit) else limit,
            )
    outcome = recovery.wait
    if outcome is not None and outcome.exit_code == 1:
        raise CheckFailed(
            f"the redeploy failed: {outcome.summary}",
            hint="`glmctl status` shows the objects; `kubectl describe helmrelease` the events.",
        )
    if outcome is not None and outcome.exit_code:
        raise TimedOut(
            f"the redeploy was not Ready when the run's --timeout ran out: {outcome.summary}",
            hint="`glmctl monitor` keeps following it; --timeout waits longer.",
        )
    return recovery


def run_restore(
    run_ctx: RunContext, entry_id: str, *, force: bool = False, force_cluster: bool = False
) -> Recovery:
    """``glmctl journal restore``: the ``journal-restore`` runbook, locked per entry."""
    from glmctl.cluster.client import Cluster
    from glmctl.journal import Journal

    entry = Journal().get(entry_id)
    what = f"journal entry {entry.id}"
    command = [
        "journal",
        "restore",
        entry.id,
        *global_flags(run_ctx),
        *(["--force-cluster"] if force_cluster else []),
    ]
    with (
        mutation_lock(run_ctx, "entry", entry.id, what=what, command="journal restore"),
        Cluster.from_options(run_ctx.options) as cluster,
    ):
        return _run(
            run_ctx,
            "journal-restore",
            {"entry": entry.id, "force_cluster": force_cluster},
            None,
            cluster,
            command=command,
            question="Re-create these objects?",
            force=force,
            deadline=run_ctx.options.budget,
        )


# --------------------------------------------------------------------------- one run


def _run(
    run_ctx: RunContext,
    name: str,
    params: Mapping[str, object],
    profile: Profile | None,
    cluster: Cluster,
    *,
    command: list[str],
    question: str,
    deadline: float | None,
    force: bool = False,
) -> Recovery:
    """Load the shipped runbook ``name``, run it behind the gate, show it as it goes."""
    from glmctl.journal import Journal
    from glmctl.recovery.execute import ChangeGate
    from glmctl.runbook.engine import run_runbook
    from glmctl.runbook.loader import bind_parameters, load_runbook
    from glmctl.runbook.locate import shipped_runbooks_dir
    from glmctl.runbook.result import stop_error

    shipped = shipped_runbooks_dir()
    if shipped is None:  # pragma: no cover - a broken installation
        raise UsageError(f"the shipped runbook {name} is missing from this installation.")
    runbook = load_runbook(shipped / f"{name}.yaml", profile=profile)
    gate = ChangeGate(
        journal=Journal(),
        command=tuple(command),
        confirm=terminal_confirm(run_ctx, question),
        yes=run_ctx.options.yes,
        force=force,
    )
    budget = cluster.remaining()  # the connection's --timeout began when it was made
    if budget is not None:
        deadline = budget if deadline is None else min(deadline, budget)
    with _Display(run_ctx, cluster.context_name) as display:
        result = run_runbook(
            runbook,
            params=bind_parameters(runbook, params),
            profile=profile,
            dry_run=run_ctx.options.dry_run,
            timeout=deadline,
            cluster_factory=lambda: cluster,
            on_event=display,
            debug=run_ctx.options.debug,
            gate=gate,
            progress=display.progress,
        )
    from glmctl.runbook.result import RunStatus

    if result.status is RunStatus.INTERRUPTED:  # Ctrl-C: exit 130, as everywhere
        raise KeyboardInterrupt
    recovery = _recovery(result, display.execution)
    if recovery.wait is not None:
        from glmctl.render.monitor import print_final
        from glmctl.render.output import is_document

        if not is_document(run_ctx.options.output):
            print_final(display.console, recovery.wait, objects=not display.live)
    error = stop_error(result)
    if error is not None:
        raise error
    return recovery


def _recovery(result: RunbookResult, execution: Execution | None) -> Recovery:
    committed: str | None = None
    wait: MonitorOutcome | None = None
    for record in result.steps:
        outputs = record.result.outputs
        if record.uses == "recovery.rollback" and outputs.get("committed") is not None:
            committed = str(outputs["committed"])
        if record.uses == "recovery.wait_ready" and outputs.get("outcome") is not None:
            wait = outputs["outcome"]
    return Recovery(result=result, execution=execution, committed=committed, wait=wait)


class _Display:
    """What a person sees of a recovery run: the plan when the engine emits it, what was
    done, and the redeploy's wait as ``glmctl monitor`` shows it (live table on a terminal,
    plain lines otherwise, nothing with ``-o json|yaml``)."""

    def __init__(self, run_ctx: RunContext, context_name: str) -> None:
        from glmctl.render.output import is_document

        self.console = person_console(run_ctx)
        self.document = is_document(run_ctx.options.output)
        self.live = run_ctx.terminal.live and not self.document
        self.context_name = context_name
        self.execution: Execution | None = None
        self.view: Any = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> _Display:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def progress(self, update: object) -> None:
        view = self.view
        if view is not None:
            view(update)

    def __call__(self, event: RunEvent) -> None:
        from glmctl.render.plan import print_execution, print_plan
        from glmctl.runbook.result import PlanCarriedOut, PlanReady, StepFinished, StepStarted

        if isinstance(event, PlanReady):
            print_plan(self.console, event.plan)
        elif isinstance(event, PlanCarriedOut):
            self.execution = event.execution
            print_execution(self.console, event.execution)
        elif isinstance(event, StepStarted) and event.step_id == WAIT_STEP and not self.document:
            from glmctl.render.monitor import LiveMonitor, PlainMonitor

            if self.live:
                title = f"Following the redeploy (context {self.context_name})"
                self.view = self._stack.enter_context(LiveMonitor(self.console, title=title))
            else:
                self.view = self._stack.enter_context(PlainMonitor(self.console))
        elif isinstance(event, StepFinished) and event.record.id == WAIT_STEP:
            self.view = None
            self._stack.close()


def _print_rollback_follow_up(
    console: Console, recovery: Recovery, request: RollbackRequest
) -> None:
    """The git diff of what was edited, the commit, and the numbered next steps."""
    from glmctl.render.plan import diff_text

    records = {record.id: record for record in recovery.result.steps}
    changed = records["rollback"].result.outputs if "rollback" in records else {}
    if not changed.get("files_changed"):
        if request.commit and recovery.execution is not None:
            console.print("Nothing to commit: no file was changed.")
        return
    diff = changed.get("diff")
    if diff:
        console.print("git diff:", style="bold")
        console.print(diff_text(str(diff)), end="")
    if request.commit:
        console.print(
            f"Committed {recovery.committed} (not pushed)."
            if recovery.committed
            else "Nothing to commit: the edited files already match the last commit."
        )
    follow: Advice | None = None
    advice = records.get("next")
    if advice is not None and advice.result.outputs.get("command"):
        from glmctl.advice import Advice

        outputs = advice.result.outputs
        follow = Advice(why=str(outputs["why"]), command=str(outputs["command"]))
    steps = [] if request.commit else ["commit the change: git commit (or rerun with --commit)"]
    steps.append("push it: git push")
    if follow is None:
        steps.append("follow Flux applying it: glmctl monitor")
    else:
        steps.append(f"{follow.why}: {follow.command}")
    console.print("Next steps:", style="bold")
    for number, step in enumerate(steps, start=1):
        console.print(f"  {number}. {step}", markup=False)
