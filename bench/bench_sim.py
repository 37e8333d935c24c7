"""The simulated cluster at scale: 2,000 Kustomizations, 500 HelmReleases, 10,000 pods.

Starts ``glmctl sim serve --scenario generated`` as its own process (so its peak RSS is
its own), then times, in the same run:
  * ``kubectl get pods -A -o json``  (the real kubectl against the simulator)
  * ``glmctl status``                (the lifecycle tree; a handful of requests)
and prints medians, the ratio of ``glmctl status`` to the kubectl list, and the server's
peak RSS (VmHWM). Run with ``.venv/bin/python bench/bench_sim.py``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import VENV_BIN, glmctl_command, median_ms, time_command

SIZE = "2000,500,10000"
RUNS = 5


def start_server(kubeconfig: Path) -> subprocess.Popen[str]:
    """The simulator in its own process; returns once its kubeconfig is written."""
    server = subprocess.Popen(
        glmctl_command(
            "--kubeconfig",
            str(kubeconfig),
            "sim",
            "serve",
            "--scenario",
            "generated",
            "--size",
            SIZE,
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    deadline = time.monotonic() + 120
    for line in server.stdout:
        if line.startswith("Serving scenario") or time.monotonic() > deadline:
            break
    return server


def peak_rss_mib(pid: int) -> float:
    """VmHWM of a running process: the most memory it has held at once."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="glmctl-bench-sim-") as tmp:
        kubeconfig = Path(tmp) / "kubeconfig"
        started = time.perf_counter()
        server = start_server(kubeconfig)
        load_s = time.perf_counter() - started
        try:
            kubectl = [str(VENV_BIN / "kubectl"), "--kubeconfig", str(kubeconfig)]
            pods = time_command([*kubectl, "get", "pods", "-A", "-o", "json"], runs=RUNS)
            status = time_command(
                glmctl_command("--kubeconfig", str(kubeconfig), "status"), runs=RUNS
            )
            rss = peak_rss_mib(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=30)
    pods_ms, status_ms = median_ms(pods), median_ms(status)
    print(f"scenario generated --size {SIZE}: server ready in {load_s:.1f} s")
    print(f"kubectl get pods -A -o json   median {pods_ms:8.0f} ms  (runs: {RUNS})")
    print(
        f"glmctl status                 median {status_ms:8.0f} ms  "
        f"({status_ms / pods_ms:.2f}x the kubectl list)"
    )
    print(f"simulator peak RSS            {rss:8.0f} MiB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
