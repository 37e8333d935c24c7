"""Rule group 8: the same object, label or annotation twice."""

from __future__ import annotations

from collections.abc import Iterable

from glmctl.lint.context import LintContext
from glmctl.lint.model import (
    Finding,
    Placed,
)
from glmctl.lint.registry import rule
from glmctl.lint.rules.common import (
    LABEL_MAPS,
    E,
)

# -- 8. duplicates -------------------------------------------------------------------------


@rule(
    "duplicate-object",
    E,
    "The same object twice in one build",
    "kustomize refuses to build ('may not add resource with an already registered id').",
)
def duplicate_object(ctx: LintContext) -> Iterable[Finding]:
    reported: set[tuple[str, int]] = set()
    for build in ctx.model.builds:
        first: dict[tuple[str, str, str | None, str], Placed] = {}
        for obj in build.objects:
            if not obj.manifest.name:
                continue
            earlier = first.setdefault(obj.identity, obj)
            if earlier is obj or (obj.manifest.file, obj.manifest.line) in reported:
                continue
            reported.add((obj.manifest.file, obj.manifest.line))
            where = f"the build of '{build.path or '.'}'"
            if (earlier.manifest.file, earlier.manifest.index) == (
                obj.manifest.file,
                obj.manifest.index,
            ):
                message = f"{obj.ref} is included twice in {where}: two entries reach this file."
                fix = "List the file (or the directory holding it) once."
            else:
                message = f"{obj.ref} is defined twice in {where}."
                fix = (
                    f"Remove one; it is also defined at {earlier.manifest.file}:"
                    f"{earlier.manifest.line}."
                )
            yield ctx.finding(
                "duplicate-object",
                E,
                obj.manifest,
                obj.manifest.line,
                message,
                obj=obj.ref,
                fix=fix,
            )


@rule(
    "duplicate-label",
    E,
    "A label or annotation key repeated",
    "Only the last value counts, which silently changes selectors.",
    scope="repository",
)
def duplicate_label(ctx: LintContext) -> Iterable[Finding]:
    for rel in ctx.model.manifests:
        for doc in ctx.model.files.parsed(rel).documents:
            for dup in doc.duplicates:
                if dup.parent_key in LABEL_MAPS:
                    what = "annotation" if dup.parent_key == "annotations" else "label"
                    yield ctx.finding(
                        "duplicate-label",
                        E,
                        rel,
                        dup.line,
                        f"{what.capitalize()} '{dup.key}' appears twice in {dup.parent_key} "
                        f"(first at line {dup.first_line}).",
                        fix=f"Remove one of the two '{dup.key}' {what}s.",
                        column=dup.column,
                    )
