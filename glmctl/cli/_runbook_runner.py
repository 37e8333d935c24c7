"""Load, run and render a runbook: the body shared by every runbook-backed command.

``glmctl runbook run``, ``glmctl preflight`` and ``glmctl verify`` differ only in which
runbook they name and which parameters they pass, so each is a few lines on top of
:func:`run_runbook`. Imports of pydantic, rich and the engine happen inside the
functions, keeping ``glmctl --help`` fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glmctl.context import OutputFormat, RunContext
from glmctl.errors import UsageError

if TYPE_CHECKING:
    from glmctl.runbook.result import RunbookResult
    from glmctl.steps.registry import ClusterFactory, StepRegistry

RUNBOOK_FORMATS = (
    OutputFormat.RICH,
    OutputFormat.JSON,
    OutputFormat.JUNIT,
    OutputFormat.MARKDOWN,
)


def run_runbook(
    run_ctx: RunContext,
    runbook_name_or_path: str,
    params: Mapping[str, object] | None = None,
    profile: Any = None,
    cluster_factory: ClusterFactory | None = None,
    *,
    registry: StepRegistry | None = None,
    repo: Path | None = None,
) -> int:
    """Run a runbook with the run's global options, render it, and return the exit code.

    Everything is validated before anything runs: the output format, the runbook file
    (each problem a ``UsageError`` with file, line and column) and the parameters.
    ``cluster_factory`` defaults to connecting with ``--kubeconfig``/``--context``
    the first time a step asks for the cluster.
    """
    result = execute_runbook(
        run_ctx,
        runbook_name_or_path,
        params,
        profile,
        cluster_factory,
        registry=registry,
        repo=repo,
    )
    render_result(run_ctx, result)
    return result.exit_code


def execute_runbook(
    run_ctx: RunContext,
    runbook_name_or_path: str,
    params: Mapping[str, object] | None = None,
    profile: Any = None,
    cluster_factory: ClusterFactory | None = None,
    *,
    registry: StepRegistry | None = None,
    repo: Path | None = None,
) -> RunbookResult:
    """Like :func:`run_runbook` with the live progress display, but without the final
    rendering: for commands that show the finished run their own way (troubleshoot)."""
    from glmctl.render import progress_display
    from glmctl.runbook.engine import run_runbook as execute
    from glmctl.runbook.loader import bind_parameters, load_runbook
    from glmctl.runbook.locate import find_runbook, override_note
    from glmctl.sanitize import escape_text

    options = run_ctx.options
    if options.output not in RUNBOOK_FORMATS:
        raise UsageError(
            f"-o {options.output.value} is not available for runbooks",
            hint="Use -o rich, json, junit or markdown.",
        )
    path = find_runbook(runbook_name_or_path, runbook_search_path(run_ctx, profile))
    note = override_note(path)
    if note:
        run_ctx.terminal.stderr.write(f"glmctl: note: {escape_text(note)}\n")
    runbook = load_runbook(path, registry=registry, profile=profile)
    bound = bind_parameters(runbook, params or {})
    with progress_display(run_ctx.terminal, options.output) as on_event:
        return execute(
            runbook,
            params=bound,
            profile=profile,
            registry=registry,
            dry_run=options.dry_run,
            timeout=options.timeout,
            cluster_factory=cluster_factory or default_cluster_factory(run_ctx),
            repo=repo if repo is not None else Path.cwd(),
            on_event=on_event,
            debug=options.debug,
        )


def runbook_search_path(run_ctx: RunContext, profile: Any) -> list[tuple[str, Path]]:
    """Where runbook names are looked up for this run: ``--runbook-dir``, the profile's
    ``runbooks.dir``, the user's directory, the shipped runbooks (never ``./runbooks``)."""
    from glmctl.runbook.locate import search_path

    asked: list[Path] = []
    if run_ctx.options.runbook_dir is not None:
        asked.append(run_ctx.options.runbook_dir)
    configured = getattr(getattr(profile, "runbooks", None), "dir", None)
    if isinstance(configured, str) and configured:
        asked.append(Path(configured))
    return search_path(asked)


def render_result(run_ctx: RunContext, result: RunbookResult) -> None:
    """Write the finished run in the chosen ``-o`` format to stdout."""
    from glmctl.render import render_report
    from glmctl.render.checklist import render_summary

    if run_ctx.options.output is OutputFormat.RICH:
        render_summary(result, run_ctx.terminal.console())
    else:
        run_ctx.terminal.stdout.write(render_report(result, run_ctx.options.output))
        run_ctx.terminal.stdout.flush()


def default_cluster_factory(run_ctx: RunContext) -> ClusterFactory:
    """Connect with the global ``--kubeconfig``, ``--context`` and ``--timeout``, on first
    use only."""

    def connect() -> Any:
        try:
            client = importlib.import_module("glmctl.cluster.client")
        except ModuleNotFoundError:
            raise UsageError(
                "this build of glmctl has no cluster layer (glmctl.cluster.client)"
            ) from None
        return client.Cluster.from_options(run_ctx.options)

    return connect


def load_profile(run_ctx: RunContext) -> Any:
    """The cluster profile for ``--config``, else ``glmctl.yaml`` found upward, else defaults.

    A broken profile file is a ``ConfigError`` (exit 2) before anything runs.
    """
    from glmctl.config import load_profile as load

    return load(run_ctx.options.config).profile


def parse_param_options(values: list[str]) -> dict[str, str]:
    """``--param k=v`` options as a mapping; a malformed one is a usage error."""
    parsed: dict[str, str] = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name.strip():
            raise UsageError(
                f"--param {value!r} is not NAME=VALUE",
                hint="Write --param name=value, once per parameter.",
            )
        parsed[name.strip()] = text
    return parsed
