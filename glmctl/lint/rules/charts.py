"""Rule group 10: the repository's own charts as helm renders them (``--render-charts``).

These rules read :func:`glmctl.lint.charts.renderings`; without ``--render-charts`` there
are none and the rules find nothing. Findings point at the HelmRelease (its values decide
what renders) and name the template and object as evidence.
"""

from __future__ import annotations

from collections.abc import Iterable

from glmctl.lint import charts  # the module: it imports this package's helpers itself
from glmctl.lint.context import LintContext, producers_of
from glmctl.lint.model import Finding, Severity
from glmctl.lint.registry import rule
from glmctl.lint.rules.common import LABEL_MAPS, E, I, W
from glmctl.lint.rules.references import pod_references, pod_spec
from glmctl.lint.yamlio import YMap


def _at(
    ctx: LintContext,
    rendering: charts.Rendering,
    rule_id: str,
    severity: Severity,
    message: str,
    fix: str | None = None,
) -> Finding:
    release = rendering.release
    return ctx.finding(
        rule_id,
        severity,
        release.manifest,
        release.manifest.line_of("spec", "chart", "spec", "chart"),
        message,
        obj=release.ref,
        fix=fix,
    )


@rule(
    "chart-render-failed",
    E,
    "helm template fails on a chart of this repository",
    "The helm-controller runs the same templates: the release fails to install or upgrade.",
)
def chart_render_failed(ctx: LintContext) -> Iterable[Finding]:
    for rendering in charts.renderings(ctx):
        if rendering.error is not None:
            yield _at(
                ctx,
                rendering,
                "chart-render-failed",
                E,
                f"helm template fails for chart '{rendering.chart}': {rendering.error}",
            )


@rule(
    "chart-render-incomplete",
    I,
    "A chart was rendered without some of its inputs, or not at all",
    "Secrets given through valuesFrom are never read, and dependencies Flux fetches are not "
    "fetched offline; the chart rules see what could be rendered.",
)
def chart_render_incomplete(ctx: LintContext) -> Iterable[Finding]:
    for rendering in charts.renderings(ctx):
        for note in rendering.incomplete:
            yield _at(ctx, rendering, "chart-render-incomplete", I, f"{note}.")


@rule(
    "chart-reference-missing",
    E,
    "A rendered workload reads a ConfigMap or Secret that nothing renders or defines",
    "Pods stay in CreateContainerConfigError (env) or ContainerCreating (volumes). A Secret "
    "created outside the repository can be declared in glmctl.yaml (lint.external_secrets); "
    "undeclared ones are warnings, as for secret-missing.",
)
def chart_reference_missing(ctx: LintContext) -> Iterable[Finding]:
    done = charts.renderings(ctx)
    rendered: set[tuple[str, str | None, str]] = set()
    for rendering in done:
        for obj in rendering.objects:
            for producer in producers_of(obj.placed.manifest, obj.placed.namespace):
                rendered.add((producer.kind, producer.namespace, producer.name))
    for rendering in done:
        for obj in rendering.objects:
            pod = pod_spec(obj.placed.manifest)
            if pod is None:
                continue
            for ref in pod_references(obj.placed, pod):
                key = (ref.kind, ref.namespace, ref.name)
                if (
                    ref.optional
                    or key in rendered
                    or key in ctx.producers
                    or ctx.declared(ref.kind, ref.namespace, ref.name)
                ):
                    continue
                yield _at(
                    ctx,
                    rendering,
                    "chart-reference-missing",
                    W if ref.kind == "Secret" else E,
                    f"{obj.placed.ref} from {obj.template} ({ref.what}) needs {ref.kind} "
                    f"'{ref.namespace}/{ref.name}', which the chart does not render and nothing "
                    "in the repository produces.",
                    "Render it in the chart, define it in the repository, or mark the "
                    "reference optional."
                    + (
                        " If it is created outside the repository, declare it in glmctl.yaml "
                        "under lint.external_secrets."
                        if ref.kind == "Secret"
                        else ""
                    ),
                )


@rule(
    "chart-hook-service-account",
    E,
    "A pre-install hook runs as a ServiceAccount that does not exist yet",
    "Helm runs pre-install hooks before it creates the chart's normal resources, so the "
    "hook's pod is refused (ServiceAccount not found) and the install fails. Make the "
    "ServiceAccount a pre-install hook with a lower hook-weight. Post-install, upgrade, "
    "delete and test hooks run while the normal resources exist and are not reported.",
)
def chart_hook_service_account(ctx: LintContext) -> Iterable[Finding]:
    for rendering, obj, pod in _pre_install_hooks(ctx):
        name = _service_account(pod)
        account = _rendered(rendering, "ServiceAccount", obj.placed.namespace, name)
        problem = _too_late(account, obj) if account is not None else None
        if account is not None and problem:
            yield _at(
                ctx,
                rendering,
                "chart-hook-service-account",
                E,
                f"pre-install hook {obj.placed.ref} from {obj.template} runs as "
                f"ServiceAccount '{name}' from {account.template}, {problem}: the hook's "
                "pod is refused and the install fails.",
                f"Annotate the ServiceAccount helm.sh/hook: pre-install with a "
                f"helm.sh/hook-weight below {obj.hook_weight}.",
            )


