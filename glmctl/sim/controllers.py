"""Simulated controllers: what gives the simulated cluster life.

Each controller mimics the real one where glmctl can see it: kustomize-controller and
helm-controller (Flux), the Job controller (with its TTL-after-finished), and the External
Secrets operator. They touch the world only through :class:`SimStore`, reconcile when the
real controller would (a ``reconcile.fluxcd.io/requestedAt`` annotation that differs from
``status.lastHandledReconcileAt``, a new ``generation``, an elapsed interval; never while
suspended) and settle to the outcome the scenario's ``behaviours`` set.

Flux's readiness rules are written here again, on purpose, without glmctl's client code.
Every duration (intervals, delays, TTLs) is multiplied by the scenario's ``timeScale`` so
tests can pass a ten-minute interval in a moment. Controllers write only when something
changed: a write emits a watch event, and the server ticks them every ~50 ms.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from glmctl.sim.contracts import Controller, Obj, Scenario, SimStore
from glmctl.sim.helm_storage import (
    HOOK_ANNOTATION,
    INSTANCE_LABEL,
    ReleaseCoordinates,
    hook_run_of,
    hook_templates,
    release_secret,
)
from glmctl.sim.scenario import format_timestamp, parse_duration

logger = logging.getLogger("glmctl.sim.controllers")

REQUESTED_AT = "reconcile.fluxcd.io/requestedAt"
RESET_AT = "reconcile.fluxcd.io/resetAt"
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
_POD_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def build_controllers(scenario: Scenario) -> list[Controller]:
    """The controllers that bring ``scenario`` to life, sharing one view of its behaviours."""
    world = World(scenario)
    return [
        KustomizationController(world),
        HelmReleaseController(world),
        JobController(world),
        ExternalSecretController(world),
    ]


# --------------------------------------------------------------------------- shared parts


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
        """Run ``action``; a failure is logged and the scan goes on with the next object."""
        try:
            action()
        except Exception:
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


def _key(obj: Obj) -> str:
    meta = obj["metadata"]
    return str(meta.get("uid") or f"{meta.get('namespace')}/{meta['name']}")


def _write_status(store: SimStore, obj: Obj, status: dict[str, Any]) -> Obj:
    """Write ``status`` unless it is what the object already has."""
    if obj.get("status") == status:
        return obj
    updated = copy.deepcopy(obj)
    updated["status"] = status
    updated["metadata"].pop("resourceVersion", None)
    return store.update_status(updated)


def _remove_finalizer(store: SimStore, obj: Obj, finalizer: str) -> None:
    finalizers = obj["metadata"].get("finalizers") or []
    if finalizer not in finalizers:
        return
    updated = copy.deepcopy(obj)
    updated["metadata"]["finalizers"] = [f for f in finalizers if f != finalizer]
    updated["metadata"].pop("resourceVersion", None)
    store.update(updated)


def _reconcile_requested(obj: Obj) -> str | None:
    """The requestedAt annotation value when it has not been handled yet."""
    requested = (obj["metadata"].get("annotations") or {}).get(REQUESTED_AT)
    handled = obj.get("status", {}).get("lastHandledReconcileAt")
    return requested if requested and requested != handled else None


def _generation(obj: Obj) -> int:
    return int(obj["metadata"].get("generation", 1))


def _create_with_status(store: SimStore, manifest: Obj, status: dict[str, Any] | None) -> Obj:
    """Create, then write status through the status subresource, as controllers must."""
    created = store.create(manifest_of(manifest))
    if status:
        created = _write_status(store, created, status)
    return created


# --------------------------------------------------------------------------- Kustomization


class KustomizationController(Scanner):
    """kustomize-controller: dependsOn, re-applying owned objects, health checks, outcomes."""

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self._in_progress: dict[str, datetime] = {}
        self._next_run: dict[str, datetime] = {}

    def scan(self, store: SimStore) -> None:
        """Reconcile every Kustomization that is due."""
        now = store.now()
        items = store.list(*KUSTOMIZATIONS)
        by_name = {(ks["metadata"]["namespace"], ks["metadata"]["name"]): ks for ks in items}
        for ks in items:
            self.guarded(
                f"Kustomization {ks['metadata']['name']}",
                partial(self._reconcile, store, ks, by_name, now),
            )

    def _reconcile(
        self, store: SimStore, ks: Obj, by_name: dict[tuple[str, str], Obj], now: datetime
    ) -> None:
        key = _key(ks)
        if ks["metadata"].get("deletionTimestamp"):
            if ks.get("spec", {}).get("prune") and not ks.get("spec", {}).get("suspend"):
                self._prune(store, ks)
            _remove_finalizer(store, ks, FLUX_FINALIZER)
            return
        if ks.get("spec", {}).get("suspend"):
            self._in_progress.pop(key, None)
            return
        if key not in self._in_progress and not self._due(ks, key, now):
            return
        behaviour = self.world.behaviour("kustomizations", ks)
        if key not in self._in_progress:
            problem = self._dependency_problem(ks, by_name)
            if problem is not None:
                self._dependency_not_ready(store, ks, problem, now)
                return
            self._in_progress[key] = now
            self._progressing(store, ks, now)
        started = self._in_progress[key]
        if now < started + self.world.delay(behaviour, 1.0):
            return
        revision = self._revision(store, ks)
        if behaviour.get("ready", True):
            self._apply_owned(store, ks)
            verdict = self._health(store, ks, started, now, behaviour)
            if verdict is None:
                self._checking_health(store, ks, revision, now)
                return
            ready, reason, message = verdict
        else:
            ready = False
            reason = str(behaviour.get("reason", "ReconciliationFailed"))
            message = str(behaviour.get("message", "kustomize build failed"))
        self._finish(store, ks, now, started, revision, ready, reason, message)

    def _due(self, ks: Obj, key: str, now: datetime) -> bool:
        status = ks.get("status", {})
        if _reconcile_requested(ks) is not None:
            return True
        if _generation(ks) != status.get("observedGeneration", -1):
            return True
        if key not in self._next_run:
            self._next_run[key] = now + self._interval(ks)
            return False
        return now >= self._next_run[key]

    def _interval(self, ks: Obj) -> timedelta:
        return self.world.scaled(parse_duration(ks.get("spec", {}).get("interval", "10m")))

    def _dependency_problem(self, ks: Obj, by_name: dict[tuple[str, str], Obj]) -> str | None:
        namespace = ks["metadata"]["namespace"]
        for dep in ks.get("spec", {}).get("dependsOn", []) or []:
            dep_ns = dep.get("namespace") or namespace
            found = by_name.get((dep_ns, dep["name"]))
            if found is None:
                return (
                    f"dependency '{dep_ns}/{dep['name']}' not found: kustomizations."
                    f'kustomize.toolkit.fluxcd.io "{dep["name"]}" not found'
                )
            ready = condition(found, "Ready")
            observed = found.get("status", {}).get("observedGeneration")
            if not is_true(found, "Ready") or observed != _generation(found) or ready is None:
                return f"dependency '{dep_ns}/{dep['name']}' is not ready"
        return None

    def _dependency_not_ready(self, store: SimStore, ks: Obj, problem: str, now: datetime) -> None:
        status = copy.deepcopy(ks.get("status", {}))
        generation = _generation(ks)
        before = condition(ks, "Ready")
        conditions = drop_condition(status.get("conditions", []), "Reconciling")
        status["conditions"] = set_condition(
            conditions, "Ready", "False", "DependencyNotReady", problem, now, generation
        )
        status["observedGeneration"] = generation
        requested = (ks["metadata"].get("annotations") or {}).get(REQUESTED_AT)
        if requested:
            status["lastHandledReconcileAt"] = requested
        _write_status(store, ks, status)
        self._next_run[_key(ks)] = now + self.world.scaled(DEPENDENCY_REQUEUE)
        if before is None or before.get("reason") != "DependencyNotReady":
            store.record_event(
                ks,
                "DependencyNotReady",
                f"Dependencies do not meet ready condition, retrying in {go_duration(30)}",
            )

    def _progressing(self, store: SimStore, ks: Obj, now: datetime) -> None:
        status = copy.deepcopy(ks.get("status", {}))
        generation = _generation(ks)
        revision = self._revision(store, ks)
        timeout = go_duration(parse_duration(ks.get("spec", {}).get("timeout", "5m")))
        conditions = set_condition(
            status.get("conditions", []),
            "Ready",
            "Unknown",
            "Progressing",
            "Reconciliation in progress",
            now,
            generation,
        )
        status["conditions"] = set_condition(
            conditions,
            "Reconciling",
            "True",
            "Progressing",
            f"Fetching manifests for revision {revision} with a timeout of {timeout}",
            now,
            generation,
        )
        _write_status(store, ks, status)

    def _checking_health(self, store: SimStore, ks: Obj, revision: str, now: datetime) -> None:
        status = copy.deepcopy(ks.get("status", {}))
        timeout = go_duration(parse_duration(ks.get("spec", {}).get("timeout", "5m")))
        status["conditions"] = set_condition(
            status.get("conditions", []),
            "Reconciling",
            "True",
            "Progressing",
            f"Running health checks for revision {revision} with a timeout of {timeout}",
            now,
            _generation(ks),
        )
        _write_status(store, ks, status)

    def _revision(self, store: SimStore, ks: Obj) -> str:
        source = ks.get("spec", {}).get("sourceRef", {})
        namespace = source.get("namespace") or ks["metadata"]["namespace"]
        repo = store.get(*GITREPOSITORIES, namespace, source.get("name", "flux-system"))
        revision = (repo or {}).get("status", {}).get("artifact", {}).get("revision")
        return str(
            revision or ks.get("status", {}).get("lastAttemptedRevision") or DEFAULT_REVISION
        )

    def owned_templates(self, ks: Obj) -> list[Obj]:
        """The manifests this Kustomization applies: those carrying its owner labels."""
        meta = ks["metadata"]
        return [
            obj
            for obj in self.world.templates
            if (obj["metadata"].get("labels") or {}).get(KS_NAME_LABEL) == meta["name"]
            and (obj["metadata"].get("labels") or {}).get(KS_NAMESPACE_LABEL) == meta["namespace"]
        ]

    def _apply_owned(self, store: SimStore, ks: Obj) -> None:
        """Re-create owned objects that are missing (Flux's server-side apply, simplified)."""
        for manifest in self.owned_templates(ks):
            group, plural = self.world.resource_of(manifest)
            meta = manifest["metadata"]
            if store.get(group, plural, meta.get("namespace"), meta["name"]) is None:
                store.create(manifest_of(manifest))

    def _prune(self, store: SimStore, ks: Obj) -> None:
        """What Flux does when a Kustomization with ``prune: true`` is deleted."""
        for manifest in self.owned_templates(ks):
            group, plural = self.world.resource_of(manifest)
            meta = manifest["metadata"]
            if store.get(group, plural, meta.get("namespace"), meta["name"]) is not None:
                store.delete(group, plural, meta.get("namespace"), meta["name"])

    def _health(
        self, store: SimStore, ks: Obj, started: datetime, now: datetime, behaviour: dict[str, Any]
    ) -> tuple[bool, str, str] | None:
        """(ready, reason, message) once health checks are decided; None while waiting."""
        revision = self._revision(store, ks)
        success = (
            True,
            str(behaviour.get("reason", "ReconciliationSucceeded")),
            str(behaviour.get("message", f"Applied revision: {revision}")),
        )
        checks = ks.get("spec", {}).get("healthChecks") or []
        if not checks:
            return success
        stalled, waiting = [], []
        for check in checks:
            group, plural = self.world.resource_of(check)
            namespace = check.get("namespace") or ks["metadata"]["namespace"]
            found = store.get(group, plural, namespace, check["name"])
            label = f"{check['kind']}/{namespace}/{check['name']}"
            if found is None or not is_true(found, "Ready"):
                if found is not None and is_true(found, "Stalled"):
                    stalled.append(f"{label} status: 'Failed'")
                else:
                    waiting.append(f"{label} status: 'InProgress'")
        elapsed = go_duration((now - started).total_seconds())
        if stalled:
            message = (
                f"health check failed after {elapsed}: failed early due to stalled resources: "
                f"[{', '.join(stalled)}]"
            )
            return False, "HealthCheckFailed", message
        if not waiting:
            return success
        timeout = self.world.scaled(parse_duration(ks.get("spec", {}).get("timeout", "5m")))
        if now - started < timeout:
            return None
        message = (
            f"health check failed after {elapsed}: timeout waiting for: [{', '.join(waiting)}]"
        )
        return False, "HealthCheckFailed", message

    def _finish(
        self,
        store: SimStore,
        ks: Obj,
        now: datetime,
        started: datetime,
        revision: str,
        ready: bool,
        reason: str,
        message: str,
    ) -> None:
        key = _key(ks)
        self._in_progress.pop(key, None)
        fresh = store.get(*KUSTOMIZATIONS, ks["metadata"]["namespace"], ks["metadata"]["name"])
        if fresh is None:
            return
        generation = _generation(fresh)
        status = copy.deepcopy(fresh.get("status", {}))
        before = condition(fresh, "Ready")
        conditions = drop_condition(status.get("conditions", []), "Reconciling")
        conditions = set_condition(
            conditions, "Ready", "True" if ready else "False", reason, message, now, generation
        )
        if fresh.get("spec", {}).get("healthChecks") and reason != "ReconciliationFailed":
            took = go_duration(round((now - started).total_seconds(), 3))
            healthy = ("True", "Succeeded", f"Health check passed in {took}")
            if not ready:
                healthy = ("False", "HealthCheckFailed", message)
            conditions = set_condition(conditions, "Healthy", *healthy, now, generation)
        status["conditions"] = conditions
        status["observedGeneration"] = generation
        status["lastAttemptedRevision"] = revision
        if ready:
            status["lastAppliedRevision"] = revision
            status["inventory"] = {
                "entries": [_inventory_entry(m) for m in self.owned_templates(ks)]
            }
        requested = (fresh["metadata"].get("annotations") or {}).get(REQUESTED_AT)
        if requested:
            status["lastHandledReconcileAt"] = requested
        _write_status(store, fresh, status)
        retry = parse_duration(fresh.get("spec", {}).get("retryInterval", "1m"))
        self._next_run[key] = now + (self._interval(fresh) if ready else self.world.scaled(retry))
        changed = before is None or (before.get("status"), before.get("message")) != (
            "True" if ready else "False",
            message,
        )
        if ready and (changed or requested):
            took = go_duration(round((now - started).total_seconds(), 3))
            interval = go_duration(parse_duration(fresh.get("spec", {}).get("interval", "10m")))
            store.record_event(
                fresh, reason, f"Reconciliation finished in {took}, next run in {interval}"
            )
        elif not ready:
            store.record_event(fresh, reason, message, "Warning")


def _inventory_entry(manifest: Obj) -> dict[str, str]:
    api_version = str(manifest.get("apiVersion", ""))
    group, _, version = api_version.rpartition("/")
    meta = manifest["metadata"]
    return {
        "id": f"{meta.get('namespace', '')}_{meta['name']}_{group}_{manifest['kind']}",
        "v": version,
    }


# --------------------------------------------------------------------------- HelmRelease


class HelmReleaseController(Scanner):
    """helm-controller v2: install/upgrade with pre-install hooks, storage, retries, Stalled."""

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self._ops: dict[str, dict[str, Any]] = {}
        self._next_run: dict[str, datetime] = {}

    def scan(self, store: SimStore) -> None:
        """Reconcile every HelmRelease that is due, and carry on running installs."""
        now = store.now()
        for hr in store.list(*HELMRELEASES):
            self.guarded(
                f"HelmRelease {hr['metadata']['name']}",
                partial(self._reconcile, store, hr, now),
            )

    def _reconcile(self, store: SimStore, hr: Obj, now: datetime) -> None:
        key = _key(hr)
        coordinates = ReleaseCoordinates.of(hr)
        if hr["metadata"].get("deletionTimestamp"):
            self._ops.pop(key, None)
            self._uninstall(store, hr, coordinates)
            _remove_finalizer(store, hr, FLUX_FINALIZER)
            return
        if hr.get("spec", {}).get("suspend"):
            return
        if key in self._ops:
            self._advance(store, hr, coordinates, self._ops[key], now)
            return
        if not self._due(hr, key, now):
            return
        self._next_run[key] = now + self.world.scaled(
            parse_duration(hr.get("spec", {}).get("interval", "30m"))
        )
        problem = self._dependency_problem(store, hr)
        if problem is not None:
            self._dependency_not_ready(store, hr, problem, now)
            self._next_run[key] = now + self.world.scaled(DEPENDENCY_REQUEUE)
            return
        status = hr.get("status", {})
        annotations = hr["metadata"].get("annotations") or {}
        generation = _generation(hr)
        reset = annotations.get(RESET_AT)
        if generation != status.get("lastAttemptedGeneration") or (
            reset and reset != status.get("lastHandledResetAt")
        ):
            status = self._clear_failures(store, hr, reset)
            hr = {**hr, "status": status}
        latest = self._latest_release(store, coordinates)
        action = self._next_action(hr, status, latest)
        if action is None:
            self._in_sync(store, hr, now)
            return
        failures = int(status.get(f"{action}Failures", 0))
        if failures > self._retries(hr, action):
            self._stalled(store, hr, action, failures, now)
            return
        self._start(store, hr, coordinates, action, latest, now)

    def _due(self, hr: Obj, key: str, now: datetime) -> bool:
        if _reconcile_requested(hr) is not None:
            return True
        if _generation(hr) != hr.get("status", {}).get("observedGeneration", -1):
            return True
        if key not in self._next_run:
            interval = parse_duration(hr.get("spec", {}).get("interval", "30m"))
            self._next_run[key] = now + self.world.scaled(interval)
            return False
        return now >= self._next_run[key]

    @staticmethod
    def _dependency_problem(store: SimStore, hr: Obj) -> str | None:
        """Why a HelmRelease in ``spec.dependsOn`` holds this one back, or None."""
        for dep in hr.get("spec", {}).get("dependsOn", []) or []:
            namespace = dep.get("namespace") or hr["metadata"]["namespace"]
            found = store.get(*HELMRELEASES, namespace, dep["name"])
            observed = (found or {}).get("status", {}).get("observedGeneration")
            if found is None or not is_true(found, "Ready") or observed != _generation(found):
                return f"dependency '{namespace}/{dep['name']}' is not ready"
        return None

    @staticmethod
    def _dependency_not_ready(store: SimStore, hr: Obj, problem: str, now: datetime) -> None:
        status = copy.deepcopy(hr.get("status", {}))
        generation = _generation(hr)
        before = condition(hr, "Ready")
        status["conditions"] = set_condition(
            status.get("conditions", []),
            "Ready",
            "False",
            "DependencyNotReady",
            problem,
            now,
            generation,
        )
        requested = (hr["metadata"].get("annotations") or {}).get(REQUESTED_AT)
        if requested:
            status["lastHandledReconcileAt"] = requested
        _write_status(store, hr, status)
        if before is None or before.get("reason") != "DependencyNotReady":
            store.record_event(hr, "DependencyNotReady", problem)

    def _retries(self, hr: Obj, action: str) -> int:
        remediation = hr.get("spec", {}).get(action, {}).get("remediation", {})
        return int(remediation.get("retries", 0))

    def _next_action(self, hr: Obj, status: dict[str, Any], latest: Obj | None) -> str | None:
        if latest is None:
            return "install"
        state = latest["metadata"]["labels"].get("status")
        history = status.get("history") or []
        if state == "failed":
            return str(status.get("lastAttemptedReleaseAction") or "install")
        if state != "deployed" or not history:
            return "upgrade"
        if status.get("lastAttemptedGeneration", _generation(hr)) != _generation(hr):
            return "upgrade"
        return None

    def _clear_failures(self, store: SimStore, hr: Obj, reset: str | None) -> dict[str, Any]:
        status: dict[str, Any] = copy.deepcopy(hr.get("status", {}))
        for field in ("failures", "installFailures", "upgradeFailures"):
            status.pop(field, None)
        status["conditions"] = drop_condition(status.get("conditions", []), "Stalled")
        if reset:
            status["lastHandledResetAt"] = reset
        _write_status(store, hr, status)
        return status

    def _latest_release(self, store: SimStore, coordinates: ReleaseCoordinates) -> Obj | None:
        releases = self._release_secrets(store, coordinates)
        return max(releases, key=lambda s: int(s["metadata"]["labels"]["version"]), default=None)

    @staticmethod
    def _release_secrets(store: SimStore, coordinates: ReleaseCoordinates) -> list[Obj]:
        return [
            secret
            for secret in store.list(*SECRETS, coordinates.storage_namespace)
            if (secret["metadata"].get("labels") or {}).get("owner") == "helm"
            and secret["metadata"]["labels"].get("name") == coordinates.name
        ]

    def _chart(self, hr: Obj) -> tuple[str, str, str]:
        """Chart name, version and appVersion: from the behaviour, else from history."""
        behaviour = self.world.behaviour("helmreleases", hr)
        history = (hr.get("status", {}).get("history") or [{}])[0]
        chart_path = str(hr.get("spec", {}).get("chart", {}).get("spec", {}).get("chart", "chart"))
        return (
            str(
                behaviour.get("chartName", history.get("chartName", chart_path.rsplit("/", 1)[-1]))
            ),
            str(behaviour.get("chartVersion", history.get("chartVersion", "0.1.0"))),
            str(behaviour.get("appVersion", history.get("appVersion", "1.0.0"))),
        )

    def _in_sync(self, store: SimStore, hr: Obj, now: datetime) -> None:
        status = copy.deepcopy(hr.get("status", {}))
        generation = _generation(hr)
        status["observedGeneration"] = generation
        status["conditions"] = [
            {**c, "observedGeneration": generation} if "observedGeneration" in c else c
            for c in status.get("conditions", [])
        ]
        requested = (hr["metadata"].get("annotations") or {}).get(REQUESTED_AT)
        if requested:
            status["lastHandledReconcileAt"] = requested
        _write_status(store, hr, status)

    def _stalled(self, store: SimStore, hr: Obj, action: str, failures: int, now: datetime) -> None:
        status = copy.deepcopy(hr.get("status", {}))
        generation = _generation(hr)
        status["conditions"] = set_condition(
            drop_condition(status.get("conditions", []), "Reconciling"),
            "Stalled",
            "True",
            "RetriesExceeded",
            f"Failed to {action} after {failures} attempt(s)",
            now,
            generation,
        )
        status["observedGeneration"] = generation
        requested = (hr["metadata"].get("annotations") or {}).get(REQUESTED_AT)
        if requested:
            status["lastHandledReconcileAt"] = requested
        _write_status(store, hr, status)

    def _start(
        self,
        store: SimStore,
        hr: Obj,
        coordinates: ReleaseCoordinates,
        action: str,
        latest: Obj | None,
        now: datetime,
    ) -> None:
        if latest is not None and latest["metadata"]["labels"].get("status") == "failed":
            # helm-controller's default install remediation: uninstall the failed release.
            for secret in self._release_secrets(store, coordinates):
                store.delete(*SECRETS, coordinates.storage_namespace, secret["metadata"]["name"])
            latest = None
            action = "install"
        _chart, version, _app = self._chart(hr)
        timeout = go_duration(parse_duration(hr.get("spec", {}).get("timeout", "5m")))
        message = f"Running '{action}' action with timeout of {timeout}"
        generation = _generation(hr)
        status = copy.deepcopy(hr.get("status", {}))
        conditions = set_condition(
            status.get("conditions", []), "Reconciling", "True", "Progressing", message, now
        )
        status["conditions"] = set_condition(
            conditions, "Ready", "Unknown", "Progressing", message, now, generation
        )
        status["lastAttemptedReleaseAction"] = action
        status["lastAttemptedGeneration"] = generation
        status["lastAttemptedRevision"] = version
        status["storageNamespace"] = coordinates.storage_namespace
        status["helmChart"] = f"{hr['metadata']['namespace']}/{hr['metadata']['namespace']}-" + str(
            hr["metadata"]["name"]
        )
        _write_status(store, hr, status)
        previous = int(latest["metadata"]["labels"]["version"]) if latest else 0
        self._ops[_key(hr)] = {
            "action": action,
            "started": now,
            "version": previous + 1,
            "hooks": {},
            "hooks_done_at": None,
        }

    def _advance(
        self,
        store: SimStore,
        hr: Obj,
        coordinates: ReleaseCoordinates,
        op: dict[str, Any],
        now: datetime,
    ) -> None:
        if op["hooks_done_at"] is None:
            failure = self._run_hooks(store, hr, coordinates, op)
            if failure is not None:
                self._release_failed(store, hr, coordinates, op, failure, now)
                return
            if op["hooks_done_at"] is None:
                return
        behaviour = self.world.behaviour("helmreleases", hr)
        if now < op["hooks_done_at"] + self.world.delay(behaviour, 2.0):
            return
        if str(behaviour.get("outcome", "succeeded")).lower() in {
            "failed",
            "fail",
            "installfailed",
        }:
            message = str(behaviour.get("message", "context deadline exceeded"))
            self._release_failed(store, hr, coordinates, op, message, now)
            return
        self._release_succeeded(store, hr, coordinates, op, now)

    def _hooks_for(self, coordinates: ReleaseCoordinates, action: str) -> list[Obj]:
        event = f"pre-{action}"
        hooks = [
            hook
            for hook in hook_templates(self.world.templates, coordinates)
            if event in hook["metadata"]["annotations"].get(HOOK_ANNOTATION, "")
        ]
        return sorted(
            hooks,
            key=lambda h: (
                int(h["metadata"]["annotations"].get("helm.sh/hook-weight", "0") or 0),
                h["metadata"]["name"],
            ),
        )

    def _run_hooks(
        self, store: SimStore, hr: Obj, coordinates: ReleaseCoordinates, op: dict[str, Any]
    ) -> str | None:
        """Run hooks one at a time in weight order; a failure message, or None."""
        for hook in self._hooks_for(coordinates, op["action"]):
            name = hook["metadata"]["name"]
            namespace = hook["metadata"]["namespace"]
            state = op["hooks"].get(name)
            if state == "Succeeded":
                continue
            job = store.get(*JOBS, namespace, name)
            if state is None:
                if job is not None:  # hook-delete-policy before-hook-creation
                    store.delete(*JOBS, namespace, name, "Background")
                    return None
                created = store.create(manifest_of(hook))
                op["hooks"][name] = created["metadata"].get("uid", "created")
                return None
            if job is None or job["metadata"].get("uid", "created") != state:
                return None  # still being replaced, or gone before we saw it finish
            if is_true(job, "Complete"):
                op["hooks"][name] = "Succeeded"
                continue
            if is_true(job, "Failed"):
                failed = condition(job, "Failed") or {}
                reason = failed.get("reason", "BackoffLimitExceeded")
                return f"failed pre-{op['action']}: job {name} failed: {reason}"
            return None
        op["hooks_done_at"] = store.now()
        return None

    def _hook_runs(
        self, store: SimStore, coordinates: ReleaseCoordinates, action: str
    ) -> list[Any]:
        runs = []
        for hook in self._hooks_for(coordinates, action):
            job = store.get(*JOBS, hook["metadata"]["namespace"], hook["metadata"]["name"])
            runs.append(hook_run_of(job) if job and job.get("status") else hook_run_of(hook, ""))
        return runs

    def _release_succeeded(
        self,
        store: SimStore,
        hr: Obj,
        coordinates: ReleaseCoordinates,
        op: dict[str, Any],
        now: datetime,
    ) -> None:
        self._ops.pop(_key(hr), None)
        chart, version, app_version = self._chart(hr)
        action, revision = op["action"], op["version"]
        for secret in self._release_secrets(store, coordinates):
            if secret["metadata"]["labels"].get("status") == "deployed":
                superseded = copy.deepcopy(secret)
                superseded["metadata"]["labels"]["status"] = "superseded"
                superseded["metadata"].pop("resourceVersion", None)
                store.update(superseded)
        stamp = format_timestamp(now)
        first = format_timestamp(op["started"]) if action == "install" else stamp
        store.create(
            release_secret(
                coordinates,
                version=revision,
                status="deployed",
                chart_name=chart,
                chart_version=version,
                app_version=app_version,
                first_deployed=first,
                last_deployed=stamp,
                description="Install complete" if action == "install" else "Upgrade complete",
                hooks=self._hook_runs(store, coordinates, action),
            )
        )
        self._install_resources(store, coordinates)
        verb, reason = ("install", "InstallSucceeded")
        if action == "upgrade":
            verb, reason = ("upgrade", "UpgradeSucceeded")
        message = (
            f"Helm {verb} succeeded for release {coordinates.namespace}/{coordinates.name}"
            f".v{revision} with chart {chart}@{version}"
        )
        fresh = store.get(*HELMRELEASES, hr["metadata"]["namespace"], hr["metadata"]["name"])
        if fresh is None:
            return
        generation = _generation(fresh)
        status = copy.deepcopy(fresh.get("status", {}))
        for field in ("failures", "installFailures", "upgradeFailures"):
            status.pop(field, None)
        conditions = drop_condition(status.get("conditions", []), "Reconciling")
        conditions = drop_condition(conditions, "Stalled")
        conditions = set_condition(conditions, "Ready", "True", reason, message, now, generation)
        status["conditions"] = set_condition(
            conditions, "Released", "True", reason, message, now, generation
        )
        snapshot = self._snapshot(coordinates, revision, "deployed", chart, version, app_version)
        snapshot.update({"firstDeployed": first, "lastDeployed": stamp})
        old = [h for h in status.get("history") or [] if action == "upgrade"]
        status["history"] = [snapshot, *old][:5]
        status["observedGeneration"] = generation
        status["lastAttemptedConfigDigest"] = snapshot["configDigest"]
        requested = (fresh["metadata"].get("annotations") or {}).get(REQUESTED_AT)
        if requested:
            status["lastHandledReconcileAt"] = requested
        _write_status(store, fresh, status)
        store.record_event(fresh, reason, message)

    def _release_failed(
        self,
        store: SimStore,
        hr: Obj,
        coordinates: ReleaseCoordinates,
        op: dict[str, Any],
        error: str,
        now: datetime,
    ) -> None:
        self._ops.pop(_key(hr), None)
        chart, version, app_version = self._chart(hr)
        action, revision = op["action"], op["version"]
        stamp = format_timestamp(now)
        store.create(
            release_secret(
                coordinates,
                version=revision,
                status="failed",
                chart_name=chart,
                chart_version=version,
                app_version=app_version,
                first_deployed=format_timestamp(op["started"]),
                last_deployed=stamp,
                description=f"Release {coordinates.name!r} failed: {error}",
                hooks=self._hook_runs(store, coordinates, action),
            )
        )
        reason = "InstallFailed" if action == "install" else "UpgradeFailed"
        message = (
            f"Helm {action} failed for release {coordinates.namespace}/{coordinates.name} "
            f"with chart {chart}@{version}: {error}"
        )
        fresh = store.get(*HELMRELEASES, hr["metadata"]["namespace"], hr["metadata"]["name"])
        if fresh is None:
            return
        generation = _generation(fresh)
        status = copy.deepcopy(fresh.get("status", {}))
        status["failures"] = int(status.get("failures", 0)) + 1
        failures = int(status.get(f"{action}Failures", 0)) + 1
        status[f"{action}Failures"] = failures
        conditions = set_condition(
            status.get("conditions", []), "Released", "False", reason, message, now, generation
        )
        conditions = set_condition(conditions, "Ready", "False", reason, message, now, generation)
        if failures > self._retries(fresh, action):
            conditions = drop_condition(conditions, "Reconciling")
            conditions = set_condition(
                conditions,
                "Stalled",
                "True",
                "RetriesExceeded",
                f"Failed to {action} after {failures} attempt(s)",
                now,
                generation,
            )
        else:
            conditions = set_condition(
                conditions, "Reconciling", "True", "ProgressingWithRetry", message, now, generation
            )
            self._next_run[_key(fresh)] = now  # retry on the next scan
        status["conditions"] = conditions
        snapshot = self._snapshot(coordinates, revision, "failed", chart, version, app_version)
        snapshot.update({"firstDeployed": stamp, "lastDeployed": stamp})
        status["history"] = [snapshot]
        status["observedGeneration"] = generation
        requested = (fresh["metadata"].get("annotations") or {}).get(REQUESTED_AT)
        if requested:
            status["lastHandledReconcileAt"] = requested
        _write_status(store, fresh, status)
        store.record_event(fresh, reason, message, "Warning")

    @staticmethod
    def _snapshot(
        coordinates: ReleaseCoordinates,
        revision: int,
        state: str,
        chart: str,
        version: str,
        app_version: str,
    ) -> dict[str, Any]:
        digest = hashlib.sha256(f"{coordinates.name}{revision}{version}".encode()).hexdigest()
        return {
            "name": coordinates.name,
            "namespace": coordinates.namespace,
            "version": revision,
            "status": state,
            "chartName": chart,
            "chartVersion": version,
            "appVersion": app_version,
            "configDigest": "sha256:" + hashlib.sha256(chart.encode()).hexdigest(),
            "digest": "sha256:" + digest,
        }

    def chart_resources(self, coordinates: ReleaseCoordinates) -> list[Obj]:
        """What the chart renders besides hooks: objects annotated or labelled as the release's."""
        found = []
        for obj in self.world.templates:
            meta = obj["metadata"]
            annotations = meta.get("annotations") or {}
            labels = meta.get("labels") or {}
            if HOOK_ANNOTATION in annotations or JOB_NAME_LABEL in labels or "job-name" in labels:
                continue
            if annotations.get(RELEASE_NAME_ANNOTATION) == coordinates.name or (
                labels.get(INSTANCE_LABEL) == coordinates.name and obj.get("kind") == "Pod"
            ):
                found.append(obj)
        return found

    def _install_resources(self, store: SimStore, coordinates: ReleaseCoordinates) -> None:
        now = store.now()
        for manifest in self.chart_resources(coordinates):
            group, plural = self.world.resource_of(manifest)
            meta = manifest["metadata"]
            if store.get(group, plural, meta.get("namespace"), meta["name"]) is not None:
                continue
            status = None
            if manifest["kind"] == "Pod":
                status = running_pod_status(manifest, now)
            elif manifest["kind"] == "Deployment":
                status = available_deployment_status(manifest, now)
            _create_with_status(store, manifest, status)
            log = self.world.logs.get(f"{meta.get('namespace')}/{meta['name']}")
            if manifest["kind"] == "Pod" and log is not None:
                store.set_pod_log(meta["namespace"], meta["name"], log)

    def _uninstall(self, store: SimStore, hr: Obj, coordinates: ReleaseCoordinates) -> None:
        """What Helm's uninstall does on HelmRelease deletion: resources and storage go."""
        for manifest in self.chart_resources(coordinates):
            group, plural = self.world.resource_of(manifest)
            meta = manifest["metadata"]
            if store.get(group, plural, meta.get("namespace"), meta["name"]) is not None:
                store.delete(group, plural, meta.get("namespace"), meta["name"])
        secrets = self._release_secrets(store, coordinates)
        for secret in secrets:
            store.delete(*SECRETS, coordinates.storage_namespace, secret["metadata"]["name"])
        if secrets:
            store.record_event(
                hr,
                "UninstallSucceeded",
                f"Helm uninstall succeeded for release {coordinates.namespace}/{coordinates.name}",
            )


def running_pod_status(pod: Obj, now: datetime) -> dict[str, Any]:
    """A freshly started pod's status: Running, every container ready."""
    stamp = format_timestamp(now)
    containers = pod.get("spec", {}).get("containers", [])
    return {
        "phase": "Running",
        "hostIP": "10.0.0.21",
        "podIP": _fake_ip(pod),
        "startTime": stamp,
        "qosClass": "BestEffort",
        "conditions": [
            {"type": kind, "status": "True", "lastTransitionTime": stamp}
            for kind in ("PodScheduled", "Initialized", "ContainersReady", "Ready")
        ],
        "containerStatuses": [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "containerID": "containerd://" + _digest(pod, c["name"]),
                "ready": True,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": stamp}},
            }
            for c in containers
        ],
    }


