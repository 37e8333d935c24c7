"""The run context: global options and the terminal, passed down instead of read from globals.

Commands receive one :class:`RunContext`; tests build their own. Nothing below the CLI
layer looks at ``sys.argv``, environment variables for output, or whether stdout is a tty.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


# The global options' names, as typed on the command line (short aliases included): the
# CLI hoists them before the subcommand; the journal skips them to find the command word.
VALUE_OPTIONS = frozenset(
    {
        "--context",
        "--kubeconfig",
        "--config",
        "-o",
        "--output",
        "--timeout",
        "--as",
        "--as-group",
        "-n",
        "--namespace",
        "--runbook-dir",
    }
)
"""Global options that take a value."""
FLAG_OPTIONS = frozenset(
    {
        "--dry-run",
        "--yes",
        "-y",
        "-v",
        "--verbose",
        "--no-color",
        "--debug",
        "-A",
        "--all-namespaces",
    }
)
"""Global options that do not."""


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
    """Seconds (``--timeout``); None when not given; 0 means no limit, as kubectl's
    ``--request-timeout=0``."""
    as_user: str | None = None
    as_groups: tuple[str, ...] = ()
    namespace: str | None = None
    """``-n``: where the Flux objects are, instead of the profile's namespace."""
    all_namespaces: bool = False
    """``-A``: find the namespace holding the lifecycle's Flux objects."""
    dry_run: bool = False
    yes: bool = False
    verbose: int = 0
    no_color: bool = False
    debug: bool = False
    runbook_dir: Path | None = None

    @property
    def budget(self) -> float | None:
        """The whole command's time limit in seconds, None for no limit (``--timeout`` not
        given, or ``--timeout 0``)."""
        return self.timeout or None

    def wait_seconds(self, default: float) -> float:
        """How long a waiting command (``monitor``, ``redeploy``) waits: ``default`` when
        ``--timeout`` is not given, forever (``math.inf``) for ``--timeout 0``."""
        if self.timeout is None:
            return default
        return self.timeout or math.inf


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
