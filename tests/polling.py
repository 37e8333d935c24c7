"""Waiting in tests: poll a condition until it holds or a deadline passes, never a fixed sleep."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(check: Callable[[], T | None], *, timeout: float = 20.0, what: str = "") -> T:
    """Poll ``check`` until it returns something truthy (returned), else fail the test."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        pause.wait(0.05)
    last = check()
    if last:
        return last
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what or check}: {last!r}")
