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


class InstalledParams(BaseModel):
    """The release (name, storage namespace) and the HelmRelease that manages it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    namespace: str = FLUX_NAMESPACE
    helmrelease: str
    helmrelease_namespace: str = FLUX_NAMESPACE


@step("helm.installed_release", params=InstalledParams, outputs={"revision", "status", "stalled"})
def installed_release(ctx: StepContext, params: InstalledParams) -> StepResult:
    """Before a deploy: is the release already installed, and is it a failed one that
    helm-controller gave up on? Then say so, and what `glmctl redeploy` does about it."""
    from glmctl.cluster import flux

    command = f"helm history {params.name} -n {params.namespace}"
    shared = reads(ctx)
    try:
        release = read_release(shared, params.name, params.namespace)
    except ReleaseDecodeError as error:
        return StepResult(
            status=StepStatus.ERROR,
            summary=f"cannot read Helm release {params.name}: {error}",
            command=command,
        )
    hr = shared.by_name(resources.HELMRELEASE, params.helmrelease_namespace).get(params.helmrelease)
    state = flux.readiness(hr) if hr is not None else None
    stalled = bool(state and (state.stalled or state.reason == "RetriesExceeded"))
    outputs = {
        "revision": release.revision if release else 0,
        "status": release.status if release else "not-installed",
        "stalled": stalled,
    }
    if release is None:
        return StepResult.passed(
            f"Helm release {params.name} is not installed yet: the deploy installs it",
            command=f"helm list -n {params.namespace}",
            outputs=outputs,
        )
    where = f"HelmRelease {params.helmrelease_namespace}/{params.helmrelease}"
    if release.deployed and not stalled:
        return StepResult.passed(
            f"Helm release {params.name} revision {release.revision} is deployed "
            f"(chart {release.chart_version}): the deploy upgrades it",
            command=command,
            outputs=outputs,
        )
    details = [
        f"revision {release.revision}: {release.status}"
        + (f" ({release.description})" if release.description else ""),
        f"chart {release.chart_name} {release.chart_version}",
    ]
    if state is not None:
        details.append(
            f"{where}: {state.label}"
            + (f" ({state.reason})" if state.reason else "")
            + (", Stalled: helm-controller will not retry by itself" if stalled else "")
        )
        if state.message:  # which hook failed, in helm-controller's words
            details.append(f"{where}: {state.message}")
    return StepResult.warning(
        f"Helm release {params.name} is already installed and {release.status} at revision "
        f"{release.revision}" + (f"; {where} is stalled" if stalled else ""),
        details=tuple(details),
        hint=f"`glmctl redeploy` deletes {where} (helm-controller uninstalls release "
        f"{params.name}) and the lifecycle Kustomization re-creates it, so the chart is "
        "installed afresh; fix what made revision "
        f"{release.revision} fail first (`glmctl troubleshoot helmrelease`).",
        command=command,
        outputs=outputs,
    )
