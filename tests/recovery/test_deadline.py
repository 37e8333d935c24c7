"""``--timeout`` is the deadline of the whole recovery run: the redeploy's wait for the
HelmRelease to go and its wait for Ready included. When it passes: exit 4, one sentence,
and a journal entry a re-run can finish."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from glmctl.sim.runner import SimHandle
from tests.conftest import CliResult
from tests.recovery.test_redeploy import entries, entry, release

Run = Callable[..., CliResult]
Args = Callable[[SimHandle], list[str]]
HOOK = "gitops-lifecycle-management-auth-setup"


def error_lines(result: CliResult) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("glmctl: error:")]


def test_timeout_3_on_a_redeploy_whose_hook_never_finishes_exits_4_in_about_3_seconds(
    run_cli: Run, start_sim: Callable[..., SimHandle], kube_args: Args
) -> None:
    from glmctl.sim.scenario import load_scenario, with_time_scale

    scenario = load_scenario("helmrelease-failed")
    jobs = dict(scenario.behaviours.get("jobs") or {})
    jobs[HOOK] = {**jobs.get(HOOK, {}), "outcome": "Running"}  # the install hook never ends
    handle = start_sim(
        with_time_scale(replace(scenario, behaviours={**scenario.behaviours, "jobs": jobs}), 0.02)
    )

    started = time.monotonic()
    result = run_cli(["redeploy", "--yes", "--timeout", "3", *kube_args(handle)])
    took = time.monotonic() - started

    assert result.exit_code == 4, result.stdout + result.stderr
    assert 2.5 <= took < 4.0, took
    [line] = error_lines(result)
    assert "--timeout ran out" in line, line
    assert "Traceback" not in result.stderr
    [only] = entries(run_cli)
    assert only["status"] == "finished"  # every change was made before the wait
    document = entry(run_cli, only["id"])
    assert only["done"] == only["planned"] == len(document["plan"])
    assert release(handle) is not None  # the reconcile brought it back; it is not Ready


def test_the_deadline_during_the_wait_for_deletion_leaves_an_entry_a_rerun_finishes(
    run_cli: Run, still_healthy: SimHandle, kube_args: Args
) -> None:
    held = release(still_healthy)
    assert held is not None
    held["metadata"]["finalizers"] = ["test.glmctl.io/hold"]  # nothing will remove it
    still_healthy.store.update(held)

    started = time.monotonic()
    stuck = run_cli(["redeploy", "--yes", "--no-wait", "--timeout", "2", *kube_args(still_healthy)])
    took = time.monotonic() - started

    assert stuck.exit_code == 4, stuck.stdout + stuck.stderr
    assert took < 3.0, took
    [line] = error_lines(stuck)
    assert "still being deleted when the run's --timeout ran out" in line
    assert "is incomplete" in line
    [first] = entries(run_cli)
    assert first["status"] == "incomplete" and first["done"] == 0

    going = release(still_healthy)
    assert going is not None and going["metadata"].get("deletionTimestamp")
    going["metadata"]["finalizers"] = []
    still_healthy.store.update(going)
    rerun = run_cli(["redeploy", "--yes", "--no-wait", *kube_args(still_healthy)])

    assert rerun.exit_code == 0, rerun.stdout + rerun.stderr
    statuses = {summary["id"]: summary["status"] for summary in entries(run_cli)}
    assert statuses[first["id"]] == "finished"
    assert set(statuses.values()) == {"finished"}
