"""The recovery runbooks' steps: rollback (and its undo), clean redeploy, journal restore.

Each recovery is a mutating step that declares its plan as data (``changes``, the planners
in :mod:`glmctl.recovery`); the engine shows it, asks once, journals and carries it out
(:func:`glmctl.recovery.execute.gate`). The decorated function is what follows the change
(the rollback's git diff and commit). The steps around them read the state first and
follow up after: the next step once a rollback is pushed, the wait until the redeploy is
Ready. Shipped as ``runbooks/rollback.yaml``, ``redeploy.yaml``, ``journal-restore.yaml``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from glmctl.errors import UsageError
from glmctl.steps.registry import StepContext, StepResult, step

if TYPE_CHECKING:
    from glmctl.config import Profile
    from glmctl.plan import Plan
    from glmctl.recovery.execute import Execution

WAIT_MARGIN = 0.25
"""The wait for Ready ends this much before the run's deadline, so it reports its own
verdict (what was still not Ready) rather than being cut off by the engine."""


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _profile(ctx: StepContext) -> Profile:
    if ctx.profile is None:
        raise UsageError(f"step `{ctx.step_id}` needs the cluster profile (glmctl.yaml).")
    return ctx.profile


def _carried(ctx: StepContext) -> Execution:
    if ctx.carried_out is None:  # pragma: no cover - the engine sets it before run
        raise AssertionError("a step with changes runs after the engine's gate")
    return ctx.carried_out


def _changed_summary(execution: Execution) -> StepResult:
    done = sum(1 for outcome in execution.outcomes if outcome.result == "done")
    if execution.plan.nothing_to_do:
        return StepResult.passed("already done: nothing to change")
    entry = f"; journal entry {execution.entry_id}" if execution.entry_id else ""
    left = len(execution.left_alone)
    alone = f", {left} left alone (changed after the plan)" if left else ""
    return StepResult.passed(f"{done} change{'s' if done != 1 else ''} made{alone}{entry}")


# --------------------------------------------------------------------------- state


@step("recovery.cluster_state", params=_Params, outputs={"context", "server", "user"})
def cluster_state(ctx: StepContext, params: _Params) -> StepResult:
    """The cluster a recovery acts on: its context, API server and user."""
    cluster = ctx.cluster
    return StepResult.passed(
        f"context {cluster.context_name}, {cluster.server}, as {cluster.user_name or 'unknown'}",
        outputs={
            "context": cluster.context_name,
            "server": cluster.server,
            "user": cluster.user_name,
        },
    )


# --------------------------------------------------------------------------- rollback


class RollbackParams(_Params):
    """What the operator asked of ``glmctl rollback`` (``--undo`` and the rest)."""

    repo: str
    user: str = ""
    undo: bool = False
    reason: str = ""
    health_checks: bool = False
    skip_missing: bool = False
    dependents: bool = False
    force_cluster: bool = False
    commit: bool = False


def plan_rollback_change(ctx: StepContext, params: RollbackParams) -> Plan:
    """The rollback's (or its undo's) plan, read from the cluster and the repository now."""
    from glmctl.journal import Journal
    from glmctl.recovery import rollback as rb

    profile = _profile(ctx)
    options = rb.RollbackOptions(
        repo=Path(params.repo),
        user=params.user,
        reason=params.reason,
        health_checks=params.health_checks,
        skip_missing=params.skip_missing,
        dependents=params.dependents,
    )
    if params.undo:
        planned = rb.plan_undo(
            ctx.cluster, profile, options, Journal(), force_cluster=params.force_cluster
        )
    else:
        planned = rb.plan_rollback(ctx.cluster, profile, options)
    return planned.plan


@step(
    "recovery.rollback",
    params=RollbackParams,
    mutating=True,
    changes=plan_rollback_change,
    outputs={"files_changed", "diff", "committed"},
)
def rollback(ctx: StepContext, params: RollbackParams) -> StepResult:
    """Suspend the lifecycle and re-enable the replaced jobs (or undo it); commit with git."""
    from glmctl.recovery import rollback as rb

    execution = _carried(ctx)
    files = tuple(
        Path(str((outcome.item.patch or {})["path"]))
        for outcome in execution.outcomes
        if outcome.result == "done" and outcome.item.action == "edit-file"
    )
    result = _changed_summary(execution)
    if not files:
        return result.model_copy(
            update={"outputs": {"files_changed": False, "diff": None, "committed": None}}
        )
    repo = Path(params.repo)
    diff = rb.git_diff(repo, files)
    committed: str | None = None
    if params.commit:
        message = rb.commit_message(params.undo, _profile(ctx), params.reason)
        committed = rb.git_commit(repo, files, message) or ""
    return result.model_copy(
        update={"outputs": {"files_changed": True, "diff": diff, "committed": committed}}
    )


@step("recovery.next_after_rollback", params=_Params, outputs={"why", "command"})
def next_after_rollback(ctx: StepContext, params: _Params) -> StepResult:
    """The next step once the rollback's edit is pushed (never `glmctl monitor`)."""
    from glmctl.recovery.rollback import next_after_rollback as advise

    advice = advise(ctx.cluster, _profile(ctx))
    return StepResult.passed(
        f"next: {advice.command}",
        outputs={"why": advice.why, "command": advice.command},
    )


