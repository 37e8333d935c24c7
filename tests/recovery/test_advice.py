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


BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: gitops-lifecycle-management-service-discovery
  labels:
    app.kubernetes.io/name: gitops-lifecycle-management
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: gitops-lifecycle-management-service-discovery
subjects:
  - kind: ServiceAccount
    name: gitops-lifecycle-management
    namespace: flux-system
"""


def verify_rbac_hint(run_cli: Run, handle: SimHandle) -> str:
    done = run_cli(["-o", "json", "verify", "--kubeconfig", str(handle.kubeconfig_path)])
    [step] = [s for s in json.loads(done.stdout)["steps"] if s["id"] == "service_account_rbac"]
    hint = str(step.get("hint") or "")
    return hint.split("`")[1]  # the first command quoted in the hint


def test_service_discovery_once_the_binding_exists_old_forbidden_lines_do_not_decide(
    run_cli: Run, start_sim: Callable[..., SimHandle], kubectl: Kubectl, tmp_path: Path
) -> None:
    from glmctl.sim.scenario import load_scenario

    handle = start_sim(load_scenario("service-discovery-rbac-missing"), controllers=[])
    before = troubleshoot_diagnosis(run_cli, handle, "service-discovery")
    assert "may not list services" in before["summary"]
    hint_command = verify_rbac_hint(run_cli, handle)
    # the advice's promised state: the binding exists again (as the chart/Flux creates it)
    manifest = tmp_path / "binding.yaml"
    manifest.write_text(BINDING)
    code, _, err = kubectl(handle, "apply", "-f", str(manifest))
    assert code == 0, err

    after = troubleshoot_diagnosis(run_cli, handle, "service-discovery")

    assert after["status"] == "pass", after  # the 2025 "forbidden" lines are history now
    assert "Nothing wrong found" in after["summary"]
    # and verify reads the same logs the same way: one state, one verdict
    verified = run_cli(["-o", "json", "verify", "--kubeconfig", str(handle.kubeconfig_path)])
    steps = {s["id"]: s for s in json.loads(verified.stdout)["steps"]}
    assert steps["service_discovery_logs"]["status"] == "pass", steps["service_discovery_logs"]
    assert "older error line" in steps["service_discovery_logs"]["summary"]
    assert verified.exit_code == 0, verified.stdout
    # verify's hint finds the binding now that it is there
    assert hint_command.startswith("kubectl get clusterrolebinding -l ")
    code, out, err = kubectl(handle, *hint_command.split()[1:])
    assert code == 0, err
    assert "gitops-lifecycle-management-service-discovery" in out


def test_verify_rbac_hint_finds_the_binding_on_a_healthy_cluster(
    run_cli: Run, start_sim: Callable[..., SimHandle], kubectl: Kubectl
) -> None:
    from glmctl.sim.scenario import load_scenario

    rbac_missing = start_sim(load_scenario("service-discovery-rbac-missing"), controllers=[])
    command = verify_rbac_hint(run_cli, rbac_missing)
    healthy = start_sim(load_scenario("healthy"), controllers=[])
    code, out, err = kubectl(healthy, *command.split()[1:])
    assert code == 0, err
    assert "gitops-lifecycle-management-service-discovery" in out
