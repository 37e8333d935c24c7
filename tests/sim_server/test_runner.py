"""Starting a simulator: load order, owner references, controllers, users, kubeconfig."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from glmctl.sim.contracts import Scenario, SimStore
from glmctl.sim.runner import SimHandle, start_simulator
from tests.polling import wait_for
from tests.sim_server.helpers import HELMRELEASE_CRD, api, helmrelease, job, namespace, pod

StartSim = Callable[..., SimHandle]


class SuspendEverything:
    """A tiny controller: marks every HelmRelease suspended in its status."""

    def __init__(self) -> None:
        self.ticks = 0

    def tick(self, store: SimStore) -> None:
        self.ticks += 1
        for hr in store.list("helm.toolkit.fluxcd.io", "helmreleases"):
            if not hr.get("status", {}).get("seen"):
                hr["status"] = {"seen": True}
                store.update_status(hr)


class Broken:
    def tick(self, store: SimStore) -> None:
        raise RuntimeError("this controller always fails")


def test_objects_load_in_dependency_order_with_owner_uids_resolved(
    start_sim: StartSim,
) -> None:
    objects = [
        pod("worker-1", "jobs", {}, "Succeeded", owner_job="work"),
        job("work", "jobs", {}),
        helmrelease("app"),
        namespace("jobs"),
        HELMRELEASE_CRD,
    ]
    sim = start_sim(Scenario("unordered", "", objects, {"jobs/worker-1": "done\n"}), controllers=[])
    owner = sim.store.get("batch", "jobs", "jobs", "work")
    worker = sim.store.get("", "pods", "jobs", "worker-1")
    assert owner is not None and worker is not None
    assert worker["metadata"]["ownerReferences"][0]["uid"] == owner["metadata"]["uid"]
    assert sim.store.pod_log("jobs", "worker-1") == "done\n"
    # flux-system was not declared: the runner creates namespaces manifests use
    assert sim.store.get("", "namespaces", None, "flux-system") is not None


def test_controllers_tick_and_a_failing_one_does_not_stop_the_others(
    start_sim: StartSim,
) -> None:
    working = SuspendEverything()
    sim = start_sim(
        Scenario("c", "", [HELMRELEASE_CRD, helmrelease("app")]), controllers=[Broken(), working]
    )

    def seen() -> bool:
        hr = sim.store.get("helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "app")
        return hr is not None and hr.get("status", {}).get("seen") is True

    wait_for(seen, timeout=10, what="the controller's write")
    ticks = working.ticks
    wait_for(lambda: working.ticks > ticks, timeout=10, what="more ticks")


def test_kubeconfig_is_written_where_asked_and_private(tmp_path: Path) -> None:
    path = tmp_path / "sim" / "kubeconfig"
    with start_simulator(Scenario("e", "", []), kubeconfig_path=path, controllers=[]) as sim:
        text = path.read_text()
        assert sim.kubeconfig_path == path
        assert f'server: "{sim.url}"' in text
        assert 'current-context: "glmctl-sim"' in text
        assert path.stat().st_mode & 0o077 == 0
        assert api(sim, "GET", "/version").json()["major"] == "1"
    assert path.exists()  # a path the caller chose is theirs to remove


def test_a_temporary_kubeconfig_is_removed_at_stop() -> None:
    sim = start_simulator(Scenario("e", "", []), controllers=[])
    path = sim.kubeconfig_path
    assert path.exists()
    sim.stop()
    sim.stop()  # stopping twice is harmless
    assert not path.exists()


def test_added_users_authenticate(start_sim: StartSim) -> None:
    sim = start_sim(Scenario("e", "", []), controllers=[])
    sim.add_user("carol", "carol-token", ["system:masters"])
    assert api(sim, "GET", "/api/v1/namespaces", token="carol-token").status == 200
