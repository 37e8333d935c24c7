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
    "smoke": CommandEntry(
        "smoke_cmd",
        "Run the guide's post-deployment tests: Authentik, service discovery, 1Password "
        "Connect, the database, the configuration values.",
    ),
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
        "Diagnose the deployment guide's common issues, then offer fixes.",
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


#: Every leaf command's examples, one per line under "Examples:" in its --help (a test
#: checks that each leaf has some and that each runs at least as far as parsing).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "status": ("glmctl status", "glmctl status -o json", "glmctl status --context prod"),
    "preflight": ("glmctl preflight", "glmctl preflight --repo ~/home-ops -o junit > pre.xml"),
    "monitor": (
        "glmctl monitor",
        "glmctl monitor --timeout 2m",
        "glmctl monitor --once -o json",
    ),
    "verify": (
        "glmctl verify",
        "glmctl verify -o markdown > report.md",
        "glmctl verify --smoke",
    ),
    "smoke": (
        "glmctl smoke",
        "glmctl smoke service-discovery",
        "glmctl smoke authentik --authentik-url https://authentik.example.com",
        "glmctl smoke database --pg-image postgres:17-alpine -o json",
    ),
    "rollback": (
        'glmctl rollback --reason "auth hooks failing"',
        "glmctl rollback --dry-run",
        "glmctl rollback --undo --commit",
    ),
    "redeploy": (
        "glmctl redeploy",
        "glmctl redeploy --dry-run",
        "glmctl redeploy --yes --no-wait",
    ),
    "troubleshoot": (
        "glmctl troubleshoot",
        "glmctl troubleshoot helmrelease",
        "glmctl troubleshoot external-secrets -o markdown",
    ),
    "lint": (
        "glmctl lint",
        "glmctl lint ./talos-gitops -o sarif > lint.sarif",
        "glmctl lint --format github",
        "glmctl lint --list-rules",
    ),
    "runbook list": ("glmctl runbook list", "glmctl runbook list -o json"),
    "runbook show": ("glmctl runbook show preflight", "glmctl runbook show ./my-checks.yaml"),
    "runbook validate": ("glmctl runbook validate", "glmctl runbook validate ./my-checks.yaml"),
    "runbook run": (
        "glmctl runbook run preflight",
        "glmctl runbook run ./my-checks.yaml -p namespace=authentik",
        "glmctl runbook run verify -o junit > verify.xml",
    ),
    "runbook steps": ("glmctl runbook steps", "glmctl runbook steps -o json"),
    "journal list": ("glmctl journal list", "glmctl journal list -o json"),
    "journal show": ("glmctl journal show 20261126T0301", "glmctl journal show 2026 -o json"),
    "journal restore": (
        "glmctl journal restore 20261126T0301 --dry-run",
        "glmctl journal restore 20261126T0301",
    ),
    "config show": ("glmctl config show", "glmctl config show -o json"),
    "config path": ("glmctl config path", "glmctl config path --config ./glmctl.yaml"),
    "sim serve": (
        "glmctl sim serve --scenario predeploy",
        "glmctl sim serve --scenario generated --size 2000,500,10000",
        "glmctl sim serve --scenario ./my-cluster.yaml --port 6443",
        "glmctl sim serve --engine real --scenario healthy",
    ),
    "sim scenarios": ("glmctl sim scenarios",),
    "demo": ("glmctl demo", "glmctl demo --scenario helmrelease-failed"),
    "version": ("glmctl version", "glmctl --version"),
    "schema": ("glmctl schema > glmctl.schema.json", "glmctl schema StatusReport"),
    "completion": (
        "glmctl completion bash > ~/.local/share/bash-completion/completions/glmctl",
        'glmctl completion zsh > "${fpath[1]}/_glmctl"',
        "glmctl completion fish > ~/.config/fish/completions/glmctl.fish",
    ),
}


