"""A runbook command closes the connection it opened: a test session (or a long-lived
caller) running many commands does not pile up sockets until select() gives out."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from tests.conftest import CliResult
from tests.polling import wait_for

if TYPE_CHECKING:
    from glmctl.sim.runner import SimHandle


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_preflight_runs_leave_no_sockets_behind(
    start_sim: Callable[..., SimHandle], run_cli: Callable[..., CliResult]
) -> None:
    from glmctl.sim.scenario import load_scenario

    handle = start_sim(load_scenario("healthy"), controllers=[])
    args = ["preflight", "--kubeconfig", str(handle.kubeconfig_path), "-o", "json"]
    run_cli(args)  # warm: imports, the simulator's first connections
    before = open_fds()

    for _ in range(3):
        assert run_cli(args).exit_code in (0, 1)

    wait_for(lambda: open_fds() <= before + 2, timeout=10, what="the connections closed")
