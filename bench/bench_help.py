"""Start-up: every ``--help`` and ``preflight`` on the healthy simulated cluster, against a
bare interpreter (``python -c pass``) measured in the same run.

Targets (issue 11, on 2 cores): each ``--help`` (top level and a subcommand's) under
100 ms median, ``preflight`` on the healthy simulated cluster under 0.4 s. Prints, for
each, the median wall time and the median CPU time (user + system, of the process and its
children) and their ratio to the baseline's, so a machine loaded by other work shows as a
slow baseline rather than a false regression: on a busy machine compare CPU times. Run
with ``.venv/bin/python bench/bench_help.py``.
"""

from __future__ import annotations

import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence

from _timing import child_env, glmctl_command

HELP_TARGET_MS = 100.0
PREFLIGHT_TARGET_MS = 400.0
HELPS = (
    ("--help",),
    ("status", "--help"),
    ("preflight", "--help"),
    ("runbook", "run", "--help"),
    ("sim", "serve", "--help"),
)


def measure(
    argv: Sequence[str], runs: int, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``runs`` runs of ``argv`` (after one warm-up)."""
    merged = child_env(env)
    walls: list[float] = []
    cpus: list[float] = []
    for index in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(argv, env=merged, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - start
        if done.returncode != 0:  # a fast failure is not a fast command
            sys.exit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if index:
            walls.append(wall * 1000)
            cpus.append(
                (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
            )
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    from glmctl.sim.runner import start_simulator
    from glmctl.sim.scenario import load_scenario

    rows: list[tuple[str, float, float, float]] = []
    base_wall, base_cpu = measure([sys.executable, "-c", "pass"], runs=15)
    for args in HELPS:
        rows.append((" ".join(args), *measure(glmctl_command(*args), runs=11), HELP_TARGET_MS))
    scenario = load_scenario("healthy")
    with tempfile.TemporaryDirectory() as state, start_simulator(scenario) as sim:
        # the warm-up run fills the cache (kubectl's version), as any earlier run would
        env = {"GLMCTL_STATE_DIR": state, "GLMCTL_CACHE_DIR": f"{state}/cache", "NO_COLOR": "1"}
        preflight = glmctl_command("--kubeconfig", str(sim.kubeconfig_path), "preflight")
        wall, cpu = measure(preflight, runs=7, env=env)
        rows.append(("preflight (healthy sim)", wall, cpu, PREFLIGHT_TARGET_MS))
    print(f"{'':32} {'wall ms':>8} {'x base':>7} {'cpu ms':>8} {'x base':>7}")
    print(f"{'python -c pass':32} {base_wall:8.1f} {1:7.1f} {base_cpu:8.1f} {1:7.1f}")
    for label, wall, cpu, target in rows:
        verdict = "met" if wall < target else "NOT met"
        print(
            f"{'glmctl ' + label:32} {wall:8.1f} {wall / base_wall:7.1f}"
            f" {cpu:8.1f} {cpu / max(base_cpu, 0.1):7.1f}  target {target:.0f} ms wall: {verdict}"
        )


if __name__ == "__main__":
    main()
