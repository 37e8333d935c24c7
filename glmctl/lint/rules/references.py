"""Rule group 6: Secrets and ConfigMaps referenced by name, and who produces them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from glmctl.lint.context import ESO_GROUP, HELM_GROUP, LintContext, Producer
from glmctl.lint.loader import is_flux_kustomization
from glmctl.lint.model import (
    Finding,
    Manifest,
    Placed,
    Severity,
    line_at,
)
from glmctl.lint.registry import rule
from glmctl.lint.rules.common import (
    E,
    I,
    W,
    map_items,
    text_of,
)
from glmctl.lint.yamlio import YMap

# -- 6. Secrets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """A Secret or ConfigMap an object needs, with the key it reads if any."""

    kind: str
    namespace: str | None
    name: str
    key: str | None
    optional: bool
    user: Placed
    line: int
    what: str
    key_line: int | None = None  # where the key is named, when not on ``line``


def references(ctx: LintContext) -> list[Reference]:
    """Every Secret/ConfigMap reference of the reached objects, collected once per run."""
    found = ctx.shared.get("references")
    if found is None:
        found = ctx.shared["references"] = list(_collect_references(ctx))
    return list(found)


def _collect_references(ctx: LintContext) -> Iterator[Reference]:
    for obj in ctx.placed:
        manifest = obj.manifest
        if manifest.kind == "HelmRelease" and manifest.group == HELM_GROUP:
            yield from _values_from(obj)
        elif manifest.kind == "ExternalSecret" and manifest.group == ESO_GROUP:
            yield from _template_from(obj)
        elif is_flux_kustomization(manifest):
            yield from _substitute_from(obj)
        else:
            pod = pod_spec(manifest)
            if pod is not None:
                yield from (r for r in pod_references(obj, pod) if r.kind == "Secret")


def _values_from(obj: Placed) -> Iterator[Reference]:
    for index, entry in map_items(obj.manifest.spec.get("valuesFrom")):
        kind, name = text_of(entry.get("kind")), text_of(entry.get("name"))
        if kind in ("Secret", "ConfigMap") and name:
            yield Reference(
                kind,
                obj.namespace,
                name,
                text_of(entry.get("valuesKey")) or "values.yaml",
                entry.get("optional") is True,
                obj,
                obj.manifest.line_of("spec", "valuesFrom", index),
                "valuesFrom",
            )


def _substitute_from(obj: Placed) -> Iterator[Reference]:
    post = obj.manifest.spec.get("postBuild")
    if not isinstance(post, YMap):
        return
    for index, entry in map_items(post.get("substituteFrom")):
        kind, name = text_of(entry.get("kind")), text_of(entry.get("name"))
        if kind in ("Secret", "ConfigMap") and name:
            yield Reference(
                kind,
                obj.namespace,
                name,
                None,
                entry.get("optional") is True,
                obj,
                obj.manifest.line_of("spec", "postBuild", "substituteFrom", index),
                "postBuild.substituteFrom",
            )


def _template_from(obj: Placed) -> Iterator[Reference]:
    target = obj.manifest.spec.get("target")
    template = target.get("template") if isinstance(target, YMap) else None
    if not isinstance(template, YMap):
        return
    for index, entry in map_items(template.get("templateFrom")):
        secret = entry.get("secret")
        if isinstance(secret, YMap) and text_of(secret.get("name")):
            line = obj.manifest.line_of("spec", "target", "template", "templateFrom", index)
            yield Reference(
                "Secret",
                obj.namespace,
                secret["name"],
                None,
                False,
                obj,
                line,
                "template.templateFrom",
            )


_POD_PATHS = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}


def pod_spec(manifest: Manifest) -> YMap | None:
    path = _POD_PATHS.get(manifest.kind)
    if path is None or manifest.group not in ("", "apps", "batch"):
        return None
    node: Any = manifest.body
    for step in path:
        node = node.get(step) if isinstance(node, YMap) else None
    return node if isinstance(node, YMap) else None


def pod_references(obj: Placed, pod: YMap) -> Iterator[Reference]:
    """The Secrets and ConfigMaps a pod spec reads: env, envFrom, volumes, projected volumes.

    The repository's own rules check only the Secrets; rendered charts check both.
    """

    def ref(
        kind: str,
        chosen: YMap,
        name_field: str,
        key: Any,
        line: int,
        what: str,
        key_line: int | None = None,
    ) -> Iterator[Reference]:
        name = text_of(chosen.get(name_field))
        if name:
            optional = chosen.get("optional") is True
            yield Reference(
                kind, obj.namespace, name, text_of(key), optional, obj, line, what, key_line
            )

    default = obj.manifest.line
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for _, container in map_items(pod.get(field)):
            for i, env in map_items(container.get("env")):
                source = env.get("valueFrom")
                if not isinstance(source, YMap):
                    continue
                for kind, selector in _KEY_REFS:
                    chosen = source.get(selector)
                    if isinstance(chosen, YMap):
                        env_at = ("env", i, "valueFrom", selector, "name")
                        line = line_at(container, *env_at, default=default)
                        key_line = chosen.line_of("key") if "key" in chosen else None
                        what = f"env {selector}"
                        yield from ref(
                            kind, chosen, "name", chosen.get("key"), line, what, key_line
                        )
            for i, env_from in map_items(container.get("envFrom")):
                for kind, selector in _FROM_REFS:
                    chosen = env_from.get(selector)
                    if isinstance(chosen, YMap):
                        from_at = ("envFrom", i, selector, "name")
                        line = line_at(container, *from_at, default=default)
                        yield from ref(kind, chosen, "name", None, line, f"envFrom {selector}")
    for i, volume in map_items(pod.get("volumes")):
        for kind, field, name_field in _VOLUME_REFS:
            chosen = volume.get(field)
            if isinstance(chosen, YMap):
                line = line_at(pod, "volumes", i, field, name_field, default=default)
                keys = [item.get("key") for _, item in map_items(chosen.get("items"))] or [None]
                for key in keys:
                    yield from ref(kind, chosen, name_field, key, line, "volume")
        projected = volume.get("projected")
        sources = projected.get("sources") if isinstance(projected, YMap) else None
        for j, source in map_items(sources):
            for kind, field, _ in _VOLUME_REFS:
                chosen = source.get(field)
                if isinstance(chosen, YMap):
                    source_at = ("volumes", i, "projected", "sources", j, field)
                    line = line_at(pod, *source_at, default=default)
                    yield from ref(kind, chosen, "name", None, line, "projected volume")


_KEY_REFS = (("Secret", "secretKeyRef"), ("ConfigMap", "configMapKeyRef"))
_FROM_REFS = (("Secret", "secretRef"), ("ConfigMap", "configMapRef"))
_VOLUME_REFS = (("Secret", "secret", "secretName"), ("ConfigMap", "configMap", "name"))


def check_reference(ctx: LintContext, ref: Reference, rule_id: str) -> Iterator[Finding]:
    if ref.optional:
        return
    found = ctx.producers.get((ref.kind, ref.namespace, ref.name))
    where = f"'{ref.namespace}/{ref.name}'"
    if found:
        yield from _check_key(ctx, ref, found)
        return
    elsewhere = ctx.elsewhere(ref.kind, ref.name)
    unlisted = ctx.unreachable_producers.get((ref.kind, ref.name), [])
    base = f"{ref.what} needs {ref.kind} {where}"
    if elsewhere:
        namespaces = sorted({p.namespace or "" for p in elsewhere})
        yield _ref_finding(
            ctx,
            rule_id,
            E,
            ref,
            f"{base}, but it is produced only in namespace "
            f"{', '.join(repr(n) for n in namespaces)}.",
            f"Produce it in '{ref.namespace}', or move this object there.",
        )
        return
    if unlisted:
        yield _unlisted_finding(ctx, rule_id, ref, base, unlisted)
        return
    guess = ctx.closest(
        ref.name, [n for (k, ns, n) in ctx.producers if k == ref.kind and ns == ref.namespace]
    )
    severity = W if ref.kind == "Secret" else E
    message = f"{base}, which nothing in the repository produces."
    if guess:
        yield _ref_finding(ctx, rule_id, severity, ref, message, f"Did you mean '{guess}'?")
        return
    release = (
        ctx.helm_namespaces.get(ref.namespace or "")
        if ref.kind == "Secret" and ref.what != "valuesFrom"  # a release needs them to install
        else None
    )
    if release:
        yield _ref_finding(
            ctx,
            rule_id,
            I,
            ref,
            f"{base}; nothing in the repository produces it, HelmRelease "
            f"{release} may (not verified offline).",
            None,
        )
        return
    fix = (
        "If it is created outside the repository, declare it in glmctl.yaml under "
        "lint.external_secrets."
        if ref.kind == "Secret"
        else None
    )
    yield _ref_finding(ctx, rule_id, severity, ref, message, fix)


def _unlisted_finding(
    ctx: LintContext, rule_id: str, ref: Reference, base: str, unlisted: list[Producer]
) -> Finding:
    """Defined in a file no kustomization lists: below a path Flux builds, someone forgot to
    list it (error); elsewhere it is likely applied outside Flux, which lint cannot see."""
    source = unlisted[0].source
    file = source.file if source else "?"
    listing = ctx.kustomization_for(file) or "a kustomization"
    if any(
        build.built and (not build.path or file.startswith(f"{build.path}/"))
        for build in ctx.model.builds
        if build.owner is not None
    ):
        return _ref_finding(
            ctx,
            rule_id,
            E,
            ref,
            f"{base}; it is defined in {file}, which no kustomization lists.",
            f"List {file} in {listing}.",
        )
    return _ref_finding(
        ctx,
        rule_id,
        I,
        ref,
        f"{base}; it is defined only in {file}, which no Flux Kustomization builds (applied "
        "outside Flux? not verified offline).",
        f"If it is applied outside Flux, declare it in glmctl.yaml under lint.external_secrets; "
        f"else list {file} in {listing}.",
    )


def _check_key(ctx: LintContext, ref: Reference, found: list[Producer]) -> Iterator[Finding]:
    if ref.key is None or any(p.keys is None or ref.key in p.keys for p in found):
        return
    keys = sorted({k for p in found for k in (p.keys or ())})
    guess = ctx.closest(ref.key, keys)
    yield ctx.finding(
        "secret-key-missing",
        E,
        ref.user.manifest,
        ref.key_line or ref.line,
        f"{ref.what} reads key '{ref.key}' of {ref.kind} '{ref.namespace}/{ref.name}', which its "
        f"{found[0].how} does not yield.",
        obj=ref.user.ref,
        fix=(f"Did you mean '{guess}'? " if guess else "")
        + f"Keys it yields: {', '.join(keys) or '(none)'}.",
    )


def _ref_finding(
    ctx: LintContext,
    rule_id: str,
    severity: Severity,
    ref: Reference,
    message: str,
    fix: str | None,
) -> Finding:
    return ctx.finding(
        rule_id, severity, ref.user.manifest, ref.line, message, obj=ref.user.ref, fix=fix
    )


@rule(
    "secret-missing",
    E,
    "A Secret referenced by name that nothing produces",
    "Pods stay in CreateContainerConfigError and releases fail. Secrets created outside the "
    "repository can be declared in glmctl.yaml (lint.external_secrets); undeclared ones are "
    "warnings.",
)
def secret_missing(ctx: LintContext) -> Iterable[Finding]:
    for ref in references(ctx):
        if ref.kind == "Secret":
            yield from check_reference(ctx, ref, "secret-missing")


@rule(
    "secret-key-missing",
    E,
    "A Secret key referenced that its producer does not yield",
    "The pod fails with 'couldn't find key' even though the Secret exists.",
)
def secret_key_missing(ctx: LintContext) -> Iterable[Finding]:
    return ()  # produced by check_reference, registered here for its id and docs


@rule(
    "flux-substitute-from-missing",
    E,
    "postBuild.substituteFrom names a ConfigMap nothing produces",
    "The kustomize-controller fails the build when a non-optional substituteFrom is missing.",
)
def flux_substitute_from_missing(ctx: LintContext) -> Iterable[Finding]:
    for ref in references(ctx):
        if ref.kind == "ConfigMap" and ref.what == "postBuild.substituteFrom":
            yield from check_reference(ctx, ref, "flux-substitute-from-missing")
