"""``glmctl runbook list|show|validate|run|steps``: the runbook engine, for any runbook.

Runbooks are found by name in ./runbooks, the user's config directory and the ones
shipped with glmctl (see ``docs/runbooks.md``), or given as a file path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from glmctl.cli.app import run_context
from glmctl.context import RunContext

if TYPE_CHECKING:
    from glmctl.runbook.model import Runbook

runbook_app = typer.Typer(
    name="runbook",
    help="List, show, validate and run runbooks (YAML files of checks and actions).",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``runbook`` command group to ``app``."""
    app.add_typer(runbook_app)


@runbook_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List the runbooks glmctl can find: --runbook-dir (or the profile's runbooks.dir), the
    user's, then the shipped ones.

    A name found twice runs the first one; the later one is marked "shadowed".
    """
    from glmctl.cli._output import require_output
    from glmctl.cli._runbook_runner import load_profile, runbook_search_path
    from glmctl.contract import models
    from glmctl.render.output import Column, show_list
    from glmctl.runbook.loader import RunbookError, load_runbook
    from glmctl.runbook.locate import list_runbooks

    run_ctx = run_context(ctx)
    require_output(run_ctx, "runbook list")
    rows: list[models.RunbookInfo] = []
    profile = load_profile(run_ctx, reads_cluster=False)
    for file in list_runbooks(runbook_search_path(run_ctx, profile)):
        try:
            description = load_runbook(file.path).description.strip().splitlines()
            summary, valid = (description[0] if description else ""), True
        except RunbookError as error:
            more = len(error.problems) - 1
            summary = f"invalid: {error.detail}" + (f" (and {more} more)" if more else "")
            valid = False
        rows.append(
            models.RunbookInfo(
                name=file.name,
                origin=file.origin,
                path=str(file.path),
                shadowed=file.shadowed,
                valid=valid,
                description=summary,
            )
        )
    columns: list[Column[models.RunbookInfo]] = [
        Column("NAME", lambda row: row.name, style="bold"),
        Column("ORIGIN", lambda row: row.origin + (" (shadowed)" if row.shadowed else "")),
        Column("DESCRIPTION", lambda row: row.description),
    ]
    show_list(
        run_ctx.terminal,
        run_ctx.options.output,
        models.RunbookList(items=rows),
        columns,
        rows,
        empty="No runbooks found (searched --runbook-dir, the user's and the shipped ones).",
    )


@runbook_app.command("show")
def show_command(
    ctx: typer.Context,
    runbook: Annotated[str, typer.Argument(help="Runbook name or file.")],
) -> None:
    """Show a runbook's parameters and steps: what each uses, with what, and if it mutates."""
    from glmctl.cli._output import require_output
    from glmctl.cli._runbook_runner import load_profile, runbook_search_path
    from glmctl.render.output import is_document, write_document
    from glmctl.runbook.loader import load_runbook
    from glmctl.runbook.locate import find_runbook
    from glmctl.steps.registry import default_registry

    run_ctx = run_context(ctx)
    require_output(run_ctx, "runbook show")
    profile = load_profile(run_ctx, reads_cluster=False)
    loaded = load_runbook(
        find_runbook(runbook, runbook_search_path(run_ctx, profile)), profile=profile
    )
    registry = default_registry()
    if is_document(run_ctx.options.output):
        from glmctl.contract.build import runbook as runbook_document

        document = runbook_document(loaded, registry.get)
        write_document(run_ctx.terminal, run_ctx.options.output, document)
        return
    _show_text(run_ctx, loaded, registry.get)


@runbook_app.command("validate")
def validate_command(
    ctx: typer.Context,
    runbooks: Annotated[
        list[str] | None,
        typer.Argument(help="Runbook files or names (default: every runbook found)."),
    ] = None,
) -> None:
    """Check runbooks without running them; each problem is FILE:LINE:COL: message (exit 2).

    -o json|yaml prints one RunbookValidation document with every problem instead.
    """
    from glmctl.cli._output import require_output
    from glmctl.cli._runbook_runner import load_profile, runbook_search_path
    from glmctl.cli.main import report_error
    from glmctl.contract import models
    from glmctl.errors import UsageError
    from glmctl.render.output import is_document, write_document
    from glmctl.runbook.loader import load_runbook
    from glmctl.runbook.locate import find_runbook, list_runbooks

    run_ctx = run_context(ctx)
    require_output(run_ctx, "runbook validate")
    as_document = is_document(run_ctx.options.output)
    profile = load_profile(run_ctx, reads_cluster=False)
    path = runbook_search_path(run_ctx, profile)
    targets = runbooks or [str(f.path) for f in list_runbooks(path) if not f.shadowed]
    checks: list[models.RunbookCheck] = []
    for target in targets:
        try:
            loaded = load_runbook(find_runbook(target, path), profile=profile)
        except UsageError as error:
            checks.append(
                models.RunbookCheck(
                    target=target,
                    source=None,
                    valid=False,
                    steps=None,
                    problems=[
                        models.RunbookProblem(message=line, hint=error.hint)
                        for line in error.message.splitlines() or [error.message]
                    ],
                )
            )
            if not as_document:
                report_error(error)
            continue
        checks.append(
            models.RunbookCheck(
                target=target,
                source=loaded.source,
                valid=True,
                steps=len(loaded.steps),
                problems=[],
            )
        )
        if not as_document:
            typer.echo(f"ok {loaded.source} ({len(loaded.steps)} steps)")
    valid = all(check.valid for check in checks)
    if as_document:
        document = models.RunbookValidation(valid=valid, items=checks)
        write_document(run_ctx.terminal, run_ctx.options.output, document)
    if not valid:
        raise typer.Exit(2)


@runbook_app.command("run")
def run_command(
    ctx: typer.Context,
    runbook: Annotated[str, typer.Argument(help="Runbook name or file.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="A runbook parameter, NAME=VALUE; repeatable."),
    ] = None,
) -> None:
    """Run a runbook: live checklist, then a summary (or -o json|yaml|junit|markdown).

    Exit 0 all passed (warnings included), 1 a check failed, 2 the runbook or a parameter
    is wrong (nothing ran), 3 the cluster is unreachable, 4 timed out, 130 interrupted.
    """
    from glmctl.cli._runbook_runner import load_profile, parse_param_options, run_runbook

    run_ctx = run_context(ctx)
    code = run_runbook(
        run_ctx,
        runbook,
        parse_param_options(param or []),
        profile=load_profile(run_ctx),
    )
    if code:
        raise typer.Exit(code)


@runbook_app.command("steps")
def steps_command(ctx: typer.Context) -> None:
    """List every step a runbook can use, with its parameters and whether it mutates."""
    from glmctl.cli._output import require_output
    from glmctl.contract import models
    from glmctl.contract.build import step_list
    from glmctl.render.output import Column, show_list
    from glmctl.steps.registry import default_registry

    run_ctx = run_context(ctx)
    require_output(run_ctx, "runbook steps")
    registry = default_registry()
    specs = [s for name in registry.names() if (s := registry.get(name)) is not None]
    document = step_list(specs)
    columns: list[Column[models.StepInfo]] = [
        Column("STEP", lambda row: row.name, style="bold"),
        Column("MUTATES", lambda row: "yes" if row.mutating else "no"),
        Column("PARAMETERS", lambda row: ", ".join(row.parameters)),
        Column("DESCRIPTION", lambda row: row.description),
    ]
    show_list(run_ctx.terminal, run_ctx.options.output, document, columns, document.items)


def _show_text(run_ctx: RunContext, runbook: Runbook, spec_of: Any) -> None:
    from rich.text import Text

    console = run_ctx.terminal.console()
    console.print(Text(f"{runbook.name}  ({runbook.source})", style="bold"))
    if runbook.description:
        console.print(Text(runbook.description.strip()))
    console.print()
    if runbook.parameters:
        console.print(Text("Parameters:", style="bold"))
        for parameter in runbook.parameters:
            default = "required" if parameter.required else f"default {parameter.default!r}"
            line = f"  {parameter.name} ({parameter.type.value}, {default})"
            if parameter.description:
                line += f": {parameter.description}"
            console.print(Text(line))
        console.print()
    console.print(Text("Steps:", style="bold"))
    for index, step in enumerate(runbook.steps, start=1):
        spec = spec_of(step.uses)
        flag = "  [mutating]" if spec is not None and spec.mutating else ""
        console.print(Text(f"  {index}. {step.id}: {step.label}  uses {step.uses}{flag}"))
        for key, value in step.with_.items():
            console.print(Text(f"       with {key} = {value!r}"))
        for condition in step.conditions():
            console.print(Text(f"       when {condition}"))
        if step.needs:
            console.print(Text(f"       needs {', '.join(step.needs)}"))
        extras = [
            f"retries {step.retries}" if step.retries else "",
            f"timeout {step.timeout:g}s" if step.timeout else "",
            "continue on failure" if step.continue_on_failure else "",
        ]
        if any(extras):
            console.print(Text("       " + ", ".join(e for e in extras if e)))
