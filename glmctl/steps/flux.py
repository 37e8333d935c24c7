"""Flux objects Ready at their current generation, not suspended, not stale.

Readiness is :func:`glmctl.cluster.flux.readiness` (the flux CLI's rules). Each check lists
the kind once in its namespace and looks names up in that list, so a name that does not
exist can be answered with the closest names that do ("did you mean ...?").
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from glmctl.cluster import flux, resources
from glmctl.cluster.resources import ResourceType
from glmctl.config import FLUX_NAMESPACE
from glmctl.steps._reads import Obj, reads
from glmctl.steps._text import did_you_mean, plural
from glmctl.steps.registry import StepContext, StepResult, step


class KustomizationsParams(BaseModel):
    """Kustomizations that must be Ready; ``configured_in`` names the profile field."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    names: list[str] = Field(min_length=1)
    namespace: str = FLUX_NAMESPACE
    allow_suspended: bool = False
    configured_in: str | None = None


@step(
    "flux.kustomizations_ready",
    params=KustomizationsParams,
    outputs={"ready", "not_ready", "missing"},
)
def kustomizations_ready(ctx: StepContext, params: KustomizationsParams) -> StepResult:
    """Kustomizations exist and are Ready, not stale and not suspended."""
    return _check_ready(
        ctx,
        resources.KUSTOMIZATION,
        "kustomization",
        params.names,
        params.namespace,
        allow_suspended=params.allow_suspended,
        configured_in=params.configured_in,
    )


class HelmReleaseParams(BaseModel):
    """One HelmRelease that must be Ready."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    namespace: str = FLUX_NAMESPACE
    configured_in: str | None = None


@step("flux.helmrelease_ready", params=HelmReleaseParams, outputs={"ready", "not_ready", "missing"})
def helmrelease_ready(ctx: StepContext, params: HelmReleaseParams) -> StepResult:
    """The HelmRelease exists and is Ready at its current generation."""
    return _check_ready(
        ctx,
        resources.HELMRELEASE,
        "helmrelease",
        [params.name],
        params.namespace,
        allow_suspended=False,
        configured_in=params.configured_in,
    )


def problem(obj: Obj, *, allow_suspended: bool) -> str | None:
    """Why a Flux object is not fit to build on, or None when it is."""
    state = flux.readiness(obj)
    if state.suspended and not allow_suspended:
        return "suspended (spec.suspend: true), so Flux does not reconcile it"
    if state.ready:
        return None
    if state.stale and state.observed_generation < 1:
        return "never reconciled (no status yet)"
    if state.stale:
        return (
            f"stale: generation {state.generation} not yet reconciled "
            f"(observed {state.observed_generation})"
        )
    reason = f" ({state.reason})" if state.reason else ""
    message = f": {state.message}" if state.message else ""
    return f"{state.label}{reason}{message}"


def _check_ready(
    ctx: StepContext,
    rt: ResourceType,
    cli_kind: str,
    names: list[str],
    namespace: str,
    *,
    allow_suspended: bool,
    configured_in: str | None,
) -> StepResult:
    existing = reads(ctx).by_name(rt, namespace)
    missing = [name for name in names if name not in existing]
    problems = {
        name: found
        for name in names
        if name in existing
        and (found := problem(existing[name], allow_suspended=allow_suspended)) is not None
    }
    ready = [name for name in names if name in existing and name not in problems]
    outputs = {"ready": ready, "not_ready": sorted(problems), "missing": missing}
    listing = f"flux get {cli_kind}s -n {namespace}"
    if not missing and not problems:
        what = plural(len(names), rt.kind) if len(names) > 1 else f"{rt.kind} {names[0]}"
        return StepResult.passed(
            f"{what} Ready" if len(names) > 1 else f"{what} is Ready",
            details=tuple(f"{name}: Ready" for name in names),
            command=listing,
            outputs=outputs,
        )
    details = [
        f"{name}: not found{did_you_mean(name, existing) or ' (no similar name exists)'}"
        for name in missing
    ]
    details += [f"{name}: {text}" for name, text in problems.items()]
    bad = [*missing, *problems]
    return StepResult.failed(
        f"{len(bad)} of {plural(len(names), rt.kind)} not Ready: {', '.join(bad)}"
        if len(names) > 1
        else f"{rt.kind} {names[0]} {'not found' if missing else 'is not Ready'}",
        details=tuple(details),
        hint=_hint(rt, cli_kind, namespace, missing, problems, existing, configured_in),
        command=(
            f"flux get {cli_kind} {bad[0]} -n {namespace}" if not missing or problems else listing
        ),
        outputs=outputs,
    )


def _hint(
    rt: ResourceType,
    cli_kind: str,
    namespace: str,
    missing: list[str],
    problems: dict[str, str],
    existing: dict[str, Obj],
    configured_in: str | None,
) -> str:
    hints: list[str] = []
    if missing:
        where = f" ({configured_in} in glmctl.yaml)" if configured_in else ""
        hints.append(
            f"Check the {rt.kind} name{where}: `{' '.join(missing)}` does not exist in {namespace}."
        )
    suspended = [n for n in problems if flux.is_suspended(existing[n])]
    if suspended:
        hints.append(f"Resume it with `flux resume {cli_kind} {suspended[0]} -n {namespace}`.")
    failing = [n for n in problems if n not in suspended]
    if failing:
        hints.append(
            f"Find out why with `flux logs --kind {rt.kind} --name {failing[0]} -n {namespace}`"
            f" and `kubectl describe {cli_kind} {failing[0]} -n {namespace}`; fix it and "
            f"`flux reconcile {cli_kind} {failing[0]} -n {namespace}`."
        )
    return " ".join(hints)
