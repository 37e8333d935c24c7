"""What every simulated controller shares: the world of behaviours and templates, the
throttled scanner, and small helpers on conditions, timestamps and writes."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from glmctl.sim.contracts import Obj, Scenario, SimStore
from glmctl.sim.scenario import format_timestamp, parse_duration

logger = logging.getLogger("glmctl.sim.controllers")

REQUESTED_AT = "reconcile.fluxcd.io/requestedAt"
RESET_AT = "reconcile.fluxcd.io/resetAt"
FORCE_AT = "reconcile.fluxcd.io/forceAt"
FLUX_FINALIZER = "finalizers.fluxcd.io"
KS_NAME_LABEL = "kustomize.toolkit.fluxcd.io/name"
KS_NAMESPACE_LABEL = "kustomize.toolkit.fluxcd.io/namespace"
RELEASE_NAME_ANNOTATION = "meta.helm.sh/release-name"
RELEASE_NAMESPACE_ANNOTATION = "meta.helm.sh/release-namespace"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
DEPENDENCY_REQUEUE = 30.0
FAKE_SECRET_VALUE = b"sim-fake-value"
DEFAULT_REVISION = "main@sha1:0000000000000000000000000000000000000000"

KUSTOMIZATIONS = ("kustomize.toolkit.fluxcd.io", "kustomizations")
HELMRELEASES = ("helm.toolkit.fluxcd.io", "helmreleases")
GITREPOSITORIES = ("source.toolkit.fluxcd.io", "gitrepositories")
EXTERNALSECRETS = ("external-secrets.io", "externalsecrets")
JOBS = ("batch", "jobs")
PODS = ("", "pods")
SECRETS = ("", "secrets")

_BUILTIN_PLURALS = {
    "Namespace": ("", "namespaces"),
    "Pod": ("", "pods"),
    "Secret": ("", "secrets"),
    "ConfigMap": ("", "configmaps"),
    "Service": ("", "services"),
    "ServiceAccount": ("", "serviceaccounts"),
    "Event": ("", "events"),
    "Deployment": ("apps", "deployments"),
    "ReplicaSet": ("apps", "replicasets"),
    "StatefulSet": ("apps", "statefulsets"),
    "DaemonSet": ("apps", "daemonsets"),
    "Job": ("batch", "jobs"),
    "CronJob": ("batch", "cronjobs"),
    "Role": ("rbac.authorization.k8s.io", "roles"),
    "RoleBinding": ("rbac.authorization.k8s.io", "rolebindings"),
    "ClusterRole": ("rbac.authorization.k8s.io", "clusterroles"),
    "ClusterRoleBinding": ("rbac.authorization.k8s.io", "clusterrolebindings"),
    "CustomResourceDefinition": ("apiextensions.k8s.io", "customresourcedefinitions"),
}


class World:
    """What the controllers share: behaviours, the time scale and the manifests "in git".

    The templates are every scenario object (and every ``pending`` one) as it would sit in
    the GitOps repository: no status, no server fields. Kustomizations re-create the ones
    they own; HelmReleases install the ones their chart renders.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.behaviours = scenario.behaviours
        self.scale = float(scenario.behaviours.get("timeScale", 1.0))
        self.logs = dict(scenario.logs)
        pending = list(scenario.behaviours.get("pending", []))
        self.templates = [manifest_of(obj) for obj in [*scenario.objects, *pending]]
        self._plurals = dict(_BUILTIN_PLURALS)
        for obj in self.templates:
            if obj.get("kind") == "CustomResourceDefinition":
                names = obj["spec"]["names"]
                self._plurals[names["kind"]] = (obj["spec"]["group"], names["plural"])

    def scaled(self, seconds: float) -> timedelta:
        """A duration of the simulated world, in wall-clock time."""
        return timedelta(seconds=seconds * self.scale)

    def resource_of(self, obj: Obj) -> tuple[str, str]:
        """The (group, plural) a manifest is stored under."""
        kind = str(obj.get("kind"))
        if kind in self._plurals:
            return self._plurals[kind]
        api_version = str(obj.get("apiVersion", ""))
        group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
        return group, kind.lower() + "s"

    def behaviour(self, section: str, obj: Obj) -> dict[str, Any]:
        """The scenario's behaviour for ``obj`` in ``section``, most specific key winning.

        Keys may be ``namespace/name``, ``name``, a label selector ``k=v[,k=v]`` or
        ``default``; more specific entries override fields of less specific ones.
        """
        table = self.behaviours.get(section) or {}
        meta = obj.get("metadata", {})
        labels = meta.get("labels") or {}
        chosen: dict[str, Any] = dict(table.get("default") or {})
        for key, value in table.items():
            if "=" in key and _labels_match(labels, key):
                chosen.update(value or {})
        for key in (meta.get("name"), f"{meta.get('namespace')}/{meta.get('name')}"):
            if key in table:
                chosen.update(table[key] or {})
        return chosen

    def delay(self, behaviour: dict[str, Any], default: float) -> timedelta:
        """The behaviour's ``delay`` (a duration) scaled, or ``default`` seconds scaled."""
        return self.scaled(parse_duration(behaviour.get("delay", default)))


_EXPECTED_REFUSALS = (403, 404, 409)


