"""The run context: global options and the terminal, passed down instead of read from globals.

Commands receive one :class:`RunContext`; tests build their own. Nothing below the CLI
layer looks at ``sys.argv``, environment variables for output, or whether stdout is a tty.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
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
    YAML = "yaml"
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
    """Where output goes and what the terminal can do: swapped for a capture in tests.

    Colour follows, first to last: ``--no-color``; ``NO_COLOR`` set and not empty
    (no-color.org); ``FORCE_COLOR`` set and not empty (force-color.org); else whether stdout
    is a terminal. Width is ``COLUMNS`` when set, else the terminal's; text is wrapped
    only on a terminal, never in a pipe or a file.
    """

    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    no_color: bool = False
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)

    @property
    def is_tty(self) -> bool:
        """True when a person is looking: live displays and wrapping only then."""
        return _isatty(self.stdout)

    @property
    def interactive(self) -> bool:
        """True when we may ask questions: both stdin and stdout are terminals."""
        return _isatty(self.stdin) and _isatty(self.stdout)

    @property
    def color(self) -> bool:
        """Whether to write ANSI colour (see the class docstring for the order of rules)."""
        if self.no_color or self.environ.get("NO_COLOR", ""):
            return False
        if self.environ.get("FORCE_COLOR", ""):
            return True
        return self.is_tty

    @property
    def live(self) -> bool:
        """Live displays (cursor movement) only on a real terminal that shows colour:
        ``FORCE_COLOR`` in a CI log gets colour, not redraws."""
        return self.is_tty and self.color

    @property
    def columns(self) -> int | None:
        """``COLUMNS`` when it is a positive number (it overrides the terminal's width)."""
        value = self.environ.get("COLUMNS", "").strip()
        return int(value) if value.isdigit() and int(value) > 0 else None

    @property
    def rule_width(self) -> int:
        """Width of a decoration (a horizontal rule): ``COLUMNS``, the terminal's, or 100."""
        if self.columns:
            return self.columns
        return _terminal_width(self.stdout) if self.is_tty else 100

    def console(self, *, stderr: bool = False) -> Console:
        """A rich console bound to this terminal's stream and colour choice.

        On a terminal rich wraps to ``COLUMNS`` or the terminal's width. Anywhere else
        nothing is wrapped, cut or padded: ``soft_wrap`` and a width no line reaches.
        """
        from glmctl.render.console import SafeConsole

        stream = self.stderr if stderr else self.stdout
        tty = _isatty(stream)
        return SafeConsole(
            file=stream,
            force_terminal=self.color,
            no_color=not self.color,
            highlight=False,
            soft_wrap=not tty,
            # without colour rich takes a terminal for a file: tell it the terminal's width
            width=(self.columns or _terminal_width(stream)) if tty else PIPE_WIDTH,
            _environ=dict(self.environ),
        )


PIPE_WIDTH = 1 << 16
"""What rich is told the width is off a terminal: more than any line, so trees and
indented text are never cut there (``COLUMNS`` sizes only decorations, see
:attr:`Terminal.rule_width`)."""


@dataclass
class RunContext:
    """Everything a command needs besides its own arguments."""

    options: GlobalOptions = field(default_factory=GlobalOptions)
    terminal: Terminal = field(default_factory=Terminal)


def _terminal_width(stream: IO[str]) -> int:
    """The width of the terminal ``stream`` writes to (80 when it cannot be asked, or when
    it says 0: a pseudo-terminal nobody sized, as ``script`` makes with stdin not a
    terminal; rich would then print nothing at all)."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
