"""Load, run and render a runbook: the body shared by every runbook-backed command.

``glmctl runbook run``, ``glmctl preflight`` and ``glmctl verify`` differ only in which
runbook they name and which parameters they pass, so each is a few lines on top of
:func:`run_runbook`. Imports of pydantic, rich and the engine happen inside the
functions, keeping ``glmctl --help`` fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from glmctl.context import OutputFormat, RunContext
from glmctl.errors import CheckFailed, UsageError

if TYPE_CHECKING:
    from glmctl.cluster.client import Cluster
    from glmctl.config import Profile
    from glmctl.recovery.execute import ChangeGate
    from glmctl.runbook.model import Runbook
    from glmctl.runbook.result import RunbookResult
    from glmctl.steps.registry import ClusterFactory, StepRegistry


def run_runbook(
    run_ctx: RunContext,
    runbook_name_or_path: str,
    params: Mapping[str, object] | None = None,
    profile: Profile | None = None,
    cluster_factory: ClusterFactory | None = None,
    *,
    registry: StepRegistry | None = None,
    repo: Path | None = None,
    command: str = "runbook run",
) -> int:
    """Run a runbook with the run's global options, render it, and return the exit code.

    Everything is validated before anything runs: the output format, the runbook file
    (each problem a ``UsageError`` with file, line and column) and the parameters.
    ``command`` names the command in a refused ``-o``. ``cluster_factory`` defaults to
    connecting with ``--kubeconfig``/``--context`` the first time a step asks for the cluster.
    """
    result = execute_runbook(
        run_ctx,
        runbook_name_or_path,
        params,
        profile,
        cluster_factory,
        registry=registry,
        repo=repo,
        command=command,
    )
    render_result(run_ctx, result)
    raise_if_stopped(result)
    return result.exit_code


def raise_if_stopped(result: RunbookResult) -> None:
    """A run that stopped early (its ``--timeout`` ran out, the API server did not answer,
    the cluster cannot be reached, a change was refused or failed half-way) ends in one
    error line that says why, and its exit code (``runbook.result.stop_error``).

    Call after rendering the report: the steps that did finish are still shown.
    """
    from glmctl.runbook.result import stop_error

    error = stop_error(result)
    if error is not None:
        raise error


def execute_runbook(
    run_ctx: RunContext,
    runbook_name_or_path: str,
    params: Mapping[str, object] | None = None,
    profile: Profile | None = None,
    cluster_factory: ClusterFactory | None = None,
    *,
    registry: StepRegistry | None = None,
    repo: Path | None = None,
    command: str = "runbook run",
) -> RunbookResult:
    """Like :func:`run_runbook` with the live progress display, but without the final
    rendering: for commands that show the finished run their own way (troubleshoot)."""
    from glmctl.cli._output import REPORT_FORMATS, require_output
    from glmctl.render import progress_display
    from glmctl.runbook.engine import run_runbook as execute
    from glmctl.runbook.loader import bind_parameters, load_runbook
    from glmctl.runbook.locate import find_runbook, override_note
    from glmctl.sanitize import escape_text

    options = run_ctx.options
    require_output(run_ctx, command, REPORT_FORMATS)
    path = find_runbook(runbook_name_or_path, runbook_search_path(run_ctx, profile))
    note = override_note(path) if path != Path(runbook_name_or_path) else None
    if note:  # looked up by name and found outside the shipped runbooks: say which file
        run_ctx.terminal.stderr.write(f"glmctl: note: {escape_text(note)}\n")
    runbook = load_runbook(path, registry=registry, profile=profile)
    bound = bind_parameters(runbook, params or {})
    opened: list[Cluster] = []

    def connect() -> Cluster:  # the connection this run opens is closed when it ends
        opened.append(default_cluster_factory(run_ctx)())
        return opened[-1]

    gate = _change_gate(run_ctx, runbook) if any(s.mutating for s in runbook.steps) else None
    try:
        with progress_display(run_ctx.terminal, options.output) as on_event:
            return execute(
                runbook,
                params=bound,
                profile=profile,
                registry=registry,
                dry_run=options.dry_run,
                timeout=options.timeout,
                cluster_factory=cluster_factory or connect,
                repo=repo if repo is not None else Path.cwd(),
                on_event=on_event,
                debug=options.debug,
                gate=gate,
            )
    finally:
        for cluster in opened:
            cluster.close()


def _change_gate(run_ctx: RunContext, runbook: Runbook) -> ChangeGate:
    """The confirm/journal gate for a runbook with a mutating step that declares its plan
    (read-only runbooks, most of them, do not pay for importing the journal and gate)."""
    from glmctl.journal import Journal
    from glmctl.recovery.execute import ChangeGate
    from glmctl.recovery.run import global_flags, terminal_confirm

    return ChangeGate(
        journal=Journal(),
        command=("runbook", "run", runbook.name, *global_flags(run_ctx)),
        confirm=terminal_confirm(run_ctx, "Carry out this plan?"),
        yes=run_ctx.options.yes,
    )


def runbook_search_path(run_ctx: RunContext, profile: Profile | None) -> list[tuple[str, Path]]:
    """Where runbook names are looked up for this run: ``--runbook-dir``, the profile's
    ``runbooks.dir``, the user's directory, the shipped runbooks (never ``./runbooks``)."""
    from glmctl.runbook.locate import search_path

    asked: list[Path] = []
    if run_ctx.options.runbook_dir is not None:
        asked.append(run_ctx.options.runbook_dir)
    if profile is not None and profile.runbooks.dir:
        asked.append(Path(profile.runbooks.dir))
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
    """Connect the one way every command does (``Cluster.from_options``: ``--kubeconfig``,
    ``--context``, ``--as``, ``--timeout``), on first use only."""

    def connect() -> Cluster:
        from glmctl.cluster.client import Cluster

        return Cluster.from_options(run_ctx.options)

    return connect


