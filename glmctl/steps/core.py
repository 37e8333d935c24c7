"""Generic steps that need no cluster: assertions over earlier results, and notes.

``core.assert`` turns any condition over parameters, the profile and earlier steps'
outputs into a check of its own, so a runbook can say "fail when more than N pods
restarted" without a new Python step. The condition is an ordinary ``${{ }}`` template,
checked by the loader like every other reference and evaluated by the engine.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from glmctl.steps.registry import StepContext, StepResult, StepStatus, step


class AssertParams(BaseModel):
    """``that`` is usually a template: ``that: ${{ steps.pods.outputs.failed == 0 }}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    that: bool
    message: str = Field(min_length=1)
    otherwise: str | None = None
    hint: str | None = None
    severity: Literal["fail", "warn"] = "fail"


@step("core.assert", params=AssertParams)
def assert_(ctx: StepContext, params: AssertParams) -> StepResult:
    """Check a condition over parameters, the profile and earlier steps' outputs."""
    if params.that:
        return StepResult.passed(params.message)
    return StepResult(
        status=StepStatus.FAIL if params.severity == "fail" else StepStatus.WARN,
        summary=params.otherwise or f"not true: {params.message}",
        hint=params.hint,
    )


class NoteParams(BaseModel):
    """A message (and optional details) to show as a step of the run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    message: str = Field(min_length=1)
    details: list[str] = Field(default_factory=list)
    hint: str | None = None
    command: str | None = None


@step("core.note", params=NoteParams)
def note(ctx: StepContext, params: NoteParams) -> StepResult:
    """Show a message: a manual step, a recommendation or a pointer to the guide."""
    return StepResult.passed(
        params.message,
        details=tuple(params.details),
        hint=params.hint,
        command=params.command,
    )
