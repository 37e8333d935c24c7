"""The table of requests: each case runs one request (the real kubectl or the ``kubernetes``
client) against an engine and observes the status code (or exit code) and the fields
glmctl and kubectl read. ``expect`` is what Kubernetes 1.36 answers, whatever the engine.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.differential.engine import Engine
from tests.polling import wait_for

Observed = dict[str, Any]


@dataclass(frozen=True)
class Case:
    id: str
    request: str  # shown in the table; NS stands for the case's namespace
    run: Callable[[Engine, str], Observed]
    expect: Observed
    sim_gap: str = ""  # why the simulator still differs (docs/simulator.md lists it)
    real_gap: str = ""  # why a young real cluster answers otherwise (docs/real-cluster.md)


def _kubectl(engine: Engine, *args: str, stdin: str = "") -> Observed:
    code, out, err = engine.kubectl(*args, stdin=stdin)
    return {"exit": code, "out": out, "err": err}


def _exit(engine: Engine, *args: str) -> Observed:
    done = _kubectl(engine, *args)
    return {"exit": done["exit"]}


def _cm(name: str, ns: str, data: dict[str, str], labels: dict[str, str] | None = None) -> Any:
    meta: dict[str, Any] = {"name": name, "namespace": ns}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


# --- health and discovery ----------------------------------------------------------------


def health(path: str) -> Callable[[Engine, str], Observed]:
    def run(engine: Engine, ns: str) -> Observed:
        done = _kubectl(engine, "get", "--raw", path)
        return {"exit": done["exit"], "body": done["out"].strip()}

    return run


def explain_pod(engine: Engine, ns: str) -> Observed:
    done = _kubectl(engine, "explain", "pods.spec.containers.image")
    return {"exit": done["exit"], "mentions image": "image" in done["out"].lower()}


WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.diff.glmctl.io"},
    "spec": {
        "group": "diff.glmctl.io",
        "scope": "Namespaced",
        "names": {
            "plural": "widgets",
            "singular": "widget",
            "kind": "Widget",
            "listKind": "WidgetList",
        },
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {
                                    "size": {
                                        "type": "integer",
                                        "description": "How big the widget is.",
                                    }
                                },
                            }
                        },
                    }
                },
            }
        ],
    },
}


def explain_crd(engine: Engine, ns: str) -> Observed:
    engine.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", WIDGET_CRD)
    try:
        _kubectl(
            engine,
            "wait",
            "--for=condition=established",
            "crd/widgets.diff.glmctl.io",
            "--timeout=30s",
        )
        done = wait_for(
            lambda: (d := _kubectl(engine, "explain", "widgets.spec.size"))["exit"] == 0 and d,
            timeout=30,
            what="the CRD's schema published",
        )
    except AssertionError:
        done = _kubectl(engine, "explain", "widgets.spec.size")
    finally:
        engine.request(
            "DELETE",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.diff.glmctl.io",
        )
    return {"exit": done["exit"], "describes size": "How big the widget is." in done["out"]}


def openapi_v2(engine: Engine, ns: str) -> Observed:
    reply = engine.request("GET", "/openapi/v2")
    return {"code": reply.code}


def events_k8s_io(engine: Engine, ns: str) -> Observed:
    return _exit(engine, "get", "events.v1.events.k8s.io", "-n", ns)


def can_i_list(engine: Engine, ns: str) -> Observed:
    done = _kubectl(engine, "auth", "can-i", "--list", "-n", ns)
    return {"exit": done["exit"], "header": done["out"].split("\n", 1)[0].split()[:1]}


# --- typed create generators (protobuf bodies) ---------------------------------------------


def create(*args: str) -> Callable[[Engine, str], Observed]:
    def run(engine: Engine, ns: str) -> Observed:
        done = _kubectl(engine, "create", *args, "-n", ns)
        return {"exit": done["exit"]}

    return run


def create_secret_read_back(engine: Engine, ns: str) -> Observed:
    done = _kubectl(engine, "create", "secret", "generic", "s1", "--from-literal=k=v", "-n", ns)
    reply = engine.request("GET", f"/api/v1/namespaces/{ns}/secrets/s1")
    data = (reply.body or {}).get("data") or {}
    return {"exit": done["exit"], "data.k": data.get("k")}


def create_namespace(engine: Engine, ns: str) -> Observed:
    done = _kubectl(engine, "create", "namespace", f"{ns}-extra")
    engine.request("DELETE", f"/api/v1/namespaces/{ns}-extra")
    return {"exit": done["exit"]}


# --- writes through the Python client -------------------------------------------------------


def string_data(engine: Engine, ns: str) -> Observed:
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "sd"},
        "stringData": {"password": "hunter2"},
    }
    created = engine.request("POST", f"/api/v1/namespaces/{ns}/secrets", body)
    read = engine.request("GET", f"/api/v1/namespaces/{ns}/secrets/sd").body or {}
    return {
        "code": created.code,
        "data.password": (read.get("data") or {}).get("password"),
        "stringData returned": "stringData" in (created.body or {}) or "stringData" in read,
    }


def string_data_patch(engine: Engine, ns: str) -> Observed:
    body = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sp"}, "data": {}}
    engine.request("POST", f"/api/v1/namespaces/{ns}/secrets", body)
    patched = engine.request(
        "PATCH",
        f"/api/v1/namespaces/{ns}/secrets/sp",
        {"stringData": {"a": "b"}},
        content_type="application/merge-patch+json",
    )
    data = (patched.body or {}).get("data") or {}
    return {
        "code": patched.code,
        "data.a": data.get("a"),
        "stringData returned": "stringData" in (patched.body or {}),
    }


def dry_run_server(engine: Engine, ns: str) -> Observed:
    done = _kubectl(engine, "create", "configmap", "dry", "--dry-run=server", "-n", ns)
    after = engine.request("GET", f"/api/v1/namespaces/{ns}/configmaps/dry")
    return {"exit": done["exit"], "then GET": after.code}


def delete_precondition(engine: Engine, ns: str) -> Observed:
    engine.request("POST", f"/api/v1/namespaces/{ns}/configmaps", _cm("pre", ns, {"a": "1"}))
    reply = engine.request(
        "DELETE",
        f"/api/v1/namespaces/{ns}/configmaps/pre",
        {"preconditions": {"uid": "00000000-0000-0000-0000-000000000000"}},
    )
    return {"code": reply.code, "reason": (reply.body or {}).get("reason")}


def pagination(engine: Engine, ns: str) -> Observed:
    for i in range(3):
        engine.request(
            "POST",
            f"/api/v1/namespaces/{ns}/configmaps",
            _cm(f"page-{i}", ns, {"i": str(i)}, {"diff": "page"}),
        )
    first = engine.request(
        "GET",
        f"/api/v1/namespaces/{ns}/configmaps",
        query={"limit": "2", "labelSelector": "diff=page"},
    ).body
    token = first["metadata"].get("continue", "")
    second = engine.request(
        "GET",
        f"/api/v1/namespaces/{ns}/configmaps",
        query={"limit": "2", "labelSelector": "diff=page", "continue": token},
    ).body
    chunked = _kubectl(
        engine, "get", "cm", "-n", ns, "-l", "diff=page", "--chunk-size=1", "-o", "name"
    )
    return {
        "first page": len(first["items"]),
        "continue set": bool(token),
        "second page": len(second["items"]),
        "kubectl --chunk-size=1": len(chunked["out"].split()),
    }


def field_selector_cr_name(engine: Engine, ns: str) -> Observed:
    return _exit(engine, "get", "kustomizations", "-A", "--field-selector", "metadata.name=x")


def field_selector_cr_spec(engine: Engine, ns: str) -> Observed:
    reply = engine.request(
        "GET",
        "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations",
        query={"fieldSelector": "spec.path=x"},
    )
    return {"code": reply.code, "reason": (reply.body or {}).get("reason")}


def watch_too_old(engine: Engine, ns: str) -> Observed:
    reply = engine.request(
        "GET",
        f"/api/v1/namespaces/{ns}/configmaps",
        query={"watch": "1", "resourceVersion": "1", "timeoutSeconds": "2"},
    )
    first = json.loads(reply.text.splitlines()[0]) if reply.text.strip() else {}
    obj = first.get("object") or {}
    return {"code": reply.code, "event": first.get("type"), "event code": obj.get("code")}


def list_item_types(engine: Engine, ns: str) -> Observed:
    """Items of a built-in list carry no apiVersion/kind; a custom resource's do (glmctl's
    redeploy crashed on the real engine when it assumed otherwise)."""
    engine.request("POST", f"/api/v1/namespaces/{ns}/configmaps", _cm("typed", ns, {"a": "1"}))
    builtin = (engine.request("GET", f"/api/v1/namespaces/{ns}/configmaps").body or {}).get(
        "items"
    ) or [{}]
    custom = (
        engine.request("GET", "/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations").body or {}
    ).get("items") or [{}]
    return {
        "configmap item kind": builtin[0].get("kind"),
        "kustomization item kind": custom[0].get("kind"),
    }


def binding_wide_columns(engine: Engine, ns: str) -> Observed:
    """``kubectl get rolebinding -o wide``: the columns glmctl's RBAC hint greps."""
    done = _kubectl(
        engine,
        "create",
        "rolebinding",
        "reader",
        "--clusterrole=view",
        f"--serviceaccount={ns}:reader",
        "-n",
        ns,
    )
    table = _kubectl(engine, "get", "rolebinding", "reader", "-n", ns, "-o", "wide")
    lines = table["out"].splitlines()
    return {
        "exit": (done["exit"], table["exit"]),
        "columns": lines[0].split() if lines else [],
        "role": lines[1].split()[1] if len(lines) > 1 else None,
        "service accounts": lines[1].split()[-1].replace(ns, "NS") if len(lines) > 1 else None,
    }


