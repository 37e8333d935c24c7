"""The lint rules, one module per group; importing this package registers them all.

Each rule is a small function registered with :func:`glmctl.lint.registry.rule`: it reads
the :class:`~glmctl.lint.context.LintContext` and yields findings. None prints, none
raises on odd input (a value of the wrong type is skipped: another rule, or Flux, says so).
"""

from __future__ import annotations

import importlib

# Rule groups in the order of issue 5's list; SARIF and JUnit list rules in this order.
GROUPS = (
    "manifests",
    "kustomize",
    "flux",
    "helm",
    "references",
    "stores",
    "duplicates",
    "substitution",
    "unreferenced",
    "charts",  # only with --render-charts
)

for _group in GROUPS:
    importlib.import_module(f"{__name__}.{_group}")
