"""Test-only steps, registered for one test at a time, and helpers to run runbooks.

The steps share a :class:`Recorder` that tests read: which steps ran (in order), which
overlapped, how often a mutation really happened. Nothing here needs a cluster.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field

from glmctl.errors import ClusterUnreachable, GlmctlError
from glmctl.runbook.engine import run_runbook
from glmctl.runbook.loader import bind_parameters, parse_runbook
from glmctl.runbook.result import RunbookResult, RunEvent
from glmctl.steps.registry import (
    StepContext,
    StepRegistry,
    StepResult,
    StepSpec,
    StepStatus,
    default_registry,
)


class FakeClock:
    """A clock that only moves when a step says how long it took: stable durations."""

    def __init__(self) -> None:
        self.now = 100.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


@dataclass
class Recorder:
    """What the test steps did, for assertions."""

    ran: list[str] = field(default_factory=list)
    events: dict[str, threading.Event] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    mutations: list[str] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)
    active: set[str] = field(default_factory=set)
    overlaps: list[tuple[str, frozenset[str]]] = field(default_factory=list)
    clock: FakeClock = field(default_factory=FakeClock)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def event(self, name: str) -> threading.Event:
        with self.lock:
            return self.events.setdefault(name, threading.Event())

    def enter(self, step_id: str) -> None:
        with self.lock:
            self.ran.append(step_id)
            self.overlaps.append((step_id, frozenset(self.active)))
            self.active.add(step_id)

    def leave(self, step_id: str) -> None:
        with self.lock:
            self.active.discard(step_id)


RECORDER = Recorder()


class ResultParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: StepStatus = StepStatus.PASS
    summary: str = "ok"
    details: list[str] = Field(default_factory=list)
    hint: str | None = None
    command: str | None = None
    outputs: dict[str, Any] = Field(default_factory=dict)
    takes: float = 0.0
    count: int = 0


def result_step(ctx: StepContext, params: ResultParams) -> StepResult:
    RECORDER.enter(ctx.step_id)
    try:
        RECORDER.clock.advance(params.takes)
        return StepResult(
            status=params.status,
            summary=params.summary,
            details=tuple(params.details),
            hint=params.hint,
            command=params.command,
            outputs=params.outputs,
        )
    finally:
        RECORDER.leave(ctx.step_id)


class FlakyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fail_times: int


def flaky_step(ctx: StepContext, params: FlakyParams) -> StepResult:
    with RECORDER.lock:
        seen = RECORDER.attempts.get(ctx.step_id, 0) + 1
        RECORDER.attempts[ctx.step_id] = seen
    if seen <= params.fail_times:
        return StepResult.failed(f"attempt {seen} failed")
    return StepResult.passed(f"passed on attempt {seen}")


class RaiseParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str


def raise_step(ctx: StepContext, params: RaiseParams) -> StepResult:
    RECORDER.enter(ctx.step_id)
    RECORDER.leave(ctx.step_id)
    if params.kind == "unreachable":
        raise ClusterUnreachable("cannot reach https://127.0.0.1:1", hint="Is the cluster up?")
    if params.kind == "glmctl":
        raise GlmctlError("the thing is broken", hint="Fix the thing.")
    if params.kind == "cluster":
        ctx.cluster  # noqa: B018 - the factory decides what happens
        return StepResult.passed("connected")
    raise RuntimeError("boom")


class WaitParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = 30.0


def wait_step(ctx: StepContext, params: WaitParams) -> StepResult:
    """Waits until cancelled (by a timeout or Ctrl-C), as every waiting step must."""
    RECORDER.enter(ctx.step_id)
    try:
        if ctx.cancelled.wait(params.seconds):
            return StepResult.failed("cancelled")
        return StepResult.passed("waited")
    finally:
        RECORDER.leave(ctx.step_id)


class RendezvousParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    me: str
    other: str


def rendezvous_step(ctx: StepContext, params: RendezvousParams) -> StepResult:
    """Passes only if the other step is running at the same time (a handshake, no timing)."""
    RECORDER.event(params.me).set()
    if RECORDER.event(params.other).wait(20):
        return StepResult.passed(f"met {params.other}")
    return StepResult.failed(f"{params.other} never ran alongside")


class MutateParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target: str


def mutate_step(ctx: StepContext, params: MutateParams) -> StepResult:
    RECORDER.enter(ctx.step_id)
    try:
        RECORDER.mutations.append(params.target)
        return StepResult.passed(f"changed {params.target}")
    finally:
        RECORDER.leave(ctx.step_id)


def mutate_plan(ctx: StepContext, params: MutateParams) -> StepResult:
    RECORDER.plans.append(params.target)
    return StepResult.skipped(
        f"would change {params.target}", command=f"kubectl patch {params.target}"
    )


class InterruptParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


def interrupt_step(ctx: StepContext, params: InterruptParams) -> StepResult:
    """Acts like Ctrl-C arriving while this step runs, then waits to be cancelled."""
    import _thread

    _thread.interrupt_main()
    ctx.cancelled.wait(20)
    return StepResult.failed("cancelled")


TEST_STEPS = (
    StepSpec("test.result", ResultParams, result_step, description="Returns what it is told"),
    StepSpec("test.flaky", FlakyParams, flaky_step),
    StepSpec("test.raise", RaiseParams, raise_step),
    StepSpec("test.wait", WaitParams, wait_step),
    StepSpec("test.rendezvous", RendezvousParams, rendezvous_step),
    StepSpec(
        "test.mutate",
        MutateParams,
        mutate_step,
        mutating=True,
        read_only=False,
        plan=mutate_plan,
    ),
    StepSpec("test.interrupt", InterruptParams, interrupt_step),
    StepSpec(
        "test.outputs",
        ResultParams,
        result_step,
        outputs=frozenset({"count", "names"}),
    ),
)


@pytest.fixture
def recorder() -> Recorder:
    """A fresh recorder for the test steps."""
    RECORDER.__init__()  # type: ignore[misc]
    return RECORDER


@pytest.fixture
def registry(recorder: Recorder) -> Iterator[StepRegistry]:
    """The default registry with the test-only steps added for this test."""
    with default_registry().temporarily(*TEST_STEPS) as found:
        yield found


@pytest.fixture
def run_text(registry: StepRegistry, recorder: Recorder) -> Callable[..., RunbookResult]:
    """Validate and run runbook YAML text with the test steps and a fake clock."""

    def run(
        text: str,
        *,
        params: dict[str, Any] | None = None,
        profile: Any = None,
        events: list[RunEvent] | None = None,
        **options: Any,
    ) -> RunbookResult:
        runbook = parse_runbook(text, "test.yaml", registry=registry, profile=profile)
        forward = options.pop("on_event", None)

        def emit(event: RunEvent) -> None:
            if events is not None:
                events.append(event)
            if forward is not None:
                forward(event)

        return run_runbook(
            runbook,
            params=bind_parameters(runbook, params or {}),
            profile=profile,
            registry=registry,
            on_event=emit,
            clock=recorder.clock,
            **options,
        )

    return run


@pytest.fixture
def write_runbook(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write runbook text to ``tmp_path/NAME``."""

    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
