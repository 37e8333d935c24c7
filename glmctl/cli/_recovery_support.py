"""What the recovery commands (rollback, redeploy, journal restore) share at the CLI edge:
the ``ChangeReport`` document and the exit code. The runs themselves are
:mod:`glmctl.recovery.run`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from glmctl.context import RunContext

if TYPE_CHECKING:
    from glmctl.recovery.run import Recovery


def finish(run: RunContext, recovery: Recovery) -> None:
    """Write the ``ChangeReport`` document (``-o json|yaml``) and exit 1 when the operator
    said no."""
    import typer

    from glmctl.render.output import is_document, write_document

    execution = recovery.execution
    if is_document(run.options.output) and execution is not None:
        from glmctl.contract.build import change_report

        document = change_report(execution, committed=recovery.committed, wait=recovery.wait)
        write_document(run.terminal, run.options.output, document)
    if recovery.declined:
        raise typer.Exit(1)
