"""``glmctl demo``: the guided tour a newcomer runs first, on a simulated cluster.

It starts the simulator in this process and runs the real commands against it as child
processes, printing each command line first: what the newcomer sees is exactly what they
would type against their own cluster, with a kubeconfig pointing elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from glmctl.context import RunContext

DEMO_HELP = """Start a simulated cluster and walk through a deployment with glmctl.

The simulator starts in the `predeploy` state (prerequisites Ready, the lifecycle chart
not yet deployed). The demo then runs, as you would: status, preflight, redeploy (resume,
reconcile, follow until Ready), verify and status again. Nothing outside this process is
touched; the cluster disappears when the demo ends.
"""


@dataclass(frozen=True)
class Stage:
    """One command of the tour and why a newcomer would run it."""

    title: str
    args: tuple[str, ...]
    must_pass: bool = True


STAGES = (
    Stage("Where do things stand?", ("status",), must_pass=False),
    Stage("Is it safe to deploy?", ("preflight",)),
    Stage("Deploy: resume, request a reconcile, follow until Ready", ("redeploy", "--yes")),
    Stage("Did the deployment work?", ("verify",)),
    Stage("And now?", ("status",)),
)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to ``app``."""
    app.command("demo", help=DEMO_HELP)(demo)


def demo(
    ctx: typer.Context,
    scenario: Annotated[
        str, typer.Option("--scenario", "-s", metavar="NAME", help="Scenario to start from.")
    ] = "predeploy",
    time_scale: Annotated[
        float,
        typer.Option(
            "--time-scale",
            min=0.0,
            metavar="FACTOR",
            help="Speed of the simulated controllers: multiplies every delay and TTL.",
        ),
    ] = 0.3,
) -> None:
    """Start a simulated cluster and walk through a deployment with glmctl."""
    import os
    import tempfile

    from glmctl.cli.app import run_context
    from glmctl.sim.runner import start_simulator
    from glmctl.sim.scenario import load_scenario, with_time_scale
    from glmctl.userdirs import STATE_DIR_ENV

    context = run_context(ctx)
    from glmctl.cli._output import TEXT_ONLY, require_output

    require_output(context, "demo", TEXT_ONLY)
    console = context.terminal.console()
    loaded = with_time_scale(load_scenario(scenario), time_scale)
    with start_simulator(loaded) as handle, tempfile.TemporaryDirectory() as state_dir:
        console.print(
            f"[bold]Simulated cluster[/] with scenario [cyan]{loaded.name}[/] at {handle.url}\n"
            f"  kubeconfig: {handle.kubeconfig_path}  (kubectl --kubeconfig ... works too)"
        )
        # The tour's journal entries are about a cluster that is gone when it ends.
        env = {**os.environ, STATE_DIR_ENV: state_dir}
        outcomes = [_run_stage(stage, handle.kubeconfig_path, context, env) for stage in STAGES]
    failed = [
        stage.title
        for stage, code in zip(STAGES, outcomes, strict=True)
        if code and stage.must_pass
    ]
    if failed:
        console.print(f"\n[yellow]The tour ended with {len(failed)} command(s) not passing.[/]")
        raise typer.Exit(1)
    console.print(
        "\n[green]That is the whole loop.[/] Next: `glmctl sim scenarios` lists the failures "
        "the simulator can show; `glmctl demo --scenario NAME` tours one of them."
    )


def _run_stage(stage: Stage, kubeconfig: Path, context: RunContext, env: dict[str, str]) -> int:
    """Run one command as the user would type it, streaming its output; its exit code."""
    from glmctl.execs import run_glmctl

    console = context.terminal.console()
    from rich.rule import Rule

    console.print(Rule(f"[bold]{stage.title}"), width=context.terminal.rule_width)
    console.print(f"[dim]$[/] glmctl {' '.join(stage.args)}")
    passthrough = ["--no-color"] if context.options.no_color else []
    return run_glmctl(
        ["--kubeconfig", str(kubeconfig), *passthrough, *stage.args],
        stdout=context.terminal.stdout,
        stderr=context.terminal.stderr,
        env=env,
    )
