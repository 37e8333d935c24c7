"""A simulated kubelet for the real control plane: it schedules, runs and ends pods
through the API, and serves their logs to the API server as a kubelet does.

There is no container runtime here, so a pod's fate comes from the scenario: a Job's pod
runs for the ``jobs`` behaviour's ``delay`` and ends as its ``outcome`` says, with its
``log``; every other pod runs. Everything else is real: the Job controller in the real
kube-controller-manager makes the pods and turns their ends into Job conditions, the
Deployment and ReplicaSet controllers make and replace theirs, and ``kubectl logs``
reaches these logs through the API server's node proxy.
"""

from __future__ import annotations

import copy
import http.server
import logging
import threading
import urllib.parse
from datetime import datetime
from typing import Any

from glmctl.realcluster.api_store import ApiStore
from glmctl.sim.contracts import Obj
from glmctl.sim.controllers.base import Scanner, World
from glmctl.sim.controllers.workloads import finished_pod_status, running_pod_status
from glmctl.sim.kubeconfig import self_signed_cert
from glmctl.sim.scenario import format_timestamp, parse_duration
from glmctl.sim.store import ApiError

log = logging.getLogger(__name__)

NODE = "glmctl-node"
_JOB_NAME_LABELS = ("batch.kubernetes.io/job-name", "job-name")


