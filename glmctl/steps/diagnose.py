"""Diagnostic steps for ``glmctl troubleshoot``: the facts behind the guide's commands, and
a conclusion drawn from them.

The checks in the other step modules answer "is this right?". Troubleshooting needs the
facts an operator reads next — ``kubectl describe``'s conditions and events, who binds the
service account, which Kustomization keeps re-applying a Job, what left a Failed pod —
and then one diagnosis with the command to run next. The fact steps here report what they
found as details (a problem they explain is a warning: the check that names the problem is
elsewhere); :func:`conclude` turns the facts of a run into the diagnosis, with the rules
written in the runbook so an operator can read and extend them.

No step here reads a Secret; nothing here can print a Secret value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from glmctl.cluster import flux, resources
from glmctl.cluster.events import events_for
from glmctl.cluster.jobs import job_state
from glmctl.cluster.resources import ResourceType
from glmctl.config import JobFile
from glmctl.errors import ApiError, NotFound
from glmctl.steps._reads import ClusterReads, Obj, labels_of, name_of, namespace_of, reads
from glmctl.steps._text import clip, container_names, last_lines, plural, pod_phase, pod_problem
from glmctl.steps.cluster import resource_type
from glmctl.steps.jobs import FLUX_OWNER_NAME, flux_owner
from glmctl.steps.registry import StepContext, StepResult, StepStatus, step

JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")
MAX_EVIDENCE_LINES = 16
Severity = Literal["critical", "error", "warning"]

RBAC_GROUP = "rbac.authorization.k8s.io"
CLUSTERROLEBINDING = ResourceType(
    RBAC_GROUP, "v1", "clusterrolebindings", "ClusterRoleBinding", False
)
CLUSTERROLE = ResourceType(RBAC_GROUP, "v1", "clusterroles", "ClusterRole", False)
ROLEBINDING = ResourceType(RBAC_GROUP, "v1", "rolebindings", "RoleBinding")
ROLE = ResourceType(RBAC_GROUP, "v1", "roles", "Role")


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# -- kubectl describe: conditions and events -------------------------------------------------


class DescribeParams(_Params):
    """The object to describe: a Kind (``HelmRelease``) or ``plural.group``, name, namespace."""

    kind: str
    name: str
    namespace: str | None = None
    max_events: int = Field(default=10, ge=1, le=100)

    @field_validator("kind")
    @classmethod
    def _known(cls, value: str) -> str:
        resource_type(value)
        return value


@step("diagnose.describe", params=DescribeParams, outputs={"found", "warnings"})
def describe(ctx: StepContext, params: DescribeParams) -> StepResult:
    """What ``kubectl describe`` shows: the object's conditions, counters and Warning events."""
    rt = resource_type(params.kind)
    where = f" -n {params.namespace}" if params.namespace and rt.namespaced else ""
    command = f"kubectl describe {rt.kind.lower()} {params.name}{where}"
    obj = ctx.cluster.get_or_none(rt, params.name, params.namespace)
    if obj is None:
        return StepResult.skipped(
            f"no {rt.kind} {params.name} to describe",
            command=command,
            outputs={"found": False, "warnings": 0},
        )
    lines = condition_lines(obj) + counter_lines(obj)
    events = events_for(ctx.cluster, obj)
    warnings = [e for e in events if e.warning]
    shown = events[-params.max_events :]
    lines += [
        f"event {e.type} {e.reason}"
        + (f" (x{e.count})" if e.count > 1 else "")
        + (f" from {e.source}" if e.source else "")
        + f": {clip(e.message)}"
        for e in shown
    ] or ["no events (Kubernetes keeps them for an hour)"]
    outputs = {"found": True, "warnings": len(warnings)}
    conditions = ", ".join(condition_words(obj)) or "no conditions"
    said = plural(len(warnings), "Warning event") if warnings else "no Warning events"
    summary = f"{rt.kind} {params.name}: {conditions}; {said}"
    not_ready = flux.find_condition(obj, flux.READY) is not None and not flux.is_ready(obj)
    if warnings or not_ready:  # worth reading; whether it is the cause is the diagnosis's call
        return StepResult.warning(summary, details=tuple(lines), command=command, outputs=outputs)
    return StepResult.passed(summary, details=tuple(lines), command=command, outputs=outputs)


