"""The ``-o`` formats a command can write: one check, so every command refuses the same way."""

from __future__ import annotations

from collections.abc import Sequence

from glmctl.context import OutputFormat, RunContext
from glmctl.errors import UsageError


def require_output(run: RunContext, command: str, supported: Sequence[OutputFormat]) -> None:
    """Refuse (exit 2) an ``-o`` the command cannot write, naming those it can, rather than
    silently printing another format a script would then misread."""
    chosen = run.options.output
    if chosen in supported:
        return
    names = [f.value for f in supported]
    choices = " or ".join(f"-o {name}" for name in names)
    raise UsageError(
        f"glmctl {command} cannot write -o {chosen.value}.",
        hint=f"Use {choices}"
        + (f" ({names[0]} is the default)." if OutputFormat.RICH in supported else "."),
    )
