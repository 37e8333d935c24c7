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
    LABEL_MAPS,
    E,
    W,
    text_of,
)

UNIVERSAL_KEYS = ("apiVersion", "kind", "metadata", "spec")

# -- 1. YAML and manifest shape ------------------------------------------------------------


def _reached(ctx: LintContext, rel: str) -> bool:
    return rel in ctx.model.reachable_files or rel in ctx.model.listed_files


@rule(
    "yaml-syntax",
    E,
    "YAML that does not parse",
    "Flux cannot build a kustomization containing a file that is not YAML. In a file no "
    "kustomization reaches it is only a warning.",
    scope="repository",
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
    scope="repository",
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
    """The universal top-level key ``key`` is a typo of (``aapiVersion``), if any."""
    from glmctl.suggest import closest

    matches = closest(key, UNIVERSAL_KEYS, n=1)
    return matches[0] if matches else None


@rule(
    "manifest-required-field",
    E,
    "A manifest without apiVersion or kind",
    "kustomize rejects a resource that does not say what it is.",
    scope="repository",
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
        typos = {_near_miss(key) for key in manifest.body if key not in UNIVERSAL_KEYS}
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
    "A field the object's schema does not have, or a value of the wrong type",
    "Built-in kinds are checked against Kubernetes' OpenAPI schemas, custom resources against "
    "the openAPIV3Schema of a CRD in the repository; Flux's server-side apply rejects both "
    "('field not declared in schema'). A kind without a schema is not checked. A document "
    "without apiVersion or kind is checked for typos of those keys ('aapiVersion').",
    scope="repository",
)
def manifest_unknown_field(ctx: LintContext) -> Iterable[Finding]:
    schemas = ctx.schemas
    for manifest in _manifest_docs(ctx):
        if not manifest.is_object:
            yield from _typos(ctx, manifest)
            continue
        if "sops" in manifest.body:
            continue  # encrypted values are not what the cluster receives
        for error in schemas.errors(manifest.api_version, manifest.kind, manifest.body):
            yield ctx.finding(
                "manifest-unknown-field",
                E,
                manifest,
                manifest.line_of(*error.path),
                f"{_where(error.path)}: {error.message} ({manifest.api_version} "
                f"{manifest.kind} schema).",
                obj=ObjectRef(manifest.kind, manifest.namespace, manifest.name or "?"),
                fix="Fix the field name or value; `kubectl explain` shows the schema.",
            )


def _typos(ctx: LintContext, manifest: Manifest) -> Iterator[Finding]:
    for key in manifest.body:
        guess = _near_miss(key) if key not in UNIVERSAL_KEYS else None
        if guess is None:
            continue
        yield ctx.finding(
            "manifest-unknown-field",
            E,
            manifest,
            manifest.body.line_of(key),
            f"Unknown top-level key '{key}'; did you mean '{guess}'?",
            obj=ObjectRef(manifest.kind or "?", manifest.namespace, manifest.name or "?"),
            fix=f"Rename '{key}' to '{guess}'.",
        )


def _where(path: tuple[str | int, ...]) -> str:
    text = "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)
    return text.lstrip(".") or "(top level)"
