"""The GitOps repository, offline: ``glmctl preflight --repo PATH`` lints it first.

The findings come from :func:`glmctl.lint.engine.lint_repository`, the same function
``glmctl lint`` runs, with the profile's ``lint:`` settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from glmctl.steps._text import plural
from glmctl.steps.registry import StepContext, StepResult, step

if TYPE_CHECKING:
    from glmctl.lint.model import Finding

MAX_FINDINGS_SHOWN = 20


class LintParams(BaseModel):
    """The repository to lint (its root directory)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1)


def finding_line(finding: Finding) -> str:
    """``file:line: [rule] message``, as the operator's editor wants it."""
    return f"{finding.file}:{finding.line}: [{finding.rule}] {finding.message}"


@step("repo.lint", params=LintParams, outputs={"errors", "warnings"})
def lint(ctx: StepContext, params: LintParams) -> StepResult:
    """The GitOps repository passes lint (errors fail the check, warnings are shown)."""
    from glmctl.lint.engine import lint_repository

    root = Path(params.path).expanduser()
    if ctx.repo is not None and not root.is_absolute():
        root = ctx.repo / root
    command = f"glmctl lint {params.path}"
    if not root.is_dir():
        return StepResult.failed(
            f"{params.path} is not a directory",
            hint="Give --repo the root of the GitOps repository (the directory holding "
            "clusters/ and infrastructure/).",
            command=command,
        )
    from glmctl.lint.model import Severity  # lint's parser costs ~15 ms: only when linting
    from glmctl.lint.settings import LintSettings

    settings = getattr(ctx.profile, "lint", None)
    report = lint_repository(root, settings if isinstance(settings, LintSettings) else None)
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    warnings = [f for f in report.findings if f.severity is Severity.WARNING]
    outputs = {"errors": len(errors), "warnings": len(warnings)}
    counts = f"{plural(len(errors), 'error')}, {plural(len(warnings), 'warning')}"
    shown = [*errors, *warnings][:MAX_FINDINGS_SHOWN]
    details = tuple(finding_line(f) for f in shown)
    more = len(errors) + len(warnings) - len(shown)
    if more:
        details += (f"... and {more} more (see `{command}`)",)
    if errors:
        return StepResult.failed(
            f"lint found {counts} in {report.files_read} files",
            details=details,
            hint=f"Fix the errors (each names file and line), or run `{command}` for the "
            "full report with fixes.",
            command=command,
            outputs=outputs,
        )
    if warnings:
        return StepResult.warning(
            f"lint found {counts} in {report.files_read} files",
            details=details,
            hint=f"Worth a look before deploying: `{command}`.",
            command=command,
            outputs=outputs,
        )
    return StepResult.passed(
        f"lint: no problems in {report.files_read} files", command=command, outputs=outputs
    )
