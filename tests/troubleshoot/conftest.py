"""Simulated clusters shared by a test module: the troubleshooting runbooks only read, so
one simulator per scenario serves every test of the module, holding still (no controllers)
so that what a test reads is what the scenario says."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from glmctl.sim.runner import SimHandle, start_simulator
from glmctl.sim.scenario import load_scenario

Sims = Callable[[str], SimHandle]


@pytest.fixture(scope="module")
def sims() -> Iterator[Sims]:
    """``sims(name)``: the module's still simulator of scenario ``name``, started on first use."""
    started: dict[str, SimHandle] = {}

    def get(name: str) -> SimHandle:
        if name not in started:
            started[name] = start_simulator(load_scenario(name), controllers=[])
        return started[name]

    yield get
    for handle in started.values():
        handle.stop()
