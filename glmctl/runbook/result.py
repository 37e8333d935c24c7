"""What a run produced, and the progress events the engine emits while it runs.

The engine never prints. It calls one ``on_event`` callback (from its own thread, never
from a step's worker) with these events, and returns a frozen :class:`RunbookResult` that
every renderer (rich checklist, JSON, JUnit, Markdown) draws from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from glmctl.errors import ExitCode, GlmctlError
from glmctl.steps.registry import StepResult, StepStatus

if TYPE_CHECKING:
    from glmctl.plan import Plan
    from glmctl.recovery.execute import Execution


class RunStatus(StrEnum):
    """How the run as a whole ended; each maps to one documented exit code."""

    PASSED = "passed"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    TIMED_OUT = "timed_out"
    INTERRUPTED = "interrupted"

    @property
    def exit_code(self) -> ExitCode:
        """The process exit status for this outcome."""
        return {
            RunStatus.PASSED: ExitCode.OK,
            RunStatus.FAILED: ExitCode.CHECK_FAILED,
            RunStatus.UNREACHABLE: ExitCode.CLUSTER,
            RunStatus.TIMED_OUT: ExitCode.TIMEOUT,
            RunStatus.INTERRUPTED: ExitCode.INTERRUPTED,
        }[self]


class StepRecord(BaseModel):
    """One step of the run: which it was and how it ended."""

    model_config = ConfigDict(frozen=True)

    id: str
    uses: str
    title: str
    mutating: bool
    result: StepResult

    @property
    def status(self) -> StepStatus:
        """Shortcut for ``result.status``."""
        return self.result.status


class RunbookResult(BaseModel):
    """The whole run: steps in runbook order, the outcome and its exit code."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    runbook: str
    description: str = ""
    source: str | None = None
    started_at: datetime
    finished_at: datetime
    duration: float
    dry_run: bool = False
    steps: tuple[StepRecord, ...]
    status: RunStatus
    stopped_because: str | None = None
    error: GlmctlError | None = Field(default=None, exclude=True)
    """The error that stopped a mutating step's gate or change (a refused plan, no one to
    confirm, a change that failed half-way, the deadline): the command raises it after
    rendering, so it ends in that one sentence and its own exit code."""

    @property
    def exit_code(self) -> int:
        """0 passed (warnings included), 1 a check failed, 3 unreachable, 4 timed out, 130;
        or the exit code of :attr:`error`."""
        if self.error is not None:
            return int(self.error.exit_code)
        return int(self.status.exit_code)

    def counts(self) -> dict[StepStatus, int]:
        """How many steps ended in each status (every status present, zeros included)."""
        counted = dict.fromkeys(StepStatus, 0)
        for record in self.steps:
            counted[record.status] += 1
        return counted


@dataclass(frozen=True)
class RunStarted:
    """The run begins; ``steps`` are (id, title) pairs in runbook order."""

    runbook: str
    steps: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class StepStarted:
    """A step began running (not emitted for steps that are skipped without running)."""

    step_id: str


@dataclass(frozen=True)
class StepRetrying:
    """An attempt failed and another follows after ``delay`` seconds."""

    step_id: str
    attempt: int
    delay: float
    result: StepResult


@dataclass(frozen=True)
class StepFinished:
    """A step reached its final result (pass, fail, warn, skip or error)."""

    record: StepRecord


@dataclass(frozen=True)
class PlanReady:
    """A mutating step's plan, resumed from an interrupted run's journal entry: the command
    shows it before the engine asks for confirmation (or dry-runs it)."""

    step_id: str
    plan: Plan


@dataclass(frozen=True)
class PlanCarriedOut:
    """What the gate did with the plan: declined, dry-run, or each item's outcome."""

    step_id: str
    execution: Execution


@dataclass(frozen=True)
class RunStopping:
    """The run stops early (its --timeout ran out, the cluster cannot be reached, Ctrl-C):
    the steps still running or not started end as skipped, and are not worth a line each."""

    reason: str


@dataclass(frozen=True)
class RunFinished:
    """The run is over; the renderer may print its summary."""

    result: RunbookResult


RunEvent = (
    RunStarted
    | StepStarted
    | StepRetrying
    | StepFinished
    | PlanReady
    | PlanCarriedOut
    | RunStopping
    | RunFinished
)


def stop_error(result: RunbookResult) -> GlmctlError | None:
    """The one error a run that stopped early ends in, or None.

    A mutating step's gate or change keeps its own error (:attr:`RunbookResult.error`);
    a run whose ``--timeout`` ran out, whose API server did not answer, or whose cluster
    cannot be reached says why in one sentence, with its exit code.
    """
    from glmctl.errors import ClusterUnreachable, TimedOut

    if result.error is not None:
        return result.error
    reason = result.stopped_because
    if reason is None:
        return None
    where = f"runbook {result.runbook} stopped"
    reason = reason.rstrip(".")  # the reason may be a sentence of its own
    if result.status is RunStatus.TIMED_OUT:
        return TimedOut(
            f"{where}: {reason}.",
            hint="Check that the API server is up and not overloaded (kubectl cluster-info), "
            "or allow it longer with --timeout.",
        )
    if result.status is RunStatus.UNREACHABLE:
        return ClusterUnreachable(
            f"{where}: {reason}.",
            hint=_stopping_hint(result)
            or "Check that the cluster is up and that the kubeconfig points at it "
            "(kubectl cluster-info).",
        )
    return None


def _stopping_hint(result: RunbookResult) -> str | None:
    """The hint of the error that stopped the run (a missing kubeconfig says how to give
    one; an unknown context lists the contexts), which says more than a generic one."""
    for record in result.steps:
        if record.result.status is StepStatus.ERROR and record.result.hint:
            return record.result.hint
    return None
