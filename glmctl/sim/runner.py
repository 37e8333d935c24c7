"""Start a simulated cluster: store, API server, controllers and a kubeconfig.

``start_simulator`` is what ``glmctl sim serve``, ``glmctl demo`` and the tests' fixture
call. The server and the controller loop run in daemon threads; ``SimHandle.stop()``
(or leaving its ``with`` block) ends both.
"""

from __future__ import annotations

import importlib
import logging
import re
import secrets
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from glmctl.sim.apps import AppRouter
from glmctl.sim.contracts import Controller, Obj, Scenario
from glmctl.sim.faults import Fault, Faults
from glmctl.sim.kubeconfig import CONTEXT, self_signed_cert, write_kubeconfig
from glmctl.sim.rbac import MASTERS
from glmctl.sim.server import ApiServer, ApiState
from glmctl.sim.store import ApiError, Store

log = logging.getLogger(__name__)

ADMIN_USER = "sim-admin"
TICK_SECONDS = 0.05
_BASE_NAMESPACES = ("default", "kube-system", "kube-public")
# Kinds created first so that later objects find their resource, namespace and owners.
_LOAD_RANK = {
    "CustomResourceDefinition": 0,
    "Namespace": 1,
    "ClusterRole": 2,
    "Role": 2,
    "ServiceAccount": 2,
    "Deployment": 3,
    "CronJob": 3,
    "ReplicaSet": 4,
    "Job": 4,
    "Pod": 5,
    "Event": 9,
}


@dataclass
class SimHandle:
    """A running simulator: where it listens, how to reach it, and its live state."""

    url: str
    kubeconfig_path: Path
    ca_pem: bytes
    context: str
    token: str = field(repr=False)
    store: Store
    faults: Faults
    state: ApiState
    _server: ApiServer
    _controller_stop: threading.Event
    _controller_thread: threading.Thread | None
    _tempdir: tempfile.TemporaryDirectory[str] | None = None
    _stopped: bool = field(default=False)

    def add_user(self, name: str, token: str, groups: Sequence[str] = ()) -> None:
        """Let ``token`` authenticate as ``name`` (for RBAC tests with a non-admin user)."""
        self.state.add_user(token, name, tuple(groups))

    def inject(self, fault: Fault) -> None:
        self.faults.add(fault)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._controller_stop.set()
        self._server.stop()
        if self._controller_thread is not None:
            self._controller_thread.join(timeout=5)
        if self._tempdir is not None:
            self._tempdir.cleanup()

    def __enter__(self) -> SimHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _load_rank(obj: Obj) -> int:
    return _LOAD_RANK.get(str(obj.get("kind", "")), 6)


def _resolve_owners(store: Store, obj: Obj) -> Obj:
    """Scenario manifests cannot know uids: fill ownerReferences' uid from the owner with
    that kind and name in the same namespace (created earlier by load order). A pod owned
    by a Job also gets the labels the Job's selector matches, as the Job controller gives
    the pods it creates."""
    meta = obj.get("metadata") or {}
    refs = meta.get("ownerReferences")
    if not refs:
        return obj
    resolved = []
    labels = dict(meta.get("labels") or {})
    for ref in refs:
        ref = dict(ref)
        api_version, kind = str(ref.get("apiVersion", "")), str(ref.get("kind", ""))
        rt = store.registry.for_api_version_kind(api_version, kind)
        owner = (
            store.get(rt.group, rt.plural, meta.get("namespace"), str(ref.get("name")))
            if rt
            else None
        )
        if owner is not None:
            ref["uid"] = owner["metadata"]["uid"]
            if kind == "Job" and obj.get("kind") == "Pod":
                labels.update(_job_pod_labels(owner))
        if ref.get("uid"):
            resolved.append(ref)
    new_meta = {**meta, "ownerReferences": resolved}
    if labels:
        new_meta["labels"] = labels
    return {**obj, "metadata": new_meta}


def _job_pod_labels(job: Obj) -> dict[str, str]:
    template = ((job.get("spec") or {}).get("template") or {}).get("metadata") or {}
    wanted = (
        "batch.kubernetes.io/controller-uid",
        "batch.kubernetes.io/job-name",
        "controller-uid",
        "job-name",
    )
    return {k: v for k, v in (template.get("labels") or {}).items() if k in wanted}


