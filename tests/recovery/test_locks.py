"""One mutating run at a time: a second waits, then names the holder; a lock left by a
killed process is noted and taken over (issue 13, 7). The holder is a real process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from glmctl.journal import Journal, PlannedChange
from glmctl.lock import lock_path
from glmctl.sim.runner import SimHandle
from tests.conftest import CliResult
from tests.recovery.conftest import OUTPOST_KUSTOMIZATION
from tests.recovery.test_rollback import LIFECYCLE, kustomization

Run = Callable[..., CliResult]
Args = Callable[[SimHandle], list[str]]

HOLDER = """
import sys, time
from pathlib import Path
from glmctl.lock import hold
with hold(Path(sys.argv[1]), what="it", command="glmctl rollback (test holder)"):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def holder() -> Iterator[Callable[[Path], subprocess.Popen[str]]]:
    """Start a real process that takes a lock and keeps it until killed."""
    started: list[subprocess.Popen[str]] = []

    def start(path: Path) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )
        started.append(process)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "held"
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_a_second_rollback_names_the_holder_then_takes_over_a_stale_lock(
    run_cli: Run,
    still_healthy: SimHandle,
    in_repo: Path,
    kube_args: Args,
    state_dir: Path,
    holder: Callable[[Path], subprocess.Popen[str]],
) -> None:
    path = lock_path(state_dir, "repo", str(in_repo.resolve()))
    process = holder(path)
    before = (in_repo / OUTPOST_KUSTOMIZATION).read_bytes()

    busy = run_cli(["rollback", "--yes", "--timeout", "1", *kube_args(still_healthy)])

    assert busy.exit_code == 2, busy.stderr
    assert f"pid {process.pid} on " in busy.stderr
    assert "glmctl rollback (test holder)" in busy.stderr
    assert "since " in busy.stderr
    assert (in_repo / OUTPOST_KUSTOMIZATION).read_bytes() == before
    assert not kustomization(still_healthy, LIFECYCLE)["spec"].get("suspend")

    process.send_signal(signal.SIGKILL)  # dies without releasing: its record stays behind
    process.wait(timeout=10)

    done = run_cli(["rollback", "--yes", *kube_args(still_healthy)])

    assert done.exit_code == 0, done.stderr
    assert f"cleared a stale lock on the repository {in_repo.resolve()}" in done.stderr
    assert f"pid {process.pid}" in done.stderr
    assert kustomization(still_healthy, LIFECYCLE)["spec"]["suspend"] is True
    assert path.read_text(encoding="utf-8") == ""  # released cleanly this time


def test_journal_restore_of_an_entry_being_restored_is_refused(
    run_cli: Run,
    still_healthy: SimHandle,
    kube_args: Args,
    state_dir: Path,
    holder: Callable[[Path], subprocess.Popen[str]],
) -> None:
    change = PlannedChange(id="c1", action="delete", kind="ConfigMap", name="x", namespace="n")
    entry = Journal(state_dir / "journal").begin("glmctl-sim", ["redeploy"], [change])
    holder(lock_path(state_dir, "entry", entry.id))

    result = run_cli(
        ["journal", "restore", entry.id, "--yes", "--timeout", "0.5", *kube_args(still_healthy)]
    )

    assert result.exit_code == 2, result.stderr
    assert f"is changing journal entry {entry.id}" in result.stderr


def test_redeploy_waits_for_the_lifecycle_lock(
    run_cli: Run,
    still_healthy: SimHandle,
    kube_args: Args,
    state_dir: Path,
    holder: Callable[[Path], subprocess.Popen[str]],
) -> None:
    key = f"HelmRelease flux-system/gitops-lifecycle-management at {still_healthy.url}"
    holder(lock_path(state_dir, "lifecycle", key))
    result = run_cli(
        ["redeploy", "--yes", "--no-wait", "--timeout", "0.5", *kube_args(still_healthy)]
    )
    assert result.exit_code == 2, result.stderr
    assert "is changing HelmRelease flux-system/gitops-lifecycle-management" in result.stderr
    assert still_healthy.store.get(
        "helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "gitops-lifecycle-management"
    )
