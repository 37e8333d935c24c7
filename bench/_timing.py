"""Small timing helpers shared by the bench scripts: medians of repeated subprocess runs."""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def glmctl_command(*args: str) -> list[str]:
    """The installed console script, as a user would run it."""
    return [str(VENV_BIN / "glmctl"), *args]


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a measured glmctl run: this one plus ``extra``, with bytecode
    caching allowed. An installed glmctl has its ``.pyc`` files (pip compiles them); with
    ``PYTHONDONTWRITEBYTECODE`` set, as on this machine, an editable checkout would compile
    every module on every run and the figures would measure the compiler (~40 ms)."""
    merged = {**os.environ, **(extra or {})}
    merged.pop("PYTHONDONTWRITEBYTECODE", None)
    return merged


def time_command(
    argv: Sequence[str], *, runs: int = 9, warmup: int = 1, env: dict[str, str] | None = None
) -> list[float]:
    """Wall times (seconds) of ``runs`` executions of ``argv``, after ``warmup`` discarded ones."""
    merged = child_env(env)
    times: list[float] = []
    for index in range(warmup + runs):
        start = time.perf_counter()
        subprocess.run(argv, env=merged, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - start
        if index >= warmup:
            times.append(elapsed)
    return times


def median_ms(times: Sequence[float]) -> float:
    """Median of ``times`` in milliseconds."""
    return statistics.median(times) * 1000


def children_peak_rss_mib() -> float:
    """Peak resident set size of any child process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