def condition_words(obj: Obj) -> list[str]:
    """``Ready=False (InstallFailed)`` for each condition: the short form for a summary."""
    words = []
    for condition in flux.conditions(obj):
        reason = f" ({condition['reason']})" if condition.get("reason") else ""
        words.append(f"{condition.get('type')}={condition.get('status')}{reason}")
    return words


def condition_lines(obj: Obj) -> list[str]:
    """Each condition with its message, as ``kubectl describe`` lists them."""
    lines = []
    for word, condition in zip(condition_words(obj), flux.conditions(obj), strict=True):
        message = f": {clip(str(condition['message']))}" if condition.get("message") else ""
        lines.append(f"condition {word}{message}")
    return lines


_COUNTERS = (
    ("failures", "failures"),
    ("installFailures", "install failures"),
    ("upgradeFailures", "upgrade failures"),
    ("lastAttemptedReleaseAction", "last attempted action"),
    ("lastAttemptedRevision", "last attempted revision"),
)


def counter_lines(obj: Obj) -> list[str]:
    """The Flux status counters worth reading (a HelmRelease's failure counts, say)."""
    status = obj.get("status") or {}
    return [
        f"{label}: {status[key]}" for key, label in _COUNTERS if status.get(key) not in (None, "")
    ]


# -- RBAC: who binds the service account -----------------------------------------------------


class BindingsParams(_Params):
    """A service account (``system:serviceaccount:NS:NAME``) and what it must be allowed."""

    service_account: str
    verb: str = "list"
    resource: str = "services"
    group: str = ""

    @field_validator("service_account")
    @classmethod
    def _service_account(cls, value: str) -> str:
        if len(value.split(":")) != 4 or not value.startswith("system:serviceaccount:"):
            raise ValueError("write the service account as system:serviceaccount:NAMESPACE:NAME")
        return value

    @property
    def namespace(self) -> str:
        """The service account's namespace."""
        return self.service_account.split(":")[2]

    @property
    def name(self) -> str:
        """The service account's name."""
        return self.service_account.split(":")[3]


@step(
    "diagnose.service_account_bindings",
    params=BindingsParams,
    outputs={"bindings", "granting", "granted_since"},
)
def service_account_bindings(ctx: StepContext, params: BindingsParams) -> StepResult:
    """Which (Cluster)RoleBindings name the service account, and whether one grants the verb."""
    shared = reads(ctx)
    bound = [
        binding
        for rt in (CLUSTERROLEBINDING, ROLEBINDING)
        for binding in shared.objects(rt, None if rt is CLUSTERROLEBINDING else params.namespace)
        if _binds(binding, params)
    ]
    details: list[str] = []
    granting: list[str] = []
    granted_at: list[str] = []
    for binding in bound:
        role = _role_of(shared, binding)
        label = f"{binding.get('kind')} {name_of(binding)}"
        ref = binding.get("roleRef") or {}
        if role is None:
            details.append(f"{label} → {ref.get('kind')} {ref.get('name')}: role not found")
            continue
        grants = role_grants(role, params.verb, params.resource, params.group)
        if grants:
            granting.append(label)
            granted_at.append(str((binding.get("metadata") or {}).get("creationTimestamp") or ""))
        verdict = "grants" if grants else "does not grant"
        details.append(
            f"{label} → {ref.get('kind')} {ref.get('name')}: {verdict} "
            f"{params.verb} {params.resource}"
        )
    outputs = {
        "bindings": [f"{b.get('kind')}/{name_of(b)}" for b in bound],
        "granting": granting,
        # since when the grant exists: older "forbidden" log lines are history
        "granted_since": min(granted_at) if granted_at and all(granted_at) else "",
    }
    command = (
        "kubectl get clusterrolebindings,rolebindings -A -o wide | grep "
        f"{params.namespace}/{params.name}"
    )
    if granting:
        return StepResult.passed(
            f"{', '.join(granting)} lets {params.name} {params.verb} {params.resource}",
            details=tuple(details),
            command=command,
            outputs=outputs,
        )
    summary = (
        f"no RoleBinding or ClusterRoleBinding names service account {params.name}"
        if not bound
        else f"{plural(len(bound), 'binding')} name {params.name}, none grants "
        f"{params.verb} {params.resource}"
    )
    return StepResult.warning(
        summary,
        details=tuple(details) or (f"subject ServiceAccount {params.namespace}/{params.name}",),
        command=command,
        outputs=outputs,
    )


