"""The confirmation prompt through a real terminal: the installed ``glmctl`` under pexpect,
against a simulator started by the test. "n" changes nothing; "y" proceeds."""

from __future__ import annotations

import io
import os
import re
import sys
from pathlib import Path
from typing import Any

import pexpect
import pytest

from glmctl.journal import Journal
from glmctl.sim.runner import SimHandle
from tests.recovery.conftest import (
    KUSTOMIZATION_TEXT,
    OUTPOST_DIR,
    OUTPOST_KUSTOMIZATION,
    store_snapshot,
)

GLMCTL = Path(sys.executable).parent / "glmctl"
LIFECYCLE = "infrastructure-gitops-lifecycle-management"


def spawn(handle: SimHandle, repo: Path, state_dir: Path, *args: str) -> pexpect.spawn:
    if not GLMCTL.exists():
        pytest.skip("the glmctl script is not installed next to the interpreter")
    env = {
        **os.environ,
        "GLMCTL_STATE_DIR": str(state_dir),
        "TERM": "xterm",
        "NO_COLOR": "1",
        "KUBECONFIG": "",
    }
    return pexpect.spawn(
        str(GLMCTL),
        [*args, "--kubeconfig", str(handle.kubeconfig_path)],
        cwd=str(repo / OUTPOST_DIR),
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 120),
    )


def finish(child: pexpect.spawn) -> int:
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus is not None, child.signalstatus
    return int(child.exitstatus)


def test_answering_n_changes_nothing(
    still_healthy: SimHandle, gitops_repo: Path, state_dir: Path
) -> None:
    before = store_snapshot(still_healthy)
    child = spawn(still_healthy, gitops_repo, state_dir, "rollback", "--reason", "tty test")

    child.expect("Plan for glmctl rollback")
    child.expect(r"Roll back as planned\?")
    child.send("n")
    code = finish(child)

    assert code == 1
    assert "Nothing was changed." in (child.before or "")
    assert store_snapshot(still_healthy) == before
    assert (gitops_repo / OUTPOST_KUSTOMIZATION).read_bytes() == KUSTOMIZATION_TEXT.encode()
    assert not (state_dir / "journal").exists() or not any((state_dir / "journal").iterdir())


def test_answering_y_proceeds(still_healthy: SimHandle, gitops_repo: Path, state_dir: Path) -> None:
    child = spawn(still_healthy, gitops_repo, state_dir, "rollback", "--reason", "tty test")

    child.expect(r"Roll back as planned\?")
    child.send("y")
    code = finish(child)

    assert code == 0, child.before
    found = still_healthy.store.get(
        "kustomize.toolkit.fluxcd.io", "kustomizations", "flux-system", LIFECYCLE
    )
    assert found is not None and found["spec"]["suspend"] is True
    assert found["metadata"]["annotations"]["glmctl.io/suspend-reason"] == "tty test"
    assert (
        b"  - enhanced-token-setup-job.yaml\n" in (gitops_repo / OUTPOST_KUSTOMIZATION).read_bytes()
    )


def test_redeploy_asks_once_through_the_engine_and_n_changes_and_journals_nothing(
    still_healthy: SimHandle, gitops_repo: Path, state_dir: Path
) -> None:
    before = store_snapshot(still_healthy)
    child = spawn(still_healthy, gitops_repo, state_dir, "redeploy")
    seen = io.StringIO()
    child.logfile_read = seen

    child.expect("Plan for glmctl redeploy")
    child.expect(r"Delete and redeploy as planned\?")
    child.send("n")
    code = finish(child)

    assert code == 1
    output = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", seen.getvalue())
    assert output.count("Plan for glmctl redeploy") == 1
    assert output.count("Delete and redeploy as planned? (y/N)") == 1  # asked once
    assert "Delete and redeploy as planned? No" in output
    assert "Nothing was changed." in output.split("planned? No", 1)[1]
    assert store_snapshot(still_healthy) == before
    assert not (state_dir / "journal").exists() or not any((state_dir / "journal").iterdir())


def test_ctrl_c_while_the_release_is_being_deleted_exits_130_and_a_rerun_finishes(
    still_healthy: SimHandle, gitops_repo: Path, state_dir: Path
) -> None:
    from tests.polling import wait_for

    def release() -> dict[str, Any] | None:
        return still_healthy.store.get(
            "helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "gitops-lifecycle-management"
        )

    held = release()
    assert held is not None
    held["metadata"]["finalizers"] = ["test.glmctl.io/hold"]  # nobody removes it
    still_healthy.store.update(held)
    child = spawn(still_healthy, gitops_repo, state_dir, "redeploy", "--yes", "--no-wait")

    wait_for(
        lambda: bool(((release() or {}).get("metadata") or {}).get("deletionTimestamp")),
        timeout=20,
        what="the HelmRelease being deleted",
    )
    child.sendintr()
    code = finish(child)

    assert code == 130, child.before
    assert "glmctl: interrupted." in (child.before or "")
    [entry] = Journal(state_dir / "journal").list()
    assert entry.status == "incomplete"  # nothing was marked done that was not

    going = release()
    assert going is not None
    going["metadata"]["finalizers"] = []
    still_healthy.store.update(going)
    rerun = spawn(still_healthy, gitops_repo, state_dir, "redeploy", "--yes", "--no-wait")
    rerun.expect("this run finishes the work")
    assert finish(rerun) == 0
    assert {found.status for found in Journal(state_dir / "journal").list()} == {"finished"}
