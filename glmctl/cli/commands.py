"""Which command modules make up the CLI. Each module exposes ``register(app)``.

One line per module, in the order ``glmctl --help`` should list them. Command modules
import nothing heavy at module level, so registering all of them stays cheap.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add every command group to ``app``."""
    from glmctl.cli import version_cmd

    version_cmd.register(app)
    from glmctl.cli import config_cmd

    config_cmd.register(app)
    from glmctl.cli import journal_cmd

    journal_cmd.register(app)
    from glmctl.cli import runbook_cmd

    runbook_cmd.register(app)
    from glmctl.cli import sim_cmd

    sim_cmd.register(app)
