"""The run context: global options and the terminal, passed down instead of read from globals.

Commands receive one :class:`RunContext`; tests build their own. Nothing below the CLI
layer looks at ``sys.argv``, environment variables for output, or whether stdout is a tty.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


class OutputFormat(StrEnum):
    """What ``-o/--output`` accepts; every command renders results through one of these."""

    RICH = "rich"
    JSON = "json"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    SARIF = "sarif"
    GITHUB = "github"


@dataclass(frozen=True)
class GlobalOptions:
    """The options every command accepts, wherever they appear on the command line."""

    context: str | None = None
    kubeconfig: Path | None = None
    config: Path | None = None
    output: OutputFormat = OutputFormat.RICH
    timeout: float | None = None
    dry_run: bool = False
    yes: bool = False
    verbose: int = 0
    no_color: bool = False
    debug: bool = False
    runbook_dir: Path | None = None


@dataclass
class Terminal:
    """Where output goes and what the terminal can do: swapped for a capture in tests."""

    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    no_color: bool = False

    @property
    def is_tty(self) -> bool:
        """True when a person is looking: live displays and colour only then."""
        return _isatty(self.stdout)

    @property
    def interactive(self) -> bool:
        """True when we may ask questions: both stdin and stdout are terminals."""
        return _isatty(self.stdin) and _isatty(self.stdout)

    @property
    def color(self) -> bool:
        """Colour only on a terminal, and never when ``--no-color`` or ``NO_COLOR`` say no."""
        return self.is_tty and not self.no_color and "NO_COLOR" not in os.environ

    def console(self, *, stderr: bool = False) -> Console:
        """A rich console bound to this terminal's stream and colour choice."""
        from glmctl.render.console import SafeConsole

        stream = self.stderr if stderr else self.stdout
        return SafeConsole(
            file=stream,
            force_terminal=self.color,
            no_color=not self.color,
            highlight=False,
            soft_wrap=not _isatty(stream),
            width=None if _isatty(stream) else 100,
        )


@dataclass
class RunContext:
    """Everything a command needs besides its own arguments."""

    options: GlobalOptions = field(default_factory=GlobalOptions)
    terminal: Terminal = field(default_factory=Terminal)


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
