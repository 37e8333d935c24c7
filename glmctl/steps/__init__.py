"""The library of checks and actions that runbooks name (``uses: flux.kustomization_ready``).

Each module here registers its steps with :func:`glmctl.steps.registry.step`; the registry
imports every module of this package on first use, so a new module needs no other wiring.
See :mod:`glmctl.steps.registry` for the protocol and ``docs/runbooks.md`` for how runbooks
use steps.
"""

from glmctl.steps.registry import (
    StepContext,
    StepRegistry,
    StepResult,
    StepSpec,
    StepStatus,
    default_registry,
    step,
)

__all__ = [
    "StepContext",
    "StepRegistry",
    "StepResult",
    "StepSpec",
    "StepStatus",
    "default_registry",
    "step",
]
