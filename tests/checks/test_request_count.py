"""The number of API requests does not grow with the number of objects in the cluster."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from glmctl.config import Profile
from glmctl.runbook.engine import run_runbook
from glmctl.runbook.loader import bind_parameters, load_runbook
from glmctl.runbook.locate import find_runbook


def requests_made(handle: Any, runbook_name: str) -> tuple[int, set[str]]:
    """Run a shipped runbook against ``handle``; (requests sent, statuses seen)."""
    from glmctl.cluster.client import Cluster

    clusters: list[Cluster] = []

    def connect() -> Cluster:
        clusters.append(Cluster.connect(handle.kubeconfig_path))
        return clusters[-1]

    runbook = load_runbook(find_runbook(runbook_name), profile=Profile())
    result = run_runbook(
        runbook,
        params=bind_parameters(runbook, {}),
        profile=Profile(),
        cluster_factory=connect,
    )
    (cluster,) = clusters
    cluster.close()
    return cluster.request_count, {record.status.value for record in result.steps}


@pytest.mark.parametrize("runbook_name", ["preflight", "verify"])
def test_request_count_is_the_same_on_a_cluster_ten_times_bigger(
    start_sim: Callable[..., Any], runbook_name: str
) -> None:
    from glmctl.sim.generate import generate_scenario
    from glmctl.sim.scenario import load_scenario

    small = start_sim(load_scenario("healthy"), controllers=[])
    big = start_sim(generate_scenario(600, 20, 1200), controllers=[])

    small_count, small_statuses = requests_made(small, runbook_name)
    big_count, big_statuses = requests_made(big, runbook_name)

    assert small_statuses == big_statuses
    assert "fail" not in big_statuses
    assert big_count == small_count
    assert small_count < 40
