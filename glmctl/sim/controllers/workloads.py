"""Status of running and finished pods and of available Deployments, as the kubelet and the
Deployment controller would write them."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from glmctl.sim.contracts import Obj
from glmctl.sim.scenario import format_timestamp

_POD_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


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


def owner_reference(owner: Obj) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }
