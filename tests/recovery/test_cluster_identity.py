"""Journal entries are bound to a cluster (API server URL, CA fingerprint, flux-system
namespace UID), not to a kubeconfig context name: every simulated cluster is called
``glmctl-sim``, like the ``default`` and ``admin@home`` contexts real operators reuse."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from glmctl.sim.runner import SimHandle
from tests.conftest import CliResult
from tests.recovery.test_rollback import LIFECYCLE, journal_entries, kustomization

Run = Callable[..., CliResult]
Args = Callable[[SimHandle], list[str]]


@pytest.fixture
def other_suspended(start_sim: Callable[..., SimHandle]) -> SimHandle:
    """Another cluster under the same context name whose lifecycle Kustomization is
    suspended by someone else (committed with ``suspend: true``), holding still."""
    from glmctl.sim.scenario import load_scenario

    return start_sim(load_scenario("predeploy"), controllers=[])


def one_sentence(result: CliResult) -> str:
    error = result.stderr.strip().splitlines()[0]
    assert "Traceback" not in result.stderr
    return error


def test_a_rollback_on_one_cluster_cannot_be_undone_on_another_with_the_same_context_name(
    run_cli: Run, healthy: SimHandle, other_suspended: SimHandle, in_repo: Path, kube_args: Args
) -> None:
    assert healthy.kubeconfig_path != other_suspended.kubeconfig_path
    done = run_cli(["rollback", "--yes", *kube_args(healthy)])
    assert done.exit_code == 0, done.stderr
    [entry] = journal_entries(run_cli)
    assert entry["context"] == "glmctl-sim"
    assert entry["cluster"]["server"].startswith("https://127.0.0.1:")
    assert len(entry["cluster"]["caSha256"]) == 64
    assert entry["cluster"]["fluxNamespaceUid"]
    version_before = kustomization(other_suspended)["metadata"]["resourceVersion"]

    refused = run_cli(["rollback", "--undo", "--yes", *kube_args(other_suspended)])

    assert refused.exit_code == 2, refused.stdout + refused.stderr
    error = one_sentence(refused)
    assert f"journal entry {entry['id']} was recorded on another cluster" in error
    assert "even if the context name is the same" in error
    after = kustomization(other_suspended)
    assert after["spec"]["suspend"] is True  # never glmctl's to resume
    assert after["metadata"]["resourceVersion"] == version_before
    assert len(journal_entries(run_cli)) == 1

    undone = run_cli(["rollback", "--undo", "--yes", *kube_args(healthy)])
    assert undone.exit_code == 0, undone.stderr
    assert not kustomization(healthy)["spec"].get("suspend")


def test_journal_restore_refuses_an_entry_of_another_cluster(
    run_cli: Run, healthy: SimHandle, other_suspended: SimHandle, in_repo: Path, kube_args: Args
) -> None:
    done = run_cli(["rollback", "--yes", *kube_args(healthy)])
    assert done.exit_code == 0, done.stderr
    [entry] = journal_entries(run_cli)

    refused = run_cli(["journal", "restore", entry["id"], "--yes", *kube_args(other_suspended)])

    assert refused.exit_code == 2, refused.stdout + refused.stderr
    assert "was recorded on another cluster" in one_sentence(refused)
    same = run_cli(["journal", "restore", entry["id"], "--yes", *kube_args(healthy)])
    assert same.exit_code == 0, same.stderr
    assert "deleted nothing" in same.stdout


def test_an_entry_older_than_cluster_identity_needs_force_cluster(
    run_cli: Run, healthy: SimHandle, in_repo: Path, kube_args: Args, state_dir: Path
) -> None:
    done = run_cli(["rollback", "--yes", *kube_args(healthy)])
    assert done.exit_code == 0, done.stderr
    [path] = (state_dir / "journal").glob("*.json")
    stored = json.loads(path.read_text())
    del stored["cluster"]  # as written by a glmctl before the identity was recorded
    path.write_text(json.dumps(stored))

    refused = run_cli(["rollback", "--undo", "--yes", *kube_args(healthy)])
    assert refused.exit_code == 2, refused.stdout + refused.stderr
    assert "does not record which cluster it changed" in one_sentence(refused)
    assert "--force-cluster" in refused.stderr
    assert kustomization(healthy)["spec"]["suspend"] is True
    restore = run_cli(["journal", "restore", stored["id"], "--yes", *kube_args(healthy)])
    assert restore.exit_code == 2
    assert "does not record which cluster" in one_sentence(restore)

    forced = run_cli(["rollback", "--undo", "--yes", "--force-cluster", *kube_args(healthy)])

    assert forced.exit_code == 0, forced.stderr
    assert not kustomization(healthy, LIFECYCLE)["spec"].get("suspend")


def test_undo_of_glmctls_own_suspend_here_ignores_another_clusters_entry(
    run_cli: Run,
    healthy: SimHandle,
    other_suspended: SimHandle,
    in_repo: Path,
    kube_args: Args,
    kubectl: Callable[..., tuple[int, str, str]],
) -> None:
    done = run_cli(["rollback", "--yes", *kube_args(healthy)])
    assert done.exit_code == 0, done.stderr
    # suspended here by glmctl rollback run elsewhere (another journal): its annotation says so
    code, _, err = kubectl(
        other_suspended, "annotate", "kustomization", LIFECYCLE, "-n", "flux-system",
        "glmctl.io/suspended-by=ops",
    )  # fmt: skip
    assert code == 0, err

    undone = run_cli(["rollback", "--undo", "--yes", *kube_args(other_suspended)])

    assert undone.exit_code == 0, undone.stdout + undone.stderr
    assert not kustomization(other_suspended)["spec"].get("suspend")
    assert kustomization(healthy)["spec"]["suspend"] is True  # the other cluster untouched