def _binds(binding: Obj, params: BindingsParams) -> bool:
    """The binding names the service account (as a ServiceAccount subject, or as its user)."""
    for subject in binding.get("subjects") or []:
        kind, name = subject.get("kind"), subject.get("name")
        namespace = subject.get("namespace") or namespace_of(binding)
        if kind == "ServiceAccount" and name == params.name and namespace == params.namespace:
            return True
        if kind == "User" and name == params.service_account:
            return True
    return False


def _role_of(shared: ClusterReads, binding: Obj) -> Obj | None:
    ref = binding.get("roleRef") or {}
    if ref.get("kind") == "ClusterRole":
        return shared.by_name(CLUSTERROLE).get(str(ref.get("name")))
    return shared.by_name(ROLE, namespace_of(binding)).get(str(ref.get("name")))


def role_grants(role: Obj, verb: str, resource: str, group: str = "") -> bool:
    """A (Cluster)Role's rules allow ``verb`` on ``resource`` of ``group``, for any name.

    A rule limited to ``resourceNames`` does not count: it cannot allow a list or watch,
    and for other verbs it allows only the objects it names.
    """

    def has(values: Any, wanted: str) -> bool:
        return isinstance(values, list) and ("*" in values or wanted in values)

    return any(
        has(rule.get("apiGroups"), group)
        and has(rule.get("resources"), resource)
        and has(rule.get("verbs"), verb)
        and not rule.get("resourceNames")
        for rule in role.get("rules") or []
        if isinstance(rule, dict)
    )


# -- Jobs that are still running: how long, who applies them, what they say ------------------


class ActiveJobsParams(_Params):
    """Jobs (``profile.jobs.replaced`` or names) to explain when they are still active."""

    namespace: str
    jobs: list[JobFile | str] = Field(min_length=1)
    tail_lines: int = Field(default=2, ge=1, le=50)

    @property
    def names(self) -> list[str]:
        """The Job names."""
        return [job if isinstance(job, str) else job.name for job in self.jobs]