def load_profile(run_ctx: RunContext, *, reads_cluster: bool = True) -> Profile:
    """The cluster profile for ``--config``, else ``glmctl.yaml`` found upward, else
    defaults; with ``-n/--namespace`` its Flux objects are looked for in that namespace,
    with ``-A/--all-namespaces`` in the one namespace that holds the lifecycle
    Kustomization (found with one list). Every command that reads the cluster takes its
    profile from here.

    A broken profile file is a ``ConfigError`` (exit 2) before anything runs.
    """
    from glmctl.config import load_profile as load

    options = run_ctx.options
    profile = load(options.config).profile
    if options.namespace and options.all_namespaces:
        raise UsageError(
            "-n/--namespace and -A/--all-namespaces say different things",
            hint="Name the namespace with -n, or let -A find it; not both.",
        )
    if options.namespace:
        return profile.in_flux_namespace(options.namespace)
    if options.all_namespaces and reads_cluster:
        return profile.in_flux_namespace(_find_lifecycle_namespace(run_ctx, profile))
    return profile


def _find_lifecycle_namespace(run_ctx: RunContext, profile: Profile) -> str:
    from glmctl.cluster.client import Cluster
    from glmctl.status import lifecycle_namespaces

    name = profile.flux.lifecycle_kustomization.name
    with Cluster.from_options(run_ctx.options) as cluster:
        found = lifecycle_namespaces(cluster, profile)
    if len(found) == 1:
        return found[0]
    if not found:
        raise CheckFailed(
            f"no Kustomization named {name} in any namespace (-A).",
            hint="Check the name in glmctl.yaml (flux.lifecycle_kustomization) "
            "or the context (--context).",
        )
    raise UsageError(
        f"Kustomizations named {name} are in {len(found)} namespaces: {', '.join(found)}.",
        hint="Pick one with -n NAMESPACE.",
    )


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
