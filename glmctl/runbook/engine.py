"""Run a validated runbook: order, concurrency, conditions, retries, timeouts, dry-run.

Scheduling rules (documented for users in ``docs/runbooks.md``):

- Steps run in dependency order (``needs`` and references), file order otherwise.
- Read-only steps whose dependencies are done run concurrently (at most ``max_workers``).
- A mutating (or not concurrency-safe) step is a barrier: it starts when every step before
  it has finished, runs alone, and steps after it start only when it has finished. It runs
  only if no step before it failed (``continue_on_failure`` steps excepted).
- A step whose hard dependency (``needs`` or a ``with`` reference) failed or did not run is
  skipped "because X failed"; a ``when`` reference only orders, it does not require success.
- Under ``dry_run`` a mutating step's ``plan`` runs instead of its ``run`` (it reports what
  it would do), and the steps after it are skipped: they would check a world that was
  not changed.
- A mutating step that declares ``changes`` (its plan as data) goes through the gate the
  engine owns (:func:`glmctl.recovery.execute.gate`, with the run's injected
  :class:`~glmctl.recovery.execute.ChangeGate`): resume an interrupted entry, emit the plan
  (:class:`PlanReady`), size bound, server-side dry run under ``dry_run``, one
  confirmation, journal entry before the first change, execution item by item within the
  run's deadline (:class:`PlanCarriedOut`). A declined plan fails the step ("not
  confirmed"), so nothing after it runs. An error in the gate or the change stops the run
  and is kept in :attr:`RunbookResult.error` for the command to raise. The gate runs in the
  calling thread, so the confirmation prompt owns the terminal and Ctrl-C reaches it.

Each step runs in a daemon thread, so a step that ignores its deadline cannot keep the
process alive; the engine marks it timed out, sets its ``cancelled`` event and moves on.
The engine never prints: it reports progress through ``on_event`` (always from the
calling thread) and returns a frozen :class:`RunbookResult`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from glmctl.errors import (
    ClusterUnreachable,
    ExitCode,
    GlmctlError,
    KubeconfigError,
    ServerFailed,
    TimedOut,
    Unauthorized,
    UsageError,
)
from glmctl.runbook.expr import EvaluationError, UnsetOutputs, render_value
from glmctl.runbook.graph import Dependencies, dependency_map, execution_order, when_expressions
from glmctl.runbook.model import Runbook, Step
from glmctl.runbook.result import (
    PlanCarriedOut,
    PlanReady,
    RunbookResult,
    RunEvent,
    RunFinished,
    RunStarted,
    RunStatus,
    RunStopping,
    StepFinished,
    StepRecord,
    StepRetrying,
    StepStarted,
)
from glmctl.steps.registry import (
    ClusterFactory,
    StepContext,
    StepFunction,
    StepRegistry,
    StepResult,
    StepSpec,
    StepStatus,
    default_registry,
)

if TYPE_CHECKING:
    from glmctl.cluster.client import Cluster
    from glmctl.config import Profile
    from glmctl.recovery.execute import ChangeGate, Execution

log = logging.getLogger("glmctl.runbook")

STOPPING_ERRORS = (ClusterUnreachable, KubeconfigError, Unauthorized, ServerFailed)
"""Errors after which no further step can succeed: the run stops (exit 3). 5xx/429 after
every retry means the API server cannot answer now; steps that can do without a read
catch it themselves. A 403 is not one: the other steps may be allowed (exit 1)."""

MAX_WAIT_SLICE = 0.5
"""Longest the engine blocks at once, so Ctrl-C is seen promptly on every platform."""


def run_runbook(
    runbook: Runbook,
    *,
    params: Mapping[str, Any] | None = None,
    profile: Profile | None = None,
    registry: StepRegistry | None = None,
    dry_run: bool = False,
    timeout: float | None = None,
    cluster_factory: ClusterFactory | None = None,
    repo: Path | None = None,
    on_event: Callable[[RunEvent], None] | None = None,
    max_workers: int = 16,
    debug: bool = False,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    gate: ChangeGate | None = None,
    progress: Callable[[object], None] | None = None,
) -> RunbookResult:
    """Run ``runbook`` (already validated by the loader) and return what happened.

    ``params`` are the bound runbook parameters (see ``loader.bind_parameters``).
    ``timeout`` bounds the whole run; steps have their own ``timeout`` too. ``clock``
    measures the durations that are reported (tests inject one); deadlines always use
    the real monotonic clock. ``gate`` confirms and journals the plans of steps with
    ``changes`` (without one such a step is refused); ``progress`` receives what long
    steps report (``StepContext.report``), from their threads.
    """
    run = _Run(
        runbook=runbook,
        registry=registry or default_registry(),
        settings=_Settings(
            params=dict(params or {}),
            profile=profile,
            dry_run=dry_run,
            timeout=timeout,
            repo=repo,
            max_workers=max(1, max_workers),
            debug=debug,
            clock=clock,
            now=now,
            gate=gate,
            progress=progress,
        ),
        cluster=_LazyCluster(cluster_factory),
        emit=on_event or (lambda _event: None),
    )
    return run.execute()


@dataclass(frozen=True)
class _Settings:
    params: dict[str, Any]
    profile: Profile | None
    dry_run: bool
    timeout: float | None
    repo: Path | None
    max_workers: int
    debug: bool
    clock: Callable[[], float]
    now: Callable[[], datetime]
    gate: ChangeGate | None = None
    progress: Callable[[object], None] | None = None


class _LazyCluster:
    """Connect on the first ``ctx.cluster``; every step shares the one handle (or error)."""

    def __init__(self, factory: ClusterFactory | None) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._handle: Cluster | None = None
        self._error: BaseException | None = None
        self._done = False

    @property
    def provider(self) -> ClusterFactory | None:
        return self.get if self._factory is not None else None

    def get(self) -> Cluster:
        with self._lock:
            if not self._done:
                assert self._factory is not None
                try:
                    self._handle = self._factory()
                except BaseException as error:
                    self._error = error
                self._done = True
        if self._error is not None:
            raise self._error
        assert self._handle is not None
        return self._handle


@dataclass(frozen=True)
class _Retry:
    step_id: str
    attempt: int
    delay: float
    result: StepResult


@dataclass(frozen=True)
class _Done:
    step_id: str
    result: StepResult
    stop: _Stop | None


@dataclass
class _Running:
    step: Step
    context: StepContext
    started: float
    deadline: float | None
    timeout_seconds: float | None
    attempts: int = 1
    last_attempt: StepResult | None = None


@dataclass
class _Stop:
    status: RunStatus
    reason: str


@dataclass
class _Run:
    runbook: Runbook
    registry: StepRegistry
    settings: _Settings
    cluster: _LazyCluster
    emit: Callable[[RunEvent], None]
    messages: queue.Queue[_Retry | _Done] = field(default_factory=queue.Queue)
    records: dict[str, StepRecord] = field(default_factory=dict)
    running: dict[str, _Running] = field(default_factory=dict)
    planned: set[str] = field(default_factory=set)
    stop: _Stop | None = None
    error: GlmctlError | None = None

    def __post_init__(self) -> None:
        self.order = execution_order(self.runbook)
        self.position = {step_id: index for index, step_id in enumerate(self.order)}
        self.dependencies: dict[str, Dependencies] = dependency_map(self.runbook)
        self.steps = {step.id: step for step in self.runbook.steps}
        self.specs: dict[str, StepSpec] = {}
        for step in self.runbook.steps:
            spec = self.registry.get(step.uses)
            if spec is None:  # the loader rejects these; a registry swapped since is a bug
                raise ValueError(f"step {step.id}: unknown step {step.uses}")
            self.specs[step.id] = spec
        self.pending = list(self.order)
        self.run_deadline = (
            time.monotonic() + self.settings.timeout if self.settings.timeout else None
        )

    # -- the loop ---------------------------------------------------------------------

    def execute(self) -> RunbookResult:
        started_at = self.settings.now()
        started = self.settings.clock()
        self.emit(RunStarted(self.runbook.name, tuple((s.id, s.label) for s in self.runbook.steps)))
        try:
            while self.pending or self.running:
                if self.stop is None:
                    self._start_ready_steps()
                if not self.running:
                    break
                self._wait_for_progress()
        except KeyboardInterrupt:
            self._halt(RunStatus.INTERRUPTED, "it was interrupted (Ctrl-C)")
        self._skip_remaining()
        result = RunbookResult(
            runbook=self.runbook.name,
            description=self.runbook.description,
            source=self.runbook.source,
            started_at=started_at,
            finished_at=self.settings.now(),
            duration=self.settings.clock() - started,
            dry_run=self.settings.dry_run,
            steps=tuple(self.records[s.id] for s in self.runbook.steps),
            status=self._overall_status(),
            stopped_because=self.stop.reason if self.stop else None,
            error=self.error,
        )
        self.emit(RunFinished(result))
        return result

    def _wait_for_progress(self) -> None:
        wait = MAX_WAIT_SLICE
        now = time.monotonic()
        deadlines = [r.deadline for r in self.running.values() if r.deadline is not None]
        if self.run_deadline is not None:
            deadlines.append(self.run_deadline)
        if deadlines:
            wait = max(0.0, min(wait, min(deadlines) - now))
        try:
            message = self.messages.get(timeout=wait)
        except queue.Empty:
            message = None
        if message is not None:
            self._receive(message)
        self._enforce_deadlines()

    def _receive(self, message: _Retry | _Done) -> None:
        running = self.running.get(message.step_id)
        if running is None:  # already timed out or interrupted: a late answer is ignored
            return
        if isinstance(message, _Retry):
            running.attempts = message.attempt + 1
            running.last_attempt = message.result
            self.emit(StepRetrying(message.step_id, message.attempt, message.delay, message.result))
            return
        del self.running[message.step_id]
        if self.settings.dry_run and self.specs[message.step_id].mutating:
            self.planned.add(message.step_id)
        stop = message.stop
        if stop is not None and stop.status is RunStatus.TIMED_OUT:
            # The API server did not answer in time: every running step waits on the same
            # silent server, so the run ends now and says why once, not once per step.
            self._finish(running.step, _not_finished(message.result))
            self._halt(stop.status, stop.reason)
            return
        self._finish(running.step, message.result)
        if stop is not None and self.stop is None:
            self._stopping(stop)

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        if self.run_deadline is not None and now >= self.run_deadline:
            limit = _seconds(self.settings.timeout)
            self._halt(RunStatus.TIMED_OUT, f"the run's --timeout of {limit} ran out")
            return
        for step_id, running in list(self.running.items()):
            if running.deadline is not None and now >= running.deadline:
                del self.running[step_id]
                running.context.cancelled.set()
                self._finish(running.step, self._timed_out(running, running.timeout_seconds))

    def _stopping(self, stop: _Stop) -> None:
        self.stop = stop
        self.emit(RunStopping(stop.reason))

    def _halt(self, status: RunStatus, reason: str) -> None:
        """Stop starting steps; end the running ones now (timeout or Ctrl-C).

        On a timeout the running steps end as skipped ("not finished"): the run says once
        why it stopped, instead of one failure per step that was waiting.
        """
        if self.stop is None or status is RunStatus.INTERRUPTED:
            self._stopping(_Stop(status, reason))
        for step_id, running in list(self.running.items()):
            del self.running[step_id]
            running.context.cancelled.set()
            if status is RunStatus.INTERRUPTED:
                result = StepResult(
                    status=StepStatus.ERROR,
                    summary="interrupted before it finished",
                    duration=self.settings.clock() - running.started,
                    attempts=running.attempts,
                )
            else:
                result = _not_finished(
                    StepResult(
                        status=StepStatus.SKIP,
                        summary="",
                        duration=self.settings.clock() - running.started,
                        attempts=running.attempts,
                    )
                )
            self._finish(running.step, result)

    def _timed_out(self, running: _Running, seconds: float | None) -> StepResult:
        summary = f"timed out after {_seconds(seconds)}" if seconds is not None else "timed out"
        details: tuple[str, ...] = ()
        if running.last_attempt is not None:
            details = (f"last attempt: {running.last_attempt.summary}",)
        return StepResult(
            status=StepStatus.FAIL,
            summary=summary,
            details=details,
            hint="Find out what it was waiting for, or give it longer with `timeout:` "
            "in the runbook (or --timeout for the whole run).",
            duration=self.settings.clock() - running.started,
            attempts=running.attempts,
            timed_out=True,
        )

    def _skip_remaining(self) -> None:
        reason = "not run: the run stopped" if self.stop else "not run"
        for step_id in list(self.pending):
            self.pending.remove(step_id)
            self._finish(self.steps[step_id], StepResult.skipped(reason))

    def _overall_status(self) -> RunStatus:
        if self.stop is not None:
            return self.stop.status
        failed = [r for r in self.records.values() if r.status.failed]
        if not failed:
            return RunStatus.PASSED
        if all(r.result.timed_out for r in failed):
            return RunStatus.TIMED_OUT
        return RunStatus.FAILED

    def _finish(self, step: Step, result: StepResult) -> None:
        record = StepRecord(
            id=step.id,
            uses=step.uses,
            title=step.label,
            mutating=self.specs[step.id].mutating,
            result=result,
        )
        self.records[step.id] = record
        self.emit(StepFinished(record))

    # -- choosing what runs next ---------------------------------------------------------

    def _start_ready_steps(self) -> None:
        progressed = True
        while progressed and self.stop is None:
            progressed = False
            for step_id in list(self.pending):
                if not self._may_start(step_id):
                    continue
                self.pending.remove(step_id)
                self._begin(self.steps[step_id])
                progressed = True
                break

    def _may_start(self, step_id: str) -> bool:
        if not self.dependencies[step_id].all <= self.records.keys():
            return False
        spec = self.specs[step_id]
        earlier = self.order[: self.position[step_id]]
        if spec.exclusive:
            return not self.running and all(e in self.records for e in earlier)
        if any(self.specs[e].exclusive and e not in self.records for e in earlier):
            return False
        return len(self.running) < self.settings.max_workers and not any(
            self.specs[r].exclusive for r in self.running
        )

    def _begin(self, step: Step) -> None:
        """Decide whether ``step`` runs; finish it at once when it does not."""
        blocked = self._blocked_reason(step)
        if blocked is not None:
            self._finish(step, StepResult.skipped(blocked))
            return
        scope = self._scope()
        try:
            for expression in when_expressions(step):
                if not expression.evaluate(scope):
                    why = step.skip_reason or f"skipped: `{expression.text}` is false"
                    self._finish(step, StepResult.skipped(why))
                    return
        except EvaluationError as error:
            self._finish(step, _error(f"cannot evaluate `when`: {error}"))
            return
        spec = self.specs[step.id]
        try:
            params = spec.params_model.model_validate(render_value(step.with_, scope))
        except EvaluationError as error:
            self._finish(step, _error(f"cannot resolve a parameter: {error}"))
            return
        except ValidationError as error:
            self._finish(step, _error(f"bad parameter after substitution: {_first(error)}"))
            return
        if spec.changes is not None:
            self._change(step, spec, params)
            return
        self._launch(step, spec, params)

    def _blocked_reason(self, step: Step) -> str | None:
        mutating = self.specs[step.id].mutating
        for needed in sorted(self.dependencies[step.id].hard, key=self.position.__getitem__):
            record = self.records[needed]
            if needed in self.planned:
                if mutating:  # its plan is still worth showing
                    continue
                return f"dry run: needs `{needed}`, which was only planned"
            if record.status.failed and not self.steps[needed].continue_on_failure:
                return f"skipped because `{needed}` failed"
            if record.status is StepStatus.SKIP:
                return f"skipped because `{needed}` did not run"
        earlier = self.order[: self.position[step.id]]
        if mutating:
            for before in earlier:
                record = self.records[before]
                if record.status.failed and not self.steps[before].continue_on_failure:
                    return f"not run: `{before}` failed, and this step changes things"
        elif self.settings.dry_run:
            planned = [e for e in earlier if e in self.planned]
            if planned:
                return f"dry run: runs after `{planned[0]}`, which was only planned"
        return None

    def _scope(self) -> dict[str, Any]:
        return {
            "params": self.settings.params,
            "profile": self.settings.profile,
            "steps": {
                step_id: {
                    "status": record.status.value,
                    "summary": record.result.summary,
                    "outputs": _outputs_in_scope(record),
                }
                for step_id, record in self.records.items()
            },
        }

    def _context(self, step: Step) -> StepContext:
        now = time.monotonic()
        deadline = now + step.timeout if step.timeout is not None else None
        if self.run_deadline is not None:
            deadline = self.run_deadline if deadline is None else min(deadline, self.run_deadline)
        return StepContext(
            step_id=step.id,
            profile=self.settings.profile,
            params=self.settings.params,
            results={key: record.result for key, record in self.records.items()},
            dry_run=self.settings.dry_run,
            repo=self.settings.repo,
            deadline=deadline,
            cluster_provider=self.cluster.provider,
            progress=self.settings.progress,
        )

    # -- a step with changes: the gate ----------------------------------------------------

    def _change(self, step: Step, spec: StepSpec, params: BaseModel) -> None:
        """Plan, gate and carry out ``step`` here, in the calling thread (see the module
        docstring); then its ``run`` for what follows the change."""
        from glmctl.recovery.execute import gate

        assert spec.changes is not None
        context = self._context(step)
        started = self.settings.clock()
        self.emit(StepStarted(step.id))
        try:
            if self.settings.gate is None:
                raise UsageError(
                    f"step `{step.id}` changes things, and this run cannot confirm or journal "
                    "a change."
                )
            plan = spec.changes(context, params)
            cluster = (
                context.cluster
                if self.cluster.provider is not None and any(i.is_object for i in plan.items)
                else None
            )
            execution = gate(
                plan,
                cluster,
                self.settings.gate,
                dry_run=self.settings.dry_run,
                shown=lambda shown: self.emit(PlanReady(step.id, shown)),
                deadline=context.deadline,
            )
            self.emit(PlanCarriedOut(step.id, execution))
            if execution.declined or execution.dry_run:
                result = _gate_result(execution)
                if execution.dry_run:
                    self.planned.add(step.id)
            else:
                context.carried_out = execution
                result = spec.run(context, params)
        except STOPPING_ERRORS as error:
            self._stopped_change(step, error, started, _stop_reason(error))
            return
        except GlmctlError as error:
            self._stopped_change(step, error, started, error.message.rstrip("."))
            return
        except KeyboardInterrupt:
            self._finish(step, _error("interrupted before it finished"))
            raise
        except Exception as error:  # a bug in a step: a result, as for any other step
            log.debug("step %s raised", step.id, exc_info=True)
            result = _error(
                f"internal error: {type(error).__name__}: {error}",
                hint="This is a bug in glmctl; run again with --debug and report it.",
                details=tuple(traceback.format_exc().rstrip().splitlines())
                if self.settings.debug
                else (),
            )
        self._finish(step, result.model_copy(update={"duration": self.settings.clock() - started}))

    def _stopped_change(self, step: Step, error: GlmctlError, started: float, reason: str) -> None:
        """The gate or the change failed: the step errs, the run stops, the error is kept."""
        self.error = error
        self._finish(
            step,
            _error(error.message, hint=error.hint, duration=self.settings.clock() - started),
        )
        status = {
            ExitCode.TIMEOUT: RunStatus.TIMED_OUT,
            ExitCode.CLUSTER: RunStatus.UNREACHABLE,
        }.get(error.exit_code, RunStatus.FAILED)
        self._halt(status, reason)

    def _launch(self, step: Step, spec: StepSpec, params: BaseModel) -> None:
        context = self._context(step)
        deadline = context.deadline
        planning = self.settings.dry_run and spec.mutating
        function = spec.plan if planning and spec.plan is not None else spec.run
        self.running[step.id] = _Running(
            step=step,
            context=context,
            started=self.settings.clock(),
            deadline=deadline if step.timeout is not None else None,
            timeout_seconds=step.timeout,
        )
        self.emit(StepStarted(step.id))
        worker = threading.Thread(
            target=self._work,
            args=(step, function, params, context, planning),
            name=f"glmctl-step-{step.id}",
            daemon=True,
        )
        worker.start()

    # -- inside the worker thread -------------------------------------------------------

    def _work(
        self,
        step: Step,
        function: StepFunction,
        params: BaseModel,
        context: StepContext,
        planning: bool,
    ) -> None:
        started = self.settings.clock()
        attempt = 0
        while True:
            attempt += 1
            result, stop = self._call(function, context, params)
            if planning:
                result = result.model_copy(update={"status": StepStatus.SKIP})
            again = (
                result.status.failed
                and stop is None
                and not result.timed_out
                and attempt <= step.retries
                and not context.cancelled.is_set()
            )
            if not again:
                break
            self.messages.put(_Retry(step.id, attempt, step.retry_delay, result))
            if context.wait(step.retry_delay):
                break
        final = result.model_copy(
            update={"duration": self.settings.clock() - started, "attempts": attempt}
        )
        self.messages.put(_Done(step.id, final, stop))

    def _call(
        self, function: StepFunction, context: StepContext, params: BaseModel
    ) -> tuple[StepResult, _Stop | None]:
        """One attempt; exceptions become results so a step can never crash the run."""
        try:
            result = function(context, params)
        except STOPPING_ERRORS as error:
            if isinstance(error, TimedOut):  # the API server did not answer in time
                stop = _Stop(RunStatus.TIMED_OUT, error.message.rstrip("."))
                return _error(error.message, hint=error.hint), stop
            stop = _Stop(RunStatus.UNREACHABLE, _stop_reason(error))
            return _error(error.message, hint=error.hint), stop
        except TimedOut as error:
            return StepResult(
                status=StepStatus.FAIL, summary=error.message, hint=error.hint, timed_out=True
            ), None
        except GlmctlError as error:
            return _error(error.message, hint=error.hint), None
        except Exception as error:
            log.debug("step %s raised", context.step_id, exc_info=True)
            details: tuple[str, ...] = ()
            if self.settings.debug:
                details = tuple(traceback.format_exc().rstrip().splitlines())
            return _error(
                f"internal error: {type(error).__name__}: {error}",
                hint="This is a bug in glmctl; run again with --debug and report it.",
                details=details,
            ), None
        if not isinstance(result, StepResult):
            return _error(
                f"internal error: step returned {type(result).__name__}, not a StepResult"
            ), None
        return result, None


def _gate_result(execution: Execution) -> StepResult:
    """A step whose plan was declined (it fails: nothing after it may run) or dry-run."""
    if execution.declined:
        return StepResult.failed(
            "not confirmed: nothing was changed",
            hint="Read the plan; run again and confirm, or pass --yes.",
        )
    count = len(execution.plan.todo)
    return StepResult.skipped(
        f"dry run: {count} change{'s' if count != 1 else ''} planned, nothing written"
    )


def _stop_reason(error: GlmctlError) -> str:
    """Why the run stopped, as the summary's "stopped because ..." clause."""
    if isinstance(error, Unauthorized):
        return f"the cluster refused the credentials: {error.message}"
    if isinstance(error, KubeconfigError):
        return f"the kubeconfig cannot be used: {error.message}"
    if isinstance(error, ServerFailed):
        return f"the API server keeps failing: {error.message}"
    return f"the cluster is unreachable: {error.message}"


def _not_finished(result: StepResult) -> StepResult:
    """A step the run's stop cut short: skipped, not failed (the run says why, once)."""
    return result.model_copy(
        update={
            "status": StepStatus.SKIP,
            "summary": "not finished: the run stopped",
            "hint": None,
            "details": (),
            "timed_out": True,
        }
    )


def _error(summary: str, **extra: Any) -> StepResult:
    return StepResult(status=StepStatus.ERROR, summary=summary, **extra)


def _first(error: ValidationError) -> str:
    problem = error.errors()[0]
    where = ".".join(str(p) for p in problem["loc"])
    return f"{where}: {problem['msg']}" if where else str(problem["msg"])


def _seconds(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:g}s"


def _outputs_in_scope(record: StepRecord) -> Mapping[str, Any]:
    """What ``steps.ID.outputs`` reads: null for any key of a step that failed or was skipped."""
    outputs = dict(record.result.outputs)
    if record.status.failed or record.status is StepStatus.SKIP:
        return UnsetOutputs(outputs)
    return outputs
