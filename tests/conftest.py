"""Shared fixtures: run the CLI in-process with captured streams."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Sequence
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

import pytest

from glmctl.cli.main import main


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


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run ``glmctl ARGS`` in this process; returns exit code, stdout and stderr."""
    return _run
