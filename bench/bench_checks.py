"""Benchmark ``glmctl preflight`` and ``glmctl verify``: wall time and API requests.

Two simulated clusters: ``healthy`` (the guide's cluster) and a generated one with 2,000
extra Kustomizations and 10,000 pods. For each: the median wall time of the real command
(a subprocess, as an operator runs it), the number of API requests one run makes (counted
by the cluster handle), and, on the big cluster, the wall time as a ratio to
``kubectl get kustomizations,pods -A -o json`` measured in the same run. The request count
must be the same on both clusters: one list per kind and namespace, never one get per
object. Run with ``.venv/bin/python bench/bench_checks.py``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

KUSTOMIZATIONS = 2000
PODS = 10000
RUNS = 5
RUNBOOKS = ("preflight", "verify")
VENV_BIN = Path(sys.executable).parent


def wall_times(argv: list[str], env: dict[str, str]) -> tuple[list[float], set[int]]:
    """Wall seconds of ``RUNS`` runs after one discarded warm-up, and the exit codes seen."""
    times: list[float] = []
    codes: set[int] = set()
    for index in range(RUNS + 1):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, check=False)
        if index:
            times.append(time.perf_counter() - start)
            codes.add(done.returncode)
    return times, codes


def request_count(kubeconfig: Path, runbook_name: str) -> tuple[int, str]:
    """API requests of one in-process run of a shipped runbook, and its outcome."""
    from glmctl.cluster.client import Cluster
    from glmctl.config import Profile
    from glmctl.runbook.engine import run_runbook
    from glmctl.runbook.loader import bind_parameters, load_runbook
    from glmctl.runbook.locate import find_runbook

    clusters: list[Cluster] = []

    def connect() -> Cluster:
        clusters.append(Cluster.connect(kubeconfig))
        return clusters[-1]

    runbook = load_runbook(find_runbook(runbook_name), profile=Profile())
    result = run_runbook(
        runbook, params=bind_parameters(runbook, {}), profile=Profile(), cluster_factory=connect
    )
    clusters[0].close()
    return clusters[0].request_count, result.status.value


def measure(label: str, scenario: Any, env: dict[str, str], start: Any = None) -> dict[str, Any]:
    """Start ``scenario`` (on the simulator, or with ``start``) and measure both commands
    (and kubectl) on it."""
    from glmctl.sim.runner import start_simulator

    started = time.perf_counter()
    with (start or start_simulator)(scenario) as handle:
        load_seconds = time.perf_counter() - started
        kubeconfig = handle.kubeconfig_path
        figures: dict[str, Any] = {"label": label, "load": load_seconds}
        kubectl = [
            str(VENV_BIN / "kubectl"),
            f"--kubeconfig={kubeconfig}",
            "get",
            "kustomizations,pods",
            "-A",
            "-o",
            "json",
        ]
        figures["kubectl"] = statistics.median(wall_times(kubectl, env)[0])
        for name in RUNBOOKS:
            glmctl = [str(VENV_BIN / "glmctl"), "--kubeconfig", str(kubeconfig), name, "-o", "json"]
            times, codes = wall_times(glmctl, env)
            count, outcome = request_count(kubeconfig, name)
            figures[name] = {
                "median": statistics.median(times),
                "codes": sorted(codes),
                "requests": count,
                "outcome": outcome,
            }
    return figures


def main() -> int:
    from glmctl.sim.generate import generate_scenario
    from glmctl.sim.scenario import load_scenario

    with tempfile.TemporaryDirectory(prefix="glmctl-bench-checks-") as home:
        env = {**os.environ, "HOME": home, "KUBECONFIG": ""}
        small = measure("healthy", load_scenario("healthy"), env)
        big = measure(
            f"generated ({KUSTOMIZATIONS} Kustomizations, {PODS} pods)",
            generate_scenario(KUSTOMIZATIONS, 0, PODS),
            env,
        )
    grew = False
    for figures in (small, big):
        print(f"{figures['label']} (simulator loaded in {figures['load']:.1f}s)")
        print(f"  kubectl get kustomizations,pods -A -o json: {figures['kubectl']:.2f}s")
        for name in RUNBOOKS:
            run = figures[name]
            ratio = run["median"] / figures["kubectl"]
            print(
                f"  glmctl {name}: median {run['median']:.2f}s ({ratio:.2f}x kubectl), "
                f"{run['requests']} API requests, {run['outcome']} (exit {run['codes']})"
            )
    for name in RUNBOOKS:
        same = small[name]["requests"] == big[name]["requests"]
        grew = grew or not same
        print(
            f"{name}: {small[name]['requests']} requests on healthy, "
            f"{big[name]['requests']} on the generated cluster: " + ("the same" if same else "GREW")
        )
    return 1 if grew else 0


if __name__ == "__main__":
    raise SystemExit(main())
