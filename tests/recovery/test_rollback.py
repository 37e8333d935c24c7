"""``glmctl rollback`` and ``--undo`` against the simulated cluster and a real git repo."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from glmctl.sim.faults import Fault
from glmctl.sim.runner import SimHandle
from tests.conftest import CliResult
from tests.recovery.conftest import (
    FLUX_FILE,
    KUSTOMIZATION_TEXT,
    OUTPOST_DIR,
    OUTPOST_KUSTOMIZATION,
    git,
    store_snapshot,
)

LIFECYCLE = "infrastructure-gitops-lifecycle-management"
OUTPOST = "infrastructure-authentik-outpost-config"
ENABLED_TEXT = """\
---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: authentik
resources:
  # Replaced by the gitops-lifecycle-management chart (see the deployment guide):
  - enhanced-token-setup-job.yaml
  - grafana-oidc-setup-job.yaml
  - dashboard-oidc-setup-job.yaml

  - "radius-outpost-config-job.yaml"  # stays
  - "cleanup-duplicate-tokens-job.yaml"
"""

Run = Callable[..., CliResult]
Args = Callable[[SimHandle], list[str]]


def kustomization(handle: SimHandle, name: str = LIFECYCLE) -> dict[str, Any]:
    found = handle.store.get("kustomize.toolkit.fluxcd.io", "kustomizations", "flux-system", name)
    assert found is not None
    return found


def comparable(obj: dict[str, Any]) -> dict[str, Any]:
    """What undo must restore: everything but the fields the server moves on every write."""
    metadata = {
        key: value
        for key, value in obj["metadata"].items()
        if key not in ("resourceVersion", "generation", "managedFields")
    }
    if not metadata.get("annotations"):
        metadata.pop("annotations", None)
    return {"metadata": metadata, "spec": obj["spec"]}


def journal_entries(run_cli: Run) -> list[dict[str, Any]]:
    listed = run_cli(["-o", "json", "journal", "list"])
    assert listed.exit_code == 0, listed.stderr
    entries: list[dict[str, Any]] = json.loads(listed.stdout)["items"]
    return entries


def test_rollback_suspends_enables_and_a_second_run_is_a_noop(
    run_cli: Run, healthy: SimHandle, in_repo: Path, kube_args: Args
) -> None:
    first = run_cli(["rollback", "--yes", "--reason", "hooks failing", *kube_args(healthy)])
    assert first.exit_code == 0, first.stderr
    assert kustomization(healthy)["spec"]["suspend"] is True
    path = in_repo / OUTPOST_KUSTOMIZATION
    assert path.read_bytes() == ENABLED_TEXT.encode()
    assert "git diff:" in first.stdout
    assert "glmctl monitor" in first.stdout
    stat_before = path.stat()
    version_before = kustomization(healthy)["metadata"]["resourceVersion"]

    second = run_cli(["rollback", "--yes", *kube_args(healthy)])

    assert second.exit_code == 0, second.stderr
    assert "Already done" in second.stdout
    assert path.read_bytes() == ENABLED_TEXT.encode()
    assert path.stat().st_ino == stat_before.st_ino  # not even rewritten
    assert kustomization(healthy)["metadata"]["resourceVersion"] == version_before
    assert len(journal_entries(run_cli)) == 1  # nothing to do: nothing journaled


def test_suspend_records_who_when_why_and_status_shows_it(
    run_cli: Run, healthy: SimHandle, in_repo: Path, kube_args: Args
) -> None:
    result = run_cli(["rollback", "--yes", "--reason", "auth hooks failing", *kube_args(healthy)])
    assert result.exit_code == 0, result.stderr

    annotations = kustomization(healthy)["metadata"]["annotations"]
    assert annotations["glmctl.io/suspended-by"] == "glmctl-sim"
    assert annotations["glmctl.io/suspend-reason"] == "auth hooks failing"
    assert annotations["glmctl.io/suspended-at"].endswith("Z")
    status = run_cli(["status", *kube_args(healthy)])
    assert "suspended by glmctl-sim at" in status.stdout
    assert "auth hooks failing" in status.stdout


def test_undo_restores_cluster_and_files_byte_for_byte(
    run_cli: Run, healthy: SimHandle, in_repo: Path, kube_args: Args
) -> None:
    flux_path = in_repo / FLUX_FILE
    kustomization_path = in_repo / OUTPOST_KUSTOMIZATION
    files_before = (kustomization_path.read_bytes(), flux_path.read_bytes())
    cluster_before = comparable(kustomization(healthy))

    done = run_cli(["rollback", "--yes", "--health-checks", *kube_args(healthy)])
    assert done.exit_code == 0, done.stderr
    assert b"name: enhanced-token-setup" in flux_path.read_bytes()
    assert comparable(kustomization(healthy)) != cluster_before

    undone = run_cli(["rollback", "--undo", "--yes", *kube_args(healthy)])

    assert undone.exit_code == 0, undone.stderr
    assert (kustomization_path.read_bytes(), flux_path.read_bytes()) == files_before
    assert comparable(kustomization(healthy)) == cluster_before
    assert git(in_repo, "status", "--porcelain") == ""
    again = run_cli(["rollback", "--undo", "--yes", *kube_args(healthy)])
    assert again.exit_code == 0, again.stderr
    assert "Already done" in again.stdout


def test_undo_resumes_several_kustomizations_in_dependson_order(
    run_cli: Run, healthy: SimHandle, in_repo: Path, kube_args: Args
) -> None:
    done = run_cli(["rollback", "--yes", "--dependents", *kube_args(healthy)])
    assert done.exit_code == 0, done.stderr
    assert kustomization(healthy, OUTPOST)["spec"]["suspend"] is True

    undone = run_cli(["-o", "json", "rollback", "--undo", "--yes", *kube_args(healthy)])

    assert undone.exit_code == 0, undone.stderr
    resumed = [
        item["target"]
        for item in json.loads(undone.stdout)["plan"]["items"]
        if item["action"] == "resume"
    ]
    # the outpost-config Kustomization dependsOn the lifecycle one: resumed after it
    assert resumed == [
        f"Kustomization/flux-system/{LIFECYCLE}",
        f"Kustomization/flux-system/{OUTPOST}",
    ]
    assert not kustomization(healthy, OUTPOST)["spec"].get("suspend")
    assert "glmctl.io/suspended-by" not in (
        kustomization(healthy, OUTPOST)["metadata"].get("annotations") or {}
    )


def test_missing_replaced_job_file_stops_before_any_change(
    run_cli: Run, healthy: SimHandle, in_repo: Path, kube_args: Args
) -> None:
    (in_repo / OUTPOST_DIR / "grafana-oidc-setup-job.yaml").unlink()
    before = store_snapshot(healthy)[
        f"kustomize.toolkit.fluxcd.io/Kustomization/flux-system/{LIFECYCLE}"
    ]

    refused = run_cli(["rollback", "--yes", *kube_args(healthy)])

    assert refused.exit_code == 2
    assert f"{OUTPOST_DIR}/grafana-oidc-setup-job.yaml does not exist" in refused.stderr
    assert "--skip-missing" in refused.stderr
    assert (in_repo / OUTPOST_KUSTOMIZATION).read_bytes() == KUSTOMIZATION_TEXT.encode()
    assert (
        kustomization(healthy)["metadata"]["resourceVersion"]
        == before["metadata"]["resourceVersion"]
    )

    skipped = run_cli(["rollback", "--yes", "--skip-missing", *kube_args(healthy)])

    assert skipped.exit_code == 0, skipped.stderr
    text = (in_repo / OUTPOST_KUSTOMIZATION).read_text()
    assert "  # - grafana-oidc-setup-job.yaml\n" in text
    assert "  - enhanced-token-setup-job.yaml\n" in text


def test_a_kustomization_that_does_not_exist_is_an_error(
    run_cli: Run, healthy: SimHandle, in_repo: Path, kube_args: Args, tmp_path: Path
) -> None:
    profile = tmp_path / "glmctl.yaml"
    profile.write_text(
        "flux:\n  lifecycle_kustomization:\n    name: nope\n    namespace: flux-system\n"
    )

    result = run_cli(["rollback", "--yes", "--config", str(profile), *kube_args(healthy)])

    assert result.exit_code == 1
    assert "Kustomization flux-system/nope does not exist" in result.stderr
    assert (in_repo / OUTPOST_KUSTOMIZATION).read_bytes() == KUSTOMIZATION_TEXT.encode()


def test_commit_commits_the_edit_and_never_pushes(
    run_cli: Run, healthy: SimHandle, in_repo: Path, kube_args: Args, tmp_path: Path
) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(in_repo, "remote", "add", "origin", str(remote))

    result = run_cli(
        ["rollback", "--yes", "--commit", "--reason", "hooks failing", *kube_args(healthy)]
    )

    assert result.exit_code == 0, result.stderr
    message = git(in_repo, "log", "-1", "--format=%B")
    assert message.startswith("Rollback: re-enable the jobs replaced by")
    assert "Reason: hooks failing" in message
    assert git(in_repo, "status", "--porcelain") == ""
    assert git(remote, "for-each-ref") == ""  # nothing pushed


def test_dry_run_changes_nothing(
    run_cli: Run, still_healthy: SimHandle, in_repo: Path, kube_args: Args
) -> None:
    before = store_snapshot(still_healthy)

    result = run_cli(["rollback", "--dry-run", "--health-checks", *kube_args(still_healthy)])

    assert result.exit_code == 0, result.stderr
    assert "Dry run: nothing was changed." in result.stdout
    assert "+  - enhanced-token-setup-job.yaml" in result.stdout
    assert store_snapshot(still_healthy) == before
    assert (in_repo / OUTPOST_KUSTOMIZATION).read_bytes() == KUSTOMIZATION_TEXT.encode()
    assert journal_entries(run_cli) == []


def test_without_a_terminal_and_without_yes_it_refuses_with_exit_2(
    run_cli: Run, still_healthy: SimHandle, in_repo: Path, kube_args: Args
) -> None:
    before = store_snapshot(still_healthy)

    result = run_cli(["rollback", *kube_args(still_healthy)], stdin="y\n")

    assert result.exit_code == 2
    assert "pass --yes to confirm non-interactively" in result.stderr
    assert store_snapshot(still_healthy) == before
    assert (in_repo / OUTPOST_KUSTOMIZATION).read_bytes() == KUSTOMIZATION_TEXT.encode()


CRLF_TEXT = (
    b"resources:\r\n"
    b"    - radius-outpost-config-job.yaml\r\n"
    b"    # - enhanced-token-setup-job.yaml   # old\r\n"
    b"    - 'a-very-long-entry-name-that-a-yaml-dumper-would-happily-wrap-somewhere-"
    b"around-eighty-columns.yaml'"
)


def test_crlf_file_without_final_newline_changes_only_the_intended_lines(
    run_cli: Run, still_healthy: SimHandle, in_repo: Path, kube_args: Args, tmp_path: Path
) -> None:
    path = in_repo / OUTPOST_KUSTOMIZATION
    path.write_bytes(CRLF_TEXT)
    profile = tmp_path / "glmctl.yaml"
    profile.write_text(
        "jobs:\n  replaced:\n"
        "    - {name: enhanced-token-setup, file: enhanced-token-setup-job.yaml}\n"
        "    - {name: grafana-oidc-setup, file: grafana-oidc-setup-job.yaml}\n"
    )

    result = run_cli(["rollback", "--yes", "--config", str(profile), *kube_args(still_healthy)])

    assert result.exit_code == 0, result.stderr
    assert path.read_bytes() == (
        b"resources:\r\n"
        b"    - radius-outpost-config-job.yaml\r\n"
        b"    - enhanced-token-setup-job.yaml   # old\r\n"
        b"    - 'a-very-long-entry-name-that-a-yaml-dumper-would-happily-wrap-somewhere-"
        b"around-eighty-columns.yaml'\r\n"
        b"    - 'grafana-oidc-setup-job.yaml'"
    )
    undone = run_cli(
        ["rollback", "--undo", "--yes", "--config", str(profile), *kube_args(still_healthy)]
    )
    assert undone.exit_code == 0, undone.stderr
    assert path.read_bytes() == CRLF_TEXT


@pytest.mark.parametrize("undo", [False, True])
def test_repo_is_required(
    run_cli: Run,
    still_healthy: SimHandle,
    kube_args: Args,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    undo: bool,
) -> None:
    monkeypatch.chdir(tmp_path)
    args = ["rollback", "--yes", *(["--undo"] if undo else []), *kube_args(still_healthy)]

    result = run_cli(args)

    assert result.exit_code == 2
    assert "no GitOps repository found" in result.stderr
    assert "--repo" in result.stderr


def test_a_failure_half_way_leaves_an_incomplete_entry_and_a_rerun_finishes(
    run_cli: Run, still_healthy: SimHandle, in_repo: Path, kube_args: Args
) -> None:
    # dependents are suspended first; the lifecycle Kustomization's suspend then fails
    still_healthy.faults.add(
        Fault(kind="500", path=f"/kustomizations/{LIFECYCLE}$", method="PATCH", count=1)
    )

    failed = run_cli(["rollback", "--yes", "--dependents", *kube_args(still_healthy)])

    assert failed.exit_code != 0
    assert f"stopped at suspend Kustomization/flux-system/{LIFECYCLE}" in failed.stderr
    assert kustomization(still_healthy, OUTPOST)["spec"]["suspend"] is True
    assert (in_repo / OUTPOST_KUSTOMIZATION).read_bytes() == KUSTOMIZATION_TEXT.encode()
    [entry] = journal_entries(run_cli)
    assert entry["status"] == "incomplete"

    rerun = run_cli(["rollback", "--yes", "--dependents", *kube_args(still_healthy)])

    assert rerun.exit_code == 0, rerun.stderr
    assert kustomization(still_healthy)["spec"]["suspend"] is True
    assert (in_repo / OUTPOST_KUSTOMIZATION).read_bytes() == ENABLED_TEXT.encode()
    assert {e["status"] for e in journal_entries(run_cli)} == {"finished"}


def test_repo_option_from_elsewhere_and_restore_of_an_entry_that_deleted_nothing(
    run_cli: Run,
    still_healthy: SimHandle,
    gitops_repo: Path,
    kube_args: Args,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)

    result = run_cli(["rollback", "--yes", "--repo", str(gitops_repo), *kube_args(still_healthy)])

    assert result.exit_code == 0, result.stderr
    assert (gitops_repo / OUTPOST_KUSTOMIZATION).read_bytes() == ENABLED_TEXT.encode()
    [entry] = journal_entries(run_cli)
    restored = run_cli(["journal", "restore", entry["id"], "--yes", *kube_args(still_healthy)])
    assert restored.exit_code == 0, restored.stderr
    assert "deleted nothing" in restored.stdout
    wrong = run_cli(["rollback", "--yes", "--repo", str(tmp_path), *kube_args(still_healthy)])
    assert wrong.exit_code == 2
    assert "Pass the GitOps repository's root as --repo" in wrong.stderr


def test_the_dry_run_as_a_person_reads_it(
    run_cli: Run,
    still_healthy: SimHandle,
    in_repo: Path,
    kube_args: Args,
    snapshot: SnapshotAssertion,
) -> None:
    result = run_cli(["rollback", "--dry-run", "--health-checks", *kube_args(still_healthy)])

    assert result.exit_code == 0, result.stderr
    assert result.stdout == snapshot


def test_undo_leaves_a_kustomization_suspended_by_someone_else_suspended(
    run_cli: Run, start_sim: Callable[..., SimHandle], in_repo: Path, kube_args: Args
) -> None:
    from glmctl.sim.scenario import load_scenario

    # predeploy: the lifecycle Kustomization was committed suspended, not by glmctl
    predeploy = start_sim(load_scenario("predeploy"), controllers=[])
    rolled = run_cli(["rollback", "--yes", *kube_args(predeploy)])
    assert rolled.exit_code == 0, rolled.stderr
    assert "already done" in rolled.stdout

    undone = run_cli(["-o", "json", "rollback", "--undo", "--yes", *kube_args(predeploy)])

    assert undone.exit_code == 0, undone.stderr
    [note] = json.loads(undone.stdout)["plan"]["notes"]
    assert "is suspended, but not by glmctl rollback: left suspended" in note
    assert kustomization(predeploy)["spec"]["suspend"] is True
    assert (in_repo / OUTPOST_KUSTOMIZATION).read_bytes() == KUSTOMIZATION_TEXT.encode()