def list_fault_free(engine: Engine, ns: str) -> Observed:
    reply = engine.request("GET", f"/api/v1/namespaces/{ns}/configmaps/absent")
    return {"code": reply.code, "reason": (reply.body or {}).get("reason")}


# --- server-side apply ------------------------------------------------------------------


def _cm_yaml(ns: str, value: str) -> str:
    return json.dumps(_cm("ssa", ns, {"key": value}))


def ssa_create(engine: Engine, ns: str) -> Observed:
    done = _kubectl(engine, "apply", "--server-side", "-f", "-", stdin=_cm_yaml(ns, "one"))
    read = engine.request("GET", f"/api/v1/namespaces/{ns}/configmaps/ssa").body or {}
    managers = (
        [
            (m.get("manager"), m.get("operation"))
            for m in read["metadata"].get("managedFields") or []
        ]
        if read
        else []
    )
    return {
        "exit": done["exit"],
        "managers": managers,
        "data.key": (read.get("data") or {}).get("key"),
    }


def ssa_conflict(engine: Engine, ns: str) -> Observed:
    _kubectl(
        engine,
        "apply",
        "--server-side",
        "--field-manager=alice",
        "-f",
        "-",
        stdin=_cm_yaml(ns, "a"),
    )
    done = _kubectl(
        engine, "apply", "--server-side", "--field-manager=bob", "-f", "-", stdin=_cm_yaml(ns, "b")
    )
    forced = _kubectl(
        engine,
        "apply",
        "--server-side",
        "--field-manager=bob",
        "--force-conflicts",
        "-f",
        "-",
        stdin=_cm_yaml(ns, "b"),
    )
    return {
        "exit": done["exit"],
        "says conflict": "conflict" in done["err"].lower(),
        "forced exit": forced["exit"],
    }


