"""The step protocol: what a runbook step is, what it gets, what it returns, and the registry.

A step is a small function ``run(ctx, params) -> StepResult`` with a pydantic model for its
parameters and two declarations the engine relies on: ``mutating`` (it changes the cluster
or the repository, so it runs alone and only plans under ``--dry-run``) and ``read_only``
(it may run concurrently with other read-only steps). Steps never print: they return a
frozen :class:`StepResult` and the renderers decide how it looks.

A mutating step may declare its changes as data: ``changes(ctx, params) -> Plan`` reads
the cluster and the repository and returns the :class:`~glmctl.plan.Plan`. The engine then
owns everything between the plan and the change (shows it, server-side dry run, size bound,
confirmation, journal, execution; :func:`glmctl.recovery.execute.gate`), and calls the
step's ``run`` afterwards with the :class:`~glmctl.recovery.execute.Execution` in
``ctx.carried_out``, for what follows the change (a git commit, say).

Step modules live in ``glmctl/steps/`` and register themselves with the :func:`step`
decorator, so adding a module is all it takes to add steps. A step called ``PREFIX.NAME``
lives in the module ``glmctl/steps/PREFIX.py`` (a test holds every step to it): the
default registry imports a module when one of its steps is first asked for, and all of
them only to list or suggest names. ``preflight`` so never imports the smoke tests' or the
diagnosis's steps, 40 ms of its start-up.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from glmctl.errors import TimedOut

if TYPE_CHECKING:
    from glmctl.cluster.client import Cluster
    from glmctl.config import Profile
    from glmctl.plan import Plan
    from glmctl.recovery.execute import Execution


class StepStatus(StrEnum):
    """How a step ended: ``warn`` passes (exit 0) but is shown; ``error`` is "could not check"."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    ERROR = "error"

    @property
    def failed(self) -> bool:
        """True for the statuses that make a run fail and stop the steps that need this one."""
        return self in (StepStatus.FAIL, StepStatus.ERROR)


class StepResult(BaseModel):
    """What one step found or did: the data every renderer draws from.

    ``outputs`` feed later steps (``${{ steps.ID.outputs.KEY }}``) and are never rendered,
    so a step may keep names there but must still never put a Secret value anywhere.
    ``duration`` and ``attempts`` are filled in by the engine.
    """

    model_config = ConfigDict(frozen=True)

    status: StepStatus
    summary: str
    details: tuple[str, ...] = ()
    hint: str | None = None
    command: str | None = None
    outputs: Mapping[str, Any] = Field(default_factory=dict)
    duration: float = 0.0
    attempts: int = 1
    timed_out: bool = False

    @classmethod
    def passed(cls, summary: str, **extra: Any) -> StepResult:
        """A passing result: the common case deserves a short spelling."""
        return cls(status=StepStatus.PASS, summary=summary, **extra)

    @classmethod
    def failed(cls, summary: str, **extra: Any) -> StepResult:
        """A failing result; give it a ``hint`` and the equivalent ``command``."""
        return cls(status=StepStatus.FAIL, summary=summary, **extra)

    @classmethod
    def warning(cls, summary: str, **extra: Any) -> StepResult:
        """Worth a look, not worth failing the run for."""
        return cls(status=StepStatus.WARN, summary=summary, **extra)

    @classmethod
    def skipped(cls, summary: str, **extra: Any) -> StepResult:
        """Not run, with the reason as the summary."""
        return cls(status=StepStatus.SKIP, summary=summary, **extra)


ClusterFactory = Callable[[], "Cluster"]
"""Creates the cluster handle on first use (``Cluster.from_options`` in the CLI)."""


@dataclass
class StepContext:
    """Everything a step may use besides its parameters; built by the engine per step.

    The cluster handle is created lazily and shared by all steps of a run, so a runbook of
    offline checks never needs a kubeconfig. ``deadline`` is a ``time.monotonic()`` value:
    a step that waits must wait on ``cancelled`` (or check :meth:`remaining`) so that a
    timeout or Ctrl-C ends it promptly; the engine cannot kill a thread.
    """

    step_id: str
    profile: Profile | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    results: Mapping[str, StepResult] = field(default_factory=dict)
    dry_run: bool = False
    repo: Path | None = None
    deadline: float | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    cluster_provider: ClusterFactory | None = None
    carried_out: Execution | None = None
    """For a step with ``changes``: what the engine's gate did with its plan."""
    progress: Callable[[object], None] | None = None
    """Where a long step may report progress as data (the command that runs the runbook
    decides whether and how to show it; the step never prints). Called from the step's
    thread."""

    def report(self, update: object) -> None:
        """Hand ``update`` to the run's progress observer, if there is one."""
        if self.progress is not None:
            self.progress(update)

    @property
    def cluster(self) -> Cluster:
        """The cluster handle, connected on first use by the run's factory."""
        if self.cluster_provider is None:
            from glmctl.errors import UsageError

            raise UsageError(
                f"step `{self.step_id}` needs a cluster, but this run has no cluster connection"
            )
        return self.cluster_provider()

    def outputs(self, step_id: str) -> Mapping[str, Any]:
        """The outputs of an earlier step (empty when it had none or did not run)."""
        found = self.results.get(step_id)
        return found.outputs if found is not None else {}

    def remaining(self) -> float | None:
        """Seconds left before this step's deadline, or None when it has none."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def check_cancelled(self) -> None:
        """Raise :class:`TimedOut` when the step was cancelled or its deadline passed."""
        if self.cancelled.is_set() or (self.deadline is not None and self.remaining() == 0.0):
            raise TimedOut(f"step `{self.step_id}` was stopped before it finished")

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` (never past the deadline); True when cancelled meanwhile."""
        remaining = self.remaining()
        delay = seconds if remaining is None else min(seconds, remaining)
        return self.cancelled.wait(max(0.0, delay))


