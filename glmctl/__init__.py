"""glmctl: the operator's console for a Flux CD GitOps cluster.

The package is layered so data flows one way: ``cli`` parses options and calls the
runbook ``engine``; ``steps`` do the checks and actions through ``cluster`` (the only
module that speaks to Kubernetes) and ``repo`` (the GitOps repository); results come
back as frozen data and ``render`` turns them into text. See ``docs/ARCHITECTURE.md``.
"""

__version__ = "0.1.0"
