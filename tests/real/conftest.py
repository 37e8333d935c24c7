"""The conformance tier: glmctl on a real control plane, held to the same verdicts as on the
simulator.

These tests need the programs ``make real-cluster`` builds. Without them they are skipped,
unless ``GLMCTL_REAL_TIER=required`` (set by ``make test`` when Go is present, and always by
``.ci/run``): then a missing or broken build fails the run instead of passing silently.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

REQUIRED = os.environ.get("GLMCTL_REAL_TIER") == "required"


class Engine(Protocol):
    """What a test needs of a running engine, simulated or real."""

    kubeconfig_path: Path
    context: str

    def stop(self) -> None: ...


@pytest.fixture(scope="session")
def real_binaries() -> Any:
    """The built control plane, or a skip (a failure when the real tier is required)."""
    from glmctl.errors import UsageError
    from glmctl.realcluster.binaries import find_binaries

    try:
        return find_binaries()
    except UsageError as error:
        message = f"real tier not built: {error.message} {error.hint}"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def start_engine(real_binaries: Any) -> Iterator[Callable[..., Engine]]:
    """``start_engine("sim"|"real", scenario)``: a running engine; all stop at teardown."""
    from glmctl.realcluster.engine import start_real_engine
    from glmctl.sim.runner import start_simulator

    handles: list[Engine] = []

    def start(name: str, scenario: Any) -> Engine:
        handle: Engine
        if name == "real":
            handle = start_real_engine(scenario, binaries=real_binaries)
        else:
            handle = start_simulator(scenario)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()
