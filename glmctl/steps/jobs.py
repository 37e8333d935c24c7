"""Jobs: the replaced one-shot Jobs not active, the chart's hook Jobs completed and cleaned
up, and a Job's logs showing that it succeeded.

Hook Jobs are deleted by their TTL a few minutes after they finish, so "did the hooks
succeed" is answered from Helm's release record (each hook's last run) and only the Jobs
still present are checked against their TTL.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from glmctl.cluster import resources
from glmctl.cluster.jobs import JobPhase, job_state
from glmctl.config import FLUX_NAMESPACE, JobFile
from glmctl.errors import ApiError, NotFound
from glmctl.steps._reads import ClusterReads, Obj, annotations_of, labels_of, name_of, reads
from glmctl.steps._text import clip, container_names, did_you_mean, last_lines, plural
from glmctl.steps.helm import read_release
from glmctl.steps.registry import StepContext, StepResult, step

HOOK_ANNOTATION = "helm.sh/hook"
FLUX_OWNER_NAME = "kustomize.toolkit.fluxcd.io/name"
FLUX_OWNER_NAMESPACE = "kustomize.toolkit.fluxcd.io/namespace"
INSTANCE_LABEL = "app.kubernetes.io/instance"
JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")
MAX_FAILED_LOGS = 3
LOG_TAIL = 3


def flux_owner(obj: Obj) -> str | None:
    """``namespace/name`` of the Flux Kustomization that applied ``obj`` (from its labels)."""
    labels = labels_of(obj)
    name = labels.get(FLUX_OWNER_NAME)
    if not name:
        return None
    return f"{labels.get(FLUX_OWNER_NAMESPACE) or 'flux-system'}/{name}"


def finished_at(job: Obj) -> datetime | None:
    """When the Job finished (completionTime, or when its failure was decided)."""
    stamp = job_state(job).finished_at
    return parse_time(stamp) if stamp else None


def parse_time(stamp: str) -> datetime | None:
    """An RFC 3339 timestamp as an aware datetime (None when malformed)."""
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


class ReplacedParams(BaseModel):
    """Jobs (from ``profile.jobs.replaced``, or plain names) that must not be active."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: str
    jobs: list[JobFile | str] = Field(min_length=1)
    kustomization: str | None = None
    """The repository's kustomization.yaml that lists the jobs' files (the repo fix)."""

    @property
    def names(self) -> list[str]:
        """The Job names."""
        return [job if isinstance(job, str) else job.name for job in self.jobs]

    def files(self, names: list[str]) -> list[str]:
        """The files of the named jobs, where the profile gives them."""
        return [j.file for j in self.jobs if isinstance(j, JobFile) and j.name in names]


@step("jobs.not_running", params=ReplacedParams, outputs={"active", "owners"})
def not_running(ctx: StepContext, params: ReplacedParams) -> StepResult:
    """None of the named Jobs is still active in the namespace."""
    jobs = reads(ctx).by_name(resources.JOB, params.namespace)
    command = f"kubectl get jobs -n {params.namespace} {' '.join(params.names)}"
    active = [n for n in params.names if n in jobs and job_state(jobs[n]).running]
    present = [n for n in params.names if n in jobs]
    if not active:
        states = [
            f"{n}: {job_state(jobs[n]).describe()}" if n in jobs else f"{n}: absent"
            for n in params.names
        ]
        replaced = plural(len(params.names), "replaced job")
        return StepResult.passed(
            f"none of the {replaced} is present"
            if not present
            else f"none of the {replaced} is running ({len(present)} present, all finished)",
            details=tuple(states),
            command=command,
            outputs={"active": [], "owners": []},
        )
    owners = sorted({owner for n in active if (owner := flux_owner(jobs[n]))})
    details = []
    for name in active:
        owner = flux_owner(jobs[name])
        applied = f", applied by Kustomization {owner}" if owner else ""
        details.append(f"{name}: {job_state(jobs[name]).describe()}{applied}")
    return StepResult.failed(
        f"{len(active)} of {plural(len(params.names), 'replaced job')} still running: "
        + ", ".join(active),
        details=tuple(details),
        hint=_replaced_jobs_hint(params, active, owners),
        command=command,
        outputs={"active": active, "owners": owners},
    )


