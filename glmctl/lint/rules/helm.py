"""Rule group 5: HelmReleases (chart source, chart path, dependsOn, valuesFrom)."""

from __future__ import annotations

from collections.abc import Iterable

from glmctl.lint.context import LintContext
from glmctl.lint.files import base_name, normalize, parent_dir
from glmctl.lint.model import (
    Finding,
    Placed,
)
from glmctl.lint.registry import rule
from glmctl.lint.rules.common import (
    HELM_SOURCE_KINDS,
    E,
    text_of,
)
from glmctl.lint.rules.flux import depends_on, missing_source
from glmctl.lint.rules.references import check_reference, references
from glmctl.lint.yamlio import YMap

# -- 5. HelmReleases -----------------------------------------------------------------------


def releases(ctx: LintContext) -> list[Placed]:
    return sorted(ctx.helmreleases.values(), key=lambda o: (o.manifest.file, o.manifest.line))


@rule(
    "helmrelease-source-missing",
    E,
    "A HelmRelease's chart source does not resolve",
    "The helm-controller cannot fetch the chart; the release never installs.",
)
def helmrelease_source_missing(ctx: LintContext) -> Iterable[Finding]:
    sources = ctx.sources(HELM_SOURCE_KINDS)
    for release in releases(ctx):
        spec = release.manifest.spec
        chart = spec.get("chart")
        chart_spec = chart.get("spec") if isinstance(chart, YMap) else None
        if isinstance(chart_spec, YMap) and isinstance(chart_spec.get("sourceRef"), YMap):
            ref = chart_spec["sourceRef"]
            path: tuple[str, ...] = ("spec", "chart", "spec", "sourceRef")
        elif isinstance(spec.get("chartRef"), YMap):
            ref, path = spec["chartRef"], ("spec", "chartRef")
        else:
            continue
        kind = text_of(ref.get("kind")) or "HelmRepository"
        name = text_of(ref.get("name")) or ""
        namespace = text_of(ref.get("namespace")) or release.namespace
        if (
            (kind, namespace, name) not in sources
            and (kind, namespace, name) not in ctx.model.known_sources
            and not ctx.declared(kind, namespace, name)
        ):
            yield missing_source(
                ctx, "helmrelease-source-missing", release, path, kind, namespace, name, sources
            )


def git_chart_path(ctx: LintContext, release: Placed) -> str | None:
    """``spec.chart.spec.chart`` when the chart comes from a GitRepository of this repo."""
    chart = release.manifest.spec.get("chart")
    chart_spec = chart.get("spec") if isinstance(chart, YMap) else None
    if not isinstance(chart_spec, YMap):
        return None
    ref = chart_spec.get("sourceRef")
    path = text_of(chart_spec.get("chart"))
    if not isinstance(ref, YMap) or ref.get("kind") != "GitRepository" or not path:
        return None
    namespace = text_of(ref.get("namespace")) or release.namespace
    if (namespace, text_of(ref.get("name")) or "") not in ctx.model.repo_sources:
        return None
    return path


def local_chart(ctx: LintContext, release: Placed) -> str | None:
    """The repo-relative directory of the release's chart, when this repo holds it."""
    path = git_chart_path(ctx, release)
    rel = normalize("", path) if path is not None else None
    if rel is None or not ctx.model.files.is_file(f"{rel}/Chart.yaml" if rel else "Chart.yaml"):
        return None
    return rel


@rule(
    "helmrelease-chart-missing",
    E,
    "A HelmRelease's chart path does not exist in this repo",
    "A chart from a GitRepository is read at spec.chart.spec.chart inside the repository.",
)
def helmrelease_chart_missing(ctx: LintContext) -> Iterable[Finding]:
    for release in releases(ctx):
        path = git_chart_path(ctx, release)
        if path is None or local_chart(ctx, release) is not None:
            continue
        rel = normalize("", path)
        charts = [parent_dir(f) for f in ctx.model.files.files if base_name(f) == "Chart.yaml"]
        guess = ctx.closest(rel or path, charts)
        yield ctx.finding(
            "helmrelease-chart-missing",
            E,
            release.manifest,
            release.manifest.line_of("spec", "chart", "spec", "chart"),
            f"Chart path '{path}' has no Chart.yaml in this repository.",
            obj=release.ref,
            fix=f"Did you mean './{guess}'?" if guess else None,
        )


@rule(
    "helmrelease-depends-on-missing",
    E,
    "A HelmRelease's dependsOn names no HelmRelease",
    "The helm-controller waits for a dependency that never becomes ready.",
)
def helmrelease_depends_on_missing(ctx: LintContext) -> Iterable[Finding]:
    for release in releases(ctx):
        for index, _entry, namespace, name in depends_on(release):
            if (namespace, name) in ctx.helmreleases:
                continue
            guess = ctx.closest(name, [n for (ns, n) in ctx.helmreleases if ns == namespace])
            yield ctx.finding(
                "helmrelease-depends-on-missing",
                E,
                release.manifest,
                release.manifest.line_of("spec", "dependsOn", index),
                f"dependsOn names HelmRelease '{namespace}/{name}', which does not exist.",
                obj=release.ref,
                fix=f"Did you mean '{guess}'?" if guess else None,
            )


@rule(
    "helmrelease-values-missing",
    E,
    "valuesFrom names a ConfigMap nothing produces",
    "The helm-controller fails the release when a non-optional valuesFrom is missing.",
)
def helmrelease_values_missing(ctx: LintContext) -> Iterable[Finding]:
    for ref in references(ctx):
        if ref.kind == "ConfigMap" and ref.what == "valuesFrom":
            yield from check_reference(ctx, ref, "helmrelease-values-missing")