@rule(
    "chart-hook-reference",
    E,
    "A pre-install hook reads a ConfigMap or Secret that does not exist yet",
    "The hook's pod waits for a ConfigMap or Secret the chart creates only after the "
    "pre-install hooks (a normal resource, or a later hook), Helm waits for the hook, and "
    "the install times out. Not reported when the repository also produces it, or the "
    "reference is optional.",
)
def chart_hook_reference(ctx: LintContext) -> Iterable[Finding]:
    for rendering, obj, pod in _pre_install_hooks(ctx):
        for ref in pod_references(obj.placed, pod):
            made = _rendered(rendering, ref.kind, ref.namespace, ref.name)
            if (
                ref.optional
                or made is None
                or (ref.kind, ref.namespace, ref.name) in ctx.producers
                or ctx.declared(ref.kind, ref.namespace, ref.name)
            ):
                continue
            problem = _too_late(made, obj)
            if problem:
                yield _at(
                    ctx,
                    rendering,
                    "chart-hook-reference",
                    E,
                    f"pre-install hook {obj.placed.ref} from {obj.template} ({ref.what}) needs "
                    f"{ref.kind} '{ref.name}' from {made.template}, {problem}: the hook "
                    "never starts and the install times out.",
                    f"Annotate the {ref.kind} helm.sh/hook: pre-install with a "
                    f"helm.sh/hook-weight below {obj.hook_weight}.",
                )


def _pre_install_hooks(
    ctx: LintContext,
) -> Iterable[tuple[charts.Rendering, charts.Rendered, YMap]]:
    """(rendering, hook, its pod spec) of every pre-install hook that runs pods."""
    for rendering in charts.renderings(ctx):
        install = rendering.release.manifest.spec.get("install")
        if isinstance(install, YMap) and install.get("disableHooks") is True:
            continue  # the helm-controller then runs no hook at all
        for obj in rendering.objects:
            pod = pod_spec(obj.placed.manifest) if "pre-install" in obj.hooks else None
            if pod is not None:
                yield rendering, obj, pod


def _rendered(
    rendering: charts.Rendering, kind: str, namespace: str | None, name: str | None
) -> charts.Rendered | None:
    """The object of that kind and name the chart renders, if it does."""
    for obj in rendering.objects:
        placed = obj.placed
        if placed.manifest.kind == kind and placed.namespace == namespace and placed.name == name:
            return obj
    return None


def _service_account(pod: YMap) -> str | None:
    for field in ("serviceAccountName", "serviceAccount"):
        value = pod.get(field)
        if isinstance(value, str) and value:
            return value
    return None


def _too_late(needed: charts.Rendered, hook: charts.Rendered) -> str | None:
    """Why ``needed`` does not exist yet when the pre-install ``hook`` runs, or None."""
    if "pre-install" not in needed.hooks:
        return "which is a normal resource, created only after the pre-install hooks"
    # Helm runs one event's hooks one by one, waiting for each: by weight, then by name
    # (kind order, which puts ServiceAccounts, ConfigMaps and Secrets first, breaks a tie).
    if (needed.hook_weight, needed.placed.name) > (hook.hook_weight, hook.placed.name):
        return (
            f"a pre-install hook of weight {needed.hook_weight}, created after this one "
            f"(weight {hook.hook_weight}; equal weights go by name)"
        )
    return None


@rule(
    "chart-duplicate-label",
    E,
    "A rendered label or annotation key appears twice",
    "The templates print the same key twice in one labels or annotations map; which value "
    "the API server keeps is not what the chart author meant (selectors stop matching).",
)
def chart_duplicate_label(ctx: LintContext) -> Iterable[Finding]:
    for rendering in charts.renderings(ctx):
        for obj in rendering.objects:
            for dup in obj.duplicates:
                if dup.parent_key not in LABEL_MAPS:
                    continue
                what = "annotation" if dup.parent_key == "annotations" else "label"
                yield _at(
                    ctx,
                    rendering,
                    "chart-duplicate-label",
                    E,
                    f"{obj.placed.ref} from {obj.template} has {what} '{dup.key}' twice in its "
                    f"rendered {dup.parent_key}.",
                    "Print the key once (a value set both in a helper and in the template?).",
                )
