"""The Helm release, read from Helm's storage Secrets (no ``helm`` binary needed).

The release Secrets are listed once per run (by the ``owner=helm,name=...`` labels) and
shared with the hook check in :mod:`glmctl.steps.jobs`. Only the fields of
:class:`glmctl.cluster.helm.HelmReleaseInfo` are kept; the release's values and manifests
never leave this module.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from glmctl.cluster import resources
from glmctl.cluster.helm import (
    HelmReleaseInfo,
    ReleaseDecodeError,
    newest_release_secret,
    release_from_secret,
)
from glmctl.config import FLUX_NAMESPACE
from glmctl.steps._reads import ClusterReads, reads
from glmctl.steps.registry import StepContext, StepResult, StepStatus, step


def read_release(shared: ClusterReads, name: str, namespace: str) -> HelmReleaseInfo | None:
    """The newest revision of release ``name`` in its storage namespace, or None."""
    secrets = shared.objects(resources.SECRET, namespace, f"owner=helm,name={name}")
    newest = newest_release_secret(secrets)
    return release_from_secret(newest) if newest is not None else None


class ReleaseParams(BaseModel):
    """The Helm release name and the namespace Helm stores it in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    namespace: str = FLUX_NAMESPACE


@step(
    "helm.release_deployed",
    params=ReleaseParams,
    outputs={"revision", "status", "chart_version"},
)
def release_deployed(ctx: StepContext, params: ReleaseParams) -> StepResult:
    """The Helm release's newest revision is deployed (status, revision, chart version)."""
    command = f"helm status {params.name} -n {params.namespace}"
    try:
        release = read_release(reads(ctx), params.name, params.namespace)
    except ReleaseDecodeError as error:
        return StepResult(
            status=StepStatus.ERROR,
            summary=f"cannot read Helm release {params.name}: {error}",
            command=command,
        )
    if release is None:
        return StepResult.failed(
            f"Helm release {params.name} is not installed in {params.namespace}",
            details=(f"no sh.helm.release.v1.{params.name}.v* Secret in {params.namespace}",),
            hint="The HelmRelease has not installed the chart yet: follow it with "
            "`glmctl monitor`, or see why with `flux get helmrelease "
            f"{params.name} -n {params.namespace}`.",
            command=f"helm list -n {params.namespace}",
            outputs={"revision": 0, "status": "not-installed", "chart_version": ""},
        )
    outputs = {
        "revision": release.revision,
        "status": release.status,
        "chart_version": release.chart_version,
    }
    facts = (
        f"revision {release.revision}: {release.status}",
        f"chart {release.chart_name} {release.chart_version} (app {release.app_version})",
        f"last deployed {release.last_deployed}" if release.last_deployed else "",
        f"description: {release.description}" if release.description else "",
    )
    details = tuple(fact for fact in facts if fact)
    summary = (
        f"{params.name} revision {release.revision} {release.status}, "
        f"chart {release.chart_name} {release.chart_version}"
    )
    if release.deployed:
        return StepResult.passed(summary, details=details, command=command, outputs=outputs)
    return StepResult.failed(
        summary,
        details=details,
        hint=f"See why with `kubectl describe helmrelease {params.name} -n {params.namespace}` "
        "and the helm-controller logs; once the cause is fixed, `glmctl redeploy` installs it "
        "cleanly.",
        command=f"helm history {params.name} -n {params.namespace}",
        outputs=outputs,
    )