# --------------------------------------------------------------------------- redeploy


class RedeployParams(_Params):
    """``glmctl redeploy``'s selector: empty for the profile's lifecycle selector."""

    selector: str = ""
    use_selector: bool = False
    """True when ``selector`` was given (an empty one is then refused, not defaulted)."""


def plan_redeploy_change(ctx: StepContext, params: RedeployParams) -> Plan:
    """The redeploy's plan: the HelmRelease, the lifecycle's Jobs, the reconcile request."""
    from glmctl.recovery.redeploy import plan_redeploy

    selector = params.selector if params.use_selector else None
    return plan_redeploy(ctx.cluster, _profile(ctx), selector)


@step("recovery.redeploy", params=RedeployParams, mutating=True, changes=plan_redeploy_change)
def redeploy(ctx: StepContext, params: RedeployParams) -> StepResult:
    """Delete the HelmRelease and the lifecycle's Jobs, then request a reconcile."""
    return _changed_summary(_carried(ctx))


@step("recovery.wait_ready", params=_Params, outputs={"outcome"})
def wait_ready(ctx: StepContext, params: _Params) -> StepResult:
    """Follow the lifecycle with watches until Ready, failed for good, or the deadline."""
    from glmctl.monitor import MonitorTargets, follow

    remaining = ctx.remaining()
    timeout = math.inf if remaining is None else max(0.0, round(remaining - WAIT_MARGIN, 1))
    outcome = follow(ctx.cluster, MonitorTargets.from_profile(_profile(ctx)), timeout, ctx.report)
    outputs = {"outcome": outcome}
    if outcome.exit_code == 0:
        return StepResult.passed(f"Ready: {outcome.summary}", outputs=outputs)
    if outcome.exit_code == 1:
        return StepResult.failed(
            f"the redeploy failed: {outcome.summary}",
            hint="`glmctl status` shows the objects; `kubectl describe helmrelease` the events.",
            outputs=outputs,
        )
    return StepResult.failed(
        f"not Ready after {outcome.timeout:g} seconds: {outcome.summary}",
        hint="`glmctl monitor` keeps following it; --timeout waits longer.",
        outputs=outputs,
        timed_out=True,
    )


# --------------------------------------------------------------------------- restore


class RestoreParams(_Params):
    """The journal entry to restore, and ``--force-cluster``."""

    entry: str
    force_cluster: bool = False


def plan_restore_change(ctx: StepContext, params: RestoreParams) -> Plan:
    """One create per object the entry deleted; refused for an entry of another cluster."""
    from glmctl.cluster.identity import identify
    from glmctl.journal import Journal, require_same_cluster
    from glmctl.recovery.restore import plan_restore

    entry = Journal().get(params.entry)
    cluster = ctx.cluster
    require_same_cluster(entry.id, entry.cluster, identify(cluster), force=params.force_cluster)
    return plan_restore(cluster, entry)


@step("recovery.restore", params=RestoreParams, mutating=True, changes=plan_restore_change)
def restore(ctx: StepContext, params: RestoreParams) -> StepResult:
    """Re-create the objects a journal entry deleted, from their recorded manifests."""
    return _changed_summary(_carried(ctx))
