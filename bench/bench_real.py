"""Figures on the real API server (the conformance tier's control plane).

1. ``glmctl status``, ``preflight`` and ``verify`` against ``kubectl get`` of the same
   objects, on the real kube-apiserver with the ``healthy`` scenario: medians and ratio.
2. ``monitor``'s delay from an API event to its line on screen, against
   ``kubectl get --watch`` seeing the same event: both watch; the writes are the same.
3. 2,000 Kustomizations and 10,000 pods on the real API server: preflight and verify make
   the same number of requests as on ``healthy`` (one list per kind and namespace).

Needs ``make real-cluster``. Run with ``.venv/bin/python bench/bench_real.py``.
"""

from __future__ import annotations

import os
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

from bench_checks import RUNBOOKS, measure, wall_times

VENV_BIN = Path(sys.executable).parent
KUSTOMIZATIONS = 2000
PODS = 10000
EVENTS = 7
HR = ("helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "gitops-lifecycle-management")


def _reader(stream: Any, lines: queue.Queue[tuple[float, str]]) -> None:
    for line in iter(stream.readline, ""):
        lines.put((time.perf_counter(), line))


def _delay_after_write(
    argv: list[str], env: dict[str, str], write: Any, marker: str
) -> list[float]:
    """Seconds from each write to the first output line containing ``marker`` + its number."""
    process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True, bufsize=1)
    lines: queue.Queue[tuple[float, str]] = queue.Queue()
    threading.Thread(target=_reader, args=(process.stdout, lines), daemon=True).start()
    delays = []
    try:
        time.sleep(2.0)  # let it list and start watching
        while not lines.empty():
            lines.get_nowait()
        for n in range(EVENTS):
            wanted = f"{marker}{n}"
            started = time.perf_counter()
            write(wanted)
            deadline = started + 10
            while time.perf_counter() < deadline:
                try:
                    seen, line = lines.get(timeout=deadline - time.perf_counter())
                except queue.Empty:
                    break
                if wanted in line:
                    delays.append(seen - started)
                    break
    finally:
        process.terminate()
        process.wait(timeout=10)
    return delays


def monitor_latency(handle: Any, env: dict[str, str]) -> tuple[list[float], list[float]]:
    """Change the HelmRelease's Ready message; time until monitor and kubectl show it."""
    store = handle.store
    group, plural, namespace, name = HR

    def write(message: str) -> None:
        hr = store.get(group, plural, namespace, name)
        for condition in hr["status"]["conditions"]:
            if condition["type"] == "Ready":
                condition["message"] = message
                condition["status"] = "False"
                condition["reason"] = "Progressing"
        store.update_status(hr)

    # monitor ends as soon as everything is Ready: start from a HelmRelease that is not
    write("bench: not ready yet")
    kubeconfig = str(handle.kubeconfig_path)
    glmctl = [str(VENV_BIN / "glmctl"), "--kubeconfig", kubeconfig, "monitor", "--timeout", "120"]
    kubectl = [
        str(VENV_BIN / "kubectl"), f"--kubeconfig={kubeconfig}", "get", "helmreleases",
        "-n", namespace, "--watch", "-o", "custom-columns=MSG:.status.conditions[*].message",
    ]  # fmt: skip
    return (
        _delay_after_write(glmctl, env, write, "glmctl-bench-"),
        _delay_after_write(kubectl, env, write, "kubectl-bench-"),
    )


def _ready(obj: Any) -> bool:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def start_settled(scenario: Any, **options: Any) -> Any:
    """The real engine, once every Kustomization is Ready (the real kustomize-controller's
    first pass), so each measured run sees the settled cluster the simulator starts with."""
    from glmctl.realcluster.engine import start_real_engine

    handle = start_real_engine(scenario, **options)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not _settled(handle.store):
        time.sleep(1.0)
    return handle


def _settled(store: Any) -> bool:
    """Every Kustomization applied the served revision and is Ready; every Deployment has
    its replicas available (the kubelet ran its pods)."""
    repo = store.get("source.toolkit.fluxcd.io", "gitrepositories", "flux-system", "flux-system")
    revision = ((repo or {}).get("status") or {}).get("artifact", {}).get("revision")
    for ks in store.list("kustomize.toolkit.fluxcd.io", "kustomizations"):
        if ks["spec"].get("suspend"):
            continue
        applied = (ks.get("status") or {}).get("lastAppliedRevision")
        if not _ready(ks) or (revision and applied != revision):
            return False
    for deployment in store.list("apps", "deployments"):
        status = deployment.get("status") or {}
        wanted = deployment["spec"].get("replicas", 1)
        if status.get("availableReplicas", 0) < wanted:
            return False
    return True


