"""helm-controller, simulated."""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime
from functools import partial
from typing import Any

from glmctl.sim.contracts import Obj, SimStore
from glmctl.sim.controllers.base import (
    DEPENDENCY_REQUEUE,
    FLUX_FINALIZER,
    FORCE_AT,
    HELMRELEASES,
    JOB_NAME_LABEL,
    JOBS,
    RELEASE_NAME_ANNOTATION,
    REQUESTED_AT,
    RESET_AT,
    SECRETS,
    Scanner,
    World,
    condition,
    create_with_status,
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
from glmctl.sim.controllers.workloads import available_deployment_status, running_pod_status
from glmctl.sim.helm_storage import (
    HOOK_ANNOTATION,
    INSTANCE_LABEL,
    ReleaseCoordinates,
    hook_run_of,
    hook_templates,
    release_secret,
)
from glmctl.sim.scenario import format_timestamp, parse_duration


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
        key = object_key(hr)
        coordinates = ReleaseCoordinates.of(hr)
        if hr["metadata"].get("deletionTimestamp"):
            self._ops.pop(key, None)
            # helm-controller skips the uninstall of a suspended HelmRelease and only
            # removes its finalizer: the release and its resources stay.
            if not hr.get("spec", {}).get("suspend"):
                self._uninstall(store, hr, coordinates)
            remove_finalizer(store, hr, FLUX_FINALIZER)
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
        generation = generation_of(hr)
        reset = annotations.get(RESET_AT)
        if generation != status.get("lastAttemptedGeneration") or (
            reset and reset != status.get("lastHandledResetAt")
        ):
            status = self._clear_failures(store, hr, reset)
            hr = {**hr, "status": status}
        latest = self._latest_release(store, coordinates)
        forced = self._force_requested(hr)
        action = self._next_action(hr, status, latest)
        if forced is not None:
            # helm-controller: a forceAt equal to requestedAt and not yet handled is a
            # one-off install or upgrade, whatever the release's state and failure count.
            status = {**status, "lastHandledForceAt": forced}
            hr = {**hr, "status": status}
            action = "install" if action == "install" or latest is None else "upgrade"
        if action is None:
            self._in_sync(store, hr, now)
            return
        failures = int(status.get(f"{action}Failures", 0))
        if forced is None and failures > self._retries(hr, action):
            self._stalled(store, hr, action, failures, now)
            return
        self._start(store, hr, coordinates, action, latest, now)

    @staticmethod
    def _force_requested(hr: Obj) -> str | None:
        """The ``forceAt`` value to act on: set, equal to ``requestedAt`` (helm-controller
        ignores it otherwise) and not yet recorded as ``status.lastHandledForceAt``."""
        annotations = hr["metadata"].get("annotations") or {}
        forced = annotations.get(FORCE_AT)
        handled = (hr.get("status") or {}).get("lastHandledForceAt")
        if forced and forced == annotations.get(REQUESTED_AT) and forced != handled:
            return str(forced)
        return None

    def _due(self, hr: Obj, key: str, now: datetime) -> bool:
        if reconcile_requested(hr) is not None:
            return True
        if generation_of(hr) != hr.get("status", {}).get("observedGeneration", -1):
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
            if found is None or not is_true(found, "Ready") or observed != generation_of(found):
                return f"dependency '{namespace}/{dep['name']}' is not ready"
        return None

    @staticmethod
    def _dependency_not_ready(store: SimStore, hr: Obj, problem: str, now: datetime) -> None:
        status = copy.deepcopy(hr.get("status", {}))
        generation = generation_of(hr)
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
        write_status(store, hr, status)
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
        if status.get("lastAttemptedGeneration", generation_of(hr)) != generation_of(hr):
            return "upgrade"
        return None

    def _clear_failures(self, store: SimStore, hr: Obj, reset: str | None) -> dict[str, Any]:
        status: dict[str, Any] = copy.deepcopy(hr.get("status", {}))
        for field in ("failures", "installFailures", "upgradeFailures"):
            status.pop(field, None)
        status["conditions"] = drop_condition(status.get("conditions", []), "Stalled")
        if reset:
            status["lastHandledResetAt"] = reset
        write_status(store, hr, status)
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
        generation = generation_of(hr)
        status["observedGeneration"] = generation
        status["conditions"] = [
            {**c, "observedGeneration": generation} if "observedGeneration" in c else c
            for c in status.get("conditions", [])
        ]
        requested = (hr["metadata"].get("annotations") or {}).get(REQUESTED_AT)
        if requested:
            status["lastHandledReconcileAt"] = requested
        write_status(store, hr, status)

    def _stalled(self, store: SimStore, hr: Obj, action: str, failures: int, now: datetime) -> None:
        status = copy.deepcopy(hr.get("status", {}))
        generation = generation_of(hr)
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
        write_status(store, hr, status)

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
        generation = generation_of(hr)
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
        write_status(store, hr, status)
        previous = int(latest["metadata"]["labels"]["version"]) if latest else 0
        self._ops[object_key(hr)] = {
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
        self._ops.pop(object_key(hr), None)
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
        generation = generation_of(fresh)
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
        write_status(store, fresh, status)
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
        self._ops.pop(object_key(hr), None)
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
        generation = generation_of(fresh)
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
            self._next_run[object_key(fresh)] = now  # retry on the next scan
        status["conditions"] = conditions
        snapshot = self._snapshot(coordinates, revision, "failed", chart, version, app_version)
        snapshot.update({"firstDeployed": stamp, "lastDeployed": stamp})
        status["history"] = [snapshot]
        status["observedGeneration"] = generation
        requested = (fresh["metadata"].get("annotations") or {}).get(REQUESTED_AT)
        if requested:
            status["lastHandledReconcileAt"] = requested
        write_status(store, fresh, status)
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
            create_with_status(store, manifest, status)
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
