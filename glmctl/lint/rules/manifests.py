"""Rule group 1: YAML that parses, and manifests that say what they are."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from glmctl.lint.context import LintContext
from glmctl.lint.loader import is_kustomize_config
from glmctl.lint.model import (
    Finding,
    Manifest,
    ObjectRef,
)
from glmctl.lint.registry import rule
from glmctl.lint.rules.common import (
    KNOWN_TOP_LEVEL,
    LABEL_MAPS,
    STRICT_GROUPS,
    E,
    W,
    text_of,
)

# -- 1. YAML and manifest shape ------------------------------------------------------------


def _reached(ctx: LintContext, rel: str) -> bool:
    return rel in ctx.model.reachable_files or rel in ctx.model.listed_files


@rule(
    "yaml-syntax",
    E,
    "YAML that does not parse",
    "Flux cannot build a kustomization containing a file that is not YAML. In a file no "
    "kustomization reaches it is only a warning.",
)
def yaml_syntax(ctx: LintContext) -> Iterable[Finding]:
    for rel, error in ctx.model.parse_errors.items():
        last = max(len(ctx.model.files.lines(rel)), 1)
        severity = E if _reached(ctx, rel) else W
        where = "" if severity is E else " (in a file no kustomization lists)"
        yield ctx.finding(
            "yaml-syntax",
            severity,
            rel,
            min(error.line, last),
            f"YAML does not parse{where}: {error.message}.",
            column=error.column,
        )


@rule(
    "yaml-duplicate-key",
    E,
    "A key repeated in one mapping",
    "YAML leaves duplicate keys undefined; Kubernetes keeps the last one silently.",
)
def yaml_duplicate_key(ctx: LintContext) -> Iterable[Finding]:
    for rel in ctx.model.manifests:
        severity = E if _reached(ctx, rel) else W
        for doc in ctx.model.files.parsed(rel).documents:
            for dup in doc.duplicates:
                if dup.parent_key in LABEL_MAPS:
                    continue
                yield ctx.finding(
                    "yaml-duplicate-key",
                    severity,
                    rel,
                    dup.line,
                    f"Key '{dup.key}' appears twice in one mapping (first at line "
                    f"{dup.first_line}); only the last one counts.",
                    fix=f"Remove one of the two '{dup.key}' entries.",
                    column=dup.column,
                )


def _manifest_docs(ctx: LintContext) -> Iterator[Manifest]:
    """Every mapping in a reached file: kustomize (and Flux's generated kustomization, which
    takes every YAML file below spec.path) treats each one as a resource."""
    for rel in sorted(ctx.model.reachable_files):
        if not is_kustomize_config(rel):
            yield from ctx.model.manifests.get(rel, [])


def _not_mappings(ctx: LintContext) -> Iterator[tuple[str, int, str]]:
    """Documents of reached files that are lists or scalars: no resource at all."""
    for rel in sorted(ctx.model.reachable_files):
        if is_kustomize_config(rel):
            continue
        for doc in ctx.model.files.parsed(rel).documents:
            if doc.value is not None and not isinstance(doc.value, dict):
                yield rel, doc.start_line, type(doc.value).__name__.removeprefix("Y").lower()


def _near_miss(key: str) -> str | None:
    from glmctl.suggest import closest

    matches = closest(key, KNOWN_TOP_LEVEL, n=1)
    return matches[0] if matches else None


@rule(
    "manifest-required-field",
    E,
    "A manifest without apiVersion or kind",
    "kustomize rejects a resource that does not say what it is.",
)
def manifest_required_field(ctx: LintContext) -> Iterable[Finding]:
    for rel, line, shape in _not_mappings(ctx):
        yield ctx.finding(
            "manifest-required-field",
            E,
            rel,
            line,
            f"This document is a {shape}, not a Kubernetes object.",
            fix="Every YAML document a kustomization builds must be one object.",
        )
    for manifest in _manifest_docs(ctx):
        typos = {_near_miss(key) for key in manifest.body if key not in KNOWN_TOP_LEVEL}
        for field in ("apiVersion", "kind"):
            if not text_of(manifest.body.get(field)) and field not in typos:
                yield ctx.finding(
                    "manifest-required-field",
                    E,
                    manifest,
                    manifest.line,
                    f"This manifest has no '{field}'.",
                    fix=f"Add '{field}:' at the top of the document.",
                )


@rule(
    "manifest-unknown-field",
    E,
    "An unknown top-level key in a manifest",
    "A typo such as 'aapiVersion' or 'metdata' makes the API server drop or reject the field.",
)
def manifest_unknown_field(ctx: LintContext) -> Iterable[Finding]:
    for manifest in _manifest_docs(ctx):
        strict = manifest.is_object and manifest.group in STRICT_GROUPS
        for key in manifest.body:
            if key in KNOWN_TOP_LEVEL:
                continue
            guess = _near_miss(key)
            if guess is None and not strict:
                continue
            hint = f"; did you mean '{guess}'?" if guess else "."
            yield ctx.finding(
                "manifest-unknown-field",
                E,
                manifest,
                manifest.body.line_of(key),
                f"Unknown top-level key '{key}'{hint}",
                obj=ObjectRef(manifest.kind or "?", manifest.namespace, manifest.name or "?"),
                fix=f"Rename '{key}' to '{guess}'." if guess else f"Remove '{key}'.",
            )
