"""What the replaced-jobs and permission checks say: counted plainly, and the hint for jobs a
Flux Kustomization still applies gives the repository fix before the delete."""

from __future__ import annotations

from typing import Any

from glmctl.config import JobFile
from glmctl.steps.jobs import ReplacedParams, not_running
from glmctl.steps.registry import StepContext, StepStatus

NAMES = (
    "enhanced-token-setup",
    "grafana-oidc-setup",
    "dashboard-oidc-setup",
    "cleanup-duplicate-tokens",
)
KUSTOMIZATION = "infrastructure/authentik-outpost-config/kustomization.yaml"
OWNER = {
    "kustomize.toolkit.fluxcd.io/name": "infrastructure-authentik-outpost-config",
    "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
}


class JobList:
    """Stands in for the cluster handle: answers the one list of Jobs the step reads."""

    def __init__(self, jobs: list[dict[str, Any]]) -> None:
        self.jobs = jobs

    def list(self, rt: Any, namespace: str | None = None, **options: Any) -> list[Any]:
        return list(self.jobs)


def job(name: str, state: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    status: dict[str, Any] = {"active": 1} if state == "Active" else {}
    if state != "Active":
        status["conditions"] = [{"type": state, "status": "True"}]
    return {"metadata": {"name": name, "labels": labels or {}}, "status": status}


def check(jobs: list[dict[str, Any]]) -> Any:
    params = ReplacedParams(
        namespace="authentik",
        jobs=[JobFile(name=n, file=f"{n}-job.yaml") for n in NAMES],
        kustomization=KUSTOMIZATION,
    )
    return not_running(StepContext(step_id="jobs", cluster_provider=lambda: JobList(jobs)), params)


def test_no_replaced_job_present_says_so() -> None:
    result = check([])
    assert result.status is StepStatus.PASS
    assert result.summary == "none of the 4 replaced jobs is present"


def test_finished_replaced_jobs_are_counted_as_all_finished() -> None:
    result = check([job(NAMES[0], "Complete"), job(NAMES[1], "Failed")])
    assert result.summary == "none of the 4 replaced jobs is running (2 present, all finished)"


def test_jobs_a_kustomization_applies_get_the_repo_fix_before_the_delete() -> None:
    result = check([job(NAMES[0], "Active", OWNER), job(NAMES[1], "Active", OWNER)])

    assert result.status is StepStatus.FAIL
    hint = result.hint or ""
    repo_fix = hint.index(f"remove {NAMES[0]}-job.yaml, {NAMES[1]}-job.yaml from {KUSTOMIZATION}")
    assert "`glmctl rollback --undo`" in hint
    assert repo_fix < hint.index(f"`kubectl delete job -n authentik {NAMES[0]} {NAMES[1]}`")
    assert "flux-system/infrastructure-authentik-outpost-config still applies them" in hint
    assert result.outputs["owners"] == ["flux-system/infrastructure-authentik-outpost-config"]
    assert result.details[0].endswith(
        "applied by Kustomization flux-system/infrastructure-authentik-outpost-config"
    )


def test_jobs_nothing_reapplies_may_simply_be_deleted() -> None:
    result = check([job(NAMES[2], "Active")])

    hint = result.hint or ""
    assert "Nothing re-applies them" in hint
    assert "kustomization.yaml" not in hint
    assert hint.endswith(f"`kubectl delete job -n authentik {NAMES[2]}`.")
    assert result.outputs["owners"] == []
