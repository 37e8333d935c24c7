"""Pure parts of the controllers: behaviour lookup, conditions, durations, names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from glmctl.sim.contracts import Scenario
from glmctl.sim.controllers.base import World, go_duration, set_condition
from glmctl.sim.controllers.workloads import pod_suffix

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _job(name: str, labels: dict[str, str]) -> dict[str, object]:
    return {"kind": "Job", "metadata": {"name": name, "namespace": "ns", "labels": labels}}


def test_behaviour_lookup_prefers_the_most_specific_key() -> None:
    world = World(
        Scenario(
            name="t",
            description="",
            objects=[],
            behaviours={
                "timeScale": 0.5,
                "jobs": {
                    "default": {"outcome": "Complete", "delay": "2s", "log": "default"},
                    "app.kubernetes.io/component=database-init": {"log": "by label"},
                    "init": {"outcome": "Failed"},
                    "ns/init": {"delay": "10s"},
                },
            },
        )
    )
    labelled = _job("init", {"app.kubernetes.io/component": "database-init"})
    assert world.behaviour("jobs", labelled) == {
        "outcome": "Failed",
        "delay": "10s",
        "log": "by label",
    }
    assert world.behaviour("jobs", _job("other", {})) == {
        "outcome": "Complete",
        "delay": "2s",
        "log": "default",
    }
    assert world.delay(world.behaviour("jobs", labelled), 1.0) == timedelta(seconds=5)
    assert world.behaviour("kustomizations", _job("x", {})) == {}


def test_condition_transition_time_moves_only_when_status_changes() -> None:
    first = set_condition([], "Ready", "True", "ReconciliationSucceeded", "Applied", T0, 1)
    later = T0 + timedelta(minutes=5)
    same = set_condition(
        first, "Ready", "True", "ReconciliationSucceeded", "Applied again", later, 2
    )
    assert same[0]["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    assert (same[0]["message"], same[0]["observedGeneration"]) == ("Applied again", 2)
    flipped = set_condition(same, "Ready", "False", "HealthCheckFailed", "boom", later)
    assert flipped[0]["lastTransitionTime"] == "2026-01-01T00:05:00Z"
    assert [c["type"] for c in set_condition(flipped, "Reconciling", "True", "P", "m", T0)] == [
        "Ready",
        "Reconciling",
    ]


def test_durations_print_the_way_flux_prints_them() -> None:
    assert go_duration(30) == "30s"
    assert go_duration(0.618) == "0.618s"
    assert go_duration(300) == "5m0s"
    assert go_duration(3600) == "1h0m0s"
    assert go_duration(72) == "1m12s"


def test_generated_pod_names_are_stable_and_kubernetes_shaped() -> None:
    suffix = pod_suffix("uid-1job")
    assert suffix == pod_suffix("uid-1job")
    assert suffix != pod_suffix("uid-2job")
    assert len(suffix) == 5
    assert set(suffix) <= set("bcdfghjklmnpqrstvwxz2456789")
