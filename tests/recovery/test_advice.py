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
from tests.recovery.test_rollback import LIFECYCLE, kustomization

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
