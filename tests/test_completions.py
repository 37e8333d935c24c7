"""Completion scripts are current, and the app answers the TAB requests they make."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from glmctl.cli.completions import SHELLS, completion_script

REPO = Path(__file__).resolve().parent.parent
GLMCTL = Path(sys.executable).parent / "glmctl"


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_shipped_script_is_current(shell: str) -> None:
    shipped = (REPO / "completions" / SHELLS[shell]).read_text(encoding="utf-8")
    assert shipped == completion_script(shell).strip() + "\n", (
        "completions/ is stale: run `make completions`"
    )


def _complete(words: str, cword: int) -> list[str]:
    env = {
        **os.environ,
        "_GLMCTL_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
    }
    done = subprocess.run([str(GLMCTL)], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_completes_commands_and_option_values() -> None:
    assert "version" in _complete("glmctl vers", 1)
    assert _complete("glmctl -o ", 2) == ["rich", "json", "junit", "markdown", "sarif", "github"]