def available_deployment_status(deployment: Obj, now: datetime) -> dict[str, Any]:
    """A Deployment whose replicas are all available."""
    stamp = format_timestamp(now)
    replicas = int(deployment.get("spec", {}).get("replicas", 1))
    return {
        "observedGeneration": 1,
        "replicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
        "updatedReplicas": replicas,
        "conditions": [
            {
                "type": "Available",
                "status": "True",
                "reason": "MinimumReplicasAvailable",
                "message": "Deployment has minimum availability.",
                "lastTransitionTime": stamp,
                "lastUpdateTime": stamp,
            }
        ],
    }


def _digest(obj: Obj, salt: str = "") -> str:
    meta = obj["metadata"]
    seed = f"{meta.get('namespace')}/{meta['name']}/{meta.get('uid', '')}/{salt}"
    return hashlib.sha256(seed.encode()).hexdigest()


def _fake_ip(obj: Obj) -> str:
    digest = _digest(obj, "ip")
    return f"10.244.{int(digest[:2], 16) % 4}.{int(digest[2:4], 16) % 250 + 2}"


def pod_suffix(seed: str) -> str:
    """Five characters in the alphabet Kubernetes uses for generated names, from ``seed``."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_POD_SUFFIX_ALPHABET[b % len(_POD_SUFFIX_ALPHABET)] for b in digest[:5])


# --------------------------------------------------------------------------- Job


class JobController(Scanner):
    """The Job controller: adopt pods, run to completion or failure, then TTL clean-up."""

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self._settled: set[str] = set()  # finished Jobs whose pods are adopted

    def scan(self, store: SimStore) -> None:
        """Advance every Job one step; pods are listed only when some Job needs them."""
        now = store.now()
        jobs = store.list(*JOBS)
        pods_by_job: dict[tuple[str, str], list[Obj]] = {}
        if any(_key(job) not in self._settled for job in jobs):
            for pod in store.list(*PODS):
                labels = pod["metadata"].get("labels") or {}
                job_name = labels.get(JOB_NAME_LABEL) or labels.get("job-name")
                if job_name:
                    key = (pod["metadata"]["namespace"], job_name)
                    pods_by_job.setdefault(key, []).append(pod)
        for job in jobs:
            pods = pods_by_job.get((job["metadata"]["namespace"], job["metadata"]["name"]), [])
            self.guarded(
                f"Job {job['metadata']['name']}",
                partial(self._reconcile, store, job, pods, now),
            )

    def _reconcile(self, store: SimStore, job: Obj, pods: list[Obj], now: datetime) -> None:
        if job["metadata"].get("deletionTimestamp"):
            return
        if _key(job) not in self._settled:
            self._adopt(store, job, pods)
        if is_true(job, "Complete") or is_true(job, "Failed"):
            self._settled.add(_key(job))
            self._expire(store, job, now)
            return
        if job.get("spec", {}).get("suspend"):
            return
        behaviour = self.world.behaviour("jobs", job)
        status = job.get("status", {})
        if not status.get("startTime"):
            self._start(store, job, pods, now)
            return
        outcome = str(behaviour.get("outcome", "Complete"))
        if outcome == "Running":
            return
        started = parse_timestamp(status["startTime"]) or now
        if now < started + self.world.delay(behaviour, 2.0):
            return
        self._finish(store, job, pods, outcome == "Complete", behaviour, now)

    @staticmethod
    def _adopt(store: SimStore, job: Obj, pods: list[Obj]) -> None:
        """Give orphaned pods of this Job their ownerReference, as the real controller does."""
        uid = job["metadata"].get("uid")
        if not uid:
            return
        for pod in pods:
            if pod["metadata"].get("ownerReferences"):
                continue
            adopted = copy.deepcopy(pod)
            adopted["metadata"]["ownerReferences"] = [_owner_reference(job)]
            adopted["metadata"].pop("resourceVersion", None)
            store.update(adopted)

    def _expire(self, store: SimStore, job: Obj, now: datetime) -> None:
        ttl = job.get("spec", {}).get("ttlSecondsAfterFinished")
        if ttl is None:
            return
        status = job.get("status", {})
        finished = parse_timestamp(status.get("completionTime"))
        if finished is None:
            failed = condition(job, "Failed") or {}
            finished = parse_timestamp(failed.get("lastTransitionTime"))
        if finished is not None and now >= finished + self.world.scaled(float(ttl)):
            store.delete(*JOBS, job["metadata"]["namespace"], job["metadata"]["name"], "Background")

    def _start(self, store: SimStore, job: Obj, pods: list[Obj], now: datetime) -> None:
        status = copy.deepcopy(job.get("status", {}))
        status.update({"startTime": format_timestamp(now), "active": 1, "ready": 0})
        status.setdefault("terminating", 0)
        status.setdefault("uncountedTerminatedPods", {})
        _write_status(store, job, status)
        if not pods:
            pod = self._pod_for(job)
            _create_with_status(store, pod, running_pod_status(pod, now))
            store.record_event(job, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")

    @staticmethod
    def _pod_for(job: Obj) -> Obj:
        meta = job["metadata"]
        template = job.get("spec", {}).get("template", {})
        uid = str(meta.get("uid", ""))
        labels = dict(template.get("metadata", {}).get("labels") or {})
        labels.update(
            {
                JOB_NAME_LABEL: meta["name"],
                "job-name": meta["name"],
                "batch.kubernetes.io/controller-uid": uid,
                "controller-uid": uid,
            }
        )
        pod_meta: dict[str, Any] = {
            "name": f"{meta['name']}-{pod_suffix(uid + meta['name'])}",
            "namespace": meta["namespace"],
            "labels": labels,
        }
        if uid:
            pod_meta["ownerReferences"] = [_owner_reference(job)]
        spec = copy.deepcopy(template.get("spec", {}))
        spec.setdefault("nodeName", "talos-worker-1")
        return {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta, "spec": spec}

    def _finish(
        self,
        store: SimStore,
        job: Obj,
        pods: list[Obj],
        succeeded: bool,
        behaviour: dict[str, Any],
        now: datetime,
    ) -> None:
        stamp = format_timestamp(now)
        log = behaviour.get("log")
        if log is None:
            log = "job completed\n" if succeeded else "Error: job failed\n"
        for pod in pods or [self._pod_for(job)]:
            if pod.get("status", {}).get("phase") in {"Succeeded", "Failed"}:
                continue
            if "uid" not in pod["metadata"]:
                pod = store.create(manifest_of(pod))
            _write_status(store, pod, finished_pod_status(pod, succeeded, stamp))
            store.set_pod_log(pod["metadata"]["namespace"], pod["metadata"]["name"], str(log))
        status = copy.deepcopy(job.get("status", {}))
        status.pop("active", None)
        status["ready"] = 0
        if succeeded:
            status["succeeded"] = 1
            status["completionTime"] = stamp
            kinds = [("SuccessCriteriaMet", "", ""), ("Complete", "", "")]
        else:
            status["failed"] = 1
            message = "Job has reached the specified backoff limit"
            kinds = [
                ("FailureTarget", "BackoffLimitExceeded", message),
                ("Failed", "BackoffLimitExceeded", message),
            ]
        conditions = list(status.get("conditions", []))
        for kind, reason, message in kinds:
            entry = {
                "type": kind,
                "status": "True",
                "lastProbeTime": stamp,
                "lastTransitionTime": stamp,
            }
            if reason:
                entry.update({"reason": reason, "message": message})
            conditions.append(entry)
        status["conditions"] = conditions
        _write_status(store, job, status)
        if succeeded:
            store.record_event(job, "Completed", "Job completed")
        else:
            store.record_event(
                job,
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                "Warning",
            )


def finished_pod_status(pod: Obj, succeeded: bool, stamp: str) -> dict[str, Any]:
    """A pod whose containers have exited (0 when ``succeeded``, else 1)."""
    containers = pod.get("spec", {}).get("containers", [])
    started = pod.get("status", {}).get("startTime", stamp)
    reason = "PodCompleted" if succeeded else "PodFailed"
    return {
        "phase": "Succeeded" if succeeded else "Failed",
        "hostIP": "10.0.0.21",
        "podIP": _fake_ip(pod),
        "startTime": started,
        "qosClass": "BestEffort",
        "conditions": [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": started},
            {"type": "Initialized", "status": "True", "lastTransitionTime": started},
            {
                "type": "ContainersReady",
                "status": "False",
                "reason": reason,
                "lastTransitionTime": stamp,
            },
            {"type": "Ready", "status": "False", "reason": reason, "lastTransitionTime": stamp},
        ],
        "containerStatuses": [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "containerID": "containerd://" + _digest(pod, c["name"]),
                "ready": False,
                "started": False,
                "restartCount": 0,
                "state": {
                    "terminated": {
                        "exitCode": 0 if succeeded else 1,
                        "reason": "Completed" if succeeded else "Error",
                        "startedAt": started,
                        "finishedAt": stamp,
                    }
                },
            }
            for c in containers
        ],
    }


def _owner_reference(owner: Obj) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


# --------------------------------------------------------------------------- ExternalSecret


class ExternalSecretController(Scanner):
    """External Secrets: sync target Secrets while the store is Ready, else SecretSyncedError."""

    def scan(self, store: SimStore) -> None:
        """Bring every ExternalSecret in line with its store's readiness."""
        now = store.now()
        stores: dict[tuple[str, str | None, str], Obj | None] = {}
        for external in store.list(*EXTERNALSECRETS):
            self.guarded(
                f"ExternalSecret {external['metadata']['name']}",
                partial(self._reconcile, store, external, stores, now),
            )

    def _reconcile(
        self,
        store: SimStore,
        es: Obj,
        stores: dict[tuple[str, str | None, str], Obj | None],
        now: datetime,
    ) -> None:
        if es["metadata"].get("deletionTimestamp"):
            return
        ref = es.get("spec", {}).get("secretStoreRef", {})
        kind = ref.get("kind") or "SecretStore"
        namespace = None if kind == "ClusterSecretStore" else es["metadata"]["namespace"]
        cache_key = (kind, namespace, ref.get("name", ""))
        if cache_key not in stores:
            plural = "clustersecretstores" if kind == "ClusterSecretStore" else "secretstores"
            stores[cache_key] = store.get("external-secrets.io", plural, namespace, cache_key[2])
        secret_store = stores[cache_key]
        if secret_store is not None and is_true(secret_store, "Ready"):
            self._synced(store, es, now)
        else:
            self._not_synced(store, es, ref.get("name", ""), now)

    def desired_keys(self, es: Obj) -> list[str]:
        """The target Secret's keys: each ``data[].secretKey``; ``dataFrom`` adds fixed ones."""
        spec = es.get("spec", {})
        keys = [str(item["secretKey"]) for item in spec.get("data", []) or []]
        if spec.get("dataFrom"):
            behaviour = self.world.behaviour("externalsecrets", es)
            keys.extend(str(k) for k in behaviour.get("dataFromKeys", ["username", "password"]))
        return sorted(set(keys))

    def _synced(self, store: SimStore, es: Obj, now: datetime) -> None:
        import base64

        meta = es["metadata"]
        target = es.get("spec", {}).get("target", {}).get("name") or meta["name"]
        keys = self.desired_keys(es)
        fake = base64.b64encode(FAKE_SECRET_VALUE).decode()
        secret = store.get(*SECRETS, meta["namespace"], target)
        owned = es.get("spec", {}).get("target", {}).get("creationPolicy", "Owner") == "Owner"
        if secret is None:
            manifest: Obj = {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "Opaque",
                "metadata": {
                    "name": target,
                    "namespace": meta["namespace"],
                    "labels": {"reconcile.external-secrets.io/created-by": meta["name"]},
                    "annotations": {"reconcile.external-secrets.io/data-hash": _hash(keys)},
                },
                "data": {key: fake for key in keys},
            }
            if owned and meta.get("uid"):
                manifest["metadata"]["ownerReferences"] = [_owner_reference(es)]
            store.create(manifest)
            store.record_event(es, "Created", "Created Secret")
        elif sorted((secret.get("data") or {}).keys()) != keys or (
            owned and meta.get("uid") and not secret["metadata"].get("ownerReferences")
        ):
            updated = copy.deepcopy(secret)
            updated["data"] = {key: (secret.get("data") or {}).get(key, fake) for key in keys}
            if owned and meta.get("uid"):
                updated["metadata"]["ownerReferences"] = [_owner_reference(es)]
            updated["metadata"].pop("resourceVersion", None)
            store.update(updated)
            if sorted((secret.get("data") or {}).keys()) != keys:
                store.record_event(es, "Updated", "Updated Secret")
        status = copy.deepcopy(es.get("status", {}))
        refreshed = parse_timestamp(status.get("refreshTime"))
        interval = parse_duration(es.get("spec", {}).get("refreshInterval", "1h"))
        was_ready = is_true(es, "Ready")
        if not was_ready or refreshed is None or now >= refreshed + self.world.scaled(interval):
            status["refreshTime"] = format_timestamp(now)
        status["conditions"] = set_condition(
            status.get("conditions", []), "Ready", "True", "SecretSynced", "Secret was synced", now
        )
        status["binding"] = {"name": target}
        status["syncedResourceVersion"] = f"{_generation(es)}-{_hash([meta['name'], *keys])}"
        _write_status(store, es, status)

    def _not_synced(self, store: SimStore, es: Obj, store_name: str, now: datetime) -> None:
        before = condition(es, "Ready")
        status = copy.deepcopy(es.get("status", {}))
        status["conditions"] = set_condition(
            status.get("conditions", []),
            "Ready",
            "False",
            "SecretSyncedError",
            "could not get secret data from provider",
            now,
        )
        _write_status(store, es, status)
        if before is None or before.get("reason") != "SecretSyncedError":
            store.record_event(
                es,
                "UpdateFailed",
                f"the desired SecretStore {store_name} is not ready",
                "Warning",
            )


def _hash(parts: Iterable[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