@step(
    "diagnose.active_jobs",
    params=ActiveJobsParams,
    outputs={"active", "owners", "delete_command", "reconcile_command"},
)
def active_jobs(ctx: StepContext, params: ActiveJobsParams) -> StepResult:
    """For each named Job still active: how long, which Flux Kustomization applies it, its log."""
    shared = reads(ctx)
    jobs = shared.by_name(resources.JOB, params.namespace)
    active = [jobs[n] for n in params.names if n in jobs and _is_active(jobs[n])]
    if not active:
        return StepResult.passed(
            f"none of the {plural(len(params.names), 'job')} is active in {params.namespace}",
            command=f"kubectl get jobs -n {params.namespace}",
            outputs={"active": [], "owners": [], "delete_command": "", "reconcile_command": ""},
        )
    now = datetime.now(UTC)
    details: list[str] = []
    owners: set[str] = set()
    for job in active:
        owner = flux_owner(job)
        if owner:
            owners.add(owner)
        details.append(
            f"{name_of(job)}: active for {_age(job, now)}, "
            + (f"applied by Kustomization {owner}" if owner else "not applied by Flux")
        )
        details += _pod_log_tail(shared, name_of(job), params.namespace, params.tail_lines)
    names = [name_of(job) for job in active]
    outputs = {
        "active": names,
        "owners": sorted(owners),
        "delete_command": f"kubectl delete jobs -n {params.namespace} {' '.join(names)}",
        "reconcile_command": _reconcile_command(sorted(owners)),
    }
    return StepResult.warning(
        f"{plural(len(active), 'job')} still active: {', '.join(names)}"
        + (f" (applied by {', '.join(sorted(owners))})" if owners else ""),
        details=tuple(details),
        command=f"kubectl get jobs -n {params.namespace} {' '.join(names)} -L {FLUX_OWNER_NAME}",
        outputs=outputs,
    )


def _reconcile_command(owners: list[str]) -> str:
    """``flux reconcile kustomization`` of the first owner: it prunes what git no longer has."""
    if not owners:
        return ""
    namespace, _, name = owners[0].partition("/")
    return f"flux reconcile kustomization {name} -n {namespace} --with-source"


def _is_active(job: Obj) -> bool:
    return job_state(job).running  # the same reading as preflight's jobs.not_running


