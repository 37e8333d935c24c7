"""Helm's release storage, as the simulator writes it: ``sh.helm.release.v1.NAME.vN`` Secrets.

Helm 3 stores each release revision in a Secret of type ``helm.sh/release.v1`` with labels
``owner=helm``, ``name``, ``status`` and ``version``. Its ``release`` value is
base64(gzip(JSON of the release)); the Kubernetes API base64-encodes Secret data once
more, so ``data.release`` as seen over the API is base64 twice. Both the scenario loader
(for releases a scenario says are already installed) and the HelmRelease controller (for
releases it installs) write them through this module, so they always agree.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from typing import Any

from glmctl.sim.contracts import Obj

HOOK_ANNOTATION = "helm.sh/hook"
INSTANCE_LABEL = "app.kubernetes.io/instance"


@dataclass(frozen=True)
class ReleaseCoordinates:
    """Where a HelmRelease's Helm release lives: its name and namespaces."""

    name: str
    namespace: str
    storage_namespace: str

    @classmethod
    def of(cls, helmrelease: Obj) -> ReleaseCoordinates:
        """Apply helm-controller's defaults: ``[targetNamespace-]name`` in the HR namespace."""
        meta, spec = helmrelease["metadata"], helmrelease.get("spec", {})
        target = spec.get("targetNamespace")
        default_name = f"{target}-{meta['name']}" if target else meta["name"]
        return cls(
            name=spec.get("releaseName") or default_name,
            namespace=target or meta["namespace"],
            storage_namespace=spec.get("storageNamespace") or meta["namespace"],
        )


@dataclass(frozen=True)
class HookRun:
    """One hook of a release and how its last run went (Helm's ``last_run``)."""

    name: str
    kind: str
    events: tuple[str, ...]
    weight: int
    phase: str
    started_at: str = ""
    completed_at: str = ""


def secret_name(release: str, version: int) -> str:
    """The storage Secret's name for one revision."""
    return f"sh.helm.release.v1.{release}.v{version}"


def release_secret(
    coordinates: ReleaseCoordinates,
    *,
    version: int,
    status: str,
    chart_name: str,
    chart_version: str,
    app_version: str,
    first_deployed: str,
    last_deployed: str,
    description: str,
    hooks: list[HookRun],
) -> Obj:
    """The storage Secret for one release revision, ready for ``store.create``."""
    release = {
        "name": coordinates.name,
        "namespace": coordinates.namespace,
        "version": version,
        "info": {
            "first_deployed": first_deployed,
            "last_deployed": last_deployed,
            "deleted": "",
            "description": description,
            "status": status,
        },
        "chart": {
            "metadata": {
                "apiVersion": "v2",
                "name": chart_name,
                "version": chart_version,
                "appVersion": app_version,
                "type": "application",
            },
            "templates": [],
            "values": {},
        },
        "config": {},
        "manifest": "",
        "hooks": [_hook_json(hook) for hook in hooks],
        "labels": {},
    }
    payload = base64.b64encode(gzip.compress(json.dumps(release).encode(), mtime=0))
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": secret_name(coordinates.name, version),
            "namespace": coordinates.storage_namespace,
            "labels": {
                "name": coordinates.name,
                "owner": "helm",
                "status": status,
                "version": str(version),
            },
        },
        "data": {"release": base64.b64encode(payload).decode()},
    }


def decode_release(secret: Obj) -> dict[str, Any]:
    """The release JSON inside a storage Secret as returned by the API (for tests and tools)."""
    helm_bytes = base64.b64decode(secret["data"]["release"])
    raw = base64.b64decode(helm_bytes)
    if raw[:3] == b"\x1f\x8b\x08":
        raw = gzip.decompress(raw)
    decoded: dict[str, Any] = json.loads(raw)
    return decoded


