"""Checks about the cluster itself: reachable, the needed CRDs served, named objects present.

The CRD check asks discovery (one request per API group/version, cached by the cluster
handle) instead of listing CustomResourceDefinitions, whose schemas run to megabytes on a
real cluster.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from glmctl.cluster import resources
from glmctl.cluster.resources import ResourceType
from glmctl.errors import CrdNotInstalled
from glmctl.steps._reads import reads
from glmctl.steps._text import did_you_mean, plural
from glmctl.steps.registry import StepContext, StepResult, step

_BY_DISPLAY = {rt.display: rt for rt in resources.ALL}
_BY_KIND = {rt.kind: rt for rt in resources.ALL}

DEFAULT_CRDS = (
    resources.KUSTOMIZATION.display,
    resources.HELMRELEASE.display,
    resources.GITREPOSITORY.display,
    resources.HELMREPOSITORY.display,
    resources.EXTERNALSECRET.display,
    resources.CLUSTERSECRETSTORE.display,
)


def resource_type(name: str) -> ResourceType:
    """``plural.group`` (as kubectl and RBAC write it) or a Kind, as a known ResourceType."""
    found = _BY_DISPLAY.get(name) or _BY_KIND.get(name)
    if found is None:
        known = [*_BY_DISPLAY, *_BY_KIND]
        raise ValueError(f"unknown resource {name!r}{did_you_mean(name, known) or ''}")
    return found


class ReachableParams(BaseModel):
    """No parameters: the connection comes from --kubeconfig and --context."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@step("cluster.reachable", params=ReachableParams, outputs={"server_version", "context"})
def reachable(ctx: StepContext, params: ReachableParams) -> StepResult:
    """The API server answers with the kubeconfig's credentials."""
    version = reads(ctx).server_version()
    context = str(getattr(ctx.cluster, "context_name", ""))
    return StepResult.passed(
        f"context {context} answers: Kubernetes {version}",
        outputs={"server_version": version, "context": context},
        command="kubectl version",
    )


class CrdParams(BaseModel):
    """Resources (``plural.group``) whose CRDs must be installed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    resources: list[str] = Field(default_factory=lambda: list(DEFAULT_CRDS), min_length=1)

    @field_validator("resources")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for name in value:
            resource_type(name)
        return value


@step("cluster.crds_installed", params=CrdParams, outputs={"missing"})
def crds_installed(ctx: StepContext, params: CrdParams) -> StepResult:
    """Flux and External Secrets CRDs are installed (the API serves their resources)."""
    shared = reads(ctx)
    missing = [name for name in params.resources if not shared.served(resource_type(name))]
    command = "kubectl get crd " + " ".join(params.resources)
    if not missing:
        return StepResult.passed(
            f"all {plural(len(params.resources), 'CRD')} installed",
            details=tuple(params.resources),
            command=command,
            outputs={"missing": []},
        )
    return StepResult.failed(
        f"{len(missing)} of {plural(len(params.resources), 'CRD')} not installed: "
        + ", ".join(missing),
        details=tuple(f"{name}: not served by the API server" for name in missing),
        hint="Install the missing controllers first (Flux: `flux install` or its bootstrap; "
        "External Secrets: its Helm chart), then run preflight again.",
        command=command,
        outputs={"missing": missing},
    )


class ObjectsParams(BaseModel):
    """Objects of one kind that must exist in a namespace."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    names: list[str] = Field(min_length=1)
    namespace: str | None = None
    hint: str | None = None

    @field_validator("kind")
    @classmethod
    def _known(cls, value: str) -> str:
        resource_type(value)
        return value


@step("cluster.objects_exist", params=ObjectsParams, outputs={"missing"})
def objects_exist(ctx: StepContext, params: ObjectsParams) -> StepResult:
    """Named objects of one kind exist (e.g. the chart's ServiceMonitor)."""
    rt = resource_type(params.kind)
    where = f" -n {params.namespace}" if params.namespace and rt.namespaced else ""
    command = f"kubectl get {rt.display} {' '.join(params.names)}{where}"
    shared = reads(ctx)
    if rt.group and not shared.served(rt):
        return StepResult.failed(
            f"the {rt.kind} CRD ({rt.display}) is not installed",
            hint=params.hint
            or f"Install the CRD that provides {rt.kind}, or switch the "
            "feature off in glmctl.yaml.",
            command=f"kubectl get crd {rt.display}",
            outputs={"missing": list(params.names)},
        )
    try:
        existing = shared.by_name(rt, params.namespace if rt.namespaced else None)
    except CrdNotInstalled as error:
        return StepResult.failed(error.message, hint=error.hint, command=command)
    missing = [name for name in params.names if name not in existing]
    if not missing:
        return StepResult.passed(
            f"{rt.kind} {', '.join(params.names)} present",
            command=command,
            outputs={"missing": []},
        )
    return StepResult.failed(
        f"{rt.kind} not found: {', '.join(missing)}",
        details=tuple(f"{name}: not found{did_you_mean(name, existing)}" for name in missing),
        hint=params.hint
        or f"Whatever creates these {rt.kind} objects has not run: check its Kustomization "
        "or HelmRelease.",
        command=command,
        outputs={"missing": missing},
    )