# --- controllers: workloads, namespaces ---------------------------------------------------


def deployment_owns_replicaset(engine: Engine, ns: str) -> Observed:
    _kubectl(engine, "create", "deployment", "web", "--image=nginx", "--replicas=2", "-n", ns)

    def replica_sets() -> list[Any]:
        body = engine.request("GET", f"/apis/apps/v1/namespaces/{ns}/replicasets").body or {}
        return [
            rs
            for rs in body.get("items") or []
            if any(
                o.get("kind") == "Deployment" for o in rs["metadata"].get("ownerReferences") or []
            )
        ]

    def pods() -> list[Any]:
        body = engine.request("GET", f"/api/v1/namespaces/{ns}/pods").body or {}
        return [
            p
            for p in body.get("items") or []
            if any(
                o.get("kind") == "ReplicaSet" for o in p["metadata"].get("ownerReferences") or []
            )
        ]

    try:
        found = len(wait_for(replica_sets, timeout=10, what="a ReplicaSet"))
        owned_pods = len(wait_for(lambda: len(pods()) >= 2 and pods(), timeout=10, what="pods"))
    except AssertionError:
        found, owned_pods = len(replica_sets()), len(pods())
    return {"replicasets": found, "pods owned by it": owned_pods}


def job_pod_labels(engine: Engine, ns: str) -> Observed:
    _kubectl(engine, "create", "job", "hello", "--image=busybox", "-n", ns, "--", "echo", "hi")

    def pods() -> list[Any]:
        body = (
            engine.request(
                "GET", f"/api/v1/namespaces/{ns}/pods", query={"labelSelector": "job-name=hello"}
            ).body
            or {}
        )
        return list(body.get("items") or [])

    try:
        found = wait_for(pods, timeout=10, what="the Job's pod")
    except AssertionError:
        return {"labels": []}
    labels = found[0]["metadata"].get("labels") or {}
    return {
        "labels": sorted(
            k
            for k in labels
            if k
            in (
                "batch.kubernetes.io/controller-uid",
                "batch.kubernetes.io/job-name",
                "controller-uid",
                "job-name",
            )
        )
    }