def hook_templates(objects: list[Obj], coordinates: ReleaseCoordinates) -> list[Obj]:
    """The release's hook Jobs among ``objects``: annotated hooks labelled with its instance."""
    return [
        obj
        for obj in objects
        if obj.get("kind") == "Job"
        and HOOK_ANNOTATION in obj.get("metadata", {}).get("annotations", {})
        and obj["metadata"].get("labels", {}).get(INSTANCE_LABEL) == coordinates.name
        and obj["metadata"].get("namespace") == coordinates.namespace
    ]


def hook_run_of(job: Obj, phase: str | None = None) -> HookRun:
    """A :class:`HookRun` for a hook Job, its phase read from the Job's conditions."""
    meta = job["metadata"]
    annotations = meta.get("annotations", {})
    status = job.get("status", {})
    if phase is None:
        phase = _job_phase(status)
    return HookRun(
        name=meta["name"],
        kind="Job",
        events=tuple(e.strip() for e in annotations.get(HOOK_ANNOTATION, "").split(",") if e),
        weight=int(annotations.get("helm.sh/hook-weight", "0") or 0),
        phase=phase,
        started_at=status.get("startTime", ""),
        completed_at=status.get("completionTime", ""),
    )


def derive_release_secrets(objects: list[Obj], pending: list[Obj]) -> list[Obj]:
    """Storage Secrets for every HelmRelease whose ``status.history`` records a release.

    Scenario files describe installed releases through the HelmRelease status, as Flux
    would show them; the Secrets Helm keeps follow from that, so they are not written by
    hand (they could not be: the payload is gzip).
    """
    existing = {
        (obj["metadata"].get("namespace"), obj["metadata"]["name"])
        for obj in objects
        if obj.get("kind") == "Secret"
    }
    derived: list[Obj] = []
    for helmrelease in (obj for obj in objects if obj.get("kind") == "HelmRelease"):
        coordinates = ReleaseCoordinates.of(helmrelease)
        hooks = hook_templates([*objects, *pending], coordinates)
        for snapshot in helmrelease.get("status", {}).get("history", []):
            version = int(snapshot["version"])
            name = secret_name(coordinates.name, version)
            if (coordinates.storage_namespace, name) in existing:
                continue
            deployed = snapshot.get("status") == "deployed"
            not_run = "Succeeded" if deployed else ""
            runs = [hook_run_of(job, None if job.get("status") else not_run) for job in hooks]
            derived.append(
                release_secret(
                    coordinates,
                    version=version,
                    status=str(snapshot.get("status", "deployed")),
                    chart_name=str(snapshot.get("chartName", "")),
                    chart_version=str(snapshot.get("chartVersion", "")),
                    app_version=str(snapshot.get("appVersion", "")),
                    first_deployed=str(snapshot.get("firstDeployed", "")),
                    last_deployed=str(snapshot.get("lastDeployed", "")),
                    description="Install complete" if deployed else _failed_description(snapshot),
                    hooks=runs,
                )
            )
    return derived


def _failed_description(snapshot: dict[str, Any]) -> str:
    return f"Release {snapshot.get('name', '')!r} failed: " + str(
        snapshot.get("description", "failed pre-install")
    )


def _job_phase(status: dict[str, Any]) -> str:
    for condition in status.get("conditions", []):
        if condition.get("status") != "True":
            continue
        if condition.get("type") == "Complete":
            return "Succeeded"
        if condition.get("type") == "Failed":
            return "Failed"
    return "Running" if status.get("active") else "Unknown"


def _hook_json(hook: HookRun) -> dict[str, Any]:
    return {
        "name": hook.name,
        "kind": hook.kind,
        "path": f"templates/hooks/{hook.name}.yaml",
        "manifest": "",
        "events": list(hook.events),
        "last_run": {
            "started_at": hook.started_at,
            "completed_at": hook.completed_at,
            "phase": hook.phase,
        },
        "weight": hook.weight,
        "delete_policies": ["before-hook-creation"],
    }
