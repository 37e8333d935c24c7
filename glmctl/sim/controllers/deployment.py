"""The Deployment and ReplicaSet controllers, simulated.

A Deployment owns one ReplicaSet per pod template (named ``<deployment>-<hash>``, its
pods labelled ``pod-template-hash``); a new template (``kubectl rollout restart`` sets an
annotation on it) gets a new ReplicaSet scaled to ``spec.replicas`` while the old ones go
to zero, at once rather than surge by surge. A ReplicaSet keeps ``spec.replicas`` pods,
so a deleted pod comes back; its pods start Running and Ready, as the Job controller's
do. Scenario Deployments written with pods but no ReplicaSet are adopted as they are:
the ReplicaSet is made from the pods' ``pod-template-hash`` and nothing is restarted.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime
from functools import partial
from typing import Any

from glmctl.sim.contracts import Obj, SimStore
from glmctl.sim.controllers.base import (
    PODS,
    Scanner,
    generation_of,
    is_true,
    set_condition,
    write_status,
)
from glmctl.sim.controllers.workloads import owner_reference, pod_suffix, running_pod_status

DEPLOYMENTS = ("apps", "deployments")
REPLICASETS = ("apps", "replicasets")
HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"


def template_hash(template: Obj) -> str:
    """A stable name suffix for a pod template (the alphabet of generated names)."""
    digest = hashlib.sha256(repr(_canonical(template)).encode()).hexdigest()
    return pod_suffix(digest) + pod_suffix(digest[::-1])


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return sorted((k, _canonical(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def _without_hash(template: Obj) -> Obj:
    clean = copy.deepcopy(template)
    labels = (clean.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(HASH_LABEL, None)
    return clean


def _owned_by(obj: Obj, owner: Obj) -> bool:
    uid = owner["metadata"].get("uid")
    return any(ref.get("uid") == uid for ref in obj["metadata"].get("ownerReferences") or [])


def _selected(pod: Obj, selector: Obj) -> bool:
    labels = pod["metadata"].get("labels") or {}
    wanted = (selector or {}).get("matchLabels") or {}
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())


def _ready(pod: Obj) -> bool:
    return not pod["metadata"].get("deletionTimestamp") and is_true(pod, "Ready")


class DeploymentController(Scanner):
    """Deployments: one ReplicaSet per template, old ones scaled to zero, status."""

    def scan(self, store: SimStore) -> None:
        deployments = store.list(*DEPLOYMENTS)
        if not deployments:
            return
        replica_sets = store.list(*REPLICASETS)
        pods = store.list(*PODS)
        now = store.now()
        for deployment in deployments:
            if deployment["metadata"].get("deletionTimestamp"):
                continue
            self.guarded(
                f"Deployment {deployment['metadata']['name']}",
                partial(self._reconcile, store, deployment, replica_sets, pods, now),
            )

    def _reconcile(
        self,
        store: SimStore,
        deployment: Obj,
        replica_sets: list[Obj],
        pods: list[Obj],
        now: datetime,
    ) -> None:
        meta = deployment["metadata"]
        spec = deployment.get("spec") or {}
        template = spec.get("template") or {}
        replicas = int(spec.get("replicas", 1))
        namespace = meta["namespace"]
        in_namespace = [p for p in pods if p["metadata"].get("namespace") == namespace]
        owned = [
            rs
            for rs in replica_sets
            if rs["metadata"].get("namespace") == namespace and _owned_by(rs, deployment)
        ]
        current = next(
            (rs for rs in owned if _without_hash(rs["spec"].get("template") or {}) == template),
            None,
        )
        if current is None:
            current = self._new_replica_set(store, deployment, owned, in_namespace)
            owned.append(current)
        for rs in owned:
            want = replicas if rs is current else 0
            if int(rs["spec"].get("replicas", 0)) != want:
                updated = copy.deepcopy(rs)
                updated["spec"]["replicas"] = want
                updated["metadata"].pop("resourceVersion", None)
                store.update(updated)
        self._status(store, deployment, current, owned, in_namespace, now)

    def _new_replica_set(
        self, store: SimStore, deployment: Obj, owned: list[Obj], pods: list[Obj]
    ) -> Obj:
        meta = deployment["metadata"]
        spec = deployment.get("spec") or {}
        template = copy.deepcopy(spec.get("template") or {})
        orphans = [
            p
            for p in pods
            if _selected(p, spec.get("selector") or {})
            and not p["metadata"].get("ownerReferences")
            and (p["metadata"].get("labels") or {}).get(HASH_LABEL)
        ]
        pod_hash = (
            orphans[0]["metadata"]["labels"][HASH_LABEL]
            if orphans and not owned
            else template_hash(template)
        )
        template.setdefault("metadata", {}).setdefault("labels", {})[HASH_LABEL] = pod_hash
        selector = copy.deepcopy(spec.get("selector") or {})
        selector.setdefault("matchLabels", {})[HASH_LABEL] = pod_hash
        revisions = [
            int((rs["metadata"].get("annotations") or {}).get(REVISION, 0)) for rs in owned
        ]
        labels = dict((template.get("metadata") or {}).get("labels") or {})
        created = store.create(
            {
                "apiVersion": "apps/v1",
                "kind": "ReplicaSet",
                "metadata": {
                    "name": f"{meta['name']}-{pod_hash}",
                    "namespace": meta["namespace"],
                    "labels": labels,
                    "annotations": {REVISION: str(max(revisions, default=0) + 1)},
                    "ownerReferences": [owner_reference(deployment)],
                },
                "spec": {
                    "replicas": int(spec.get("replicas", 1)),
                    "selector": selector,
                    "template": template,
                },
            }
        )
        for pod in orphans if not owned else []:
            if (pod["metadata"].get("labels") or {}).get(HASH_LABEL) != pod_hash:
                continue
            adopted = copy.deepcopy(pod)
            adopted["metadata"]["ownerReferences"] = [owner_reference(created)]
            adopted["metadata"].pop("resourceVersion", None)
            store.update(adopted)
        store.record_event(
            deployment,
            "ScalingReplicaSet",
            f"Scaled up replica set {created['metadata']['name']} from 0 to "
            f"{created['spec']['replicas']}",
        )
        return created

    @staticmethod
    def _status(
        store: SimStore,
        deployment: Obj,
        current: Obj,
        owned: list[Obj],
        pods: list[Obj],
        now: datetime,
    ) -> None:
        uids = {rs["metadata"].get("uid") for rs in owned}
        mine = [
            p
            for p in pods
            if any(r.get("uid") in uids for r in p["metadata"].get("ownerReferences") or [])
            and not p["metadata"].get("deletionTimestamp")
        ]
        updated = [p for p in mine if _owned_by(p, current)]
        ready = [p for p in mine if _ready(p)]
        available = [p for p in updated if _ready(p)]
        wanted = int((deployment.get("spec") or {}).get("replicas", 1))
        previous = deployment.get("status") or {}
        conditions = list(previous.get("conditions") or [])
        name = current["metadata"]["name"]
        if len(available) >= wanted:
            conditions = set_condition(
                conditions,
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                now,
            )
        else:
            conditions = set_condition(
                conditions,
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                now,
            )
        done = len(updated) == wanted == len(mine) and len(available) == wanted
        conditions = set_condition(
            conditions,
            "Progressing",
            "True",
            "NewReplicaSetAvailable" if done else "ReplicaSetUpdated",
            f'ReplicaSet "{name}" has successfully progressed.'
            if done
            else f'ReplicaSet "{name}" is progressing.',
            now,
        )
        for item in conditions:  # a real controller keeps lastUpdateTime alongside
            item.setdefault("lastUpdateTime", item.get("lastTransitionTime"))
        status: Obj = {"observedGeneration": generation_of(deployment)}
        for key, count in (
            ("replicas", len(mine)),
            ("updatedReplicas", len(updated)),
            ("readyReplicas", len(ready)),
            ("availableReplicas", len(available)),
            ("unavailableReplicas", max(0, len(mine) - len(available))),
        ):
            if count:
                status[key] = count
        status["conditions"] = conditions
        if _same(previous, status):
            return
        write_status(store, deployment, status)


def _same(previous: Obj, status: Obj) -> bool:
    """Equal but for condition order (a scenario may list them in another order)."""

    def keyed(s: Obj) -> Obj:
        return {
            **{k: v for k, v in s.items() if k != "conditions"},
            "conditions": sorted((sorted(c.items()) for c in s.get("conditions") or []), key=repr),
        }

    return keyed(previous) == keyed(status)


class ReplicaSetController(Scanner):
    """ReplicaSets keep ``spec.replicas`` pods: missing ones are created Running, extra
    ones deleted (newest first)."""

    def scan(self, store: SimStore) -> None:
        replica_sets = store.list(*REPLICASETS)
        if not replica_sets:
            return
        pods = store.list(*PODS)
        now = store.now()
        for rs in replica_sets:
            if rs["metadata"].get("deletionTimestamp"):
                continue
            self.guarded(
                f"ReplicaSet {rs['metadata']['name']}",
                partial(self._reconcile, store, rs, pods, now),
            )

    def _reconcile(self, store: SimStore, rs: Obj, pods: list[Obj], now: datetime) -> None:
        meta = rs["metadata"]
        mine = [
            p
            for p in pods
            if p["metadata"].get("namespace") == meta["namespace"]
            and _owned_by(p, rs)
            and not p["metadata"].get("deletionTimestamp")
        ]
        wanted = int((rs.get("spec") or {}).get("replicas", 1))
        for index in range(len(mine), wanted):
            pod = self._pod_for(rs, index, now)
            created = store.create(pod)
            write_status(store, created, running_pod_status(created, now))
            mine.append(created)
            store.record_event(rs, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")
        extra = sorted(mine, key=lambda p: p["metadata"].get("creationTimestamp", ""))[wanted:]
        for pod in extra:
            store.delete(*PODS, meta["namespace"], pod["metadata"]["name"])
            store.record_event(rs, "SuccessfulDelete", f"Deleted pod: {pod['metadata']['name']}")
        kept = [p for p in mine if p not in extra]
        ready = sum(1 for p in kept if _ready(p))
        status: Obj = {"replicas": len(kept), "observedGeneration": generation_of(rs)}
        if kept:
            status["fullyLabeledReplicas"] = len(kept)
        if ready:
            status["readyReplicas"] = ready
            status["availableReplicas"] = ready
        if (rs.get("status") or {}) != status:
            write_status(store, rs, status)

    @staticmethod
    def _pod_for(rs: Obj, index: int, now: datetime) -> Obj:
        meta = rs["metadata"]
        template = copy.deepcopy((rs.get("spec") or {}).get("template") or {})
        seed = f"{meta.get('uid')}/{index}/{now.isoformat()}"
        spec = template.get("spec") or {}
        spec.setdefault("nodeName", "talos-worker-1")
        return {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": f"{meta['name']}-{pod_suffix(seed)}",
                "namespace": meta["namespace"],
                "labels": dict((template.get("metadata") or {}).get("labels") or {}),
                "ownerReferences": [owner_reference(rs)],
            },
            "spec": spec,
        }
