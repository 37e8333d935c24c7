"""One exit-code table for every command (issue 13, 6; docs/exit-codes.md)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from glmctl.sim.faults import Fault
from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario
from tests.conftest import CliResult

Run = Callable[..., CliResult]
COMMANDS = {
    "status": ["status"],
    "monitor": ["monitor", "--timeout", "20"],
    "verify": ["verify"],
    "preflight": ["preflight"],
}


@pytest.fixture
def healthy(start_sim: Callable[..., SimHandle]) -> SimHandle:
    return start_sim(load_scenario("healthy"), controllers=[])


@pytest.mark.parametrize("kind", ["500", "429"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_a_server_that_keeps_failing_is_exit_3(
    kind: str, command: str, healthy: SimHandle, run_cli: Run
) -> None:
    healthy.faults.add(Fault(kind, path="^/(api|apis)/.+", retry_after=0))
    result = run_cli([*COMMANDS[command], "--kubeconfig", str(healthy.kubeconfig_path)])
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert "internal error" not in result.stderr


def test_a_runbook_stops_and_says_the_server_keeps_failing(
    healthy: SimHandle, run_cli: Run
) -> None:
    healthy.faults.add(Fault("500", path="^/(api|apis)/.+"))
    result = run_cli(["-o", "json", "verify", "--kubeconfig", str(healthy.kubeconfig_path)])
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert "the API server keeps failing" in str(report)


@pytest.mark.parametrize("command", ["status", "verify"])
def test_forbidden_is_exit_1_as_documented(
    command: str, healthy: SimHandle, run_cli: Run, tmp_path: Path
) -> None:
    healthy.add_user("jane", "jane-token", groups=())
    kubeconfig = tmp_path / "jane.kubeconfig"
    kubeconfig.write_text(
        healthy.kubeconfig_path.read_text(encoding="utf-8").replace(healthy.token, "jane-token"),
        encoding="utf-8",
    )
    result = run_cli([*COMMANDS[command], "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "internal error" not in result.stderr


def test_exit_code_doc_lists_every_code() -> None:
    from glmctl.errors import ExitCode

    doc = (Path(__file__).parents[2] / "docs" / "exit-codes.md").read_text(encoding="utf-8")
    for code in ExitCode:
        assert f"| {int(code)} |" in doc, code


def test_sarif_uris_are_percent_encoded(tmp_path: Path, run_cli: Run) -> None:
    repo = tmp_path / "repo"
    (repo / "my apps").mkdir(parents=True)
    (repo / "my apps" / "bad #1.yaml").write_text("a: [\n", encoding="utf-8")
    result = run_cli(["-o", "sarif", "lint", str(repo)])
    uris = [
        location["physicalLocation"]["artifactLocation"]["uri"]
        for run in json.loads(result.stdout)["runs"]
        for finding in run["results"]
        for location in finding["locations"]
    ]
    assert "my%20apps/bad%20%231.yaml" in uris, uris
