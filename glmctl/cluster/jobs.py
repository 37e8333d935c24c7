"""A batch/v1 Job's state as one pure function on the object dict: the only reading of it.

``monitor``, the checks (``steps/jobs.py``) and the diagnoses (``steps/diagnose.py``) all
call :func:`job_state`, so a Job one of them calls Failed is Failed to all of them.

The rules, from the Kubernetes Job documentation ("Terminal Job conditions", "Termination
of Job Pods") and the ``batch/v1`` API reference:

* A Job ends in one of two terminal conditions, ``Complete`` or ``Failed`` (status True).
* Since Kubernetes 1.31 the controller first adds ``FailureTarget`` (backoffLimit,
  activeDeadlineSeconds, a pod failure policy's FailJob, failed indexes) or
  ``SuccessCriteriaMet`` (a success policy, and since 1.33 any success), then waits for the
  Job's pods to terminate before adding ``Failed`` / ``Complete`` with the same reason and
  message. The outcome is decided at the first condition; only the clean-up is pending.
* ``Suspended`` (status True) while ``spec.suspend`` holds: no pods run.
* Otherwise the Job is unfinished: ``status.active`` pods run; with none active and
  ``status.failed`` above zero the controller is backing off before the next attempt;
  with neither, no pod has started yet.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

Obj = dict[str, Any]


class JobPhase(StrEnum):
    """Where a Job is; the first two are final."""

    COMPLETE = "Complete"
    FAILED = "Failed"
    SUSPENDED = "Suspended"
    RUNNING = "Running"
    BACKOFF = "BackoffRetry"
    PENDING = "Pending"


#: Condition type (status True) → the outcome it decides, most final first.
_DECIDING = (
    ("Failed", JobPhase.FAILED, False),
    ("FailureTarget", JobPhase.FAILED, True),
    ("Complete", JobPhase.COMPLETE, False),
    ("SuccessCriteriaMet", JobPhase.COMPLETE, True),
)


@dataclass(frozen=True)
class JobState:
    """What a Job's status says, read once."""

    phase: JobPhase
    reason: str = ""
    message: str = ""
    terminating: bool = False
    """The outcome is decided (FailureTarget / SuccessCriteriaMet) and pods still stop."""
    active: int = 0
    ready: int = 0
    succeeded: int = 0
    failed: int = 0
    finished_at: str | None = None
    """RFC 3339: ``completionTime``, or when the failure was decided."""

    @property
    def finished(self) -> bool:
        """The outcome is known: Complete or Failed (or decided and pods terminating)."""
        return self.phase in (JobPhase.COMPLETE, JobPhase.FAILED)

    @property
    def running(self) -> bool:
        """Running, backing off before a retry, or about to start: not finished and not
        suspended (what "still running" means to preflight, diagnosis and monitor)."""
        return self.phase in (JobPhase.RUNNING, JobPhase.BACKOFF, JobPhase.PENDING)

    def describe(self) -> str:
        """``Failed (BackoffLimitExceeded)``, ``Running (1 pod active)``: for a detail line."""
        if self.reason:
            return f"{self.phase} ({self.reason})"
        if self.phase is JobPhase.RUNNING:
            return f"Running ({_pods(self.active)} active)"
        if self.phase is JobPhase.BACKOFF:
            return f"BackoffRetry ({self.failed} failed, retrying)"
        return str(self.phase)


def job_state(job: Obj) -> JobState:
    """Read ``job`` (a batch/v1 Job as the API returned it) into a :class:`JobState`."""
    status = job.get("status") or {}
    counted = JobState(
        phase=JobPhase.PENDING,
        active=_count(status, "active"),
        ready=_count(status, "ready"),
        succeeded=_count(status, "succeeded"),
        failed=_count(status, "failed"),
    )
    conditions = {
        str(c.get("type")): c
        for c in status.get("conditions") or []
        if isinstance(c, dict) and c.get("status") == "True"
    }
    for condition_type, phase, terminating in _DECIDING:
        found = conditions.get(condition_type)
        if found is None:
            continue
        finished = status.get("completionTime") if phase is JobPhase.COMPLETE else None
        return replace(
            counted,
            phase=phase,
            reason=str(found.get("reason") or ""),
            message=str(found.get("message") or ""),
            terminating=terminating,
            finished_at=finished or found.get("lastTransitionTime"),
        )
    suspended = conditions.get("Suspended")
    if suspended is not None or (job.get("spec") or {}).get("suspend") is True:
        found = suspended or {}
        return replace(
            counted,
            phase=JobPhase.SUSPENDED,
            reason=str(found.get("reason") or ""),
            message=str(found.get("message") or ""),
        )
    if counted.active:
        return replace(counted, phase=JobPhase.RUNNING)
    if counted.failed:
        return replace(counted, phase=JobPhase.BACKOFF)
    return counted


def _count(status: Obj, key: str) -> int:
    value = status.get(key)
    return value if isinstance(value, int) and value > 0 else 0


def _pods(count: int) -> str:
    return f"{count} pod" if count == 1 else f"{count} pods"