def _replaced_jobs_hint(params: ReplacedParams, active: list[str], owners: list[str]) -> str:
    """The repo fix first while a Flux Kustomization applies the jobs (deleted by hand, they
    come back at its next reconcile: what ``troubleshoot old-jobs`` concludes from the same
    labels), then the delete."""
    delete = f"`kubectl delete job -n {params.namespace} {' '.join(active)}`"
    why = (
        "The chart replaces these Jobs; deploying while they run makes both configure "
        "authentik at once. "
    )
    if not owners:
        return why + f"Nothing re-applies them: let them finish, or delete them: {delete}."
    files = ", ".join(params.files(active)) or "their files"
    where = params.kustomization or "the outpost-config kustomization.yaml"
    return (
        why + f"Kustomization {', '.join(owners)} still applies them, so deleted by hand they "
        f"come back: first remove {files} from {where} (`glmctl rollback --undo` does it "
        "after a rollback; or edit it by hand), commit and push; then delete those still "
        f"running: {delete}."
    )


class HooksParams(BaseModel):
    """The release whose hook Jobs must have completed and been cleaned up by their TTL."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    release: str
    storage_namespace: str = FLUX_NAMESPACE
    namespace: str = FLUX_NAMESPACE
    ttl_seconds: int = Field(default=300, ge=0)
    margin_seconds: int = Field(default=120, ge=0)


@step("jobs.hooks_completed", params=HooksParams, outputs={"failed", "overdue"})
def hooks_completed(ctx: StepContext, params: HooksParams) -> StepResult:
    """The chart's hook Jobs completed, and none outlives its TTL by more than the margin."""
    shared = reads(ctx)
    release = read_release(shared, params.release, params.storage_namespace)
    command = f"kubectl get jobs -n {params.namespace} -l {INSTANCE_LABEL}={params.release}"
    present = _hook_jobs(shared, params)
    hooks = {h.name: h for h in (release.hooks if release else ()) if h.kind == "Job"}
    if not hooks and not present:
        return StepResult.failed(
            f"no hook Jobs of release {params.release} found, in Helm's record or the cluster",
            hint="The release has not run its hooks yet (is it installed? see the release "
            "check) or the chart has none.",
            command=command,
            outputs={"failed": [], "overdue": []},
        )
    now = datetime.now(UTC)
    details: list[str] = []
    failed: list[str] = []
    running: list[str] = []
    never_ran: list[str] = []
    overdue: list[str] = []
    names = sorted({*hooks, *present})
    for name in names:
        job = present.get(name)
        state = job_state(job).phase if job is not None else None
        phase = hooks[name].phase if name in hooks else None
        if state is JobPhase.FAILED or (state is None and phase == "Failed"):
            failed.append(name)
            details.append(f"{name}: Failed")
            if len(failed) <= MAX_FAILED_LOGS:
                details += _job_log_tail(shared, name, params.namespace)
        elif state is not None and state is not JobPhase.COMPLETE:
            running.append(name)
            details.append(f"{name}: still running ({job_state(job or {}).describe()})")
        elif state is None and phase in (None, "Unknown"):
            never_ran.append(name)  # an earlier hook failed, so Helm never started this one
            details.append(f"{name}: did not run (Helm's record), no Job left")
        elif state is None and phase != "Succeeded":
            failed.append(name)
            details.append(f"{name}: last run {phase} (Helm's record), no Job left")
        elif job is not None:
            late = _seconds_past_ttl(job, params.ttl_seconds, now)
            if late is not None and late > params.margin_seconds:
                overdue.append(name)
                details.append(f"{name}: Complete, but still present {late:.0f}s after its TTL")
            else:
                details.append(f"{name}: Complete, TTL clean-up pending")
        else:
            details.append(f"{name}: Succeeded, Job already removed by its TTL")
    incomplete = [*failed, *running, *never_ran]
    outputs = {"failed": incomplete, "overdue": overdue}
    if incomplete:
        groups = (("failed", failed), ("still running", running), ("did not run", never_ran))
        return StepResult.failed(
            f"{len(incomplete)} of {plural(len(names), 'hook Job')} did not complete ("
            + "; ".join(f"{label}: {', '.join(group)}" for label, group in groups if group)
            + ")",
            details=tuple(details),
            hint=f"Read the hook's log (`kubectl logs -n {params.namespace} "
            f"job/{incomplete[0]}`) "
            "while the Job exists; after fixing the cause, `glmctl redeploy` runs the hooks "
            "again.",
            command=command,
            outputs=outputs,
        )
    if overdue:
        return StepResult.failed(
            f"{len(overdue)} hook Job(s) outlived their TTL: {', '.join(overdue)}",
            details=tuple(details),
            hint="Finished Jobs are deleted by the TTL-after-finished controller of "
            "kube-controller-manager: check that it runs, or delete the Jobs by hand.",
            command=command,
            outputs=outputs,
        )
    return StepResult.passed(
        f"{plural(len(details), 'hook Job')} completed",
        details=tuple(details),
        command=command,
        outputs=outputs,
    )


