"""Recovery commands as data and actions: rollback, clean redeploy, journal restore.

Each recovery's planner builds a :class:`glmctl.plan.Plan` by reading the cluster and the
repository; it runs as a shipped runbook whose mutating step declares that plan, and the
runbook engine's gate (:func:`glmctl.recovery.execute.gate`, :func:`~.execute.carry_out`)
confirms, journals and executes it. One public function per recovery, for the commands
and for anything else that offers one: :func:`run_rollback`, :func:`run_redeploy`,
:func:`run_restore` (:mod:`glmctl.recovery.run`).
"""

from glmctl.recovery.run import RollbackRequest, run_redeploy, run_restore, run_rollback

__all__ = ["RollbackRequest", "run_redeploy", "run_restore", "run_rollback"]
