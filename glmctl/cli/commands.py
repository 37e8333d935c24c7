"""The command list, and the group that loads a command's module only when it runs.

``glmctl --help`` needs only each command's name and summary, so they are written down
here (a test checks them against the commands themselves) and ``glmctl status`` imports
the status module alone. This keeps start-up within the budget in ``bench/bench_help.py``.
Each command module exposes ``register(app)``, which adds its command or group to a typer
app.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any

import typer
from typer.core import TyperGroup


@dataclass(frozen=True)
class CommandEntry:
    """One top-level command: the module that defines it and its one-line summary."""

    module: str
    summary: str


#: In the order ``glmctl --help`` lists them.
COMMANDS: dict[str, CommandEntry] = {
    "status": CommandEntry(
        "status_cmd",
        "Show the lifecycle Kustomization, what it depends on, the HelmRelease and their sources.",
    ),
    "preflight": CommandEntry(
        "preflight_cmd",
        "Check the prerequisites before deploying the lifecycle chart (read-only).",
    ),
    "monitor": CommandEntry(
        "monitor_cmd",
        "Follow the lifecycle Kustomization, the HelmRelease, their dependsOn that are not "
        "Ready yet and the chart's hook Jobs, with watches, until the outcome is known.",
    ),
    "verify": CommandEntry("verify_cmd", "Validate the deployed lifecycle chart (read-only)."),
    "rollback": CommandEntry(
        "rollback_cmd",
        "Suspend the lifecycle Kustomization and re-enable the replaced jobs in the repository.",
    ),
    "redeploy": CommandEntry(
        "redeploy_cmd",
        "Delete the HelmRelease and the lifecycle's Jobs, request a reconcile, wait for Ready.",
    ),
    "troubleshoot": CommandEntry(
        "troubleshoot_cmd",
        "Diagnose one of the deployment guide's common issues (read-only).",
    ),
    "lint": CommandEntry(
        "lint_cmd",
        "Check the repository for what would fail in Flux: missing files, dependsOn names, "
        "health checks, sources, Secrets, secret stores, duplicates, substitution variables.",
    ),
    "runbook": CommandEntry(
        "runbook_cmd",
        "List, show, validate and run runbooks (YAML files of checks and actions).",
    ),
    "journal": CommandEntry(
        "journal_cmd",
        "Show the journal of mutating commands: every change, planned and done, and the full "
        "manifest of what was changed or deleted (Secret values redacted); restore what they "
        "deleted.",
    ),
    "config": CommandEntry(
        "config_cmd",
        "Show the cluster profile: the names glmctl looks for, and where each came from.",
    ),
    "sim": CommandEntry(
        "sim_cmd",
        "The simulated cluster: a Kubernetes API on 127.0.0.1 laid out like the guide.",
    ),
    "demo": CommandEntry(
        "demo_cmd", "Start a simulated cluster and walk through a deployment with glmctl."
    ),
    "schema": CommandEntry(
        "schema_cmd", "Print the JSON Schema (2020-12) of what `-o json` and `-o yaml` print."
    ),
    "completion": CommandEntry(
        "completion_cmd", "Print the shell completion script for bash, zsh or fish."
    ),
    "version": CommandEntry("version_cmd", "Print glmctl's version."),
}


def load_command(name: str) -> Any:
    """Build the click command ``name`` from its module (None for an unknown name)."""
    entry = COMMANDS.get(name)
    if entry is None:
        return None
    holder = typer.Typer(rich_markup_mode=None)
    import_module(f"glmctl.cli.{entry.module}").register(holder)
    return typer.main.get_group(holder).commands.get(name)


class LazyCommandGroup(TyperGroup):
    """The root group: lists commands from :data:`COMMANDS`, imports one only to run it."""

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands:
            command = load_command(cmd_name)
            if command is None:
                return None
            self.commands[cmd_name] = command
        return self.commands[cmd_name]

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [(name, _shorten(entry.summary, limit)) for name, entry in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _shorten(text: str, limit: int) -> str:
    """Click's short-help rule: the text if it fits, else cut at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 3].rsplit(" ", 1)[0]
    return f"{cut}..."