def _age(obj: Obj, now: datetime) -> str:
    stamp = (obj.get("status") or {}).get("startTime") or (obj.get("metadata") or {}).get(
        "creationTimestamp"
    )
    try:
        started = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return "an unknown time"
    minutes = max(0, int((now - started).total_seconds() // 60))
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"


def _pod_log_tail(shared: ClusterReads, job: str, namespace: str, count: int) -> list[str]:
    pods = [
        pod
        for pod in shared.objects(resources.POD, namespace)
        if any(labels_of(pod).get(label) == job for label in JOB_NAME_LABELS)
    ]
    lines: list[str] = []
    for pod in pods[:2]:
        first = next(iter(container_names(pod)), None)
        try:
            text = shared.logs(name_of(pod), namespace, first, count)
        except (ApiError, NotFound):
            continue
        lines += [f"  {name_of(pod)} log: {clip(line)}" for line in last_lines(text, count)]
    return lines


# -- Failed pods: what left them behind ------------------------------------------------------


class FailedPodsParams(_Params):
    """The namespace whose Failed pods to explain."""

    namespace: str


@step(
    "diagnose.failed_pod_origins",
    params=FailedPodsParams,
    outputs={"evicted", "job_attempts", "other", "leftovers_only"},
)
def failed_pod_origins(ctx: StepContext, params: FailedPodsParams) -> StepResult:
    """Where each Failed pod came from (a Job attempt, an eviction) and if it was replaced."""
    shared = reads(ctx)
    pods = shared.objects(resources.POD, params.namespace)
    failed = [p for p in pods if pod_phase(p) == "Failed"]
    command = f"kubectl get pods -n {params.namespace} --field-selector=status.phase=Failed"
    if not failed:
        return StepResult.passed(
            f"no Failed pods in {params.namespace}",
            command=command,
            outputs={"evicted": [], "job_attempts": [], "other": [], "leftovers_only": False},
        )
    jobs = shared.by_name(resources.JOB, params.namespace)
    evicted: list[str] = []
    attempts: list[str] = []
    other: list[str] = []
    details: list[str] = []
    settled = True
    for pod in failed:
        name = name_of(pod)
        job = next((labels_of(pod)[k] for k in JOB_NAME_LABELS if k in labels_of(pod)), None)
        if job is not None:
            attempts.append(name)
            state = _job_state(jobs.get(job))
            settled = settled and state in ("Complete", "gone")
            details.append(f"{name}: a failed attempt of Job {job} (the Job is {state})")
        elif (pod.get("status") or {}).get("reason") == "Evicted":
            evicted.append(name)
            replacement = _running_sibling(pods, pod)
            settled = settled and replacement is not None
            details.append(
                f"{name}: evicted ({clip(str(pod['status'].get('message') or ''), 120)})"
                + (f"; replaced by {replacement}, Running" if replacement else "; not replaced")
            )
        else:
            other.append(name)
            details.append(f"{name}: {pod_problem(pod)}")
    outputs = {
        "evicted": evicted,
        "job_attempts": attempts,
        "other": other,
        "leftovers_only": settled and not other,
    }
    kinds = [
        plural(len(evicted), "evicted pod") if evicted else "",
        plural(len(attempts), "failed Job attempt") if attempts else "",
        plural(len(other), "other failed pod") if other else "",
    ]
    summary = ", ".join(k for k in kinds if k)
    if outputs["leftovers_only"]:
        summary += "; all replaced or finished since"
    return StepResult.warning(
        summary,
        details=tuple(details),
        command=command,
        outputs=outputs,
    )


def _job_state(job: Obj | None) -> str:
    """``Complete``, ``Failed``, ``Running``... or ``gone``: how a pod's Job ended."""
    return "gone" if job is None else str(job_state(job).phase)


def _running_sibling(pods: list[Obj], pod: Obj) -> str | None:
    """A Running pod of the same app and component: the replacement of an evicted one (a
    rollout since may have changed its ``pod-template-hash``, so that is not compared)."""
    labels = labels_of(pod)
    keys = [k for k in ("app.kubernetes.io/name", "app.kubernetes.io/component") if k in labels]
    if not keys:
        return None
    for other in pods:
        if other is pod or pod_phase(other) != "Running":
            continue
        if all(labels_of(other).get(k) == labels[k] for k in keys):
            return name_of(other)
    return None


# -- the conclusion --------------------------------------------------------------------------


class Finding(_Params):
    """One known cause: when it applies, the facts that show it, and what to do.

    ``when`` is a template over earlier steps (``${{ steps.hooks.status == 'fail' }}``);
    ``match`` (a regular expression) must also occur in the evidence steps' summaries or
    details when given, which tells apart causes that fail the same check.
    """

    when: bool = True
    match: str | None = None
    evidence: list[str] = Field(default_factory=list)
    diagnosis: str = Field(min_length=1)
    hint: str = Field(min_length=1)
    command: str = ""
    """The next command; empty means ``command_from``'s, else the first evidence step's."""
    severity: Severity = "error"
    """How bad, for ``glmctl troubleshoot``'s triage (worst first): ``critical`` breaks the
    deployment now and explains other findings, ``error`` is broken, ``warning`` is a
    consequence of another finding or a deliberate state (a suspended Kustomization)."""
    command_from: str | None = Field(default=None, pattern=r"^[A-Za-z_]\w*\.[A-Za-z_][\w-]*$")
    """``STEP.OUTPUT``: an evidence step's output that holds a command made for this case
    (named objects and all). Read when the finding applies, so a fact that failed to run
    cannot break the findings that do not need it, as a ``${{ }}`` reference would."""

    @field_validator("match")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"`match` is not a regular expression: {error}") from None
        return value


class ConcludeParams(_Params):
    """The topic, the facts it weighs (``ID: ${{ steps.ID.status }}``) and the known causes.

    Naming each fact's status makes this step wait for every fact without being skipped when
    one fails: a failed fact is exactly what it has to explain.
    """

    topic: str
    facts: dict[str, str] = Field(min_length=1)
    findings: list[Finding] = Field(default_factory=list)
    healthy: str = Field(min_length=1)

    @model_validator(mode="after")
    def _evidence_is_a_fact(self) -> ConcludeParams:
        for finding in self.findings:
            source = finding.command_from.partition(".")[0] if finding.command_from else None
            if source is not None and source not in finding.evidence:
                raise ValueError(f"command_from names {source}, which is not in the evidence")
            unknown = [e for e in finding.evidence if e not in self.facts]
            if unknown:
                raise ValueError(
                    f"evidence {', '.join(unknown)} is not among the facts "
                    f"({', '.join(self.facts)})"
                )
        return self


@step("diagnose.conclude", params=ConcludeParams, outputs={"diagnosis", "finding", "severity"})
def conclude(ctx: StepContext, params: ConcludeParams) -> StepResult:
    """The diagnosis: the first known cause the facts show, with the next command to run."""
    missing = [fact for fact in params.facts if fact not in ctx.results]
    if missing:
        return StepResult(
            status=StepStatus.ERROR,
            summary=f"facts not gathered: {', '.join(missing)} (not steps before this one)",
        )
    for index, finding in enumerate(params.findings):
        if not finding.when:
            continue
        evidence = evidence_lines(ctx.results, finding.evidence)
        if finding.match and not re.search(finding.match, "\n".join(evidence)):
            continue
        return StepResult.failed(
            finding.diagnosis,
            details=tuple(_capped(evidence)),
            hint=finding.hint,
            command=_output_command(ctx.results, finding.command_from)
            or finding.command
            or _first_command(ctx.results, finding.evidence),
            outputs={
                "diagnosis": finding.diagnosis,
                "finding": index,
                "severity": finding.severity,
            },
        )
    failing = [f for f in params.facts if ctx.results[f].status is StepStatus.FAIL]
    unchecked = [f for f in params.facts if ctx.results[f].status is StepStatus.ERROR]
    if unchecked and not failing:
        first = ctx.results[unchecked[0]]
        return StepResult(
            status=StepStatus.ERROR,
            summary=f"{plural(len(unchecked), 'check')} could not be made "
            f"({', '.join(unchecked)}), so there is no diagnosis",
            details=tuple(_capped(evidence_lines(ctx.results, unchecked))),
            hint=first.hint or "Fix what stopped the checks (permissions, say) and run again.",
            command=first.command,
            outputs={"diagnosis": "unchecked", "finding": -1, "severity": "unchecked"},
        )
    if failing or unchecked:
        failing = failing + unchecked
        first = ctx.results[failing[0]]
        return StepResult.failed(
            f"{params.topic}: the checks found a problem that matches no known cause",
            details=tuple(_capped(evidence_lines(ctx.results, failing))),
            hint=first.hint
            or "Read the failing checks above; `glmctl troubleshoot` has other topics.",
            command=first.command,
            outputs={"diagnosis": "unknown", "finding": -1, "severity": "error"},
        )
    return StepResult.passed(
        params.healthy,
        details=tuple(
            f"{fact}: {ctx.results[fact].status.value}, {ctx.results[fact].summary}"
            for fact in params.facts
        ),
        outputs={"diagnosis": "", "finding": -1, "severity": ""},
    )


def evidence_lines(results: Any, step_ids: list[str]) -> list[str]:
    """Each evidence step's summary, then its details indented: what the diagnosis rests on."""
    lines: list[str] = []
    for step_id in step_ids:
        result = results.get(step_id)
        if result is None:
            continue
        lines.append(f"{step_id}: {result.summary}")
        lines += [f"  {detail}" for detail in result.details]
    return lines


def _output_command(results: Any, reference: str | None) -> str | None:
    if reference is None:
        return None
    step_id, _, key = reference.partition(".")
    found = results[step_id].outputs.get(key) if step_id in results else None
    return str(found) if found else None


def _first_command(results: Any, step_ids: list[str]) -> str | None:
    return next((results[s].command for s in step_ids if s in results and results[s].command), None)


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_EVIDENCE_LINES:
        return lines
    more = plural(len(lines) - MAX_EVIDENCE_LINES, "more line")
    return [*lines[:MAX_EVIDENCE_LINES], f"... and {more}"]
