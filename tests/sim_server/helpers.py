"""Manifests and a raw HTTPS client for the simulator's tests."""

from __future__ import annotations

import http.client
import json
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from glmctl.sim.contracts import Scenario
from glmctl.sim.runner import SimHandle

Obj = dict[str, Any]

FLUX_COLUMNS = [
    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    {
        "name": "Ready",
        "type": "string",
        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
    },
    {
        "name": "Status",
        "type": "string",
        "jsonPath": '.status.conditions[?(@.type=="Ready")].message',
    },
]


def crd(group: str, version: str, kind: str, plural: str, short: list[str]) -> Obj:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {
                "plural": plural,
                "singular": kind.lower(),
                "kind": kind,
                "listKind": f"{kind}List",
                "shortNames": short,
            },
            "versions": [
                {
                    "name": version,
                    "served": True,
                    "storage": True,
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": FLUX_COLUMNS,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }
            ],
        },
    }


HELMRELEASE_CRD = crd("helm.toolkit.fluxcd.io", "v2", "HelmRelease", "helmreleases", ["hr"])
KUSTOMIZATION_CRD = crd(
    "kustomize.toolkit.fluxcd.io", "v1", "Kustomization", "kustomizations", ["ks"]
)


def namespace(name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def helmrelease(name: str, ns: str = "flux-system", ready: str | None = None) -> Obj:
    obj: Obj = {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"interval": "5m", "chart": {"spec": {"chart": name}}},
    }
    if ready is not None:
        obj["status"] = {
            "observedGeneration": 1,
            "conditions": [
                {
                    "type": "Ready",
                    "status": ready,
                    "reason": "InstallSucceeded" if ready == "True" else "InstallFailed",
                    "message": "Helm install succeeded" if ready == "True" else "install failed",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                }
            ],
        }
    return obj


def pod(
    name: str,
    ns: str,
    labels: dict[str, str],
    phase: str = "Running",
    owner_job: str | None = None,
) -> Obj:
    ready = phase == "Running"
    meta: Obj = {"name": name, "namespace": ns, "labels": labels}
    if owner_job:
        meta["ownerReferences"] = [
            {"apiVersion": "batch/v1", "kind": "Job", "name": owner_job, "controller": True}
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "main", "image": "busybox:1.36"}]},
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [
                {
                    "name": "main",
                    "ready": ready,
                    "restartCount": 0,
                    "image": "busybox:1.36",
                    "imageID": "docker.io/library/busybox@sha256:" + "0" * 64,
                }
            ],
        },
    }


def job(name: str, ns: str, labels: dict[str, str]) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {
            "template": {
                "spec": {
                    "containers": [{"name": "main", "image": "busybox:1.36"}],
                    "restartPolicy": "Never",
                }
            }
        },
        "status": {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]},
    }


LIFECYCLE = {"app.kubernetes.io/name": "gitops-lifecycle-management"}
SA_USER = "system:serviceaccount:flux-system:gitops-lifecycle-management"


def service_reader_rbac() -> list[Obj]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "gitops-lifecycle-management", "namespace": "flux-system"},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "service-reader"},
            "rules": [{"apiGroups": [""], "resources": ["services"], "verbs": ["list", "watch"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "service-reader"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "service-reader",
            },
            "subjects": [
                {
                    "kind": "ServiceAccount",
                    "name": "gitops-lifecycle-management",
                    "namespace": "flux-system",
                }
            ],
        },
    ]


def small_cluster(*, rbac: bool = True) -> Scenario:
    """A few of everything the tests touch: Flux CRDs, a HelmRelease, pods, jobs, RBAC."""
    objects: list[Obj] = [
        HELMRELEASE_CRD,
        KUSTOMIZATION_CRD,
        namespace("flux-system"),
        namespace("authentik"),
        helmrelease("gitops-lifecycle-management", ready="True"),
        pod("connect-0", "flux-system", {"app.kubernetes.io/name": "onepassword-connect"}),
        pod("broken-1", "authentik", {"app": "outpost"}, phase="Failed"),
        job("database-init", "authentik", {**LIFECYCLE, "component": "database-init"}),
        pod("database-init-abcde", "authentik", LIFECYCLE, "Succeeded", "database-init"),
        job("token-setup", "flux-system", LIFECYCLE),
        pod("token-setup-xyz12", "flux-system", LIFECYCLE, "Succeeded", "token-setup"),
    ]
    if rbac:
        objects += service_reader_rbac()
    return Scenario(
        name="small",
        description="a few objects for the simulator's own tests",
        objects=objects,
        logs={
            "flux-system/connect-0": "connect started\nlistening on :8080\n",
            "authentik/database-init-abcde": "database created\n",
            "flux-system/token-setup-xyz12": "token stored\n",
        },
    )


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def connection(handle: SimHandle, timeout: float = 10) -> http.client.HTTPSConnection:
    context = ssl.create_default_context(cadata=handle.ca_pem.decode())
    url = urlsplit(handle.url)
    return http.client.HTTPSConnection(
        url.hostname or "127.0.0.1", url.port, context=context, timeout=timeout
    )


def api(
    handle: SimHandle,
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Response:
    """One request with the admin token (or ``token``); JSON in, raw bytes out."""
    conn = connection(handle)
    try:
        sent = {"Authorization": f"Bearer {token or handle.token}", **(headers or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = content_type
        conn.request(method, path, body=payload, headers=sent)
        resp = conn.getresponse()
        return Response(resp.status, dict(resp.getheaders()), resp.read())
    finally:
        conn.close()
