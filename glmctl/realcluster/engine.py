"""``start_real_engine``: a scenario on a real control plane, reachable by one kubeconfig.

The same scenario files drive both engines. Here they are applied through the API of a
real kube-apiserver (objects created, then their status written through the status
subresource, as a controller would), the CRDs are the real ones pinned by the harness,
and the real kube-controller-manager runs Jobs, Deployments, garbage collection and
namespace deletion. The simulator's Flux, Helm and External Secrets controllers and a
simulated kubelet act through the same API for the programs that cannot run here.
"""

from __future__ import annotations

import copy
import logging
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from glmctl.realcluster.api_store import ApiStore
from glmctl.realcluster.binaries import KUSTOMIZE_CONTROLLER, Binaries, find_binaries
from glmctl.realcluster.control_plane import ControlPlane, ControlPlaneFailed
from glmctl.realcluster.flux import (
    SourceStandIn,
    kustomize_controller_command,
    kustomize_controller_env,
)
from glmctl.realcluster.kubelet import Kubelet
from glmctl.sim.contracts import Obj, Scenario
from glmctl.sim.controllers import build_controllers
from glmctl.sim.controllers.base import World, manifest_of
from glmctl.sim.controllers.externalsecret import ExternalSecretController
from glmctl.sim.controllers.helmrelease import HelmReleaseController
from glmctl.sim.controllers.kustomization import KustomizationController
from glmctl.sim.kubeconfig import CONTEXT, write_kubeconfig
from glmctl.sim.store import ApiError

log = logging.getLogger(__name__)

TICK_SECONDS = 0.1
SIMULATED_HERE = (KustomizationController, HelmReleaseController, ExternalSecretController)
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
# Kinds whose objects the real controllers make themselves: a scenario's copy would fight.
_LEFT_TO_CONTROLLERS = frozenset({"ReplicaSet", "Endpoints", "EndpointSlice"})
# Kinds whose status the real controllers (or the simulated kubelet) write.
_STATUS_BY_CONTROLLERS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "Service", "Namespace", "Node", "Event"}
)


@dataclass
class RealHandle:
    """A running real engine; mirrors :class:`glmctl.sim.runner.SimHandle` where it can."""

    url: str
    kubeconfig_path: Path
    ca_pem: bytes
    context: str
    token: str = field(repr=False)
    store: ApiStore
    control_plane: ControlPlane
    versions: dict[str, str]
    _stop: threading.Event
    _thread: threading.Thread | None
    _kubelet: Kubelet | None
    _tempdir: tempfile.TemporaryDirectory[str] | None = None
    _stoppers: list[Callable[[], None]] = field(default_factory=list)
    _stopped: bool = False

    def stop(self) -> None:
        """Stop the controllers, the kubelet, every program; remove every file we wrote."""
        if self._stopped:
            return
        self._stopped = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._kubelet is not None:
            self._kubelet.stop()
        for stopper in self._stoppers:
            stopper()
        self.control_plane.stop()
        self.kubeconfig_path.unlink(missing_ok=True)  # it holds the admin token
        if self._tempdir is not None:
            self._tempdir.cleanup()

    def __enter__(self) -> RealHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_real_engine(
    scenario: Scenario,
    *,
    kubeconfig_path: Path | None = None,
    binaries: Binaries | None = None,
    controllers: bool = True,
    flux: str = "auto",
) -> RealHandle:
    """Start the control plane, apply ``scenario`` through its API and bring it to life.

    ``flux``: "real" runs the real kustomize-controller (with the source stand-in),
    "simulated" the simulator's; "auto" the real one when it was built.
    """
    binaries = binaries or find_binaries()
    plane = ControlPlane(binaries)
    for user in scenario.behaviours.get("users") or []:
        if isinstance(user, dict) and user.get("name") and user.get("token"):
            plane.add_user(str(user["token"]), str(user["name"]), tuple(user.get("groups") or ()))
    tempdir = None
    if kubeconfig_path is None:
        tempdir = tempfile.TemporaryDirectory(prefix="glmctl-real-kubeconfig-")
        kubeconfig_path = Path(tempdir.name) / "kubeconfig"
    try:
        plane.start(also_remove=(Path(tempdir.name) if tempdir else kubeconfig_path,))
    except BaseException:
        if tempdir is not None:
            tempdir.cleanup()
        raise
    stop = threading.Event()
    kubelet: Kubelet | None = None
    thread: threading.Thread | None = None
    stoppers: list[Callable[[], None]] = []
    try:
        store = ApiStore(plane.url, plane.admin_token, plane.ca_pem)
        world = World(scenario)
        install_crds(store, scenario, binaries)
        kubelet = Kubelet(world, store, _scenario_nodes(scenario), pod_templates(scenario))
        kubelet.start()
        load_objects(store, scenario)
        write_kubeconfig(kubeconfig_path, plane.url, plane.admin_token, plane.ca_pem)
        real_flux = controllers and _wants_real_flux(flux, binaries)
        if controllers:
            # Only what no real program does here: the real controller manager runs Jobs,
            # Deployments, ReplicaSets and namespace deletion.
            simulated: tuple[type, ...] = SIMULATED_HERE
            if real_flux:
                simulated = tuple(c for c in simulated if c is not KustomizationController)
            running: list[Any] = [
                c for c in build_controllers(scenario) if isinstance(c, simulated)
            ]
            running.append(kubelet)
            if real_flux:
                source = SourceStandIn(scenario)
                source.start()
                stoppers.append(source.stop)
                running.insert(0, source)
                plane.start_program(
                    KUSTOMIZE_CONTROLLER,
                    kustomize_controller_command(binaries.path(KUSTOMIZE_CONTROLLER))[1:],
                    kustomize_controller_env(kubeconfig_path),
                )
            thread = threading.Thread(
                target=_loop, args=(store, running, stop), name="glmctl-real-world", daemon=True
            )
            thread.start()
    except BaseException:
        stop.set()
        for stopper in stoppers:
            stopper()
        if kubelet is not None:
            kubelet.stop()
        plane.stop()
        if tempdir is not None:
            tempdir.cleanup()
        raise
    return RealHandle(
        url=plane.url,
        kubeconfig_path=kubeconfig_path,
        ca_pem=plane.ca_pem,
        context=CONTEXT,
        token=plane.admin_token,
        store=store,
        control_plane=plane,
        versions=binaries.versions,
        _stop=stop,
        _thread=thread,
        _kubelet=kubelet,
        _tempdir=tempdir,
        _stoppers=stoppers,
    )


