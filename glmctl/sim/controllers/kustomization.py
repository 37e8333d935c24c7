"""kustomize-controller, simulated."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from glmctl.sim.contracts import Obj, SimStore
from glmctl.sim.controllers.base import (
    DEFAULT_REVISION,
    DEPENDENCY_REQUEUE,
    FLUX_FINALIZER,
    GITREPOSITORIES,
    KS_NAME_LABEL,
    KS_NAMESPACE_LABEL,
    KUSTOMIZATIONS,
    REQUESTED_AT,
    Scanner,
    World,
    condition,
    drop_condition,
    generation_of,
    go_duration,
    is_true,
    manifest_of,
    object_key,
    reconcile_requested,
    remove_finalizer,
    set_condition,
    write_status,
)
from glmctl.sim.scenario import parse_duration


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
        key = object_key(ks)
        if ks["metadata"].get("deletionTimestamp"):
            if ks.get("spec", {}).get("prune") and not ks.get("spec", {}).get("suspend"):
                self._prune(store, ks)
            remove_finalizer(store, ks, FLUX_FINALIZER)
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
        if reconcile_requested(ks) is not None:
            return True
        if generation_of(ks) != status.get("observedGeneration", -1):
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
            if not is_true(found, "Ready") or observed != generation_of(found) or ready is None:
                return f"dependency '{dep_ns}/{dep['name']}' is not ready"
        return None

    def _dependency_not_ready(self, store: SimStore, ks: Obj, problem: str, now: datetime) -> None:
        status = copy.deepcopy(ks.get("status", {}))
        generation = generation_of(ks)
        before = condition(ks, "Ready")
        conditions = drop_condition(status.get("conditions", []), "Reconciling")
        status["conditions"] = set_condition(
            conditions, "Ready", "False", "DependencyNotReady", problem, now, generation
        )
        status["observedGeneration"] = generation
        requested = (ks["metadata"].get("annotations") or {}).get(REQUESTED_AT)
        if requested:
            status["lastHandledReconcileAt"] = requested
        write_status(store, ks, status)
        self._next_run[object_key(ks)] = now + self.world.scaled(DEPENDENCY_REQUEUE)
        if before is None or before.get("reason") != "DependencyNotReady":
            store.record_event(
                ks,
                "DependencyNotReady",
                f"Dependencies do not meet ready condition, retrying in {go_duration(30)}",
            )

    def _progressing(self, store: SimStore, ks: Obj, now: datetime) -> None:
        status = copy.deepcopy(ks.get("status", {}))
        generation = generation_of(ks)
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
        write_status(store, ks, status)

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
            generation_of(ks),
        )
        write_status(store, ks, status)

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
        key = object_key(ks)
        self._in_progress.pop(key, None)
        fresh = store.get(*KUSTOMIZATIONS, ks["metadata"]["namespace"], ks["metadata"]["name"])
        if fresh is None:
            return
        generation = generation_of(fresh)
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
        write_status(store, fresh, status)
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
