"""Clean redeploy (the guide's "Clean Deployment"): plan it from the cluster, then wait.

The guide's three commands become one plan: delete the HelmRelease (resumed first if it
is suspended, because helm-controller skips the Helm uninstall of a suspended
HelmRelease that is deleted), delete the lifecycle's Jobs found by label in every
namespace (propagationPolicy Background, or their pods stay behind), and request a
reconcile of the lifecycle Kustomization (resumed first if suspended).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from glmctl.cluster import flux, resources
from glmctl.errors import NotFound
from glmctl.plan import Plan, PlanItem, check_labels, check_selector, object_item

if TYPE_CHECKING:
    from glmctl.cluster.client import Cluster
    from glmctl.config import Profile

Obj = dict[str, Any]


def plan_redeploy(
    cluster: Cluster, profile: Profile, selector: str | None = None, *, now: datetime | None = None
) -> Plan:
    """Everything a redeploy will change, read from the cluster now.

    ``selector`` (default: the profile's lifecycle selector) picks the Jobs to delete; it
    is refused when empty or wider than the lifecycle's labels.
    """
    lifecycle_selector = profile.selectors.lifecycle
    job_selector = lifecycle_selector if selector is None else selector
    check_selector(job_selector, lifecycle_selector)
    ks_ref = profile.flux.lifecycle_kustomization
    hr_ref = profile.flux.helm_release
    kustomization = _required_kustomization(cluster, ks_ref.name, ks_ref.namespace)
    release = cluster.get_or_none(resources.HELMRELEASE, hr_ref.name, hr_ref.namespace)
    jobs = cluster.list(resources.JOB, None, label_selector=job_selector)
    check_labels(jobs, lifecycle_selector)

    items: list[PlanItem] = []
    notes: list[str] = []
    if release is None:
        notes.append(
            f"HelmRelease {hr_ref.namespace}/{hr_ref.name} does not exist: nothing to delete."
        )
    else:
        if flux.is_suspended(release):
            notes.append(
                f"HelmRelease {hr_ref.namespace}/{hr_ref.name} is suspended: it is resumed "
                "first, because helm-controller skips the Helm uninstall when a suspended "
                "HelmRelease is deleted."
            )
            items.append(
                object_item(
                    "resume", release, detail="spec.suspend: false", patch=flux.suspend_patch(False)
                )
            )
        deletion = object_item("delete", release, detail="helm-controller uninstalls the release")
        items.append(replace(deletion, wait_gone=True))
    for job in sorted(jobs, key=_namespace_name):
        items.append(
            object_item("delete", job, detail="propagationPolicy Background: its pods go too")
        )
    if not jobs:
        notes.append(f"No Jobs match {job_selector} in any namespace.")
    if flux.is_suspended(kustomization):
        notes.append(
            f"Kustomization {ks_ref.namespace}/{ks_ref.name} is suspended: it is resumed "
            "first, or the reconcile request would be ignored."
        )
        items.append(
            object_item(
                "resume",
                kustomization,
                detail="spec.suspend: false",
                patch=flux.suspend_patch(False),
            )
        )
    items.append(
        object_item(
            "reconcile",
            kustomization,
            detail=f"annotate {flux.REQUESTED_AT_ANNOTATION}: it re-applies the HelmRelease",
            patch=flux.reconcile_request_patch(now or datetime.now(UTC)),
        )
    )
    return Plan(command="redeploy", items=tuple(items), notes=tuple(notes))


def _required_kustomization(cluster: Cluster, name: str, namespace: str) -> Obj:
    found = cluster.get_or_none(resources.KUSTOMIZATION, name, namespace)
    if found is None:
        raise NotFound(
            f"Kustomization {namespace}/{name} does not exist.",
            hint="Check flux.lifecycle_kustomization in glmctl.yaml (`glmctl config show`).",
        )
    return found


def _namespace_name(obj: Obj) -> tuple[str, str]:
    metadata = obj.get("metadata") or {}
    return (str(metadata.get("namespace") or ""), str(metadata.get("name") or ""))
