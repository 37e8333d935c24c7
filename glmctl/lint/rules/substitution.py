"""Rule group 9: Flux post-build substitution variables."""

from __future__ import annotations

import re
from collections.abc import Iterable

from glmctl.lint.context import LintContext, walk_strings
from glmctl.lint.model import (
    Finding,
    Placed,
)
from glmctl.lint.registry import rule
from glmctl.lint.rules.common import (
    W,
    map_items,
    text_of,
)
from glmctl.lint.yamlio import YMap

_VARIABLE = re.compile(r"(?<!\$)\$\{([_a-zA-Z][_a-zA-Z0-9]*)\}")
SUBSTITUTE_ANNOTATION = "kustomize.toolkit.fluxcd.io/substitute"


# -- 9. post-build substitution ------------------------------------------------------------


@rule(
    "substitute-undefined",
    W,
    "A ${VAR} that post-build substitution does not define",
    "Flux replaces an undefined ${VAR} with an empty string. Escape it as $${VAR}, give a "
    "default with ${VAR:=value}, or annotate the object "
    "kustomize.toolkit.fluxcd.io/substitute: disabled.",
)
def substitute_undefined(ctx: LintContext) -> Iterable[Finding]:
    for build in ctx.model.builds:
        owner = build.owner
        posts = build.post_builds()
        if owner is None or not posts:
            continue
        defined: set[str] | None = set()
        for post in posts:
            names = _substitution_names(ctx, owner, post)
            if names is None or defined is None:
                defined = None
            else:
                defined |= names
        if defined is None:
            continue
        in_file: dict[str, set[str]] = {}
        for obj in build.objects:
            if not _mentions_undefined(ctx, obj.manifest.file, defined, in_file):
                continue
            annotations = obj.manifest.metadata.get("annotations")
            if (
                isinstance(annotations, dict)
                and annotations.get(SUBSTITUTE_ANNOTATION) == "disabled"
            ):
                continue
            for text, line in walk_strings(obj.manifest.body, obj.manifest.line, "${"):
                for name in _VARIABLE.findall(text):
                    if name not in defined:
                        yield ctx.finding(
                            "substitute-undefined",
                            W,
                            obj.manifest,
                            line,
                            f"${{{name}}} is not defined by Kustomization "
                            f"'{owner.manifest.name}' postBuild and becomes an empty string.",
                            obj=obj.ref,
                            fix=f"Define {name} in postBuild.substitute, escape it as "
                            f"$${{{name}}}, or write ${{{name}:=default}}.",
                        )


def _mentions_undefined(
    ctx: LintContext, rel: str, defined: set[str], seen: dict[str, set[str]]
) -> bool:
    """A cheap first look at the file's text: walking every value only pays where a
    variable the Kustomization does not define is written at all."""
    names = seen.get(rel)
    if names is None:
        text = ctx.model.files.text(rel)
        names = seen[rel] = set(_VARIABLE.findall(text)) if "${" in text else set()
    return not names <= defined


def _substitution_names(ctx: LintContext, owner: Placed, post: YMap) -> set[str] | None:
    """Names post-build defines; None when a source's keys cannot be known offline."""
    names: set[str] = set()
    substitute = post.get("substitute")
    if isinstance(substitute, dict):
        names.update(str(k) for k in substitute)
    for _, entry in map_items(post.get("substituteFrom")):
        kind, name = text_of(entry.get("kind")), text_of(entry.get("name"))
        found = ctx.producers.get((kind or "", owner.namespace, name or ""))
        if not found:
            if entry.get("optional") is True:
                continue
            return None
        for producer in found:
            if producer.keys is None:
                return None
            names.update(producer.keys)
    return names