def namespace_terminating(engine: Engine, ns: str) -> Observed:
    name = f"{ns}-gone"
    engine.request(
        "POST",
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
    )
    engine.request("POST", f"/api/v1/namespaces/{name}/configmaps", _cm("c", name, {"a": "1"}))
    reply = engine.request("DELETE", f"/api/v1/namespaces/{name}")
    body = reply.body or {}
    return {
        "code": reply.code,
        "kind": body.get("kind"),
        "phase": (body.get("status") or {}).get("phase")
        if body.get("kind") == "Namespace"
        else None,
    }


def service_proxy(engine: Engine, ns: str) -> Observed:
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "empty"},
        "spec": {"selector": {"app": "nothing"}, "ports": [{"port": 80}]},
    }
    engine.request("POST", f"/api/v1/namespaces/{ns}/services", svc)
    seen: list[int] = []

    def settled() -> int | None:
        # a real API server finds a new Service through its informer: 404 for a moment
        seen.append(engine.request("GET", f"/api/v1/namespaces/{ns}/services/empty:80/proxy/").code)
        return seen[-1] if seen[-1] != 404 else None

    try:
        return {"code": wait_for(settled, timeout=10, what="the Service to be known")}
    except AssertionError:
        return {"code": seen[-1]}


def rollout_restart(engine: Engine, ns: str) -> Observed:
    _kubectl(engine, "create", "deployment", "roll", "--image=nginx", "-n", ns)
    first = _kubectl(engine, "rollout", "status", "deployment/roll", "-n", ns, "--timeout=60s")
    restart = _kubectl(engine, "rollout", "restart", "deployment/roll", "-n", ns)
    after = _kubectl(engine, "rollout", "status", "deployment/roll", "-n", ns, "--timeout=60s")
    return {
        "status exit": first["exit"],
        "restart exit": restart["exit"],
        "status after restart": after["exit"],
        "says rolled out": "successfully rolled out" in after["out"],
    }


def deleted_pod_comes_back(engine: Engine, ns: str) -> Observed:
    _kubectl(engine, "create", "deployment", "back", "--image=nginx", "-n", ns)

    def names() -> list[str]:
        done = _kubectl(engine, "get", "pods", "-n", ns, "-l", "app=back", "-o", "name")
        return sorted(done["out"].split())

    try:
        before = wait_for(names, timeout=30, what="the Deployment's pod")
        _kubectl(engine, "delete", before[0], "-n", ns, "--wait=false")
        after = wait_for(
            lambda: (n := names()) and before[0] not in n and n, timeout=30, what="a new pod"
        )
    except AssertionError:
        return {"pods after delete": len(names())}
    return {"pods after delete": len(after)}


def wait_jsonpath(engine: Engine, ns: str) -> Observed:
    engine.request("POST", f"/api/v1/namespaces/{ns}/configmaps", _cm("w", ns, {"a": "1"}))
    return _exit(engine, "wait", "--for=jsonpath={.data.a}=1", "cm/w", "-n", ns, "--timeout=10s")


