"""``glmctl redeploy`` against the simulated cluster: what it deletes, what it leaves, how
it recovers from a failure half-way, and what ``--dry-run`` leaves untouched."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from glmctl.sim.faults import Fault
from glmctl.sim.runner import SimHandle
from tests.conftest import CliResult
from tests.recovery.conftest import store_snapshot

Run = Callable[..., CliResult]
Args = Callable[[SimHandle], list[str]]
LIFECYCLE_LABEL = {"app.kubernetes.io/name": "gitops-lifecycle-management"}
HR_KEY = ("HelmRelease", "flux-system", "gitops-lifecycle-management")


def plant_job(handle: SimHandle, namespace: str, name: str, labels: dict[str, str]) -> str:
    """Create a Job directly in the store; returns its uid."""
    created = handle.store.create(
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "spec": {
                "template": {
                    "metadata": {"labels": dict(labels)},
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "main", "image": "busybox"}],
                    },
                }
            },
        }
    )
    return str(created["metadata"]["uid"])


def job(handle: SimHandle, namespace: str, name: str) -> dict[str, Any] | None:
    return handle.store.get("batch", "jobs", namespace, name)


def release(handle: SimHandle) -> dict[str, Any] | None:
    return handle.store.get(
        "helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "gitops-lifecycle-management"
    )


def entries(run_cli: Run) -> list[dict[str, Any]]:
    listed = run_cli(["-o", "json", "journal", "list"])
    assert listed.exit_code == 0, listed.stderr
    found: list[dict[str, Any]] = json.loads(listed.stdout)["items"]
    return found


def entry(run_cli: Run, entry_id: str) -> dict[str, Any]:
    shown = run_cli(["-o", "json", "journal", "show", entry_id])
    assert shown.exit_code == 0, shown.stderr
    found: dict[str, Any] = json.loads(shown.stdout)
    return found


def deleted_by(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (
            record["object"]["kind"],
            record["object"]["metadata"].get("namespace", ""),
            record["object"]["metadata"]["name"],
        )
        for record in document["before"]
        if record["action"] == "delete"
    }


def test_redeploy_deletes_exactly_the_release_and_labelled_jobs_then_waits_for_ready(
    run_cli: Run, healthy: SimHandle, kube_args: Args
) -> None:
    plant_job(healthy, "flux-system", "stuck-hook", LIFECYCLE_LABEL)
    plant_job(healthy, "authentik", "stuck-elsewhere", LIFECYCLE_LABEL)
    survivors = {
        ("flux-system", "unlabelled"): plant_job(healthy, "flux-system", "unlabelled", {}),
        ("authentik", "other-app"): plant_job(
            healthy, "authentik", "other-app", {"app.kubernetes.io/name": "other"}
        ),
    }
    old_release_uid = release(healthy)["metadata"]["uid"]  # type: ignore[index]

    result = run_cli(["-o", "json", "redeploy", "--yes", "--timeout", "50", *kube_args(healthy)])

    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["wait"]["verdict"] == "ready"
    [only] = entries(run_cli)
    deleted = deleted_by(entry(run_cli, only["id"]))
    planted = {("Job", "flux-system", "stuck-hook"), ("Job", "authentik", "stuck-elsewhere")}
    assert {HR_KEY, *planted} <= deleted
    assert all(kind == "Job" or key == HR_KEY for key in deleted for kind in [key[0]])
    for (namespace, name), uid in survivors.items():
        survivor = job(healthy, namespace, name)
        assert survivor is not None and survivor["metadata"]["uid"] == uid
    assert job(healthy, "authentik", "stuck-elsewhere") is None
    back = release(healthy)
    assert back is not None and back["metadata"]["uid"] != old_release_uid


def test_dry_run_changes_nothing_in_the_whole_store(
    run_cli: Run, still_healthy: SimHandle, kube_args: Args
) -> None:
    before = store_snapshot(still_healthy)

    result = run_cli(["redeploy", "--dry-run", *kube_args(still_healthy)])

    assert result.exit_code == 0, result.stderr
    assert "delete    HelmRelease/flux-system/gitops-lifecycle-management" in result.stdout
    assert "Job/flux-system/gitops-lifecycle-management-database-init" in result.stdout
    assert "server dry run: accepted" in result.stdout
    assert store_snapshot(still_healthy) == before
    assert entries(run_cli) == []


def test_a_500_on_the_second_delete_stops_with_one_message_and_a_rerun_finishes(
    run_cli: Run, healthy: SimHandle, kube_args: Args
) -> None:
    plant_job(healthy, "flux-system", "stuck-hook", LIFECYCLE_LABEL)
    plant_job(healthy, "authentik", "stuck-elsewhere", LIFECYCLE_LABEL)
    healthy.faults.add(Fault(kind="500", path=r"/jobs/", method="DELETE", count=1))

    failed = run_cli(["redeploy", "--yes", "--timeout", "50", *kube_args(healthy)])

    assert failed.exit_code != 0
    errors = [line for line in failed.stderr.splitlines() if line.startswith("glmctl: error:")]
    assert len(errors) == 1, failed.stderr
    assert "stopped at delete Job/" in errors[0] and "is incomplete" in errors[0]
    [first] = entries(run_cli)
    assert first["status"] == "incomplete"
    assert first["done"] == 1  # the HelmRelease went; the first Job did not

    rerun = run_cli(["redeploy", "--yes", "--timeout", "50", *kube_args(healthy)])

    assert rerun.exit_code == 0, rerun.stdout + rerun.stderr
    assert "this run finishes the work" in rerun.stdout
    assert job(healthy, "flux-system", "stuck-hook") is None
    assert job(healthy, "authentik", "stuck-elsewhere") is None
    statuses = {summary["id"]: summary["status"] for summary in entries(run_cli)}
    assert statuses[first["id"]] == "finished"
    assert set(statuses.values()) == {"finished"}


def test_a_suspended_release_and_kustomization_are_resumed_first_and_said_so(
    run_cli: Run, healthy: SimHandle, kube_args: Args
) -> None:
    for group, plural, name in (
        ("helm.toolkit.fluxcd.io", "helmreleases", "gitops-lifecycle-management"),
        (
            "kustomize.toolkit.fluxcd.io",
            "kustomizations",
            "infrastructure-gitops-lifecycle-management",
        ),
    ):
        obj = healthy.store.get(group, plural, "flux-system", name)
        assert obj is not None
        obj["spec"]["suspend"] = True
        healthy.store.update(obj)

    result = run_cli(["redeploy", "--yes", "--timeout", "50", *kube_args(healthy)])

    assert result.exit_code == 0, result.stdout + result.stderr
    assert "helm-controller skips the Helm uninstall" in result.stdout
    assert "or the reconcile request would be ignored" in result.stdout
    [only] = entries(run_cli)
    actions = [(change["action"], change["kind"]) for change in entry(run_cli, only["id"])["plan"]]
    assert actions.index(("resume", "HelmRelease")) < actions.index(("delete", "HelmRelease"))
    assert actions.index(("resume", "Kustomization")) < actions.index(
        ("reconcile", "Kustomization")
    )


def test_unsafe_selectors_are_refused_and_a_narrower_one_is_used(
    run_cli: Run, still_healthy: SimHandle, kube_args: Args
) -> None:
    before = store_snapshot(still_healthy)
    for selector in ("", "app.kubernetes.io/name!=x", "app.kubernetes.io/component=database-init"):
        refused = run_cli(["redeploy", "--yes", "--selector", selector, *kube_args(still_healthy)])
        assert refused.exit_code == 2, (selector, refused.stderr)
        assert "refusing" in refused.stderr
    narrow = (
        "app.kubernetes.io/name=gitops-lifecycle-management,"
        "app.kubernetes.io/component=database-init"
    )

    result = run_cli(["redeploy", "--dry-run", "-l", narrow, *kube_args(still_healthy)])

    assert result.exit_code == 0, result.stderr
    assert "database-init" in result.stdout
    assert "gitops-lifecycle-management-auth-setup" not in result.stdout
    assert store_snapshot(still_healthy) == before


def test_an_empty_lifecycle_selector_in_the_profile_is_refused(
    run_cli: Run, still_healthy: SimHandle, kube_args: Args, tmp_path: Any
) -> None:
    profile = tmp_path / "glmctl.yaml"
    profile.write_text('selectors:\n  lifecycle: ""\n')

    result = run_cli(["redeploy", "--yes", "--config", str(profile), *kube_args(still_healthy)])

    assert result.exit_code == 2
    assert "refusing an empty label selector" in result.stderr


def test_more_than_fifty_objects_need_force(
    run_cli: Run, still_healthy: SimHandle, kube_args: Args
) -> None:
    for number in range(50):
        plant_job(still_healthy, "authentik", f"stuck-{number:02d}", LIFECYCLE_LABEL)

    refused = run_cli(["redeploy", "--yes", *kube_args(still_healthy)])

    assert refused.exit_code == 2
    assert "more than the sane bound of 50" in refused.stderr
    assert "--force" in refused.stderr
    assert job(still_healthy, "authentik", "stuck-00") is not None
    forced = run_cli(["redeploy", "--dry-run", "--force", *kube_args(still_healthy)])
    assert forced.exit_code == 0, forced.stderr


def test_without_a_terminal_and_without_yes_nothing_is_deleted(
    run_cli: Run, still_healthy: SimHandle, kube_args: Args
) -> None:
    before = store_snapshot(still_healthy)

    result = run_cli(["redeploy", *kube_args(still_healthy)])

    assert result.exit_code == 2
    assert "pass --yes to confirm non-interactively" in result.stderr
    assert store_snapshot(still_healthy) == before


def test_no_wait_stops_after_the_reconcile_request(
    run_cli: Run, healthy: SimHandle, kube_args: Args
) -> None:
    result = run_cli(["-o", "json", "redeploy", "--yes", "--no-wait", *kube_args(healthy)])

    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert [o["result"] for o in document["outcomes"] if o["id"].startswith("reconcile")] == [
        "done"
    ]
    assert document["wait"] is None


def test_a_redeploy_that_fails_again_exits_1_with_the_reason(
    run_cli: Run, start_sim: Callable[..., SimHandle], kube_args: Args
) -> None:
    from glmctl.sim.scenario import load_scenario, with_time_scale

    handle = start_sim(with_time_scale(load_scenario("helmrelease-failed"), 0.02))

    result = run_cli(["redeploy", "--yes", "--timeout", "50", *kube_args(handle)])

    assert result.exit_code == 1, result.stdout + result.stderr
    assert "the redeploy failed:" in result.stderr
