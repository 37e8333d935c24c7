"""Shell completion scripts for bash, zsh and fish, generated from the app.

The scripts are typer's: at TAB time the shell runs ``glmctl`` with ``_GLMCTL_COMPLETE``
set and the app itself answers from its current command tree, so a new command or option
completes without regenerating. The files in ``completions/`` are checked by a test to
equal what this module generates.

Usage: ``python -m glmctl.cli.completions write DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

SHELLS = {"bash": "glmctl.bash", "zsh": "_glmctl", "fish": "glmctl.fish"}
PROG_NAME = "glmctl"
COMPLETE_VAR = "_GLMCTL_COMPLETE"


def completion_script(shell: str) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name=PROG_NAME, complete_var=COMPLETE_VAR, shell=shell)


def write_all(directory: Path) -> list[Path]:
    """Write every shell's script into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for shell, filename in SHELLS.items():
        path = directory / filename
        path.write_text(completion_script(shell).strip() + "\n", encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - exercised through `make completions`
    if len(sys.argv) != 3 or sys.argv[1] != "write":
        print("usage: python -m glmctl.cli.completions write DIR", file=sys.stderr)
        raise SystemExit(2)
    for written_path in write_all(Path(sys.argv[2])):
        print(written_path)
