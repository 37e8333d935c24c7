"""Pods: Ready, their recent logs free of errors, none Failed in a namespace.

Pods are read from the run's shared list (one per namespace and selector). Logs cost one
request per container, so they are read only for the pods a check is about, and at most
``max_pods`` of them: the request count follows the number of problems, capped, never the
size of the cluster.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from glmctl.cluster import resources
from glmctl.config import Component
from glmctl.errors import ApiError, NotFound
from glmctl.steps._reads import ClusterReads, Obj, name_of, reads
from glmctl.steps._text import (
    DEFAULT_ERROR_PATTERNS,
    clip,
    container_names,
    error_lines,
    last_lines,
    line_time,
    parse_time,
    plural,
    pod_is_ready,
    pod_message,
    pod_phase,
    pod_problem,
)
from glmctl.steps.registry import StepContext, StepResult, step

MAX_SHOWN_LINES = 10


class PodSelection(BaseModel):
    """Which pods: a label selector, or a component's selector from ``components``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: str
    selector: str | None = None
    component: str | None = None
    components: list[Component] = Field(default_factory=list)
    hint: str | None = None

    @model_validator(mode="after")
    def _one_way(self) -> PodSelection:
        if (self.selector is None) == (self.component is None):
            raise ValueError("give either `selector` or `component` (with `components`)")
        if self.component is not None and self.component not in {c.name for c in self.components}:
            known = ", ".join(c.name for c in self.components) or "none"
            raise ValueError(f"no component {self.component!r} in `components` (known: {known})")
        return self

    @property
    def label_selector(self) -> str:
        """The selector to list with."""
        if self.selector is not None:
            return self.selector
        return next(c.selector for c in self.components if c.name == self.component)

    @property
    def what(self) -> str:
        """How the pods are named in summaries."""
        return f"{self.component} pods" if self.component else f"pods ({self.label_selector})"

    def kubectl(self, verb: str, extra: str = "") -> str:
        """The equivalent kubectl command line."""
        return f"kubectl {verb} -n {self.namespace} -l {self.label_selector}{extra}"


def selected_pods(shared: ClusterReads, selection: PodSelection) -> list[Obj]:
    """The selected pods that are meant to be running (finished Job pods left out)."""
    pods = shared.objects(resources.POD, selection.namespace, selection.label_selector)
    return [p for p in pods if pod_phase(p) != "Succeeded"]


class ReadyParams(PodSelection):
    """At least ``min_count`` selected pods, every one of them Ready."""

    min_count: int = Field(default=1, ge=0)


@step("pods.ready", params=ReadyParams, outputs={"ready", "not_ready"})
def ready(ctx: StepContext, params: ReadyParams) -> StepResult:
    """The selected pods are Ready (and there are enough of them)."""
    pods = selected_pods(reads(ctx), params)
    not_ready = [p for p in pods if not pod_is_ready(p)]
    outputs = {"ready": len(pods) - len(not_ready), "not_ready": [name_of(p) for p in not_ready]}
    command = params.kubectl("get pods")
    if len(pods) < params.min_count:
        return StepResult.failed(
            f"no {params.what} in {params.namespace}"
            if not pods
            else f"only {plural(len(pods), 'pod')} of {params.min_count} expected",
            hint=params.hint
            or "The workload is not deployed or its pods were not created: check its "
            f"Deployment and events (`kubectl get deploy,rs,events -n {params.namespace}`).",
            command=command,
            outputs=outputs,
        )
    if not not_ready:
        return StepResult.passed(
            f"{plural(len(pods), 'pod')} Ready",
            details=tuple(f"{name_of(p)}: Ready" for p in pods),
            command=command,
            outputs=outputs,
        )
    first = name_of(not_ready[0])
    return StepResult.failed(
        f"{len(not_ready)} of {plural(len(pods), 'pod')} not Ready: "
        + ", ".join(name_of(p) for p in not_ready),
        details=tuple(f"{name_of(p)}: {pod_phase(p)}, {pod_problem(p)}" for p in not_ready),
        hint=params.hint
        or f"See why with `kubectl describe pod {first} -n {params.namespace}` and "
        f"`kubectl logs {first} -n {params.namespace} --all-containers --previous`.",
        command=command,
        outputs=outputs,
    )


class LogsParams(PodSelection):
    """Error patterns (regular expressions) to look for in the last ``tail_lines``."""

    tail_lines: int = Field(default=200, ge=1, le=10000)
    patterns: list[str] = Field(default_factory=lambda: list(DEFAULT_ERROR_PATTERNS))
    max_pods: int = Field(default=10, ge=1)
    not_before: str | None = None
    """An RFC 3339 time: error lines stamped earlier are history (what changed since, a
    binding created say, answered them) and are ignored; unstamped lines always count."""


