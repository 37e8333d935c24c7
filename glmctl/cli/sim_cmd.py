"""``glmctl sim``: run the simulated cluster (``serve``) and list its scenarios."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from glmctl.errors import UsageError

if TYPE_CHECKING:
    from glmctl.sim.contracts import Scenario

SERVE_HELP = """Serve a simulated cluster in the foreground until Ctrl-C, SIGTERM or SIGHUP.

Prints the kubeconfig path first (write it elsewhere with the global --kubeconfig PATH),
then how to point kubectl or glmctl at it. On stop it ends every process it started and
removes its files, the kubeconfig it wrote included.

--engine real runs the scenario on a real etcd, kube-apiserver and kube-controller-manager
(built once by `make real-cluster` in a glmctl checkout; Go is needed for that build only).
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
        str,
        typer.Option(
            "--scenario", "-s", metavar="NAME", help="Scenario name or path of a scenario file."
        ),
    ] = "healthy",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="0: a free port.")] = 0,
    size: Annotated[
        str | None,
        typer.Option(
            "--size",
            metavar="K,H,P",
            help="For --scenario generated: Kustomizations,HelmReleases,pods.",
        ),
    ] = None,
    time_scale: Annotated[
        float | None,
        typer.Option(
            "--time-scale",
            min=0.0,
            metavar="FACTOR",
            help="Speed of the simulated controllers: multiplies every delay and TTL.",
        ),
    ] = None,
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite", help="Overwrite a --kubeconfig file that is not a simulator's."
        ),
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            metavar="sim|real",
            help="sim: the built-in simulated API server; real: etcd, kube-apiserver and "
            "kube-controller-manager built by `make real-cluster`.",
        ),
    ] = "sim",
) -> None:
    """Serve a simulated cluster in the foreground until Ctrl-C (or SIGTERM, SIGHUP)."""
    import errno

    from glmctl.cli.app import run_context
    from glmctl.sim.scenario import with_time_scale

    if engine not in ("sim", "real"):
        raise UsageError(
            f"--engine {engine!r} is not an engine.", hint="Choose --engine sim or --engine real."
        )

    context = run_context(ctx)
    from glmctl.cli._output import TEXT_ONLY, require_output

    require_output(context, "sim serve", TEXT_ONLY)
    loaded = _load(scenario, size)
    if time_scale is not None:
        loaded = with_time_scale(loaded, time_scale)
    out = context.terminal.stdout
    kubeconfig = context.options.kubeconfig
    if kubeconfig is not None and not overwrite:
        _refuse_to_overwrite(kubeconfig)
    if engine == "real" and port:
        raise UsageError("--port applies to --engine sim only.", hint="Drop --port.")

    with _signals_interrupt():
        try:
            handle = _start(engine, loaded, port, kubeconfig)
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
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped", file=out, flush=True)
        finally:
            handle.stop()  # removes the temporary kubeconfig (it holds a client key)


@contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP (a service manager, a closed terminal) end ``serve`` the way
    Ctrl-C does, even while a real engine is still starting, so the clean-up always runs;
    the previous handlers come back after."""
    import signal

    wanted = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {number: signal.getsignal(number) for number in wanted}

    def interrupt(number: int, frame: object) -> None:
        raise KeyboardInterrupt

    for number in wanted:
        signal.signal(number, interrupt)
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _start(engine: str, loaded: Scenario, port: int, kubeconfig: Path | None) -> Any:
    """Start the chosen engine; both handles have url, kubeconfig_path, context and stop()."""
    if engine == "real":
        from glmctl.realcluster.binaries import find_binaries
        from glmctl.realcluster.engine import start_real_engine

        binaries = find_binaries()  # before anything starts: one sentence if not built
        return start_real_engine(loaded, kubeconfig_path=kubeconfig, binaries=binaries)
    from glmctl.sim.runner import start_simulator

    return start_simulator(loaded, port=port, kubeconfig_path=kubeconfig)


def scenarios(ctx: typer.Context) -> None:
    """List the shipped scenarios with what each one simulates."""
    from glmctl.cli._output import require_output
    from glmctl.cli.app import run_context
    from glmctl.contract import models
    from glmctl.render.output import Column, show_list
    from glmctl.sim.scenario import list_scenarios

    context = run_context(ctx)
    require_output(context, "sim scenarios")
    rows = [models.Scenario(name=name, description=text) for name, text in list_scenarios()]
    columns: list[Column[models.Scenario]] = [
        Column("SCENARIO", lambda row: row.name, style="bold"),
        Column("DESCRIPTION", lambda row: row.description),
    ]
    document = models.ScenarioList(items=rows)
    show_list(context.terminal, context.options.output, document, columns, rows)


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
            "or --overwrite to replace it.",
        )
