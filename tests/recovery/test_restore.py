"""``glmctl journal restore`` and the plan-then-delete guarantee, against the simulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from glmctl.cluster import flux
from glmctl.cluster.client import Cluster
from glmctl.config import Profile
from glmctl.journal import Journal
from glmctl.plan import Plan
from glmctl.recovery.execute import carry_out
from glmctl.recovery.redeploy import plan_redeploy
from glmctl.recovery.restore import fit_for_create
from glmctl.sim.faults import Fault
from glmctl.sim.runner import SimHandle
from tests.conftest import CliResult
from tests.polling import wait_for
from tests.recovery.test_redeploy import LIFECYCLE_LABEL, entries, job, plant_job, release

Run = Callable[..., CliResult]
Args = Callable[[SimHandle], list[str]]


def finished(handle: SimHandle, name: str) -> bool:
    found = job(handle, "authentik", name) or {}
    conditions = (found.get("status") or {}).get("conditions") or []
    return any(
        c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in conditions
    )


def suspend_lifecycle(handle: SimHandle) -> None:
    obj = handle.store.get(
        "kustomize.toolkit.fluxcd.io",
        "kustomizations",
        "flux-system",
        "infrastructure-gitops-lifecycle-management",
    )
    assert obj is not None
    obj["spec"]["suspend"] = True
    handle.store.update(obj)


def test_restore_brings_back_a_deleted_helmrelease_that_the_next_reconcile_accepts(
    run_cli: Run, healthy: SimHandle, kube_args: Args
) -> None:
    # A suspended lifecycle Kustomization does not re-create the HelmRelease by itself,
    # and a 500 on resuming it stops the redeploy right after the deletes.
    suspend_lifecycle(healthy)
    plant_job(healthy, "authentik", "stuck-elsewhere", LIFECYCLE_LABEL)
    healthy.faults.add(
        Fault(kind="500", path=r"/kustomizations/infrastructure-gitops", method="PATCH", count=1)
    )
    failed = run_cli(["redeploy", "--yes", *kube_args(healthy)])
    assert failed.exit_code != 0
    assert release(healthy) is None
    [interrupted] = entries(run_cli)

    restored = run_cli(["journal", "restore", interrupted["id"], "--yes", *kube_args(healthy)])

    assert restored.exit_code == 0, restored.stdout + restored.stderr
    assert "create    HelmRelease/flux-system/gitops-lifecycle-management" in restored.stdout
    back = release(healthy)
    assert back is not None
    wait_for(lambda: flux.is_ready(release(healthy) or {}), timeout=40, what="release Ready")
    assert job(healthy, "authentik", "stuck-elsewhere") is not None
    again = run_cli(["journal", "restore", interrupted["id"], "--yes", *kube_args(healthy)])
    assert again.exit_code == 0, again.stderr
    assert "Already done" in again.stdout


def test_restore_dry_run_and_refusal_without_a_terminal(
    run_cli: Run, healthy: SimHandle, kube_args: Args
) -> None:
    suspend_lifecycle(healthy)
    healthy.faults.add(
        Fault(kind="500", path=r"/kustomizations/infrastructure-gitops", method="PATCH", count=1)
    )
    assert run_cli(["redeploy", "--yes", *kube_args(healthy)]).exit_code != 0
    [interrupted] = entries(run_cli)

    dry = run_cli(
        ["-o", "json", "journal", "restore", interrupted["id"], "--dry-run", *kube_args(healthy)]
    )
    refused = run_cli(["journal", "restore", interrupted["id"], *kube_args(healthy)])

    assert dry.exit_code == 0, dry.stderr
    assert json.loads(dry.stdout)["dryRun"] is True
    assert refused.exit_code == 2
    assert "pass --yes" in refused.stderr
    assert release(healthy) is None


def test_an_object_changed_after_the_plan_is_left_alone_and_reported(
    healthy: SimHandle, state_dir: Any
) -> None:
    plant_job(healthy, "authentik", "changes-later", LIFECYCLE_LABEL)
    plant_job(healthy, "authentik", "stays-put", LIFECYCLE_LABEL)
    # let the simulated Job controller finish them, so only our change moves a version
    wait_for(
        lambda: all(finished(healthy, name) for name in ("changes-later", "stays-put")),
        timeout=40,
        what="both Jobs finished",
    )
    with Cluster.connect(healthy.kubeconfig_path) as cluster:
        plan = plan_redeploy(cluster, Profile())
        changed = job(healthy, "authentik", "changes-later")
        assert changed is not None
        changed["metadata"].setdefault("annotations", {})["touched"] = "after the plan"
        healthy.store.update(changed)
        asked: list[Plan] = []

        execution = carry_out(
            plan,
            cluster,
            journal=Journal(),
            command=["redeploy"],
            command_name="redeploy",
            dry_run=False,
            yes=True,
            force=False,
            confirm=lambda shown: asked.append(shown) is None,
        )

    assert asked == []  # --yes: no question
    assert [outcome.item.name for outcome in execution.left_alone] == ["changes-later"]
    assert job(healthy, "authentik", "changes-later") is not None
    assert job(healthy, "authentik", "stays-put") is None


def test_a_job_is_recreated_without_its_generated_selector() -> None:
    recorded: dict[str, Any] = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j", "namespace": "n", "labels": {"a": "b", "job-name": "j"}},
        "spec": {
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "123"}},
            "template": {
                "metadata": {
                    "labels": {
                        "a": "b",
                        "controller-uid": "123",
                        "batch.kubernetes.io/job-name": "j",
                    }
                }
            },
        },
    }

    fitted = fit_for_create(recorded)

    assert "selector" not in fitted["spec"]
    assert fitted["spec"]["template"]["metadata"]["labels"] == {"a": "b"}
    assert fitted["metadata"]["labels"] == {"a": "b"}
    assert recorded["spec"]["selector"]  # the journal's copy is untouched