def apply_client_side(engine: Engine, ns: str) -> Observed:
    manifest = json.dumps(_cm("csa", ns, {"a": "1"}))
    first = _kubectl(engine, "apply", "-f", "-", stdin=manifest)
    second = _kubectl(engine, "apply", "-f", "-", stdin=manifest.replace('"1"', '"2"'))
    read = engine.request("GET", f"/api/v1/namespaces/{ns}/configmaps/csa").body or {}
    annotations = (read.get("metadata") or {}).get("annotations") or {}
    return {
        "exits": [first["exit"], second["exit"]],
        "data.a": (read.get("data") or {}).get("a"),
        "last-applied kept": "kubectl.kubernetes.io/last-applied-configuration" in annotations,
    }


def ssa_dry_run(engine: Engine, ns: str) -> Observed:
    manifest = json.dumps(_cm("ssa-dry", ns, {"a": "1"}))
    done = _kubectl(engine, "apply", "--server-side", "--dry-run=server", "-f", "-", stdin=manifest)
    after = engine.request("GET", f"/api/v1/namespaces/{ns}/configmaps/ssa-dry")
    return {"exit": done["exit"], "then GET": after.code}


def can_i(engine: Engine, ns: str) -> Observed:
    done = _kubectl(engine, "auth", "can-i", "create", "pods", "-n", ns)
    return {"exit": done["exit"], "answer": done["out"].strip()}


def field_selector_cr_namespace(engine: Engine, ns: str) -> Observed:
    return _exit(
        engine, "get", "kustomizations", "-A", "--field-selector", f"metadata.namespace={ns}"
    )


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