def main() -> int:
    from glmctl.errors import UsageError
    from glmctl.realcluster.binaries import find_binaries
    from glmctl.sim.generate import generate_scenario
    from glmctl.sim.scenario import load_scenario

    try:
        binaries = find_binaries()
    except UsageError as error:
        print(f"bench_real: {error.message} {error.hint}")
        return 2
    print(f"real control plane: {binaries.versions}")
    with tempfile.TemporaryDirectory(prefix="glmctl-bench-real-") as home:
        env = {**os.environ, "HOME": home, "KUBECONFIG": ""}
        start = partial(start_settled, binaries=binaries)
        small = measure("healthy on the real API server", load_scenario("healthy"), env, start)
        with start_settled(load_scenario("healthy"), binaries=binaries) as handle:
            status = [str(VENV_BIN / "glmctl"), "--kubeconfig", str(handle.kubeconfig_path)]
            status_times, _ = wall_times([*status, "status", "-o", "json"], env)
            kubectl_ks_hr = [
                str(VENV_BIN / "kubectl"), f"--kubeconfig={handle.kubeconfig_path}",
                "get", "kustomizations,helmreleases,gitrepositories", "-A", "-o", "json",
            ]  # fmt: skip
            kubectl_times, _ = wall_times(kubectl_ks_hr, env)
            glmctl_delays, kubectl_delays = monitor_latency(handle, env)
        started = time.perf_counter()
        big_scenario = generate_scenario(KUSTOMIZATIONS, 0, PODS)
        big = measure(
            f"generated ({KUSTOMIZATIONS} Kustomizations, {PODS} pods) on the real API server",
            big_scenario,
            env,
            # the simulator's Kustomization controller: 2,000 real reconciles would measure
            # kustomize-controller, not glmctl's requests
            partial(start_settled, binaries=binaries, flux="simulated"),
        )
        big_load = time.perf_counter() - started
    ks_ratio = statistics.median(status_times) / statistics.median(kubectl_times)
    print(
        f"glmctl status: median {statistics.median(status_times):.2f}s; kubectl get ks,hr,gitrepo "
        f"-A -o json: {statistics.median(kubectl_times):.2f}s ({ks_ratio:.2f}x)"
    )
    for figures in (small, big):
        print(f"{figures['label']} (started and loaded in {figures['load']:.1f}s)")
        print(f"  kubectl get kustomizations,pods -A -o json: {figures['kubectl']:.2f}s")
        for name in RUNBOOKS:
            run = figures[name]
            print(
                f"  glmctl {name}: median {run['median']:.2f}s "
                f"({run['median'] / figures['kubectl']:.2f}x kubectl), {run['requests']} API "
                f"requests, {run['outcome']} (exit {run['codes']})"
            )
    print(f"  (the big cluster took {big_load:.0f}s in all)")

    def show(label: str, delays: list[float]) -> None:
        if delays:
            print(
                f"{label}: median {statistics.median(delays) * 1000:.0f} ms over {len(delays)} "
                f"events (max {max(delays) * 1000:.0f} ms)"
            )
        else:
            print(f"{label}: saw none of the {EVENTS} events")

    show("monitor: API write -> line on screen", glmctl_delays)
    show("kubectl get --watch: API write -> line", kubectl_delays)
    if glmctl_delays and kubectl_delays:
        ratio = statistics.median(glmctl_delays) / statistics.median(kubectl_delays)
        print(f"monitor delay / kubectl --watch delay: {ratio:.2f}x")
    grew = any(small[name]["requests"] != big[name]["requests"] for name in RUNBOOKS)
    for name in RUNBOOKS:
        print(
            f"{name}: {small[name]['requests']} requests on healthy, {big[name]['requests']} on "
            "the generated cluster: " + ("GREW" if grew else "the same")
        )
    return 1 if grew else 0


if __name__ == "__main__":
    raise SystemExit(main())
