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


def time_command(
    argv: Sequence[str], *, runs: int = 9, warmup: int = 1, env: dict[str, str] | None = None
) -> list[float]:
    """Wall times (seconds) of ``runs`` executions of ``argv``, after ``warmup`` discarded ones."""
    merged = {**os.environ, **(env or {})}
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
