"""helm-controller's logs, read the guide's way (``-n flux-system -l app=helm-controller``),
filtered to the lines about the lifecycle release."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario
from tests.conftest import CliResult

StartSim = Callable[..., SimHandle]
RunCli = Callable[..., CliResult]

ABOUT_US = (
    '{"level":"error","msg":"Reconciler error","controller":"helmrelease",'
    '"HelmRelease":{"name":"gitops-lifecycle-management","namespace":"flux-system"},'
    '"error":"install retries exhausted"}'
)
ABOUT_OTHERS = (
    '{"level":"error","msg":"Reconciler error","controller":"helmrelease",'
    '"HelmRelease":{"name":"podinfo","namespace":"apps"},"error":"chart not found"}'
)

SCENARIO = f"""\
name: helmrelease-failed-with-controller
description: helmrelease-failed, plus a helm-controller pod and its log.
base: helmrelease-failed
logs:
  flux-system/helm-controller-5d9c7d7b9f-abcde: |
    {{"level":"info","msg":"starting controller","controller":"helmrelease"}}
    {ABOUT_OTHERS}
    {ABOUT_US}
---
apiVersion: v1
kind: Pod
metadata:
  name: helm-controller-5d9c7d7b9f-abcde
  namespace: flux-system
  labels: {{app: helm-controller}}
spec:
  containers:
    - {{name: manager, image: "ghcr.io/fluxcd/helm-controller:v1.1.0"}}
status:
  phase: Running
  conditions:
    - {{type: Ready, status: "True"}}
  containerStatuses:
    - {{name: manager, ready: true, restartCount: 0, state: {{running: {{}}}}}}
"""


def test_only_the_controller_s_lines_about_the_release_are_evidence(
    start_sim: StartSim, run_cli: RunCli, tmp_path: Path
) -> None:
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    sim = start_sim(load_scenario(str(scenario)), controllers=[])
    result = run_cli(
        ["--kubeconfig", str(sim.kubeconfig_path), "-o", "json", "troubleshoot", "helmrelease"]
    )
    assert result.exit_code == 1
    steps = {step["id"]: step for step in json.loads(result.stdout)["steps"]}
    logs = steps["controller_logs"]
    assert logs["status"] == "fail"
    assert logs["details"] == [f"helm-controller-5d9c7d7b9f-abcde: {ABOUT_US}"]
    assert logs["command"] == (
        "kubectl logs -n flux-system -l app=helm-controller --all-containers --tail=500"
    )
