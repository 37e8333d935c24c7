"""The one reading of a Job's state, table-driven over status shapes the Job controller
writes (Kubernetes 1.30 to 1.33: before and after FailureTarget / SuccessCriteriaMet)."""

from __future__ import annotations

from typing import Any

import pytest

from glmctl.cluster.jobs import JobPhase, JobState, job_state

T0 = "2026-11-26T03:00:00Z"
T1 = "2026-11-26T03:01:10Z"
T2 = "2026-11-26T03:01:14Z"


def cond(kind: str, reason: str = "", message: str = "", status: str = "True", at: str = T1):
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastProbeTime": at,
        "lastTransitionTime": at,
    }


def job(status: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "glm-database-init", "namespace": "authentik"},
        "spec": {"backoffLimit": 3, **spec},
        "status": status or {},
    }


DEADLINE = "Job was active longer than specified deadline"
BACKOFF = "Job has reached the specified backoff limit"

CASES: list[tuple[str, dict[str, Any], JobState]] = [
    ("just created, no status yet", job(), JobState(JobPhase.PENDING)),
    (
        "created, controller saw it, no pod started",
        job({"startTime": T0, "active": 0, "ready": 0, "terminating": 0}),
        JobState(JobPhase.PENDING),
    ),
    (
        "one pod running, not ready",
        job({"startTime": T0, "active": 1, "ready": 0}),
        JobState(JobPhase.RUNNING, active=1),
    ),
    (
        "one pod failed, waiting for the next attempt",
        job({"startTime": T0, "failed": 1, "active": 0, "ready": 0}),
        JobState(JobPhase.BACKOFF, failed=1),
    ),
    (
        "second attempt running after a failure",
        job({"startTime": T0, "failed": 1, "active": 1, "ready": 1}),
        JobState(JobPhase.RUNNING, active=1, ready=1, failed=1),
    ),
    (
        "1.30: Complete only",
        job(
            {
                "startTime": T0,
                "completionTime": T2,
                "succeeded": 1,
                "conditions": [cond("Complete", at=T2)],
            }
        ),
        JobState(JobPhase.COMPLETE, succeeded=1, finished_at=T2),
    ),
    (
        "1.31+: SuccessCriteriaMet while the pod terminates, no Complete yet",
        job(
            {
                "startTime": T0,
                "succeeded": 1,
                "terminating": 1,
                "conditions": [
                    cond(
                        "SuccessCriteriaMet",
                        "CompletionsReached",
                        "Reached expected number of succeeded pods",
                    )
                ],
            }
        ),
        JobState(
            JobPhase.COMPLETE,
            reason="CompletionsReached",
            message="Reached expected number of succeeded pods",
            terminating=True,
            succeeded=1,
            finished_at=T1,
        ),
    ),
    (
        "1.31+: SuccessCriteriaMet then Complete",
        job(
            {
                "startTime": T0,
                "completionTime": T2,
                "succeeded": 1,
                "conditions": [
                    cond("SuccessCriteriaMet", "CompletionsReached"),
                    cond("Complete", "CompletionsReached", at=T2),
                ],
            }
        ),
        JobState(JobPhase.COMPLETE, reason="CompletionsReached", succeeded=1, finished_at=T2),
    ),
    (
        "1.30: Failed on the backoff limit",
        job(
            {
                "startTime": T0,
                "failed": 4,
                "conditions": [cond("Failed", "BackoffLimitExceeded", BACKOFF)],
            }
        ),
        JobState(
            JobPhase.FAILED,
            reason="BackoffLimitExceeded",
            message=BACKOFF,
            failed=4,
            finished_at=T1,
        ),
    ),
    (
        "1.31+: FailureTarget while pods terminate: failed already, not Active",
        job(
            {
                "startTime": T0,
                "failed": 1,
                "active": 1,
                "terminating": 1,
                "conditions": [cond("FailureTarget", "DeadlineExceeded", DEADLINE)],
            },
            activeDeadlineSeconds=60,
        ),
        JobState(
            JobPhase.FAILED,
            reason="DeadlineExceeded",
            message=DEADLINE,
            terminating=True,
            active=1,
            failed=1,
            finished_at=T1,
        ),
    ),
    (
        "1.31+: FailureTarget then Failed with the same reason",
        job(
            {
                "startTime": T0,
                "failed": 4,
                "conditions": [
                    cond("FailureTarget", "BackoffLimitExceeded", BACKOFF),
                    cond("Failed", "BackoffLimitExceeded", BACKOFF, at=T2),
                ],
            }
        ),
        JobState(
            JobPhase.FAILED,
            reason="BackoffLimitExceeded",
            message=BACKOFF,
            failed=4,
            finished_at=T2,
        ),
    ),
    (
        "a condition with status False decides nothing",
        job(
            {
                "startTime": T0,
                "active": 1,
                "conditions": [cond("Failed", "BackoffLimitExceeded", status="False")],
            }
        ),
        JobState(JobPhase.RUNNING, active=1),
    ),
    (
        "suspended: the Suspended condition",
        job({"conditions": [cond("Suspended", "JobSuspended", "Job suspended")]}, suspend=True),
        JobState(JobPhase.SUSPENDED, reason="JobSuspended", message="Job suspended"),
    ),
    (
        "suspended in spec, the controller has not written the condition yet",
        job({"active": 1}, suspend=True),
        JobState(JobPhase.SUSPENDED, active=1),
    ),
    (
        "resumed: Suspended False, running again",
        job(
            {
                "startTime": T2,
                "active": 1,
                "conditions": [cond("Suspended", "JobResumed", status="False")],
            },
            suspend=False,
        ),
        JobState(JobPhase.RUNNING, active=1),
    ),
    (
        "a finished Job that was suspended once is finished",
        job(
            {
                "completionTime": T2,
                "succeeded": 1,
                "conditions": [
                    cond("Suspended", "JobResumed", status="False"),
                    cond("Complete", at=T2),
                ],
            }
        ),
        JobState(JobPhase.COMPLETE, succeeded=1, finished_at=T2),
    ),
    (
        "garbage counts are zero",
        job({"active": -1, "failed": "2"}),
        JobState(JobPhase.PENDING),
    ),
]


@pytest.mark.parametrize(("shape", "obj", "expected"), CASES, ids=[c[0] for c in CASES])
def test_job_state(shape: str, obj: dict[str, Any], expected: JobState) -> None:
    assert job_state(obj) == expected


@pytest.mark.parametrize(
    ("phase", "finished", "running"),
    [
        (JobPhase.COMPLETE, True, False),
        (JobPhase.FAILED, True, False),
        (JobPhase.SUSPENDED, False, False),
        (JobPhase.RUNNING, False, True),
        (JobPhase.BACKOFF, False, True),
        (JobPhase.PENDING, False, True),
    ],
)
def test_finished_and_running_partition_the_phases(
    phase: JobPhase, finished: bool, running: bool
) -> None:
    state = JobState(phase)
    assert (state.finished, state.running) == (finished, running)


def test_describe_says_why() -> None:
    assert JobState(JobPhase.FAILED, reason="DeadlineExceeded").describe() == (
        "Failed (DeadlineExceeded)"
    )
    assert JobState(JobPhase.RUNNING, active=2).describe() == "Running (2 pods active)"
    assert JobState(JobPhase.BACKOFF, failed=1).describe() == "BackoffRetry (1 failed, retrying)"
    assert JobState(JobPhase.PENDING).describe() == "Pending"
