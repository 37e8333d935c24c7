"""The guide's scenarios on both engines: status, preflight and verify must reach the same
verdicts (exit code and each check's outcome) on the real control plane as on the
simulator. A difference means glmctl or the simulator is wrong about Kubernetes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from glmctl.sim.scenario import load_scenario
from glmctl.troubleshoot import topic_names
from tests.conftest import CliResult
from tests.polling import wait_for
from tests.troubleshoot.test_topics import DIAGNOSES

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
    outcome["diagnosis"] = [
        step["summary"] for step in steps if step.get("uses") == "diagnose.conclude"
    ]
    outcome["steps"] = {
        step["id"]: step["status"] for step in steps if step["id"] not in MACHINE_DEPENDENT_STEPS
    }
    return outcome


def settled_verdicts(
    run_cli: Callable[..., CliResult],
    engine: Any,
    commands: Sequence[tuple[str, ...]],
    want: dict[tuple[str, ...], dict[str, Any]] | None,
) -> dict[tuple[str, ...], dict[str, Any]]:
    """Every command's verdict once they all equal ``want``, or (no ``want``) once they
    have all held still for STILL_SECONDS; after SETTLE_SECONDS, whatever they are then."""
    seen: list[tuple[float, dict[tuple[str, ...], dict[str, Any]]]] = []

    def reading() -> dict[tuple[str, ...], dict[str, Any]]:
        return {
            command: verdict(
                command[0],
                run_cli(["--kubeconfig", str(engine.kubeconfig_path), *command, "-o", "json"]),
            )
            for command in commands
        }

    def settled() -> dict[tuple[str, ...], dict[str, Any]] | None:
        current = reading()
        now = time.monotonic()
        if not seen or seen[-1][1] != current:
            seen.append((now, current))
        if want is not None:
            return current if current == want else None
        return current if now - seen[-1][0] >= STILL_SECONDS else None

    try:
        return wait_for(settled, timeout=SETTLE_SECONDS, what="the verdicts to settle")
    except AssertionError:
        return seen[-1][1]


def settled_verdict(
    run_cli: Callable[..., CliResult], engine: Any, command: str, want: dict[str, Any] | None
) -> dict[str, Any]:
    """One command's settled verdict (see :func:`settled_verdicts`)."""
    key = (command,)
    wanted = None if want is None else {key: want}
    return settled_verdicts(run_cli, engine, [key], wanted)[key]


def commands_for(scenario_name: str) -> list[tuple[str, ...]]:
    """status, preflight, verify, and the troubleshoot topics diagnosed on this scenario
    (all topics on healthy, where each must find nothing wrong)."""
    topics = sorted(
        {topic for topic, failing, *_ in DIAGNOSES if failing == scenario_name}
        if scenario_name != "healthy"
        else topic_names()
    )
    return [("status",), ("preflight",), ("verify",), *(("troubleshoot", t) for t in topics)]


@pytest.mark.parametrize("scenario_name", SCENARIOS)
def test_same_verdicts_on_both_engines(
    scenario_name: str, start_engine: Callable[..., Any], run_cli: Callable[..., CliResult]
) -> None:
    scenario = load_scenario(scenario_name)
    sim = start_engine("sim", scenario)
    real = start_engine("real", scenario)
    commands = commands_for(scenario_name)
    expected = settled_verdicts(run_cli, sim, commands, None)
    got = settled_verdicts(run_cli, real, commands, expected)
    differs = [" ".join(c) for c in commands if got[c] != expected[c]]
    assert got == expected, f"{scenario_name}: on the real engine these differ: {differs}"