def load_command(name: str) -> Any:
    """Build the click command ``name`` from its module (None for an unknown name)."""
    entry = COMMANDS.get(name)
    if entry is None:
        return None
    holder = typer.Typer(rich_markup_mode=None)
    import_module(f"glmctl.cli.{entry.module}").register(holder)
    command = typer.main.get_group(holder).commands.get(name)
    if command is not None:
        tidy_help(command, name)
    return command


def wants_subcommand_help(args: list[str]) -> bool:
    """``glmctl [GLOBALS] COMMAND ... --help``: help for a command, nothing to run."""
    words = args[: args.index("--")] if "--" in args else args
    return _command_index(words) is not None and any(w in ("-h", "--help") for w in words)


def _command_index(args: list[str]) -> int | None:
    """Where the command name is, after the (hoisted) global options and their values."""
    from glmctl.context import VALUE_OPTIONS

    index = 0
    while index < len(args):
        word = args[index]
        if word in VALUE_OPTIONS:
            index += 2
            continue
        if word.startswith("-"):
            index += 1
            continue
        return index if word in COMMANDS else None
    return None


def print_subcommand_help(args: list[str]) -> int:
    """Print the help of the command ``args`` name, without parsing the global options.

    The root group would convert its options before the subcommand's --help runs, and
    typer converts every value (given or not) with pydantic: importing it costs ~100 ms,
    more than the rest of ``glmctl status --help``. Nothing runs here; nothing needs them.
    """
    import typer

    from glmctl.cli.app import app

    root = typer.main.get_command(app)
    ctx = root.context_class(root, info_name="glmctl", **root.context_settings)
    index = _command_index(args)
    assert index is not None
    name, rest = args[index], args[index + 1 :]
    command = load_command(name)
    # Down to the command whose help is asked for, without parsing the groups' options
    # either (an option left unset is converted too).
    while rest and rest[0] in getattr(command, "commands", {}):
        ctx = command.context_class(command, info_name=name, parent=ctx)
        name, rest = rest[0], rest[1:]
        command = command.commands[name]
    try:
        with command.make_context(name, rest, parent=ctx) as sub:
            command.invoke(sub)
    except typer.Exit as done:
        return done.exit_code
    return 0


def tidy_help(command: Any, path: str) -> None:
    """kubectl-like help for ``command`` and its subcommands: ``--reason REASON`` and
    ``TOPIC``, never typer's type labels (``<str>``, ``<list[str]>``, ``<float range>``),
    an ``Examples:`` block (:data:`EXAMPLES`), and the global options listed under every
    command, since they work anywhere."""
    for param in command.params:
        if param.param_type_name == "argument":
            if param.metavar is None:
                param.metavar = _metavar(param.name) + ("..." if param.nargs != 1 else "")
            setattr(param, "display_type_rich", _no_type_label)  # noqa: B010 - an instance's
        elif param.metavar is None and not (param.is_flag or param.count):
            param.metavar = _metavar(max(param.opts, key=len))
    original = command.format_epilog

    examples = EXAMPLES.get(path, ())

    def format_epilog(ctx: Any, formatter: Any) -> None:
        if examples:
            with formatter.section("Examples"):
                for example in examples:
                    formatter.write_text(example)
        _format_global_options(ctx, formatter)
        original(ctx, formatter)

    setattr(command, "format_epilog", format_epilog)  # noqa: B010 - this instance only
    for name, sub in getattr(command, "commands", {}).items():
        tidy_help(sub, f"{path} {name}")


def _metavar(name: str) -> str:
    return name.lstrip("-").replace("-", "_").upper()


def _no_type_label(ctx: Any) -> None:
    return None


def _format_global_options(ctx: Any, formatter: Any) -> None:
    """The root command's options (``--context``, ``-o``, ``--timeout``...) as a section."""
    root = ctx.find_root()
    records = [
        record
        for param in root.command.get_params(root)
        if param.name not in ("help", "version")
        and (record := param.get_help_record(root)) is not None
    ]
    if records:
        with formatter.section("Global options (anywhere on the line)"):
            formatter.write_dl(records)


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
