"""``diagnose.describe`` reads what ``kubectl describe`` shows, Warning events included."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from glmctl.cluster import resources
from glmctl.cluster.client import Cluster
from glmctl.sim.kubeconfig import write_kubeconfig
from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario
from tests.conftest import CliResult

StartSim = Callable[..., SimHandle]
RunCli = Callable[..., CliResult]


def warn_about_the_helmrelease(sim: SimHandle) -> None:
    cluster = Cluster.connect(sim.kubeconfig_path, None)
    release = cluster.get(resources.HELMRELEASE, "gitops-lifecycle-management", "flux-system")
    cluster.create(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "glm.upgrade-failed", "namespace": "flux-system"},
            "involvedObject": {
                "apiVersion": release["apiVersion"],
                "kind": "HelmRelease",
                "name": "gitops-lifecycle-management",
                "namespace": "flux-system",
                "uid": release["metadata"]["uid"],
            },
            "type": "Warning",
            "reason": "UpgradeFailed",
            "message": "Helm upgrade failed: timed out waiting for the condition",
            "count": 3,
            "source": {"component": "helm-controller"},
            "lastTimestamp": "2026-01-01T00:00:00Z",
        }
    )


def test_warning_events_are_shown_but_do_not_fail_a_ready_release(
    start_sim: StartSim, run_cli: RunCli
) -> None:
    sim = start_sim(load_scenario("healthy"), controllers=[])
    warn_about_the_helmrelease(sim)
    result = run_cli(
        ["--kubeconfig", str(sim.kubeconfig_path), "-o", "json", "troubleshoot", "helmrelease"]
    )
    assert result.exit_code == 0
    steps = {step["id"]: step for step in json.loads(result.stdout)["steps"]}
    describe = steps["describe"]
    assert describe["status"] == "warn"
    assert describe["summary"].endswith("; 1 Warning event")
    assert (
        "event Warning UpgradeFailed (x3) from helm-controller: "
        "Helm upgrade failed: timed out waiting for the condition"
    ) in describe["details"]
    assert any(line.startswith("condition Ready=True") for line in describe["details"])
    assert steps["diagnosis"]["status"] == "pass"


def test_a_missing_helmrelease_is_diagnosed_as_not_applied(
    start_sim: StartSim, run_cli: RunCli
) -> None:
    sim = start_sim(load_scenario("healthy"), controllers=[])
    cluster = Cluster.connect(sim.kubeconfig_path, None)
    name, namespace = "gitops-lifecycle-management", "flux-system"
    # no helm-controller runs here to remove its finalizer, so drop it first
    cluster.patch_merge(resources.HELMRELEASE, name, namespace, {"metadata": {"finalizers": None}})
    cluster.delete(resources.HELMRELEASE, name, namespace)
    result = run_cli(
        ["--kubeconfig", str(sim.kubeconfig_path), "-o", "json", "troubleshoot", "helmrelease"]
    )
    assert result.exit_code == 1
    steps = {step["id"]: step for step in json.loads(result.stdout)["steps"]}
    assert steps["describe"]["status"] == "skip"
    assert steps["diagnosis"]["summary"].startswith("The HelmRelease does not exist")
    assert steps["diagnosis"]["command"] == (
        "flux reconcile kustomization infrastructure-gitops-lifecycle-management "
        "-n flux-system --with-source"
    )


def test_a_user_who_may_read_nothing_gets_no_diagnosis_and_the_reason(
    start_sim: StartSim, run_cli: RunCli, tmp_path: Path
) -> None:
    sim = start_sim(load_scenario("healthy"), controllers=[])
    sim.add_user("jane", "jane-token")  # no RoleBinding names her
    kubeconfig = tmp_path / "jane"
    write_kubeconfig(kubeconfig, sim.url, "jane-token", sim.ca_pem)
    result = run_cli(["--kubeconfig", str(kubeconfig), "--no-color", "troubleshoot", "old-jobs"])
    assert result.exit_code == 1
    text = " ".join(result.stdout[result.stdout.index("Troubleshooting: ") :].split())
    assert text.startswith(
        "Troubleshooting: Old jobs still running (2 checks, 0 found a problem, "
        "2 could not be made) No diagnosis: 2 checks could not be made (replaced_jobs, active), "
        "so there is no diagnosis"
    )
    assert "forbidden" in text.lower()
    assert "Nothing wrong found" not in text