def _wants_real_flux(flux: str, binaries: Binaries) -> bool:
    if flux not in ("auto", "real", "simulated"):
        raise ValueError(f"flux must be auto, real or simulated, not {flux!r}")
    if flux == "real" and not binaries.has(KUSTOMIZE_CONTROLLER):
        raise ControlPlaneFailed(
            "the real kustomize-controller is not built.", hint="Run `make real-cluster`."
        )
    return flux == "real" or (flux == "auto" and binaries.has(KUSTOMIZE_CONTROLLER))


def _loop(store: ApiStore, controllers: Sequence[Any], stop: threading.Event) -> None:
    reported: set[str] = set()
    while not stop.wait(TICK_SECONDS):
        for controller in controllers:
            if stop.is_set():
                return
            try:
                controller.tick(store)
            except ApiError as err:  # a conflict or a vanished object: next tick
                log.debug("controller %s: %s", type(controller).__name__, err.message)
            except Exception as err:
                key = f"{type(controller).__name__}: {type(err).__name__}: {err}"
                if key not in reported:
                    reported.add(key)
                    log.warning("controller failed: %s", key, exc_info=True)


# ---------------------------------------------------------------------- scenario loading


def _scenario_nodes(scenario: Scenario) -> set[str]:
    return {
        str(obj["spec"]["nodeName"])
        for obj in scenario.objects
        if obj.get("kind") == "Pod" and (obj.get("spec") or {}).get("nodeName")
    }


def real_crds(binaries: Binaries) -> list[Obj]:
    """The CRDs the harness collected from the pinned modules (Flux, External Secrets)."""
    found: list[Obj] = []
    for path in binaries.crd_files:
        for document in yaml.safe_load_all(Path(path).read_text(encoding="utf-8")):
            if isinstance(document, dict) and document.get("kind") == "CustomResourceDefinition":
                found.append(document)
    return found


def install_crds(store: ApiStore, scenario: Scenario, binaries: Binaries) -> None:
    """Real CRDs first; a scenario CRD only for a resource no pinned module defines."""
    real = {crd["metadata"]["name"]: crd for crd in real_crds(binaries)}
    wanted = dict(real)
    for obj in scenario.objects:
        if obj.get("kind") == "CustomResourceDefinition":
            wanted.setdefault(obj["metadata"]["name"], manifest_of(obj))
    for crd in wanted.values():
        store.create(crd)
    deadline = time.monotonic() + 60
    pending = set(wanted)
    while pending and time.monotonic() < deadline:
        for name in sorted(pending):
            crd = store.get("apiextensions.k8s.io", "customresourcedefinitions", None, name)
            conditions = (crd or {}).get("status", {}).get("conditions") or []
            if any(
                c.get("type") == "Established" and c.get("status") == "True" for c in conditions
            ):
                pending.discard(name)
        time.sleep(0.1)
    if pending:
        raise ControlPlaneFailed(f"CRDs never became established: {', '.join(sorted(pending))}.")