@step("pods.logs_clean", params=LogsParams, outputs={"error_lines"})
def logs_clean(ctx: StepContext, params: LogsParams) -> StepResult:
    """The selected pods' recent logs carry no error lines (the offending lines are shown)."""
    shared = reads(ctx)
    pods = selected_pods(shared, params)[: params.max_pods]
    command = params.kubectl("logs", f" --all-containers --tail={params.tail_lines}")
    if not pods:
        return StepResult.skipped(f"no {params.what} in {params.namespace} to read logs from")
    found: list[str] = []
    cutoff = parse_time(params.not_before) if params.not_before else None
    ignored = 0
    for pod in pods:
        seen: set[str] = set()
        containers: list[str | None] = [*container_names(pod)] or [None]
        for container in containers:
            try:
                text = shared.logs(name_of(pod), params.namespace, container, params.tail_lines)
            except NotFound:  # deleted since the list was read: nothing left to read
                break
            for line in error_lines(text, params.patterns):
                stamped = line_time(line) if cutoff is not None else None
                if cutoff is not None and stamped is not None and stamped < cutoff:
                    ignored += line not in seen
                    seen.add(line)
                    continue
                if line not in seen:  # the same stream read per container repeats lines
                    seen.add(line)
                    found.append(f"{name_of(pod)}: {clip(line)}")
    older = (
        f" ({plural(ignored, 'older error line')}, from before {params.not_before}, ignored)"
        if ignored
        else ""
    )
    if not found:
        return StepResult.passed(
            f"no error lines in the last {params.tail_lines} lines of "
            f"{plural(len(pods), 'pod')}{older}",
            command=command,
            outputs={"error_lines": 0},
        )
    shown = found[:MAX_SHOWN_LINES]
    more = len(found) - len(shown)
    return StepResult.failed(
        f"{plural(len(found), 'error line')} in the logs of {params.what}{older}",
        details=(*shown, *([f"... and {more} more"] if more else [])),
        hint=params.hint or "Read the lines above: they say what the workload cannot do.",
        command=command,
        outputs={"error_lines": len(found)},
    )


class FailedParams(BaseModel):
    """A namespace that must hold no Failed pods."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: str
    tail_lines: int = Field(default=5, ge=0, le=100)
    max_logs: int = Field(default=5, ge=0)


@step("pods.none_failed", params=FailedParams, outputs={"failed"})
def none_failed(ctx: StepContext, params: FailedParams) -> StepResult:
    """No pod in the namespace is Failed (each one shown with its reason and last log lines)."""
    shared = reads(ctx)
    failed = [
        p for p in shared.objects(resources.POD, params.namespace) if pod_phase(p) == "Failed"
    ]
    command = f"kubectl get pods -n {params.namespace} --field-selector=status.phase=Failed"
    names = [name_of(p) for p in failed]
    if not failed:
        return StepResult.passed(
            f"no Failed pods in {params.namespace}", command=command, outputs={"failed": []}
        )
    details: list[str] = []
    for index, pod in enumerate(failed):
        details.append(f"{name_of(pod)}: Failed, {pod_problem(pod)}")
        if pod_message(pod) and pod_message(pod) not in pod_problem(pod):
            details.append(f"  {pod_message(pod)}")
        if index < params.max_logs and params.tail_lines:
            details += _last_log_lines(shared, pod, params.namespace, params.tail_lines)
    return StepResult.failed(
        f"{plural(len(failed), 'Failed pod')} in {params.namespace}: {', '.join(names)}",
        details=tuple(details),
        hint="Read why each failed (`kubectl describe pod NAME`), fix the cause, then clean "
        f"them up: `kubectl delete pods -n {params.namespace} "
        "--field-selector=status.phase=Failed`.",
        command=command,
        outputs={"failed": names},
    )


def _last_log_lines(shared: ClusterReads, pod: Obj, namespace: str, count: int) -> list[str]:
    """A failed pod's last log lines, indented under it; its logs may be gone (evicted)."""
    first = next(iter(container_names(pod)), None)
    try:
        text = shared.logs(name_of(pod), namespace, first, count)
    except (ApiError, NotFound) as error:
        return [f"  (logs unavailable: {error.message})"]
    return [f"  log: {clip(line)}" for line in last_lines(text, count)] or ["  (no log lines)"]