def _hook_jobs(shared: ClusterReads, params: HooksParams) -> dict[str, Obj]:
    jobs = shared.objects(resources.JOB, params.namespace)
    return {
        name_of(job): job
        for job in jobs
        if HOOK_ANNOTATION in annotations_of(job)
        and labels_of(job).get(INSTANCE_LABEL) == params.release
    }


def job_pods(shared: ClusterReads, job: str, namespace: str) -> list[Obj]:
    """The pods a Job created (by the job-name labels the Job controller sets)."""
    return [
        pod
        for pod in shared.objects(resources.POD, namespace)
        if any(labels_of(pod).get(label) == job for label in JOB_NAME_LABELS)
    ]


def _job_log_tail(shared: ClusterReads, job: str, namespace: str) -> list[str]:
    """The last lines of a failed Job's newest pod, indented under it (none when gone)."""
    pods = job_pods(shared, job, namespace)
    if not pods:
        return []
    newest = max(pods, key=_created)
    first = next(iter(container_names(newest)), None)
    try:
        text = shared.logs(name_of(newest), namespace, first, LOG_TAIL)
    except (ApiError, NotFound):
        return []
    return [f"  log: {clip(line)}" for line in last_lines(text, LOG_TAIL)]


def _created(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("creationTimestamp") or "")


def _seconds_past_ttl(job: Obj, default_ttl: int, now: datetime) -> float | None:
    finished = finished_at(job)
    if finished is None:
        return None
    ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
    ttl_seconds = int(ttl) if isinstance(ttl, int) else default_ttl
    return (now - finished).total_seconds() - ttl_seconds


class JobLogParams(BaseModel):
    """A Job whose newest pod's log must contain ``success`` (a regular expression)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    job: str
    namespace: str
    success: str = "completed successfully"
    release: str | None = None
    storage_namespace: str = FLUX_NAMESPACE
    tail_lines: int = Field(default=50, ge=1, le=10000)


@step("jobs.logs_show_success", params=JobLogParams, outputs={"source"})
def logs_show_success(ctx: StepContext, params: JobLogParams) -> StepResult:
    """A Job's log shows success; once its TTL removed it, Helm's hook record must say so."""
    shared = reads(ctx)
    pods = job_pods(shared, params.job, params.namespace)
    command = f"kubectl logs -n {params.namespace} job/{params.job} --tail={params.tail_lines}"
    pattern = re.compile(params.success)
    if pods:
        newest = max(pods, key=_created)
        first = next(iter(container_names(newest)), None)
        try:
            text = shared.logs(name_of(newest), params.namespace, first, params.tail_lines)
        except NotFound:  # the TTL removed the Job (and its pods) since the list was read
            return _from_hook_record(shared, params, command)
        hits = [line for line in text.splitlines() if pattern.search(line)]
        if hits:
            return StepResult.passed(
                f"{params.job} log shows success",
                details=(f"{name_of(newest)}: {clip(hits[-1])}",),
                command=command,
                outputs={"source": "log"},
            )
        return StepResult.failed(
            f"{params.job} log does not show success (no line matches {params.success!r})",
            details=tuple(f"{name_of(newest)}: {clip(line)}" for line in last_lines(text, 10)),
            hint="Read the whole log for the error; fix the cause and run the chart's hooks "
            "again (`glmctl redeploy`).",
            command=command,
            outputs={"source": "log"},
        )
    return _from_hook_record(shared, params, command)


def _from_hook_record(shared: ClusterReads, params: JobLogParams, command: str) -> StepResult:
    """No pods left (the TTL removed the Job): Helm's record of the hook's last run decides."""
    release = (
        read_release(shared, params.release, params.storage_namespace) if params.release else None
    )
    hooks = {h.name: h for h in (release.hooks if release else ())}
    hook = hooks.get(params.job)
    if hook is not None and hook.phase == "Succeeded":
        return StepResult.passed(
            f"{params.job} succeeded (Helm's hook record; its pods were removed with the Job)",
            details=(f"last run completed at {hook.completed_at}",) if hook.completed_at else (),
            command=command,
            outputs={"source": "helm"},
        )
    if hook is not None:
        summary = f"{params.job} last ran {hook.phase} (Helm's hook record), no pods left"
    else:
        summary = f"no pods of Job {params.job} in {params.namespace} and no record of its run"
    return StepResult.failed(
        summary,
        details=(f"{params.job}: not found{did_you_mean(params.job, hooks)}",) if not hook else (),
        hint="The Job has not run (is the release installed?) or was removed before it "
        "could be read; `glmctl redeploy` runs the hooks again.",
        command=command,
        outputs={"source": "none"},
    )