CASES: list[Case] = [
    Case("readyz", "kubectl get --raw /readyz", health("/readyz"), {"exit": 0, "body": "ok"}),
    Case("livez", "kubectl get --raw /livez", health("/livez"), {"exit": 0, "body": "ok"}),
    Case("healthz", "kubectl get --raw /healthz", health("/healthz"), {"exit": 0, "body": "ok"}),
    Case("create-ns", "kubectl create namespace NS-extra", create_namespace, {"exit": 0}),
    Case(
        "create-sa", "kubectl create sa robot -n NS", create("serviceaccount", "robot"), {"exit": 0}
    ),
    Case(
        "create-secret",
        "kubectl create secret generic s1 --from-literal=k=v -n NS",
        create_secret_read_back,
        {"exit": 0, "data.k": b64("v")},
    ),
    Case(
        "create-job",
        "kubectl create job j1 --image=busybox -n NS",
        create("job", "j1", "--image=busybox"),
        {"exit": 0},
    ),
    Case(
        "create-deploy",
        "kubectl create deployment d1 --image=nginx -n NS",
        create("deployment", "d1", "--image=nginx"),
        {"exit": 0},
    ),
    Case(
        "ssa-create",
        "kubectl apply --server-side -f cm.yaml",
        ssa_create,
        {"exit": 0, "managers": [("kubectl", "Apply")], "data.key": "one"},
    ),
    Case(
        "ssa-conflict",
        "kubectl apply --server-side --field-manager=bob (alice owns .data.key)",
        ssa_conflict,
        {"exit": 1, "says conflict": True, "forced exit": 0},
    ),
    Case(
        "explain-builtin",
        "kubectl explain pods.spec.containers.image",
        explain_pod,
        {"exit": 0, "mentions image": True},
    ),
    Case(
        "explain-crd",
        "kubectl explain widgets.spec.size (a CRD with a schema)",
        explain_crd,
        {"exit": 0, "describes size": True},
    ),
    Case("openapi-v2", "GET /openapi/v2", openapi_v2, {"code": 200}),
    Case(
        "events-k8s-io",
        "kubectl get events.v1.events.k8s.io -n NS",
        events_k8s_io,
        {"exit": 0},
    ),
    Case(
        "can-i-list",
        "kubectl auth can-i --list -n NS",
        can_i_list,
        {"exit": 0, "header": ["Resources"]},
    ),
    Case(
        "secret-stringdata",
        "POST secret with stringData, then GET",
        string_data,
        {"code": 201, "data.password": b64("hunter2"), "stringData returned": False},
    ),
    Case(
        "secret-stringdata-patch",
        "PATCH (merge) secret with stringData",
        string_data_patch,
        {"code": 200, "data.a": b64("b"), "stringData returned": False},
    ),
    Case(
        "dry-run-server",
        "kubectl create cm dry --dry-run=server, then GET",
        dry_run_server,
        {"exit": 0, "then GET": 404},
    ),
    Case(
        "delete-precondition",
        "DELETE cm with a wrong uid precondition",
        delete_precondition,
        {"code": 409, "reason": "Conflict"},
    ),
    Case(
        "pagination",
        "GET configmaps?limit=2 then continue; kubectl --chunk-size=1",
        pagination,
        {"first page": 2, "continue set": True, "second page": 1, "kubectl --chunk-size=1": 3},
    ),
    Case(
        "fieldselector-cr-name",
        "kubectl get kustomizations -A --field-selector metadata.name=x",
        field_selector_cr_name,
        {"exit": 0},
    ),
    Case(
        "fieldselector-cr-spec",
        "GET kustomizations?fieldSelector=spec.path=x",
        field_selector_cr_spec,
        {"code": 400, "reason": "BadRequest"},
    ),
    Case(
        "watch-410",
        "GET configmaps?watch=1&resourceVersion=1",
        watch_too_old,
        {"code": 200, "event": "ERROR", "event code": 410},
        real_gap="a fresh kube-apiserver 1.36 still serves a watch from resourceVersion 1 "
        "(its history is all there); 410 needs history that is gone, which the simulator "
        "models with a bounded event log",
    ),
    Case("get-404", "GET configmaps/absent", list_fault_free, {"code": 404, "reason": "NotFound"}),
    Case(
        "list-item-types",
        "GET configmaps (built-in) and kustomizations (CRD): the items' kind",
        list_item_types,
        {"configmap item kind": None, "kustomization item kind": "Kustomization"},
    ),
    Case(
        "binding-wide",
        "kubectl create rolebinding reader --clusterrole=view --serviceaccount=NS:reader; "
        "get -o wide",
        binding_wide_columns,
        {
            "exit": (0, 0),
            "columns": ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"],
            "role": "ClusterRole/view",
            "service accounts": "NS/reader",
        },
    ),
    Case(
        "deploy-rs-pods",
        "kubectl create deployment web --replicas=2; Deployment owns ReplicaSet owns Pods",
        deployment_owns_replicaset,
        {"replicasets": 1, "pods owned by it": 2},
    ),
    Case(
        "job-pod-labels",
        "kubectl create job hello; its pod's labels",
        job_pod_labels,
        {
            "labels": [
                "batch.kubernetes.io/controller-uid",
                "batch.kubernetes.io/job-name",
                "controller-uid",
                "job-name",
            ]
        },
    ),
    Case(
        "delete-ns",
        "DELETE namespace with content",
        namespace_terminating,
        {"code": 200, "kind": "Namespace", "phase": "Terminating"},
    ),
    Case(
        "service-proxy",
        "GET services/empty:80/proxy/ (no endpoints)",
        service_proxy,
        {"code": 503},
    ),
    Case(
        "rollout-restart",
        "kubectl rollout status; rollout restart; rollout status",
        rollout_restart,
        {"status exit": 0, "restart exit": 0, "status after restart": 0, "says rolled out": True},
    ),
    Case(
        "pod-comes-back",
        "kubectl delete pod (of a Deployment); a new pod replaces it",
        deleted_pod_comes_back,
        {"pods after delete": 1},
    ),
    Case(
        "wait-jsonpath", "kubectl wait --for=jsonpath={.data.a}=1 cm/w", wait_jsonpath, {"exit": 0}
    ),
    Case(
        "apply-client-side",
        "kubectl apply -f cm.yaml twice (client-side)",
        apply_client_side,
        {"exits": [0, 0], "data.a": "2", "last-applied kept": True},
    ),
    Case(
        "ssa-dry-run",
        "kubectl apply --server-side --dry-run=server, then GET",
        ssa_dry_run,
        {"exit": 0, "then GET": 404},
    ),
    Case(
        "can-i", "kubectl auth can-i create pods -n NS (admin)", can_i, {"exit": 0, "answer": "yes"}
    ),
    Case(
        "fieldselector-cr-namespace",
        "kubectl get kustomizations -A --field-selector metadata.namespace=NS",
        field_selector_cr_namespace,
        {"exit": 0},
    ),
]
