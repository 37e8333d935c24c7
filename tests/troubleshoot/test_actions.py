"""The actions troubleshoot offers: which fit which state (pure), and each one carried out
on a simulated cluster whose controllers run — planned, journaled by ``carry_out`` and
verified by watching for the state it promised."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from glmctl.actions import (
    FORCE_AT,
    REQUESTED_AT,
    Action,
    Scene,
    actions_for,
    plan_for,
    read_scene,
    verify,
)
from glmctl.advice import for_flux_object
from glmctl.cluster.client import Cluster
from glmctl.config import Profile
from glmctl.context import GlobalOptions
from glmctl.journal import Journal
from glmctl.plan import Plan
from glmctl.recovery.execute import Execution, carry_out
from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario, with_time_scale

StartSim = Callable[..., SimHandle]
Obj = dict[str, Any]


def _flux(kind: str, name: str, *, suspended: bool = False, ready: str = "True") -> Obj:
    group = (
        "kustomize.toolkit.fluxcd.io/v1"
        if kind == "Kustomization"
        else ("helm.toolkit.fluxcd.io/v2")
    )
    return {
        "apiVersion": group,
        "kind": kind,
        "metadata": {"name": name, "namespace": "flux-system", "generation": 1},
        "spec": {"suspend": suspended},
        "status": {
            "observedGeneration": 1,
            "conditions": [
                {"type": "Ready", "status": ready, "reason": "InstallFailed", "message": "x"}
            ],
        },
    }


def _es(name: str, ready: str) -> Obj:
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": "authentik"},
        "status": {"conditions": [{"type": "Ready", "status": ready}]},
    }


def _job(name: str, *, owned: bool) -> Obj:
    labels = {"kustomize.toolkit.fluxcd.io/name": "outpost"} if owned else {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": "authentik", "labels": labels},
        "spec": {},
        "status": {"active": 1},
    }


def kinds(actions: list[Action]) -> list[str]:
    return [action.kind for action in actions]


def test_a_suspended_kustomization_is_offered_a_resume_with_the_advice_s_command() -> None:
    lifecycle = _flux("Kustomization", "lifecycle", suspended=True)
    offered = actions_for("helmrelease", Scene(flux_objects=(lifecycle,)))
    assert kinds(offered) == ["resume"]
    advice = for_flux_object(lifecycle)
    assert advice is not None and offered[0].command == advice.command  # one source


def test_glmctl_s_own_suspension_is_not_offered_a_resume() -> None:
    lifecycle = _flux("Kustomization", "lifecycle", suspended=True)
    lifecycle["metadata"]["annotations"] = {"glmctl.io/suspended-by": "alice"}
    assert actions_for("helmrelease", Scene(flux_objects=(lifecycle,))) == []


def test_a_failed_helmrelease_is_offered_force_reconcile_redeploy_and_rollback() -> None:
    release = _flux("HelmRelease", "app", ready="False")
    offered = actions_for("helmrelease", Scene(flux_objects=(release,)))
    assert kinds(offered) == ["force-upgrade", "reconcile", "redeploy", "rollback"]
    assert kinds(actions_for("service-discovery", Scene(flux_objects=(release,)))) == [
        "force-upgrade",
        "reconcile",
    ]
    assert actions_for("failed-pods", Scene(flux_objects=(release,))) == []


def test_force_upgrade_writes_force_at_equal_to_requested_at() -> None:
    release = _flux("HelmRelease", "app", ready="False")
    action = next(
        a for a in actions_for("helmrelease", Scene((release,))) if a.kind == "force-upgrade"
    )
    plan = plan_for(action, datetime(2026, 1, 2, 3, 4, 5, 600000, tzinfo=UTC))
    annotations = plan.items[0].patch["metadata"]["annotations"]  # type: ignore[index]
    assert annotations == {
        REQUESTED_AT: "2026-01-02T03:04:05.6Z",
        FORCE_AT: "2026-01-02T03:04:05.6Z",
    }


def test_only_unsynced_externalsecrets_are_force_synced() -> None:
    scene = Scene(external_secrets=(_es("a", "True"), _es("b", "False"), _es("c", "Unknown")))
    offered = actions_for("external-secrets", scene)
    assert kinds(offered) == ["force-sync"]
    assert [t["metadata"]["name"] for t in offered[0].targets] == ["b", "c"]


def test_only_jobs_nothing_re_applies_are_offered_for_deletion() -> None:
    scene = Scene(jobs=(_job("applied", owned=True), _job("stuck", owned=False)))
    offered = actions_for("old-jobs", scene)
    assert kinds(offered) == ["delete-job"]
    assert [t["metadata"]["name"] for t in offered[0].targets] == ["stuck"]


# --------------------------------------------------------------------------- on the simulator


@pytest.fixture
def connect() -> Iterator[Callable[[SimHandle], Cluster]]:
    opened: list[Cluster] = []

    def open_one(handle: SimHandle) -> Cluster:
        opened.append(Cluster.from_options(GlobalOptions(kubeconfig=handle.kubeconfig_path)))
        return opened[-1]

    yield open_one
    for cluster in opened:
        cluster.close()


def carry(plan: Plan, cluster: Cluster, tmp_path: Path, name: str) -> Execution:
    return carry_out(
        plan,
        cluster,
        journal=Journal(tmp_path / "journal"),
        command=["troubleshoot", name],
        command_name=f"troubleshoot {name}",
        dry_run=False,
        yes=True,
        force=False,
        confirm=lambda _plan: False,
    )


def test_force_upgrade_on_a_stalled_helmrelease_is_handled_and_verified(
    start_sim: StartSim, connect: Callable[[SimHandle], Cluster], tmp_path: Path
) -> None:
    sim = start_sim(with_time_scale(load_scenario("helmrelease-failed"), 0.01))
    cluster = connect(sim)
    offered = actions_for("helmrelease", read_scene(cluster, Profile()))
    action = next(a for a in offered if a.kind == "force-upgrade")
    plan = plan_for(action, datetime.now(UTC))
    execution = carry(plan, cluster, tmp_path, "force-upgrade")
    assert execution.changed_anything and execution.entry_id
    result = verify(action, plan, cluster, timeout=30)
    assert result.came, result.lines
    assert result.lines[0].startswith(
        "HelmRelease flux-system/gitops-lifecycle-management: forced upgrade handled; "
    )
    entry = Journal(tmp_path / "journal").get(execution.entry_id)
    assert entry.outcome == "succeeded"


def test_deleting_a_stuck_job_is_verified_gone(
    start_sim: StartSim, connect: Callable[[SimHandle], Cluster], tmp_path: Path
) -> None:
    scenario = load_scenario("old-jobs-running")
    sim = start_sim(scenario)
    cluster = connect(sim)
    scene = read_scene(cluster, Profile())
    unowned = []
    for job in scene.jobs:  # as if nothing re-applied them: the finding's second case
        bare = copy.deepcopy(job)
        bare["metadata"]["labels"].pop("kustomize.toolkit.fluxcd.io/name", None)
        unowned.append(bare)
    action = actions_for("old-jobs", Scene(jobs=tuple(unowned)))[0]
    assert action.kind == "delete-job"
    plan = plan_for(action, datetime.now(UTC))
    execution = carry(plan, cluster, tmp_path, "delete-job")
    assert [o.result for o in execution.outcomes] == ["done"] * 4
    result = verify(action, plan, cluster, timeout=math.inf)  # --timeout 0: no limit
    assert result.came, result.lines
    assert all(line.endswith(": gone") for line in result.lines)


def test_a_promise_that_does_not_come_is_said_so(
    start_sim: StartSim, connect: Callable[[SimHandle], Cluster], tmp_path: Path
) -> None:
    # The store still rejects the token: force-syncing cannot make an ExternalSecret Ready.
    sim = start_sim(load_scenario("externalsecrets-not-syncing"))
    cluster = connect(sim)
    action = actions_for("external-secrets", read_scene(cluster, Profile()))[0]
    assert action.kind == "force-sync"
    plan = plan_for(action, datetime.now(UTC))
    carry(plan, cluster, tmp_path, "force-sync")
    result = verify(action, plan, cluster, timeout=1)
    assert not result.came
    assert result.lines[0] == (
        "ExternalSecret authentik/authentik-admin-token: not yet after 1 s "
        "(NotReady: SecretSyncedError)"
    )