class Scanner:
    """Base of the controllers: throttled scans, one object's failure never stops the rest.

    A scan lists whole resources, so on a big generated cluster it is not free: the next
    scan waits at least forty times as long as the last one took, which keeps a
    controller's share of the CPU near 2.5% however large the world is.
    """

    min_period = 0.05

    def __init__(self, world: World) -> None:
        self.world = world
        self._next_scan = 0.0

    def tick(self, store: SimStore) -> None:
        """Scan now unless the last scan was too recent."""
        started = time.monotonic()
        if started < self._next_scan:
            return
        try:
            self.scan(store)
        finally:
            took = time.monotonic() - started
            self._next_scan = started + max(self.min_period, 40 * took)

    def scan(self, store: SimStore) -> None:
        """Reconcile every object of this controller's kind once."""
        raise NotImplementedError

    @staticmethod
    def guarded(what: str, action: Callable[[], None]) -> None:
        """Run ``action``; a failure is logged and the scan goes on with the next object.

        An API refusal a real controller meets in a race (the object changed or went, its
        namespace is terminating: 403, 404, 409) is retried on the next scan quietly."""
        try:
            action()
        except Exception as err:
            if getattr(err, "code", None) in _EXPECTED_REFUSALS:
                logger.debug("simulated controller on %s: %s, retrying", what, err)
                return
            logger.warning("simulated controller failed on %s", what, exc_info=True)


def manifest_of(obj: Obj) -> Obj:
    """``obj`` as a manifest to create: no status, no fields the API server sets."""
    clean = copy.deepcopy(obj)
    clean.pop("status", None)
    meta = clean.setdefault("metadata", {})
    for key in (
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
        "deletionTimestamp",
        "ownerReferences",
    ):
        meta.pop(key, None)
    return clean


def condition(obj: Obj, kind: str) -> dict[str, Any] | None:
    """The status condition of type ``kind``, or None."""
    for item in obj.get("status", {}).get("conditions", []) or []:
        if item.get("type") == kind:
            found: dict[str, Any] = item
            return found
    return None


def is_true(obj: Obj, kind: str) -> bool:
    """True when condition ``kind`` has status "True"."""
    found = condition(obj, kind)
    return found is not None and found.get("status") == "True"


def set_condition(
    conditions: list[dict[str, Any]],
    kind: str,
    status: str,
    reason: str,
    message: str,
    now: datetime,
    generation: int | None = None,
) -> list[dict[str, Any]]:
    """``conditions`` with ``kind`` set; its transition time moves only when status changes."""
    previous = next((c for c in conditions if c.get("type") == kind), None)
    transition = format_timestamp(now)
    if previous is not None and previous.get("status") == status:
        transition = previous.get("lastTransitionTime", transition)
    updated: dict[str, Any] = {"type": kind, "status": status}
    if generation is not None:
        updated["observedGeneration"] = generation
    updated.update({"lastTransitionTime": transition, "reason": reason, "message": message})
    others = [c for c in conditions if c.get("type") != kind]
    return [*others, updated] if previous is None else _replace(conditions, kind, updated)


def drop_condition(conditions: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """``conditions`` without ``kind``."""
    return [c for c in conditions if c.get("type") != kind]


def parse_timestamp(text: str | None) -> datetime | None:
    """An RFC 3339 timestamp from the API, or None."""
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def go_duration(seconds: float) -> str:
    """A duration as Go prints it (``5m0s``, ``1h0m0s``, ``1.5s``), as Flux messages do."""
    if seconds < 60:
        return f"{seconds:g}s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes}m{secs}s" if hours else f"{minutes}m{secs}s"


def _replace(
    conditions: list[dict[str, Any]], kind: str, updated: dict[str, Any]
) -> list[dict[str, Any]]:
    return [updated if c.get("type") == kind else c for c in conditions]


def _labels_match(labels: dict[str, str], selector: str) -> bool:
    for term in selector.split(","):
        key, _, value = term.partition("=")
        if labels.get(key.strip()) != value.strip():
            return False
    return True


def object_key(obj: Obj) -> str:
    meta = obj["metadata"]
    return str(meta.get("uid") or f"{meta.get('namespace')}/{meta['name']}")


def write_status(store: SimStore, obj: Obj, status: dict[str, Any]) -> Obj:
    """Write ``status`` unless it is what the object already has."""
    if obj.get("status") == status:
        return obj
    updated = copy.deepcopy(obj)
    updated["status"] = status
    updated["metadata"].pop("resourceVersion", None)
    return store.update_status(updated)


def remove_finalizer(store: SimStore, obj: Obj, finalizer: str) -> None:
    finalizers = obj["metadata"].get("finalizers") or []
    if finalizer not in finalizers:
        return
    updated = copy.deepcopy(obj)
    updated["metadata"]["finalizers"] = [f for f in finalizers if f != finalizer]
    updated["metadata"].pop("resourceVersion", None)
    store.update(updated)


def reconcile_requested(obj: Obj) -> str | None:
    """The requestedAt annotation value when it has not been handled yet."""
    requested = (obj["metadata"].get("annotations") or {}).get(REQUESTED_AT)
    handled = obj.get("status", {}).get("lastHandledReconcileAt")
    return requested if requested and requested != handled else None


def generation_of(obj: Obj) -> int:
    return int(obj["metadata"].get("generation", 1))


def create_with_status(store: SimStore, manifest: Obj, status: dict[str, Any] | None) -> Obj:
    """Create, then write status through the status subresource, as controllers must."""
    created = store.create(manifest_of(manifest))
    if status:
        created = write_status(store, created, status)
    return created
