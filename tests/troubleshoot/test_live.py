"""With the simulated controllers running: a hook Job removed by its TTL takes its log with
it, and the diagnosis says so instead of pointing at a log that is gone."""

from __future__ import annotations

from collections.abc import Callable

from glmctl.cluster import resources
from glmctl.cluster.client import Cluster
from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario, with_time_scale
from tests.conftest import CliResult
from tests.polling import wait_for

StartSim = Callable[..., SimHandle]
RunCli = Callable[..., CliResult]
HOOK = "gitops-lifecycle-management-auth-setup"


def test_a_failed_hook_whose_ttl_removed_it_is_diagnosed_from_helm_s_record(
    start_sim: StartSim, run_cli: RunCli
) -> None:
    # at 0.05 the hook's 300 s TTL is 15 s, and it finished 70 s ago: the Job controller
    # deletes it on its first pass
    sim = start_sim(with_time_scale(load_scenario("helmrelease-failed"), 0.05))
    cluster = Cluster.connect(sim.kubeconfig_path, None)
    wait_for(
        lambda: cluster.get_or_none(resources.JOB, HOOK, "flux-system") is None,
        timeout=30,
        what="the failed hook Job removed by its TTL",
    )
    result = run_cli(["--kubeconfig", str(sim.kubeconfig_path), "troubleshoot", "hr"])
    assert result.exit_code == 1
    text = " ".join(result.stdout.split())
    assert "the Job and its log are gone (removed by its TTL)" in text
    assert f"{HOOK}: Failed" in text
    assert (
        "Next command: flux reconcile helmrelease gitops-lifecycle-management -n flux-system "
        "--reset"
    ) in text
