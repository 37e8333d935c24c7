"""Deployments own ReplicaSets own Pods, driven with the real kubectl."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario
from tests.polling import wait_for

pytestmark = pytest.mark.kubectl

Kubectl = Callable[..., tuple[int, str, str]]
StartSim = Callable[..., SimHandle]
NS = "onepassword-connect"


def _json(kubectl: Kubectl, sim: SimHandle, *args: str) -> dict[str, object]:
    code, out, err = kubectl(sim, *args, "-o", "json")
    assert code == 0, err
    loaded: dict[str, object] = json.loads(out)
    return loaded


def _pod_names(kubectl: Kubectl, sim: SimHandle) -> list[str]:
    code, out, err = kubectl(
        sim,
        "get",
        "pods",
        "-n",
        NS,
        "-l",
        "app.kubernetes.io/name=onepassword-connect",
        "-o",
        "name",
    )
    assert code == 0, err
    return sorted(out.split())


def test_scenario_pods_are_adopted_without_a_restart(start_sim: StartSim, kubectl: Kubectl) -> None:
    sim = start_sim(load_scenario("healthy"))
    rs = wait_for(
        lambda: _json(kubectl, sim, "get", "rs", "-n", NS).get("items"), what="a ReplicaSet"
    )
    assert [r["metadata"]["name"] for r in rs] == ["onepassword-connect-6d8f7b9c4d"]  # type: ignore[index]
    assert _pod_names(kubectl, sim) == ["pod/onepassword-connect-6d8f7b9c4d-x7k2p"]


def test_rollout_restart_completes_and_a_deleted_pod_comes_back(
    start_sim: StartSim, kubectl: Kubectl
) -> None:
    sim = start_sim(load_scenario("healthy"))
    before = wait_for(lambda: _pod_names(kubectl, sim), what="the scenario's pod")
    code, out, err = kubectl(sim, "rollout", "restart", "deployment/onepassword-connect", "-n", NS)
    assert code == 0, err
    code, out, err = kubectl(
        sim, "rollout", "status", "deployment/onepassword-connect", "-n", NS, "--timeout=30s"
    )
    assert code == 0, err
    assert "successfully rolled out" in out
    after = _pod_names(kubectl, sim)
    assert len(after) == 1 and after != before

    code, _, err = kubectl(sim, "delete", after[0], "-n", NS)
    assert code == 0, err
    replaced = wait_for(
        lambda: (names := _pod_names(kubectl, sim)) and names != after and names,
        what="a replacement pod",
    )
    assert len(replaced) == 1