def load_scenario_objects(store: Store, scenario: Scenario) -> None:
    """Create the scenario's objects (CRDs and namespaces first) and its pod logs.

    Namespaces a manifest uses but the scenario does not declare are created, so a small
    scenario need not list them; everything else goes through the API's own checks.
    """
    for name in _BASE_NAMESPACES:
        _ensure_namespace(store, name)
    for obj in sorted(scenario.objects, key=_load_rank):
        namespace = (obj.get("metadata") or {}).get("namespace")
        if namespace and obj.get("kind") != "Namespace":
            _ensure_namespace(store, str(namespace))
        try:
            resolved = _resolve_owners(store, obj)
            store.create_object(store.resource_for(resolved), resolved, created_at=_created_at(obj))
        except ApiError as err:
            if err.code != 409 or obj.get("kind") != "Namespace":
                raise ValueError(
                    f"scenario {scenario.name!r}: cannot create {obj.get('kind')} "
                    f"{(obj.get('metadata') or {}).get('name')!r}: {err.message}"
                ) from err
    for key, text in scenario.logs.items():
        namespace, _, pod = key.partition("/")
        store.set_pod_log(namespace, pod, text)


_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def _created_at(obj: Obj) -> str | None:
    """When a scenario object was made: its own ``creationTimestamp``, else no later than
    the earliest time in its status (a condition cannot change before the object
    exists); None for an object without either (created now)."""
    meta = obj.get("metadata") or {}
    if meta.get("creationTimestamp"):
        return str(meta["creationTimestamp"])
    stamps = sorted(
        datetime.fromisoformat(text.replace("Z", "+00:00"))
        for text in _strings(obj.get("status"))
        if _TIMESTAMP.match(text)
    )
    return stamps[0].strftime("%Y-%m-%dT%H:%M:%SZ") if stamps else None


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _ensure_namespace(store: Store, name: str) -> None:
    if store.get("", "namespaces", None, name) is None:
        store.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


def _scenario_users(scenario: Scenario) -> list[dict[str, Any]]:
    users = scenario.behaviours.get("users") or []
    return [u for u in users if isinstance(u, dict) and u.get("name") and u.get("token")]


def _controller_loop(
    store: Store, controllers: Sequence[Controller], stop: threading.Event
) -> None:
    reported: set[tuple[int, str]] = set()
    while not stop.wait(TICK_SECONDS):
        for controller in controllers:
            try:
                controller.tick(store)
            except ApiError as err:  # a conflict or a vanished object: retry next tick
                log.debug("controller %s: %s", type(controller).__name__, err.message)
            except Exception as err:
                # Report each distinct failure once: a broken controller ticks 20 times a
                # second and would otherwise bury everything else in the log.
                key = (id(controller), f"{type(err).__name__}: {err}")
                if key not in reported:
                    reported.add(key)
                    log.exception("controller %s failed", type(controller).__name__)


def start_simulator(
    scenario: Scenario,
    *,
    port: int = 0,
    kubeconfig_path: Path | None = None,
    controllers: Sequence[Controller] | None = None,
) -> SimHandle:
    """Load ``scenario`` and serve it on 127.0.0.1:``port`` (0: a free port)."""
    store = Store()
    load_scenario_objects(store, scenario)
    # Like a fresh API server's watch cache: watches resume only from versions after
    # start-up; an older resourceVersion is 410 Gone.
    store.compact()
    token = secrets.token_urlsafe(24)
    state = ApiState(store=store, faults=Faults(), users={})
    state.apps = AppRouter(store, scenario.behaviours)
    state.add_user(token, ADMIN_USER, (MASTERS,))
    for user in _scenario_users(scenario):
        state.add_user(str(user["token"]), str(user["name"]), tuple(user.get("groups") or ()))
    if controllers is None:
        # Imported by name: the controllers module belongs to the simulator's world half.
        world = importlib.import_module("glmctl.sim.controllers")
        controllers = list(world.build_controllers(scenario))
    cert = self_signed_cert()
    server = ApiServer(state, port=port, tls=cert.server_context())
    tempdir: tempfile.TemporaryDirectory[str] | None = None
    if kubeconfig_path is None:
        tempdir = tempfile.TemporaryDirectory(prefix="glmctl-sim-")
        kubeconfig_path = Path(tempdir.name) / "kubeconfig"
    write_kubeconfig(kubeconfig_path, server.url, token, cert.cert_pem)
    server.start()
    stop = threading.Event()
    thread = None
    if controllers:
        thread = threading.Thread(
            target=_controller_loop,
            args=(store, controllers, stop),
            name="glmctl-sim-controllers",
            daemon=True,
        )
        thread.start()
    return SimHandle(
        url=server.url,
        kubeconfig_path=kubeconfig_path,
        ca_pem=cert.cert_pem,
        context=CONTEXT,
        token=token,
        store=store,
        faults=state.faults,
        state=state,
        _server=server,
        _controller_stop=stop,
        _controller_thread=thread,
        _tempdir=tempdir,
    )