def load_objects(store: ApiStore, scenario: Scenario) -> None:
    """Create the scenario's objects, then write each one's status as its controller would.

    Objects go in rank order (namespaces before what lives in them, owners before what
    they own); within a rank they are created concurrently, which matters for a generated
    cluster of thousands of objects.
    """
    namespaces = {n["metadata"]["name"] for n in store.list("", "namespaces")}
    wanted = [
        obj
        for obj in scenario.objects
        if obj.get("kind") != "CustomResourceDefinition"
        and obj.get("kind") not in _LEFT_TO_CONTROLLERS
        and not _made_by_controller(obj, scenario)
    ]
    missing = {
        str(ns)
        for obj in wanted
        if (ns := (obj.get("metadata") or {}).get("namespace")) and ns not in namespaces
    }
    missing -= {o["metadata"]["name"] for o in wanted if o.get("kind") == "Namespace"}
    wanted += [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}} for n in missing]
    wanted = [
        o
        for o in wanted
        if not (o.get("kind") == "Namespace" and o["metadata"]["name"] in namespaces)
    ]
    ranks: dict[int, list[Obj]] = {}
    for obj in wanted:
        ranks.setdefault(_LOAD_RANK.get(str(obj.get("kind")), 6), []).append(obj)
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="glmctl-real-load") as pool:
        for rank in sorted(ranks):
            for failure in pool.map(
                lambda obj: _create_reported(store, scenario, obj), ranks[rank]
            ):
                if failure is not None:
                    raise failure
    for key, text in scenario.logs.items():
        namespace, _, pod = key.partition("/")
        store.set_pod_log(namespace, pod, text)


def _create_reported(store: ApiStore, scenario: Scenario, obj: Obj) -> ControlPlaneFailed | None:
    try:
        _create(store, obj)
    except ApiError as err:
        return ControlPlaneFailed(
            f"scenario {scenario.name!r}: the real API server refused {obj.get('kind')} "
            f"{obj['metadata'].get('name')!r}: {err.message}"
        )
    return None


def _create(store: ApiStore, obj: Obj) -> None:
    status = copy.deepcopy(obj.get("status"))
    manifest = _resolve_owners(store, manifest_of(obj))
    if obj.get("kind") == "Event":
        manifest = {**manifest, **{k: v for k, v in obj.items() if k not in ("metadata",)}}
    finished_job = obj.get("kind") == "Job" and bool(status)
    if finished_job:  # keep the Job controller away until its recorded status is in place
        manifest.setdefault("spec", {})
        wanted_suspend = manifest["spec"].get("suspend", False)
        manifest["spec"]["suspend"] = True
    created = store.create(manifest)
    if status and obj.get("kind") not in _STATUS_BY_CONTROLLERS:
        group, plural = store.resource_of(created)
        meta = created["metadata"]
        status.pop("qosClass", None)  # the API server derives it from the pod's resources
        store.patch_status(group, plural, meta.get("namespace"), meta["name"], status)
    if finished_job and not wanted_suspend:
        path = store.path(
            "batch", "jobs", created["metadata"]["namespace"], created["metadata"]["name"]
        )
        store.request(
            "PATCH",
            path,
            {"spec": {"suspend": False}},
            content_type="application/merge-patch+json",
        )


def _made_by_controller(obj: Obj, scenario: Scenario) -> bool:
    """A pod of a ReplicaSet: the real Deployment and ReplicaSet controllers make their own."""
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    if any(ref.get("kind") in _LEFT_TO_CONTROLLERS for ref in refs):
        return True
    return obj.get("kind") == "Pod" and deployment_of(obj, scenario) is not None


def deployment_of(pod: Obj, scenario: Scenario) -> str | None:
    """The scenario Deployment whose selector matches ``pod``'s labels, by name."""
    meta = pod.get("metadata") or {}
    labels = meta.get("labels") or {}
    for obj in scenario.objects:
        if obj.get("kind") != "Deployment":
            continue
        if (obj.get("metadata") or {}).get("namespace") != meta.get("namespace"):
            continue
        wanted = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if wanted and all(labels.get(k) == v for k, v in wanted.items()):
            return str(obj["metadata"]["name"])
    return None


def pod_templates(scenario: Scenario) -> dict[tuple[str, str], list[tuple[Obj, str | None]]]:
    """Scenario pods of each Deployment with their logs: how the real pods should fare."""
    found: dict[tuple[str, str], list[tuple[Obj, str | None]]] = {}
    for obj in scenario.objects:
        if obj.get("kind") != "Pod":
            continue
        deployment = deployment_of(obj, scenario)
        if deployment is None:
            continue
        namespace = str(obj["metadata"].get("namespace"))
        text = scenario.logs.get(f"{namespace}/{obj['metadata']['name']}")
        found.setdefault((namespace, deployment), []).append((obj, text))
    return found


def _resolve_owners(store: ApiStore, obj: Obj) -> Obj:
    """Owner references by kind and name, as scenario files write them, get their uid."""
    meta = obj.get("metadata") or {}
    refs = meta.get("ownerReferences")
    if not refs:
        return obj
    resolved = []
    for ref in refs:
        ref = dict(ref)
        try:
            group, plural = store.resource_of(ref)
        except ApiError:
            continue
        owner = store.get(group, plural, meta.get("namespace"), str(ref.get("name")))
        if owner is not None:
            ref["uid"] = owner["metadata"]["uid"]
            resolved.append(ref)
    return {**obj, "metadata": {**meta, "ownerReferences": resolved}}
