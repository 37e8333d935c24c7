"""Which command modules make up the CLI. Each module exposes ``register(app)``.

One line per module, in the order ``glmctl --help`` should list them. Command modules
import nothing heavy at module level, so registering all of them stays cheap.
"""

from __future__ import annotations

from importlib import import_module

import typer

COMMAND_MODULES = (
    "status_cmd",
    "preflight_cmd",
    "monitor_cmd",
    "verify_cmd",
    "rollback_cmd",
    "redeploy_cmd",
    "troubleshoot_cmd",
    "lint_cmd",
    "runbook_cmd",
    "journal_cmd",
    "config_cmd",
    "sim_cmd",
    "demo_cmd",
    "version_cmd",
)


def register(app: typer.Typer) -> None:
    """Add every command group to ``app``, in help order."""
    for name in COMMAND_MODULES:
        import_module(f"glmctl.cli.{name}").register(app)
