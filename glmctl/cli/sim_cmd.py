"""``glmctl sim``: run the simulated cluster (``serve``) and list its scenarios."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from glmctl.errors import UsageError

if TYPE_CHECKING:
    from glmctl.sim.contracts import Scenario

SERVE_HELP = """Serve a simulated cluster in the foreground until Ctrl-C.

Prints the kubeconfig path first (write it elsewhere with the global --kubeconfig PATH),
then how to point kubectl or glmctl at it. Examples:

  glmctl sim serve --scenario predeploy
  glmctl sim serve --scenario generated --size 2000,500,10000
  glmctl sim serve --scenario ./my-cluster.yaml --port 6443
"""


def register(app: typer.Typer) -> None:
    """Add the ``sim`` group to ``app``."""
    sim = typer.Typer(
        name="sim",
        help="The simulated cluster: a Kubernetes API on 127.0.0.1 laid out like the guide.",
        no_args_is_help=True,
    )
    sim.command("serve", help=SERVE_HELP)(serve)
    sim.command("scenarios")(scenarios)
    app.add_typer(sim, name="sim")


def serve(
    ctx: typer.Context,
    scenario: Annotated[
        str, typer.Option("--scenario", "-s", help="Scenario name or path of a scenario file.")
    ] = "healthy",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="0: a free port.")] = 0,
    size: Annotated[
        str | None,
        typer.Option("--size", help="For --scenario generated: Kustomizations,HelmReleases,pods."),
    ] = None,
    time_scale: Annotated[
        float | None,
        typer.Option("--time-scale", min=0.0, help="Multiply every controller delay and TTL."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="Overwrite a --kubeconfig file that is not a simulator's."),
    ] = False,
) -> None:
    """Serve a simulated cluster in the foreground until Ctrl-C."""
    import errno
    import threading

    from glmctl.cli.app import run_context
    from glmctl.sim.runner import start_simulator
    from glmctl.sim.scenario import with_time_scale

    context = run_context(ctx)
    loaded = _load(scenario, size)
    if time_scale is not None:
        loaded = with_time_scale(loaded, time_scale)
    out = context.terminal.stdout
    kubeconfig = context.options.kubeconfig
    if kubeconfig is not None and not force:
        _refuse_to_overwrite(kubeconfig)
    try:
        handle = start_simulator(loaded, port=port, kubeconfig_path=kubeconfig)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} is already in use.",
                hint="Choose another --port, or leave it out to take a free one.",
            ) from error
        raise
    try:
        print(handle.kubeconfig_path, file=out, flush=True)
        print(f"export KUBECONFIG={handle.kubeconfig_path}", file=out)
        print(
            f"Serving scenario {loaded.name!r} at {handle.url} (context {handle.context}). "
            "Press Ctrl-C to stop.",
            file=out,
            flush=True,
        )
        stop = threading.Event()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        print("stopped", file=out, flush=True)
    finally:
        handle.stop()


def scenarios(ctx: typer.Context) -> None:
    """List the shipped scenarios with what each one simulates."""
    import json

    from glmctl.cli.app import run_context
    from glmctl.context import OutputFormat
    from glmctl.sim.scenario import list_scenarios

    context = run_context(ctx)
    found = list_scenarios()
    if context.options.output is OutputFormat.JSON:
        rows = [{"name": name, "description": text} for name, text in found]
        print(json.dumps(rows, indent=2), file=context.terminal.stdout)
        return
    from rich.table import Table

    table = Table("Scenario", "Description", box=None, pad_edge=False)
    for name, text in found:
        table.add_row(name, text)
    context.terminal.console().print(table)


def parse_size(text: str) -> tuple[int, int, int]:
    """``k,h,p`` as three non-negative integers; anything else is a usage error."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        raise UsageError(
            f"--size {text!r} is not three counts.",
            hint="Write Kustomizations,HelmReleases,pods, e.g. --size 2000,500,10000.",
        )
    return int(parts[0]), int(parts[1]), int(parts[2])


def _load(scenario: str, size: str | None) -> Scenario:
    from glmctl.sim.generate import generate_scenario
    from glmctl.sim.scenario import GENERATED, load_scenario

    if scenario == GENERATED:
        if size is None:
            return load_scenario(GENERATED)
        return generate_scenario(*parse_size(size))
    if size is not None:
        raise UsageError(
            "--size only applies to --scenario generated.",
            hint="Drop --size, or use --scenario generated.",
        )
    return load_scenario(scenario)


def _refuse_to_overwrite(path: Path) -> None:
    """A kubeconfig that is not a simulator's may hold real credentials: never replace it."""
    if not path.exists():
        return
    from glmctl.errors import GlmctlError
    from glmctl.safeyaml import read_text, safe_load

    try:
        document = safe_load(read_text(path), str(path)) or {}
        contexts = {entry.get("name") for entry in document.get("contexts") or []}
    except (GlmctlError, AttributeError, TypeError):
        contexts = set()
    from glmctl.sim.kubeconfig import CONTEXT

    if contexts != {CONTEXT}:
        raise UsageError(
            f"{path} exists and is not a simulator's kubeconfig; it would be overwritten.",
            hint="Pass another --kubeconfig path (or none: a temporary file), "
            "or --force to replace it.",
        )
