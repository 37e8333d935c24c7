"""Run ``glmctl preflight`` / ``glmctl verify`` against a simulated cluster, in-process."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult

TIME_SCALE = 0.02


@pytest.fixture
def run_against(
    start_sim: Callable[..., Any], run_cli: Callable[..., CliResult]
) -> Callable[..., CliResult]:
    """``run_against("healthy", "verify", "-o", "json")``: a fresh simulator per call."""
    from glmctl.sim.scenario import load_scenario, with_time_scale

    def run(
        scenario: str, *args: str, config: Path | None = None, time_scale: float = TIME_SCALE
    ) -> CliResult:
        handle = start_sim(with_time_scale(load_scenario(scenario), time_scale))
        return run_cli(cli_args(handle.kubeconfig_path, args, config))

    return run


def cli_args(kubeconfig: Path, args: Sequence[str], config: Path | None = None) -> list[str]:
    """Global options first, then the command: what an operator would type."""
    options = ["--kubeconfig", str(kubeconfig)]
    if config is not None:
        options += ["--config", str(config)]
    return [*options, *args]


def steps_of(result: CliResult) -> dict[str, dict[str, Any]]:
    """The JSON report's steps by id."""
    report = json.loads(result.stdout)
    return {step["id"]: step for step in report["steps"]}


def failing(result: CliResult) -> set[str]:
    """Ids of the steps that failed (or could not be checked) in a JSON report."""
    return {
        step_id for step_id, step in steps_of(result).items() if step["status"] in ("fail", "error")
    }
