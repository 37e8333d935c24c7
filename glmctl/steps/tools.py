"""Local tools (kubectl, flux, helm): installed versions and skew against the cluster.

glmctl needs none of them, so a missing tool is information, never a failure. Programs run
through :mod:`glmctl.execs`, the one module that starts external processes. Skew rules are
each project's own published policy:

- kubectl: within one minor version of the API server (Kubernetes version-skew policy);
- helm 3.Y: Kubernetes 1.(Y+12) to 1.(Y+15) (Helm's version-support table, n-3);
- flux: the CLI against the cluster's Flux (the ``app.kubernetes.io/version`` label of the
  ``flux-system`` namespace, else of its controller Deployments). Flux releases the CLI
  and the controllers together, one release per minor version, and supports the three most
  recent minor releases; a CLI of another minor release is skew (it speaks the API
  versions of its own release), and a cluster more than two minor releases behind the CLI
  runs a Flux release no longer supported. ``flux check --pre`` remains Flux's own check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from glmctl import execs
from glmctl.cluster import resources
from glmctl.config import FLUX_NAMESPACE
from glmctl.steps._reads import reads
from glmctl.steps.registry import StepContext, StepResult, step

Tool = Literal["kubectl", "flux", "helm"]
DEFAULT_TOOLS: tuple[Tool, ...] = ("kubectl", "flux", "helm")
_MINOR = re.compile(r"^v?(\d+)\.(\d+)")


def major_minor(version: str) -> tuple[int, int] | None:
    """``(1, 30)`` from ``v1.30.2`` / ``1.30.2-glmctl``; None when unparseable."""
    match = _MINOR.match(version.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def kubectl_skew(client: str, server: str) -> str | None:
    """Why this kubectl is outside the supported skew, or None."""
    mine, theirs = major_minor(client), major_minor(server)
    if mine is None or theirs is None or mine[0] != theirs[0]:
        return None
    if abs(mine[1] - theirs[1]) > 1:
        return (
            f"kubectl {client} is {abs(mine[1] - theirs[1])} minor versions from the server "
            f"({server}); kubectl supports one minor version of skew"
        )
    return None


def helm_skew(client: str, server: str) -> str | None:
    """Why this helm is outside the Kubernetes versions it supports, or None."""
    mine, theirs = major_minor(client), major_minor(server)
    if mine is None or theirs is None or mine[0] != 3 or theirs[0] != 1:
        return None
    low, high = mine[1] + 12, mine[1] + 15
    if not low <= theirs[1] <= high:
        return f"helm {client} supports Kubernetes 1.{low} to 1.{high}, the server runs {server}"
    return None


FLUX_SUPPORTED_MINORS = 3
"""Flux maintains release branches for its three most recent minor releases."""


def flux_skew(client: str, server: str) -> str | None:
    """Why this flux CLI does not fit the cluster's Flux release, or None."""
    mine, theirs = major_minor(client), major_minor(server)
    if mine is None or theirs is None:
        return None
    if mine[0] != theirs[0]:
        return (
            f"flux CLI {client} and the cluster's Flux {server} are different major "
            f"releases; install flux {theirs[0]}.{theirs[1]}.x"
        )
    behind = mine[1] - theirs[1]
    if behind == 0:
        return None
    problem = (
        f"flux CLI {client} and the cluster's Flux {server} are {abs(behind)} minor "
        f"release{'s' if abs(behind) > 1 else ''} apart; Flux ships the CLI with the "
        f"controllers, so use flux {theirs[0]}.{theirs[1]}.x"
    )
    if behind >= FLUX_SUPPORTED_MINORS:
        problem += (
            f"; the cluster's Flux {theirs[0]}.{theirs[1]} is also outside the "
            f"{FLUX_SUPPORTED_MINORS} most recent minor releases Flux supports: upgrade it"
        )
    return problem


SKEW_RULES: dict[str, Callable[[str, str], str | None]] = {
    "kubectl": kubectl_skew,
    "helm": helm_skew,
}


class ToolsParams(BaseModel):
    """Which tools to look for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tools: list[Tool] = Field(default_factory=lambda: list(DEFAULT_TOOLS))


@step("tools.versions", params=ToolsParams, outputs={"installed", "missing", "skew"})
def versions(ctx: StepContext, params: ToolsParams) -> StepResult:
    """Local kubectl, flux and helm versions, and any skew beyond what each supports."""
    server = reads(ctx).server_version() if ctx.cluster_provider is not None else ""
    installed: dict[str, str] = {}
    missing: list[str] = []
    skew: list[str] = []
    notes: list[str] = []
    for tool in params.tools:
        found = execs.tool_version(tool)
        if found is None:
            missing.append(tool)
            continue
        installed[tool] = found
        rule = SKEW_RULES.get(tool)
        problem = rule(found, server) if rule is not None and server else None
        if tool == "flux" and ctx.cluster_provider is not None:
            flux_server = cluster_flux_version(ctx)
            problem = flux_skew(found, flux_server) if flux_server else None
            notes.append(
                f"cluster's Flux: {flux_server}"
                if flux_server
                else "cluster's Flux version unknown (no app.kubernetes.io/version label "
                f"on namespace {FLUX_NAMESPACE} or its Deployments)"
            )
        if problem:
            skew.append(problem)
    details = [f"{tool} {version}" for tool, version in installed.items()]
    details += [f"{tool}: not installed (optional; glmctl does not need it)" for tool in missing]
    details += notes
    details += skew
    if "flux" in installed:
        details.append("flux: run `flux check --pre` for Flux's own compatibility check")
    parts = [", ".join(f"{t} {v}" for t, v in installed.items())] if installed else []
    if missing:
        parts.append(f"not installed: {', '.join(missing)}")
    summary = "; ".join(parts) or "none installed"
    outputs = {"installed": installed, "missing": missing, "skew": skew}
    if skew:
        return StepResult.warning(
            f"version skew: {summary}",
            details=tuple(details),
            hint="Install a client version the cluster supports; glmctl itself is not "
            "affected, but commands shown in hints may misbehave.",
            command="kubectl version",
            outputs=outputs,
        )
    return StepResult.passed(summary, details=tuple(details), outputs=outputs)


VERSION_LABEL = "app.kubernetes.io/version"


def cluster_flux_version(ctx: StepContext) -> str:
    """The cluster's Flux release: the ``app.kubernetes.io/version`` label ``flux install``
    and bootstrap put on the ``flux-system`` namespace, else the newest on its Deployments
    labelled ``app.kubernetes.io/part-of=flux``; "" when neither says (or may be read)."""
    from glmctl.errors import GlmctlError

    shared = reads(ctx)
    try:
        namespace = shared.by_name(resources.NAMESPACE).get(FLUX_NAMESPACE) or {}
        version = ((namespace.get("metadata") or {}).get("labels") or {}).get(VERSION_LABEL)
        if version:
            return str(version)
        deployments = shared.objects(
            resources.DEPLOYMENT, FLUX_NAMESPACE, "app.kubernetes.io/part-of=flux"
        )
    except GlmctlError:
        return ""
    found = sorted(
        {
            str(label)
            for obj in deployments
            if (label := ((obj.get("metadata") or {}).get("labels") or {}).get(VERSION_LABEL))
        },
        key=lambda value: major_minor(value) or (0, 0),
    )
    return found[-1] if found else ""
