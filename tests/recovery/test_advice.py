"""Advice that is right: each next command glmctl gives is applied on the simulated
cluster, and the state it promised is reached. status and troubleshoot give the same next
command for the same state (both from ``glmctl.advice``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from glmctl.sim.runner import SimHandle
from tests.advice_apply import Kubectl, apply_advice
from tests.conftest import CliResult
from tests.polling import wait_for
from tests.recovery.test_rollback import LIFECYCLE, OUTPOST, kustomization

Run = Callable[..., CliResult]
HELMRELEASE = "gitops-lifecycle-management"


def fast(start_sim: Callable[..., SimHandle], name: str) -> SimHandle:
    from glmctl.sim.scenario import load_scenario, with_time_scale

    return start_sim(with_time_scale(load_scenario(name), 0.02))


def status_next(run_cli: Run, handle: SimHandle) -> dict[str, str]:
    done = run_cli(["-o", "json", "status", "--kubeconfig", str(handle.kubeconfig_path)])
    steps: list[dict[str, str]] = json.loads(done.stdout)["nextSteps"]
    return {step["object"]: step["command"] for step in steps}


def troubleshoot_diagnosis(run_cli: Run, handle: SimHandle, topic: str) -> dict[str, Any]:
    args = ["-o", "json", "troubleshoot", topic, "--kubeconfig", str(handle.kubeconfig_path)]
    done = run_cli(args)
    assert done.exit_code in (0, 1), done.stderr
    diagnosis: dict[str, Any] = json.loads(done.stdout)["steps"][-1]
    assert diagnosis["uses"] == "diagnose.conclude"
    return diagnosis


def helmrelease(handle: SimHandle) -> dict[str, Any] | None:
    return handle.store.get("helm.toolkit.fluxcd.io", "helmreleases", "flux-system", HELMRELEASE)


@pytest.mark.parametrize("by_glmctl", [False, True], ids=["suspended-by-someone", "by-rollback"])
def test_a_suspended_lifecycle_gets_one_next_command_that_brings_the_helmrelease(
    run_cli: Run,
    start_sim: Callable[..., SimHandle],
    kubectl: Kubectl,
    in_repo: Path,
    by_glmctl: bool,
) -> None:
    handle = fast(start_sim, "old-jobs-running")
    if by_glmctl:  # suspended by glmctl rollback on another machine: its annotation says so
        code, _, err = kubectl(
            handle, "annotate", "kustomization", LIFECYCLE, "-n", "flux-system",
            "glmctl.io/suspended-by=ops",
        )  # fmt: skip
        assert code == 0, err
    assert helmrelease(handle) is None
    ref = f"Kustomization/flux-system/{LIFECYCLE}"

    from_status = status_next(run_cli, handle).get(ref)
    diagnosis = troubleshoot_diagnosis(run_cli, handle, "helmrelease")

    assert from_status == diagnosis["command"]
    if by_glmctl:
        assert from_status == "glmctl rollback --undo"
    else:
        assert from_status == f"flux resume kustomization {LIFECYCLE} -n flux-system"
        assert "rollback --undo` resumes it" not in json.dumps(diagnosis)
    assert apply_advice(diagnosis["command"], handle, run_cli, kubectl) == 0
    assert not kustomization(handle)["spec"].get("suspend")
    wait_for(lambda: helmrelease(handle), timeout=30, what="the HelmRelease applied by Flux")


def next_step_line(stdout: str) -> str:
    lines = " ".join(stdout.split()).split("Next steps:")[1]
    return lines.split(" 3. ")[1]


def requested_reconcile_handled(handle: SimHandle, name: str) -> dict[str, Any] | None:
    obj = kustomization(handle, name)
    requested = obj["metadata"].get("annotations", {}).get("reconcile.fluxcd.io/requestedAt")
    handled = obj.get("status", {}).get("lastHandledReconcileAt")
    return obj if requested and handled == requested else None


def ready_condition(obj: dict[str, Any]) -> dict[str, Any]:
    return next(c for c in obj["status"]["conditions"] if c["type"] == "Ready")


def test_after_rollback_next_reconciles_the_outpost_config_not_monitor_on_the_suspended_one(
    run_cli: Run, healthy: SimHandle, kubectl: Kubectl, in_repo: Path
) -> None:
    # the outpost-config Kustomization as before the deploy: it depends on nothing
    code, _, err = kubectl(
        healthy, "patch", "kustomization", OUTPOST, "-n", "flux-system", "--type=json",
        "-p", '[{"op": "remove", "path": "/spec/dependsOn"}]',
    )  # fmt: skip
    assert code == 0, err
    wait_for(
        lambda: (
            ready_condition(kustomization(healthy, OUTPOST))["status"] == "True"
            and kustomization(healthy, OUTPOST)["status"]["observedGeneration"] == 2
        ),
        timeout=30,
        what="outpost-config reconciled without dependsOn",
    )
    done = run_cli(["rollback", "--yes", "--kubeconfig", str(healthy.kubeconfig_path)])
    assert done.exit_code == 0, done.stderr
    step = next_step_line(done.stdout)
    assert "glmctl monitor" not in done.stdout
    command = f"flux reconcile kustomization {OUTPOST} -n flux-system --with-source"
    assert step.endswith(command), step

    assert apply_advice(command, healthy, run_cli, kubectl) == 0

    applied = wait_for(
        lambda: requested_reconcile_handled(healthy, OUTPOST), timeout=30, what="the reconcile"
    )
    assert ready_condition(applied)["status"] == "True"
    assert kustomization(healthy)["spec"]["suspend"] is True  # the rollback holds


def test_after_rollback_a_dependency_on_the_suspended_lifecycle_is_said_not_followed(
    run_cli: Run, healthy: SimHandle, kubectl: Kubectl, in_repo: Path
) -> None:
    done = run_cli(["rollback", "--yes", "--kubeconfig", str(healthy.kubeconfig_path)])
    assert done.exit_code == 0, done.stderr
    step = next_step_line(done.stdout)
    assert "glmctl monitor" not in done.stdout
    assert f"waits on the suspended {LIFECYCLE}" in step
    assert "DependencyNotReady" in step

    # what it says is what Flux does when asked to apply it
    reconcile = f"flux reconcile kustomization {OUTPOST} -n flux-system --with-source"
    assert apply_advice(reconcile, healthy, run_cli, kubectl) == 0
    held = wait_for(lambda: requested_reconcile_handled(healthy, OUTPOST), timeout=30)
    assert ready_condition(held)["reason"] == "DependencyNotReady"
    command = step.rsplit("its state: ", 1)[1]
    code, out, _ = kubectl(healthy, *command.split()[1:])
    assert code == 0 and "is not ready" in out
