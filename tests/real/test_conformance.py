"""The guide's scenarios on both engines: status, preflight and verify must reach the same
verdicts (exit code and each check's outcome) on the real control plane as on the
simulator. A difference means glmctl or the simulator is wrong about Kubernetes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from glmctl.sim.scenario import load_scenario
from tests.conftest import CliResult
from tests.polling import wait_for

pytestmark = [pytest.mark.real, pytest.mark.timeout(240)]

SCENARIOS = [
    "healthy",
    "predeploy",
    "helmrelease-failed",
    "old-jobs-running",
    "externalsecrets-not-syncing",
    "service-discovery-rbac-missing",
    "onepassword-down",
    "failed-pods",
]
# The local-tools check compares the kubectl on PATH with the server's version: it depends
# on the machine, not on the cluster, so it is not a verdict about the scenario.
MACHINE_DEPENDENT_STEPS = frozenset({"tools"})
SETTLE_SECONDS = 90.0
STILL_SECONDS = 4.0


def verdict(command: str, result: CliResult) -> dict[str, Any]:
    """Exit code and, per check, its outcome: what an operator acts on."""
    document = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
    outcome: dict[str, Any] = {"exit": result.exit_code}
    if command == "status":
        outcome["notReady"] = sorted(str(item) for item in document.get("notReady", []))
        return outcome
    steps = document.get("steps", [])
    outcome["steps"] = {
        step["id"]: step["status"] for step in steps if step["id"] not in MACHINE_DEPENDENT_STEPS
    }
    return outcome


def settled_verdict(
    run_cli: Callable[..., CliResult], engine: Any, command: str, want: dict[str, Any] | None
) -> dict[str, Any]:
    """The verdict once it equals ``want``, or (no ``want``) once it has held still for
    STILL_SECONDS; after SETTLE_SECONDS, whatever it is then."""
    args = ["--kubeconfig", str(engine.kubeconfig_path), command, "-o", "json"]
    seen: list[tuple[float, dict[str, Any]]] = []

    def settled() -> dict[str, Any] | None:
        current = verdict(command, run_cli(args))
        now = time.monotonic()
        if not seen or seen[-1][1] != current:
            seen.append((now, current))
        if want is not None:
            return current if current == want else None
        return current if now - seen[-1][0] >= STILL_SECONDS else None

    try:
        return wait_for(settled, timeout=SETTLE_SECONDS, what=f"{command} to settle")
    except AssertionError:
        return seen[-1][1]


@pytest.mark.parametrize("scenario_name", SCENARIOS)
def test_same_verdicts_on_both_engines(
    scenario_name: str, start_engine: Callable[..., Any], run_cli: Callable[..., CliResult]
) -> None:
    scenario = load_scenario(scenario_name)
    sim = start_engine("sim", scenario)
    real = start_engine("real", scenario)
    for command in ("status", "preflight", "verify"):
        expected = settled_verdict(run_cli, sim, command, None)
        got = settled_verdict(run_cli, real, command, expected)
        assert got == expected, f"{scenario_name}: glmctl {command} differs on the real engine"
