"""``glmctl completion bash|zsh|fish``: print the shell completion script."""

from __future__ import annotations

from typing import Annotated

import typer

COMPLETION_HELP = """Print the shell completion script for bash, zsh or fish.

Install it once; it asks glmctl for candidates at each TAB, so it stays current.
"""


def register(app: typer.Typer) -> None:
    """Add ``completion`` to ``app``."""
    app.command("completion", help=COMPLETION_HELP)(completion)


def completion(
    ctx: typer.Context,
    shell: Annotated[str, typer.Argument(metavar="SHELL", help="bash, zsh or fish.")],
) -> None:
    """Print the shell completion script for bash, zsh or fish."""
    from glmctl.cli._output import TEXT_ONLY, require_output
    from glmctl.cli.app import run_context
    from glmctl.cli.completions import SHELLS, completion_script
    from glmctl.errors import UsageError

    run = run_context(ctx)
    require_output(run, "completion", TEXT_ONLY)
    if shell not in SHELLS:
        raise UsageError(
            f"no completion script for shell {shell!r}.", hint=f"Use one of: {', '.join(SHELLS)}."
        )
    run.terminal.stdout.write(completion_script(shell))
