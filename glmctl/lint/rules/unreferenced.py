"""Files outside the graph: manifests Flux never applies."""

from __future__ import annotations

from collections.abc import Iterable

from glmctl.lint.context import LintContext
from glmctl.lint.loader import is_kustomize_config
from glmctl.lint.model import (
    Finding,
)
from glmctl.lint.registry import rule
from glmctl.lint.rules.common import (
    I,
)
from glmctl.lint.rules.kustomize import misspelled_targets

# -- files outside the graph ---------------------------------------------------------------


@rule(
    "unreferenced-file",
    I,
    "Manifests no kustomization reaches",
    "Flux never applies them. Files named in a commented-out entry are deliberate and "
    "not reported.",
    scope="repository",
)
def unreferenced_file(ctx: LintContext) -> Iterable[Finding]:
    reachable = ctx.model.reachable_files
    misspelled = misspelled_targets(ctx)
    for rel, manifests in sorted(ctx.model.manifests.items()):
        if (
            rel in reachable
            or rel in misspelled
            or rel in ctx.model.listed_files
            or rel in ctx.model.commented_entries
            or is_kustomize_config(rel)
            or not any(m.is_object for m in manifests)
        ):
            continue
        yield ctx.finding(
            "unreferenced-file",
            I,
            rel,
            1,
            "No kustomization reaches this file; Flux does not apply it.",
            fix=f"List it in {ctx.kustomization_for(rel) or 'a kustomization'}"
            " if it should be deployed.",
        )