P = TypeVar("P", bound=BaseModel)
StepFunction = Callable[[StepContext, Any], StepResult]
ChangesFunction = Callable[[StepContext, Any], "Plan"]


@dataclass(frozen=True)
class StepSpec:
    """One registered step: its name, parameter model, declarations and functions."""

    name: str
    params_model: type[BaseModel]
    run: StepFunction
    mutating: bool = False
    read_only: bool = True
    plan: StepFunction | None = None
    description: str = ""
    outputs: frozenset[str] | None = None
    changes: ChangesFunction | None = None

    def __post_init__(self) -> None:
        if self.mutating and self.read_only:
            raise ValueError(f"step {self.name}: a mutating step cannot be read_only")
        if self.changes is not None and not self.mutating:
            raise ValueError(f"step {self.name}: a step with changes() must be mutating")
        if self.mutating and self.plan is None and self.changes is None:
            raise ValueError(
                f"step {self.name}: a mutating step needs a plan() for --dry-run, or changes()"
            )

    @property
    def exclusive(self) -> bool:
        """Runs alone: it changes something, or is not safe beside other steps."""
        return self.mutating or not self.read_only


class StepRegistry:
    """Step names to :class:`StepSpec`; the loader validates runbooks against one.

    ``discover`` (the default registry's) brings in steps not registered yet: called with a
    step's name it imports the module that would hold it, called with None every module.
    """

    def __init__(self, discover: Callable[[str | None], None] | None = None) -> None:
        self._steps: dict[str, StepSpec] = {}
        self._lock = threading.RLock()
        self._discover = discover
        self._tried: set[str | None] = set()

    def add(self, spec: StepSpec, *, replace: bool = False) -> StepSpec:
        """Register ``spec``; a second step of the same name is a programming error."""
        with self._lock:
            if spec.name in self._steps and not replace:
                raise ValueError(f"step {spec.name} is registered twice")
            self._steps[spec.name] = spec
        return spec

    def remove(self, name: str) -> None:
        """Forget a step (tests register their own and clean up after)."""
        with self._lock:
            self._steps.pop(name, None)

    @contextmanager
    def temporarily(self, *specs: StepSpec) -> Iterator[StepRegistry]:
        """Register ``specs`` for the duration of a ``with`` block."""
        for spec in specs:
            self.add(spec, replace=True)
        try:
            yield self
        finally:
            for spec in specs:
                self.remove(spec.name)

    def get(self, name: str) -> StepSpec | None:
        """The step called ``name``, or None."""
        if name not in self._steps:
            self._bring_in(name)
        return self._steps.get(name)

    def names(self) -> list[str]:
        """Every registered step name, sorted."""
        self._bring_in(None)
        return sorted(self._steps)

    def nearest(self, name: str) -> list[str]:
        """Registered names close to ``name``, best first: for "did you mean" messages."""
        from glmctl.suggest import closest

        return closest(name, self.names())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __len__(self) -> int:
        return len(self.names())

    def _bring_in(self, name: str | None) -> None:
        """Ask ``discover`` once for the module of ``name`` (None: for every module)."""
        if self._discover is None:
            return
        key = None if name is None else name.partition(".")[0]
        with self._lock:
            if key in self._tried or None in self._tried:
                return
            self._tried.add(key)
            self._discover(key)


_NOT_STEP_MODULES = frozenset({"registry"})


def _import_step_modules(prefix: str | None) -> None:
    """Import ``glmctl.steps.PREFIX`` if there is such a step module; every one for None."""
    import glmctl.steps as package

    modules = [
        module.name
        for module in pkgutil.iter_modules(package.__path__)
        if module.name not in _NOT_STEP_MODULES and not module.name.startswith("_")
    ]
    for module in modules:
        if prefix is None or module == prefix:
            importlib.import_module(f"glmctl.steps.{module}")


_DEFAULT = StepRegistry(discover=_import_step_modules)


def default_registry() -> StepRegistry:
    """The registry of glmctl's own steps (their modules are imported as they are needed)."""
    return _DEFAULT


def step(
    name: str,
    *,
    params: type[P],
    mutating: bool = False,
    read_only: bool | None = None,
    plan: Callable[[StepContext, P], StepResult] | None = None,
    changes: Callable[[StepContext, P], Plan] | None = None,
    outputs: frozenset[str] | set[str] | None = None,
    description: str | None = None,
    registry: StepRegistry | None = None,
) -> Callable[[Callable[[StepContext, P], StepResult]], Callable[[StepContext, P], StepResult]]:
    """Register the decorated function as step ``name`` (in the default registry).

    ``read_only`` defaults to ``not mutating``. ``outputs`` lists the keys the step puts in
    ``StepResult.outputs``; when given, the loader rejects references to other keys. The
    description defaults to the first line of the function's docstring. ``changes`` (a
    mutating step's plan as data) puts the step behind the engine's gate; the decorated
    function then runs after the gate, with ``ctx.carried_out`` set.
    """

    def decorate(
        function: Callable[[StepContext, P], StepResult],
    ) -> Callable[[StepContext, P], StepResult]:
        doc = (function.__doc__ or "").strip().splitlines()
        (registry or _DEFAULT).add(
            StepSpec(
                name=name,
                params_model=params,
                run=function,
                mutating=mutating,
                read_only=(not mutating) if read_only is None else read_only,
                plan=plan,
                description=description if description is not None else (doc[0] if doc else ""),
                outputs=frozenset(outputs) if outputs is not None else None,
                changes=changes,
            )
        )
        return function

    return decorate