def node_manifest(name: str) -> Obj:
    """A node object; :func:`node_status` makes it Ready and points at this kubelet."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"},
        },
    }


def node_status(port: int, now: datetime) -> Obj:
    stamp = format_timestamp(now)
    capacity = {"cpu": "16", "memory": "64Gi", "pods": "500", "ephemeral-storage": "100Gi"}
    return {
        "capacity": capacity,
        "allocatable": capacity,
        "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": port}},
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "message": "glmctl simulated kubelet is posting ready status",
                "lastHeartbeatTime": stamp,
                "lastTransitionTime": stamp,
            }
        ],
        "nodeInfo": {
            "kubeletVersion": "glmctl-sim",
            "containerRuntimeVersion": "glmctl-sim://0",
            "operatingSystem": "linux",
            "architecture": "amd64",
            "osImage": "glmctl simulated node",
            "kernelVersion": "",
            "kubeProxyVersion": "",
            "machineID": "",
            "systemUUID": "",
            "bootID": "",
        },
    }


class Kubelet(Scanner):
    """Scheduler and kubelet in one: a throttled scanner like the simulated controllers."""

    def __init__(
        self,
        world: World,
        store: ApiStore,
        extra_nodes: set[str],
        templates: dict[tuple[str, str], list[tuple[Obj, str | None]]],
    ) -> None:
        super().__init__(world)
        self.store = store
        self.nodes = {NODE, *extra_nodes}
        self.templates = templates
        self._template_turn: dict[tuple[str, str], int] = {}
        self._started: dict[str, datetime] = {}
        self._server = _LogServer(store)

    @property
    def port(self) -> int:
        return self._server.port

    def start(self) -> None:
        self._server.start()
        now = self.store.now()
        for name in sorted(self.nodes):
            node = self.store.get("", "nodes", None, name)
            if node is None:
                self.store.create(node_manifest(name))
            self.store.patch_status("", "nodes", None, name, node_status(self.port, now))

    def stop(self) -> None:
        self._server.stop()

    def scan(self, store: ApiStore) -> None:  # type: ignore[override]
        now = store.now()
        jobs: dict[tuple[str, str], Obj | None] = {}
        for pod in store.list("", "pods"):
            try:
                self._reconcile(store, pod, jobs, now)
            except ApiError as error:  # raced with the job controller: next tick
                log.debug("kubelet: pod %s: %s", pod["metadata"]["name"], error.message)

    def _reconcile(
        self, store: ApiStore, pod: Obj, jobs: dict[tuple[str, str], Obj | None], now: datetime
    ) -> None:
        meta, spec = pod["metadata"], pod.get("spec") or {}
        if meta.get("deletionTimestamp"):
            self._confirm_deletion(store, pod)
            return
        node = spec.get("nodeName")
        if not node:
            self._bind(store, pod)
            return
        if node not in self.nodes:
            return
        phase = (pod.get("status") or {}).get("phase")
        if phase in ("Succeeded", "Failed"):
            return
        job = self._job_of(store, pod, jobs)
        if phase != "Running":
            self._write_status(store, pod, self._start_status(store, pod, now))
            self._started[meta["uid"]] = now
            return
        if job is None:
            return
        behaviour = self.world.behaviour("jobs", job)
        outcome = str(behaviour.get("outcome", "Complete"))
        if outcome == "Running":
            return
        started = self._started.setdefault(meta["uid"], now)
        delay = self.world.scaled(parse_duration(behaviour.get("delay", 2.0)))
        if now < started + delay:
            return
        succeeded = outcome == "Complete"
        text = behaviour.get("log")
        if text is None:
            text = "job completed\n" if succeeded else "Error: job failed\n"
        store.set_pod_log(meta["namespace"], meta["name"], str(text))
        self._write_status(store, pod, finished_pod_status(pod, succeeded, format_timestamp(now)))

    def _start_status(self, store: ApiStore, pod: Obj, now: datetime) -> Obj:
        """Running; or, for a Deployment's pod, how the scenario says its pods fare."""
        meta = pod["metadata"]
        owner = next(
            (r["name"] for r in meta.get("ownerReferences") or [] if r.get("kind") == "ReplicaSet"),
            None,
        )
        key = (meta["namespace"], owner.rsplit("-", 1)[0]) if owner else None
        choices = self.templates.get(key) if key else None
        if not choices or key is None:
            return running_pod_status(pod, now)
        turn = self._template_turn.get(key, 0)
        self._template_turn[key] = turn + 1
        template, text = choices[turn % len(choices)]
        if text is not None:
            store.set_pod_log(meta["namespace"], meta["name"], text)
        status: Obj = copy.deepcopy(template.get("status") or running_pod_status(pod, now))
        return status

    def _job_of(
        self, store: ApiStore, pod: Obj, jobs: dict[tuple[str, str], Obj | None]
    ) -> Obj | None:
        labels = pod["metadata"].get("labels") or {}
        name = next((labels[key] for key in _JOB_NAME_LABELS if key in labels), None)
        if name is None:
            return None
        key = (pod["metadata"]["namespace"], name)
        if key not in jobs:
            jobs[key] = store.get("batch", "jobs", key[0], name)
        return jobs[key]

    @staticmethod
    def _bind(store: ApiStore, pod: Obj) -> None:
        meta = pod["metadata"]
        binding = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
            "target": {"apiVersion": "v1", "kind": "Node", "name": NODE},
        }
        path = store.path("", "pods", meta["namespace"], meta["name"]) + "/binding"
        store.request("POST", path, binding)

    @staticmethod
    def _confirm_deletion(store: ApiStore, pod: Obj) -> None:
        """A bound pod is deleted gracefully: the kubelet confirms with grace period 0."""
        meta = pod["metadata"]
        body = {
            "kind": "DeleteOptions",
            "apiVersion": "v1",
            "gracePeriodSeconds": 0,
            "preconditions": {"uid": meta["uid"]},
        }
        try:
            store.request("DELETE", store.path("", "pods", meta["namespace"], meta["name"]), body)
        except ApiError as error:
            if error.code not in (404, 409):
                raise

    @staticmethod
    def _write_status(store: ApiStore, pod: Obj, status: dict[str, Any]) -> None:
        updated = copy.deepcopy(pod)
        old = pod.get("status") or {}
        if old.get("startTime"):
            status = {**status, "startTime": old["startTime"]}
        status = {k: v for k, v in status.items() if k != "qosClass"}  # the server's to set
        updated["status"] = (
            {**status, "qosClass": old.get("qosClass")} if old.get("qosClass") else status
        )
        store.update_status(updated)


class _LogServer:
    """The kubelet's ``/containerLogs`` endpoint, over TLS on 127.0.0.1, for the API server."""

    def __init__(self, store: ApiStore) -> None:
        handler = _log_handler(store)
        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        cert = self_signed_cert()
        self._httpd.socket = cert.server_context().wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="glmctl-kubelet", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _log_handler(store: ApiStore) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            parts = url.path.strip("/").split("/")
            if len(parts) != 4 or parts[0] != "containerLogs":
                self.send_error(404)
                return
            _, namespace, pod, _container = parts
            text = store.pod_log(namespace, pod) or ""
            params = urllib.parse.parse_qs(url.query)
            tail = params.get("tailLines", [None])[0]
            if tail is not None and tail.isdigit():
                lines = text.splitlines(keepends=True)
                text = "".join(lines[-int(tail) :]) if int(tail) else ""
            data = text.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("kubelet: " + format, *args)

    return Handler
