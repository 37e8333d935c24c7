"""The Job controller, simulated."""

from __future__ import annotations

import copy
from datetime import datetime
from functools import partial
from typing import Any

from glmctl.sim.contracts import Obj, SimStore
from glmctl.sim.controllers.base import (
    JOB_NAME_LABEL,
    JOBS,
    PODS,
    Scanner,
    World,
    condition,
    create_with_status,
    is_true,
    manifest_of,
    object_key,
    parse_timestamp,
    write_status,
)
from glmctl.sim.controllers.workloads import (
    finished_pod_status,
    owner_reference,
    pod_suffix,
    running_pod_status,
)
from glmctl.sim.scenario import format_timestamp


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
        if any(object_key(job) not in self._settled for job in jobs):
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
        if object_key(job) not in self._settled:
            self._adopt(store, job, pods)
        if is_true(job, "Complete") or is_true(job, "Failed"):
            self._settled.add(object_key(job))
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
            adopted["metadata"]["ownerReferences"] = [owner_reference(job)]
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
        write_status(store, job, status)
        if not pods:
            pod = self._pod_for(job)
            create_with_status(store, pod, running_pod_status(pod, now))
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
            pod_meta["ownerReferences"] = [owner_reference(job)]
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
            write_status(store, pod, finished_pod_status(pod, succeeded, stamp))
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
        write_status(store, job, status)
        if succeeded:
            store.record_event(job, "Completed", "Job completed")
        else:
            store.record_event(
                job,
                "BackoffLimitExceeded",
                "Job has reached the specified backoff limit",
                "Warning",
            )
