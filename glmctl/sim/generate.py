"""A big healthy cluster for benchmarks: the guide's objects plus N of each kind.

Deterministic: the same counts give the same objects (only timestamps follow the clock).
The extra Kustomizations and HelmReleases are Ready and depend on nothing, the pods run,
so the controllers have nothing to do and the benchmark measures the API path.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from glmctl.sim.contracts import Obj, Scenario
from glmctl.sim.helm_storage import derive_release_secrets
from glmctl.sim.scenario import format_timestamp, load_scenario

PODS_PER_NAMESPACE = 500
REVISION = "main@sha1:7c4e2b9d0a1f3e5c6b8d9a0e1f2c3d4b5a697887"


def generate_scenario(kustomizations: int, helmreleases: int, pods: int) -> Scenario:
    """The healthy scenario plus ``kustomizations``, ``helmreleases`` and ``pods`` more."""
    if min(kustomizations, helmreleases, pods) < 0:
        raise ValueError("counts must not be negative")
    base = load_scenario("healthy")
    since = format_timestamp(datetime.now(UTC) - timedelta(hours=1))
    namespaces = max(1, -(-pods // PODS_PER_NAMESPACE))
    extra: list[Obj] = [_namespace(f"bench-{n:02d}") for n in range(namespaces)]
    extra += [_kustomization(i, since) for i in range(kustomizations)]
    releases = [_helmrelease(i, since) for i in range(helmreleases)]
    extra += releases
    extra += derive_release_secrets(releases, [])
    extra += [_pod(i, since) for i in range(pods)]
    objects = [*base.objects, *extra]
    description = (
        f"The healthy cluster plus {kustomizations} Kustomizations, "
        f"{helmreleases} HelmReleases and {pods} pods."
    )
    return replace(base, name="generated", description=description, objects=objects)


def _namespace(name: str) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
    }


def _ready(reason: str, message: str, since: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "Ready",
            "status": "True",
            "reason": reason,
            "message": message,
            "observedGeneration": 1,
            "lastTransitionTime": since,
        }
    ]


def _kustomization(index: int, since: str) -> Obj:
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": f"bench-app-{index:04d}", "namespace": "flux-system"},
        "spec": {
            "interval": "1h0m0s",
            "path": f"./apps/bench-app-{index:04d}",
            "prune": True,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        },
        "status": {
            "observedGeneration": 1,
            "lastAppliedRevision": REVISION,
            "lastAttemptedRevision": REVISION,
            "conditions": _ready("ReconciliationSucceeded", f"Applied revision: {REVISION}", since),
        },
    }


def _helmrelease(index: int, since: str) -> Obj:
    name = f"bench-release-{index:03d}"
    message = f"Helm install succeeded for release bench-00/{name}.v1 with chart bench-chart@1.2.3"
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": "bench-00"},
        "spec": {
            "interval": "1h0m0s",
            "chart": {
                "spec": {
                    "chart": "bench-chart",
                    "version": "1.2.3",
                    "sourceRef": {
                        "kind": "HelmRepository",
                        "name": "bench",
                        "namespace": "flux-system",
                    },
                }
            },
        },
        "status": {
            "observedGeneration": 1,
            "lastAttemptedGeneration": 1,
            "lastAttemptedRevision": "1.2.3",
            "lastAttemptedReleaseAction": "install",
            "storageNamespace": "bench-00",
            "history": [
                {
                    "name": name,
                    "namespace": "bench-00",
                    "version": 1,
                    "status": "deployed",
                    "chartName": "bench-chart",
                    "chartVersion": "1.2.3",
                    "appVersion": "1.2.3",
                    "firstDeployed": since,
                    "lastDeployed": since,
                }
            ],
            "conditions": [
                *_ready("InstallSucceeded", message, since),
                {**_ready("InstallSucceeded", message, since)[0], "type": "Released"},
            ],
        },
    }


def _pod(index: int, since: str) -> Obj:
    app = f"bench-app-{index % 50:02d}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{app}-{index:05d}",
            "namespace": f"bench-{index // PODS_PER_NAMESPACE:02d}",
            "labels": {"app.kubernetes.io/name": app},
        },
        "spec": {
            "nodeName": f"talos-worker-{index % 3 + 1}",
            "containers": [{"name": "app", "image": "ghcr.io/home-ops/bench-app:1.2.3"}],
        },
        "status": {
            "phase": "Running",
            "startTime": since,
            "podIP": f"10.244.{index // 250 % 256}.{index % 250 + 2}",
            "conditions": [
                {"type": kind, "status": "True", "lastTransitionTime": since}
                for kind in ("PodScheduled", "Initialized", "ContainersReady", "Ready")
            ],
            "containerStatuses": [
                {
                    "name": "app",
                    "image": "ghcr.io/home-ops/bench-app:1.2.3",
                    "ready": True,
                    "started": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": since}},
                }
            ],
        },
    }
