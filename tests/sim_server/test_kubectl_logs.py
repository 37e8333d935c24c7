"""``kubectl logs`` options against the simulator, with the real kubectl."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from glmctl.sim.runner import SimHandle
from tests.polling import wait_for
from tests.sim_server.helpers import small_cluster

pytestmark = pytest.mark.kubectl

Kubectl = Callable[..., tuple[int, str, str]]
StartSim = Callable[..., SimHandle]
CONNECT = ("logs", "connect-0", "-n", "flux-system")


@pytest.fixture
def sim(start_sim: StartSim) -> SimHandle:
    return start_sim(small_cluster(), controllers=[])


def _set_status(sim: SimHandle, **fields: str) -> None:
    pod = sim.store.get("", "pods", "flux-system", "connect-0")
    assert pod is not None
    changed = copy.deepcopy(pod)
    changed["status"].update(fields)
    sim.store.update_status(changed)


def test_timestamps_prefix_each_line_with_the_start_time(sim: SimHandle, kubectl: Kubectl) -> None:
    _set_status(sim, startTime="2026-01-02T03:04:05Z")
    code, out, err = kubectl(sim, *CONNECT, "--timestamps")
    assert code == 0, err
    assert out.splitlines() == [
        "2026-01-02T03:04:05.000000000Z connect started",
        "2026-01-02T03:04:05.000000000Z listening on :8080",
    ]


def test_since_keeps_only_what_was_logged_in_the_window(sim: SimHandle, kubectl: Kubectl) -> None:
    _set_status(sim, startTime="2020-01-01T00:00:00Z")
    assert kubectl(sim, *CONNECT, "--since=1h")[:2] == (0, "")
    assert kubectl(sim, *CONNECT, "--since-time=2019-12-31T00:00:00Z")[1].startswith("connect")


def test_previous_without_a_restart_is_refused_as_a_kubelet_does(
    sim: SimHandle, kubectl: Kubectl
) -> None:
    code, _, err = kubectl(sim, *CONNECT, "--previous")
    assert code == 1
    assert 'previous terminated container "main" in pod "connect-0" not found' in err


def test_an_unknown_container_is_refused(sim: SimHandle, kubectl: Kubectl) -> None:
    code, _, err = kubectl(sim, *CONNECT, "-c", "sidecar")
    assert code == 1
    assert "container sidecar is not valid for pod connect-0" in err


@pytest.fixture
def follower(sim: SimHandle, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    binary = Path(sys.executable).parent / "kubectl"
    process = subprocess.Popen(
        [str(binary), f"--kubeconfig={sim.kubeconfig_path}", *CONNECT, "-f"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_follow_streams_appended_lines_until_the_pod_finishes(
    sim: SimHandle, follower: subprocess.Popen[str]
) -> None:
    assert follower.stdout is not None
    assert follower.stdout.readline() == "connect started\n"
    assert follower.stdout.readline() == "listening on :8080\n"
    sim.store.set_pod_log("flux-system", "connect-0", "connect started\nlistening on :8080\nbye\n")
    assert follower.stdout.readline() == "bye\n"
    _set_status(sim, phase="Succeeded")
    assert wait_for(lambda: follower.poll() is not None, what="kubectl logs -f to end")
    assert follower.returncode == 0
