"""The guide's workflows on both engines: the same commands, in the same order, must end
with the same exit codes and verdicts on the real control plane as on the simulator.

Each test runs one workflow per engine with the time scale of the recovery tests (so the
simulated controllers answer within seconds) and compares what an operator would act on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from glmctl.sim.scenario import load_scenario, with_time_scale
from tests.conftest import CliResult
from tests.real.test_conformance import settled_verdict
from tests.recovery.conftest import OUTPOST_DIR, gitops_repo  # noqa: F401 - a fixture

pytestmark = [pytest.mark.real, pytest.mark.timeout(300)]

ENGINES = ("sim", "real")
FAST = 0.02


def _args(engine: Any, *args: str) -> list[str]:
    return ["--kubeconfig", str(engine.kubeconfig_path), *args]


def _deploy_from_predeploy(engine: Any, run_cli: Callable[..., CliResult]) -> list[Any]:
    settled_verdict(run_cli, engine, "status", None)  # the controllers' first pass is done
    redeploy = run_cli(_args(engine, "redeploy", "--yes", "--timeout", "120"))
    after = settled_verdict(run_cli, engine, "verify", None)
    return [redeploy.exit_code, after]


def test_deploy_from_predeploy_reaches_ready_alike(
    start_engine: Callable[..., Any], run_cli: Callable[..., CliResult]
) -> None:
    """The demo's path: redeploy resumes, reconciles and follows until Ready; verify passes."""
    scenario = with_time_scale(load_scenario("predeploy"), FAST)
    outcomes = {
        name: _deploy_from_predeploy(start_engine(name, scenario), run_cli) for name in ENGINES
    }
    assert outcomes["real"] == outcomes["sim"]
    assert outcomes["real"][0] == 0


def test_monitor_names_the_failing_hook_alike(
    start_engine: Callable[..., Any], run_cli: Callable[..., CliResult]
) -> None:
    scenario = with_time_scale(load_scenario("helmrelease-failed"), FAST)
    results = {}
    for name in ENGINES:
        engine = start_engine(name, scenario)
        settled_verdict(run_cli, engine, "status", None)
        results[name] = run_cli(_args(engine, "monitor", "--timeout", "60"))
    assert results["real"].exit_code == results["sim"].exit_code == 1
    for result in results.values():
        assert "gitops-lifecycle-management-auth-setup" in result.stdout + result.stderr


def test_rollback_and_undo_alike(
    gitops_repo: Path,  # noqa: F811 - the fixture imported above
    start_engine: Callable[..., Any],
    run_cli: Callable[..., CliResult],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(gitops_repo / OUTPOST_DIR)
    scenario = with_time_scale(load_scenario("healthy"), FAST)
    outcomes: dict[str, list[Any]] = {}
    for name in ENGINES:
        engine = start_engine(name, scenario)
        rollback = run_cli(_args(engine, "rollback", "--yes", "--reason", "conformance"))
        status = settled_verdict(run_cli, engine, "status", None)
        undo = run_cli(_args(engine, "rollback", "--undo", "--yes"))
        outcomes[name] = [rollback.exit_code, status, undo.exit_code]
        # the repository edit is undone too, ready for the other engine
        assert undo.exit_code == 0, undo.stdout + undo.stderr
    assert outcomes["real"] == outcomes["sim"]


def test_redeploy_failure_then_journal_restore_alike(
    start_engine: Callable[..., Any], run_cli: Callable[..., CliResult]
) -> None:
    """redeploy on a failing release exits non-zero; restoring its journal entry brings the
    deleted HelmRelease back on both engines."""
    scenario = with_time_scale(load_scenario("helmrelease-failed"), FAST)
    outcomes: dict[str, list[Any]] = {}
    for name in ENGINES:
        engine = start_engine(name, scenario)
        settled_verdict(run_cli, engine, "status", None)
        redeploy = run_cli(_args(engine, "redeploy", "--yes", "--timeout", "60"))
        listed = json.loads(run_cli(["-o", "json", "journal", "list"]).stdout)
        entries = listed if isinstance(listed, list) else listed["items"]
        # this engine's redeploy: entries are bound to their cluster, oldest first
        newest = [entry for entry in entries if entry["command"][:1] == ["redeploy"]][-1]["id"]
        restore = run_cli(_args(engine, "journal", "restore", newest, "--yes"))
        outcomes[name] = [redeploy.exit_code, restore.exit_code]
    assert outcomes["real"] == outcomes["sim"]
