"""Recovery commands as data and actions: rollback, clean redeploy, journal restore.

Each command builds a :class:`glmctl.plan.Plan` by reading the cluster and the repository,
and :func:`glmctl.recovery.execute.carry_out` confirms, journals and executes it.
"""
