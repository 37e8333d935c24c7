"""The lint rules. Each is a small function registered with :func:`rule`.

Every rule reads the :class:`LintContext` and yields findings; none prints, none raises on
odd input (a value of the wrong type is skipped: another rule, or Flux, reports it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from glmctl.lint.context import ESO_GROUP, HELM_GROUP, LintContext, Producer, walk_strings
from glmctl.lint.files import base_name, normalize, parent_dir
from glmctl.lint.loader import flux_path, is_flux_kustomization
from glmctl.lint.model import (
    Build,
    Finding,
    Manifest,
    ObjectRef,
    Placed,
    Problem,
    Severity,
    line_at,
)
from glmctl.lint.registry import rule
from glmctl.lint.yamlio import YList, YMap

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741

LABEL_MAPS = frozenset({"labels", "annotations", "matchLabels"})
COMMON_TOP_LEVEL = frozenset({"apiVersion", "kind", "metadata", "spec", "status", "sops"})
KNOWN_TOP_LEVEL = COMMON_TOP_LEVEL | frozenset(
    {
        "data",
        "stringData",
        "binaryData",
        "type",
        "immutable",  # Secret, ConfigMap
        "rules",
        "subjects",
        "roleRef",
        "aggregationRule",  # RBAC
        "secrets",
        "imagePullSecrets",
        "automountServiceAccountToken",  # ServiceAccount
        "webhooks",
        "items",
        "provisioner",
        "parameters",
        "reclaimPolicy",
        "volumeBindingMode",
        "allowVolumeExpansion",
        "mountOptions",
        "allowedTopologies",
        "value",
        "globalDefault",
        "preemptionPolicy",
        "description",
        "handler",
        "overhead",
        "scheduling",
        "subsets",
        "endpoints",
        "addressType",
        "ports",
        "template",
        "target",
        "involvedObject",
        "reason",
        "message",
        "source",
        "driverName",
        "deletionPolicy",
    }
)
# Kinds whose top level is fully known: anything else there is a mistake, not a CRD's field.
STRICT_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "rbac.authorization.k8s.io",
        "networking.k8s.io",
        "policy",
        "kustomize.toolkit.fluxcd.io",
        "helm.toolkit.fluxcd.io",
        "source.toolkit.fluxcd.io",
        "notification.toolkit.fluxcd.io",
        "external-secrets.io",
    }
)
SOURCE_KINDS = ("GitRepository", "OCIRepository", "Bucket", "ExternalArtifact")
HELM_SOURCE_KINDS = ("HelmRepository", "GitRepository", "Bucket", "OCIRepository", "HelmChart")
_VARIABLE = re.compile(r"(?<!\$)\$\{([_a-zA-Z][_a-zA-Z0-9]*)\}")
SUBSTITUTE_ANNOTATION = "kustomize.toolkit.fluxcd.io/substitute"


def _ref(obj: Placed) -> ObjectRef:
    return obj.ref


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _items(node: Any) -> Iterator[tuple[int, YMap]]:
    if isinstance(node, YList):
        for index, item in enumerate(node):
            if isinstance(item, YMap):
                yield index, item


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
    """Mappings in reached files that are meant as manifests (kustomization files excluded)."""
    for rel in sorted(ctx.model.reachable_files):
        if base_name(rel) in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
            continue
        for manifest in ctx.model.manifests.get(rel, []):
            meant = rel in ctx.model.resource_files or any(
                key in manifest.body for key in ("kind", "metadata", "spec")
            )
            if meant:
                yield manifest


def _near_miss(key: str) -> str | None:
    import difflib

    matches = difflib.get_close_matches(key, sorted(KNOWN_TOP_LEVEL), n=1, cutoff=0.75)
    return matches[0] if matches else None


@rule(
    "manifest-required-field",
    E,
    "A manifest without apiVersion or kind",
    "kustomize rejects a resource that does not say what it is.",
)
def manifest_required_field(ctx: LintContext) -> Iterable[Finding]:
    for manifest in _manifest_docs(ctx):
        typos = {_near_miss(key) for key in manifest.body if key not in KNOWN_TOP_LEVEL}
        for field in ("apiVersion", "kind"):
            if not _text(manifest.body.get(field)) and field not in typos:
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
        strict = manifest.group in STRICT_GROUPS
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


# -- 2. kustomization resources ------------------------------------------------------------


@rule(
    "kustomize-missing-resource",
    E,
    "A kustomization lists a file or directory that does not exist (or that git ignores)",
    "kustomize build fails, so the whole Flux Kustomization fails.",
)
def kustomize_missing_resource(ctx: LintContext) -> Iterable[Finding]:
    for problem in ctx.model.problems:
        if problem.kind == "missing":
            guess = _sibling_guess(ctx, problem)
            yield ctx.finding(
                "kustomize-missing-resource",
                E,
                problem.file,
                problem.line,
                f"'{problem.entry}' is listed in {problem.detail or 'resources'} but does not "
                "exist.",
                fix=f"Did you mean '{guess}'?" if guess else "Remove the entry or add the file.",
            )
        elif problem.kind == "ignored":
            yield ctx.finding(
                "kustomize-missing-resource",
                E,
                problem.file,
                problem.line,
                f"'{problem.entry}' exists here but git ignores it, so it does not exist for Flux.",
                fix="Un-ignore it (see `git check-ignore -v`) and commit it.",
            )
        elif problem.kind == "not-a-kustomization":
            yield ctx.finding(
                "kustomize-missing-resource",
                E,
                problem.file,
                problem.line,
                f"Directory '{problem.entry}' is listed but has no kustomization.yaml, which "
                "kustomize requires.",
                fix="Add a kustomization.yaml there, or list its files instead.",
            )


def _sibling_guess(ctx: LintContext, problem: Problem) -> str | None:
    """The existing file or directory next to the kustomization a missing entry most resembles."""
    directory = parent_dir(problem.file)
    siblings = [base_name(f) for f in ctx.model.files.children(directory)] + [
        base_name(d) for d in ctx.model.files.subdirectories(directory)
    ]
    return ctx.closest(base_name(problem.entry), siblings)


def _misspelled_targets(ctx: LintContext) -> set[str]:
    """Files a missing entry probably meant: the missing-resource finding already names them."""
    found: set[str] = set()
    for problem in ctx.model.problems:
        guess = _sibling_guess(ctx, problem) if problem.kind == "missing" else None
        if guess:
            directory = parent_dir(problem.file)
            found.add(f"{directory}/{guess}" if directory else guess)
    for owner in ctx.flux_kustomizations.values():
        path = flux_path(owner)
        if path is not None and not ctx.model.files.is_dir(path):
            guess = ctx.closest(path, ctx.model.files.directories)
            if guess:
                found.update(ctx.model.files.files_under(guess))
    return found


@rule(
    "kustomize-remote-resource",
    I,
    "A remote base: not verified offline",
    "Remote resources are fetched by kustomize at build time; lint does not fetch them.",
)
def kustomize_remote_resource(ctx: LintContext) -> Iterable[Finding]:
    for problem in ctx.model.problems:
        if problem.kind == "remote":
            yield ctx.finding(
                "kustomize-remote-resource",
                I,
                problem.file,
                problem.line,
                f"Remote resource '{problem.entry}' is not verified offline.",
            )


# -- 3. Flux Kustomizations ----------------------------------------------------------------


def _flux_owners(ctx: LintContext) -> list[Placed]:
    return sorted(
        ctx.flux_kustomizations.values(), key=lambda o: (o.manifest.file, o.manifest.line)
    )


@rule(
    "flux-path-missing",
    E,
    "A Flux Kustomization's spec.path does not exist",
    "The kustomize-controller fails with 'kustomization path not found'.",
)
def flux_path_missing(ctx: LintContext) -> Iterable[Finding]:
    for owner in _flux_owners(ctx):
        manifest = owner.manifest
        ref = manifest.spec.get("sourceRef")
        if not isinstance(ref, YMap):
            continue
        namespace = _text(ref.get("namespace")) or owner.namespace
        source = (namespace, _text(ref.get("name")) or "")
        if ref.get("kind") != "GitRepository" or (
            ctx.model.bootstrap is not None and source not in ctx.model.repo_sources
        ):
            continue
        path = flux_path(owner)
        if path is not None and ctx.model.files.is_dir(path):
            continue
        raw = manifest.spec.get("path")
        guess = ctx.closest(path or str(raw), ctx.model.files.directories)
        yield ctx.finding(
            "flux-path-missing",
            E,
            manifest,
            manifest.line_of("spec", "path"),
            f"spec.path '{raw}' does not exist in the repository.",
            obj=owner.ref,
            fix=f"Did you mean './{guess}'?" if guess else None,
        )


@rule(
    "flux-source-missing",
    E,
    "A Flux Kustomization's sourceRef names no source",
    "Flux waits for a source that never appears ('Source not found').",
)
def flux_source_missing(ctx: LintContext) -> Iterable[Finding]:
    sources = ctx.sources(SOURCE_KINDS)
    for owner in _flux_owners(ctx):
        ref = owner.manifest.spec.get("sourceRef")
        if not isinstance(ref, YMap):
            continue
        kind = _text(ref.get("kind")) or "GitRepository"
        name = _text(ref.get("name")) or ""
        namespace = _text(ref.get("namespace")) or owner.namespace
        if (kind, namespace, name) in sources:
            continue
        yield _missing_source(
            ctx, "flux-source-missing", owner, ("spec", "sourceRef"), kind, namespace, name, sources
        )


def _missing_source(
    ctx: LintContext,
    rule_id: str,
    owner: Placed,
    path: tuple[str, ...],
    kind: str,
    namespace: str | None,
    name: str,
    sources: dict[tuple[str, str | None, str], Placed],
) -> Finding:
    other_ns = [ns for (k, ns, n) in sources if k == kind and n == name]
    other_kind = [k for (k, ns, n) in sources if ns == namespace and n == name]
    if other_ns:
        fix = (
            f"{kind} '{name}' exists in namespace '{other_ns[0]}': set "
            f"namespace: {other_ns[0]} in the reference."
        )
    elif other_kind:
        fix = f"'{name}' is a {other_kind[0]}: set kind: {other_kind[0]}."
    else:
        guess = ctx.closest(name, [n for (k, ns, n) in sources if k == kind])
        fix = f"Did you mean '{guess}'?" if guess else ""
    return ctx.finding(
        rule_id,
        E,
        owner.manifest,
        owner.manifest.line_of(*path),
        f"sourceRef names {kind} '{namespace}/{name}', which nothing in the repository defines.",
        obj=owner.ref,
        fix=fix or None,
    )


def _depends_on(owner: Placed) -> Iterator[tuple[int, YMap, str | None, str]]:
    entries = owner.manifest.spec.get("dependsOn")
    for index, entry in _items(entries):
        name = _text(entry.get("name"))
        if name:
            yield index, entry, _text(entry.get("namespace")) or owner.namespace, name


@rule(
    "flux-depends-on-missing",
    E,
    "dependsOn names no Flux Kustomization",
    "Flux waits forever for a dependency that does not exist ('dependency not found').",
)
def flux_depends_on_missing(ctx: LintContext) -> Iterable[Finding]:
    for owner in _flux_owners(ctx):
        for index, entry, namespace, name in _depends_on(owner):
            if _foreign_kind(entry) or (namespace, name) in ctx.flux_kustomizations:
                continue
            candidates = [n for (ns, n) in ctx.flux_kustomizations if ns == namespace]
            guess = ctx.closest(name, candidates)
            yield ctx.finding(
                "flux-depends-on-missing",
                E,
                owner.manifest,
                owner.manifest.line_of("spec", "dependsOn", index),
                f"dependsOn names Kustomization '{namespace}/{name}', which does not exist.",
                obj=owner.ref,
                fix=f"Did you mean '{guess}'?" if guess else None,
            )


def _foreign_kind(entry: YMap) -> str | None:
    kind = _text(entry.get("kind"))
    api = _text(entry.get("apiVersion")) or ""
    if kind and kind != "Kustomization":
        return kind
    if api and not api.startswith("kustomize.toolkit.fluxcd.io"):
        return kind or api
    return None


@rule(
    "flux-depends-on-kind",
    E,
    "dependsOn lists something other than a Flux Kustomization",
    "dependsOn only orders Kustomizations; to wait for a Deployment or Job use healthChecks.",
)
def flux_depends_on_kind(ctx: LintContext) -> Iterable[Finding]:
    for owner in _flux_owners(ctx):
        for index, entry, _namespace, name in _depends_on(owner):
            foreign = _foreign_kind(entry)
            if foreign:
                yield ctx.finding(
                    "flux-depends-on-kind",
                    E,
                    owner.manifest,
                    owner.manifest.line_of("spec", "dependsOn", index),
                    f"dependsOn entry '{name}' is a {foreign}; dependsOn only takes Flux "
                    "Kustomizations.",
                    obj=owner.ref,
                    fix=f"Move the {foreign} to spec.healthChecks.",
                )


@rule(
    "flux-depends-on-cycle",
    E,
    "Flux Kustomizations that depend on each other in a cycle",
    "None of the Kustomizations in a cycle ever becomes ready.",
)
def flux_depends_on_cycle(ctx: LintContext) -> Iterable[Finding]:
    graph: dict[tuple[str | None, str], list[tuple[tuple[str | None, str], int]]] = {}
    for key, owner in ctx.flux_kustomizations.items():
        graph[key] = [
            ((ns, name), index)
            for index, entry, ns, name in _depends_on(owner)
            if not _foreign_kind(entry) and (ns, name) in ctx.flux_kustomizations
        ]
    reported: set[frozenset[tuple[str | None, str]]] = set()
    for start in sorted(graph, key=lambda k: (k[0] or "", k[1])):
        cycle = _cycle_from(start, graph)
        if cycle is None or frozenset(cycle) in reported:
            continue
        reported.add(frozenset(cycle))
        owner = ctx.flux_kustomizations[cycle[0]]
        index = next(i for target, i in graph[cycle[0]] if target == cycle[1 % len(cycle)])
        path = " → ".join(name for _, name in [*cycle, cycle[0]])
        yield ctx.finding(
            "flux-depends-on-cycle",
            E,
            owner.manifest,
            owner.manifest.line_of("spec", "dependsOn", index),
            f"dependsOn cycle: {path}.",
            obj=owner.ref,
            fix="Remove one dependsOn entry of the cycle.",
        )


def _cycle_from(
    start: tuple[str | None, str],
    graph: dict[tuple[str | None, str], list[tuple[tuple[str | None, str], int]]],
) -> list[tuple[str | None, str]] | None:
    """The shortest cycle through ``start`` (breadth-first), or None."""
    parents: dict[tuple[str | None, str], tuple[str | None, str]] = {}
    frontier = [start]
    while frontier:
        following: list[tuple[str | None, str]] = []
        for node in frontier:
            for target, _ in graph.get(node, []):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return list(reversed(path))
                if target not in parents:
                    parents[target] = node
                    following.append(target)
        frontier = following
    return None


@rule(
    "flux-health-check-missing",
    E,
    "A health check names an object the Kustomization does not produce",
    "Flux waits for the object until the timeout, then reports the Kustomization failed.",
)
def flux_health_check_missing(ctx: LintContext) -> Iterable[Finding]:
    for build in ctx.model.builds:
        owner = build.owner
        if owner is None or build.remote:
            continue
        target_ns = _text(owner.manifest.spec.get("targetNamespace")) or owner.namespace
        for index, check in _items(owner.manifest.spec.get("healthChecks")):
            kind, name = _text(check.get("kind")), _text(check.get("name"))
            if not kind or not name:
                continue
            namespace = _text(check.get("namespace")) or target_ns
            group = (_text(check.get("apiVersion")) or "").rpartition("/")[0]
            produced = [o for o in build.objects if o.manifest.kind == kind]
            if any(
                o.manifest.name == name
                and (o.namespace == namespace or o.namespace is None)
                and (not group or o.manifest.group == group)
                for o in produced
            ):
                continue
            line = owner.manifest.line_of("spec", "healthChecks", index)
            if _released_into(build, namespace):
                continue  # reported by the unverifiable rule
            yield ctx.finding(
                "flux-health-check-missing",
                E,
                owner.manifest,
                line,
                f"healthChecks names {kind} '{namespace}/{name}', which spec.path "
                f"'{build.path or '.'}' does not produce.",
                obj=owner.ref,
                fix=_health_check_fix(ctx, kind, namespace, name, produced),
            )


def _released_into(build: Build, namespace: str | None) -> bool:
    """A HelmRelease of this build installs into ``namespace``: its chart may make the object."""
    for obj in build.objects:
        if obj.manifest.kind == "HelmRelease" and obj.manifest.group == HELM_GROUP:
            target = _text(obj.manifest.spec.get("targetNamespace")) or obj.namespace
            if target == namespace:
                return True
    return False


def _health_check_fix(
    ctx: LintContext, kind: str, namespace: str | None, name: str, produced: list[Placed]
) -> str | None:
    same_name = [o for o in produced if o.manifest.name == name]
    if same_name:
        return f"It is produced in namespace '{same_name[0].namespace}': fix the namespace."
    for manifest in ctx.model.unreachable_manifests:
        if manifest.kind == kind and manifest.name == name:
            if manifest.file in ctx.model.commented_entries:
                return (
                    f"{manifest.file} is commented out in its kustomization: remove this "
                    "health check, or re-enable the entry."
                )
            listing = ctx.kustomization_for(manifest.file) or "a kustomization"
            return f"List {manifest.file} in {listing}, or remove this health check."
    guess = ctx.closest(name, [o.manifest.name for o in produced])
    return f"Did you mean '{guess}'?" if guess else "Remove this health check."


@rule(
    "flux-health-check-unverifiable",
    I,
    "A health check on an object a HelmRelease or remote base produces",
    "Objects rendered by Helm charts or fetched remotely are not visible offline.",
)
def flux_health_check_unverifiable(ctx: LintContext) -> Iterable[Finding]:
    for build in ctx.model.builds:
        owner = build.owner
        if owner is None or not build.built:
            continue
        target_ns = _text(owner.manifest.spec.get("targetNamespace")) or owner.namespace
        for index, check in _items(owner.manifest.spec.get("healthChecks")):
            kind, name = _text(check.get("kind")), _text(check.get("name"))
            namespace = _text(check.get("namespace")) or target_ns
            if (
                not kind
                or not name
                or any(o.manifest.kind == kind and o.manifest.name == name for o in build.objects)
            ):
                continue
            if build.remote or _released_into(build, namespace):
                why = "a remote or unbuilt source" if build.remote else "a HelmRelease"
                yield ctx.finding(
                    "flux-health-check-unverifiable",
                    I,
                    owner.manifest,
                    owner.manifest.line_of("spec", "healthChecks", index),
                    f"healthChecks {kind} '{namespace}/{name}' would come from {why}; not "
                    "verified offline.",
                    obj=owner.ref,
                )


# -- 5. HelmReleases -----------------------------------------------------------------------


def _releases(ctx: LintContext) -> list[Placed]:
    return sorted(ctx.helmreleases.values(), key=lambda o: (o.manifest.file, o.manifest.line))


@rule(
    "helmrelease-source-missing",
    E,
    "A HelmRelease's chart source does not resolve",
    "The helm-controller cannot fetch the chart; the release never installs.",
)
def helmrelease_source_missing(ctx: LintContext) -> Iterable[Finding]:
    sources = ctx.sources(HELM_SOURCE_KINDS)
    for release in _releases(ctx):
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
        kind = _text(ref.get("kind")) or "HelmRepository"
        name = _text(ref.get("name")) or ""
        namespace = _text(ref.get("namespace")) or release.namespace
        if (kind, namespace, name) not in sources:
            yield _missing_source(
                ctx, "helmrelease-source-missing", release, path, kind, namespace, name, sources
            )


@rule(
    "helmrelease-chart-missing",
    E,
    "A HelmRelease's chart path does not exist in this repo",
    "A chart from a GitRepository is read at spec.chart.spec.chart inside the repository.",
)
def helmrelease_chart_missing(ctx: LintContext) -> Iterable[Finding]:
    for release in _releases(ctx):
        chart = release.manifest.spec.get("chart")
        chart_spec = chart.get("spec") if isinstance(chart, YMap) else None
        if not isinstance(chart_spec, YMap):
            continue
        ref = chart_spec.get("sourceRef")
        path = _text(chart_spec.get("chart"))
        if not isinstance(ref, YMap) or ref.get("kind") != "GitRepository" or not path:
            continue
        namespace = _text(ref.get("namespace")) or release.namespace
        if (namespace, _text(ref.get("name")) or "") not in ctx.model.repo_sources:
            continue
        rel = normalize("", path)
        if rel is not None and ctx.model.files.is_file(
            f"{rel}/Chart.yaml" if rel else "Chart.yaml"
        ):
            continue
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
    for release in _releases(ctx):
        for index, _entry, namespace, name in _depends_on(release):
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
    for ref in _references(ctx):
        if ref.kind == "ConfigMap":
            yield from _check_reference(ctx, ref, "helmrelease-values-missing")


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


def _references(ctx: LintContext) -> list[Reference]:
    """Every Secret/ConfigMap reference of the reached objects, collected once per run."""
    found = ctx.memo.get("references")
    if found is None:
        found = ctx.memo["references"] = list(_collect_references(ctx))
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
            pod = _pod_spec(manifest)
            if pod is not None:
                yield from _pod_references(obj, pod)


def _values_from(obj: Placed) -> Iterator[Reference]:
    for index, entry in _items(obj.manifest.spec.get("valuesFrom")):
        kind, name = _text(entry.get("kind")), _text(entry.get("name"))
        if kind in ("Secret", "ConfigMap") and name:
            yield Reference(
                kind,
                obj.namespace,
                name,
                _text(entry.get("valuesKey")) or "values.yaml",
                entry.get("optional") is True,
                obj,
                obj.manifest.line_of("spec", "valuesFrom", index),
                "valuesFrom",
            )


def _substitute_from(obj: Placed) -> Iterator[Reference]:
    post = obj.manifest.spec.get("postBuild")
    if not isinstance(post, YMap):
        return
    for index, entry in _items(post.get("substituteFrom")):
        kind, name = _text(entry.get("kind")), _text(entry.get("name"))
        if kind == "Secret" and name:
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
    for index, entry in _items(template.get("templateFrom")):
        secret = entry.get("secret")
        if isinstance(secret, YMap) and _text(secret.get("name")):
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


def _pod_spec(manifest: Manifest) -> YMap | None:
    path = _POD_PATHS.get(manifest.kind)
    if path is None or manifest.group not in ("", "apps", "batch"):
        return None
    node: Any = manifest.body
    for step in path:
        node = node.get(step) if isinstance(node, YMap) else None
    return node if isinstance(node, YMap) else None


def _pod_references(obj: Placed, pod: YMap) -> Iterator[Reference]:
    def ref(
        name: Any, key: Any, optional: Any, line: int, what: str, key_line: int | None = None
    ) -> Iterator[Reference]:
        if _text(name):
            yield Reference(
                "Secret",
                obj.namespace,
                name,
                _text(key),
                optional is True,
                obj,
                line,
                what,
                key_line,
            )

    for field in ("initContainers", "containers", "ephemeralContainers"):
        for _, container in _items(pod.get(field)):
            for i, env in _items(container.get("env")):
                source = env.get("valueFrom")
                secret = source.get("secretKeyRef") if isinstance(source, YMap) else None
                if isinstance(secret, YMap):
                    line = line_at(
                        container,
                        "env",
                        i,
                        "valueFrom",
                        "secretKeyRef",
                        "name",
                        default=obj.manifest.line,
                    )
                    key_line = secret.line_of("key") if "key" in secret else None
                    yield from ref(
                        secret.get("name"),
                        secret.get("key"),
                        secret.get("optional"),
                        line,
                        "env secretKeyRef",
                        key_line,
                    )
            for i, env_from in _items(container.get("envFrom")):
                secret = env_from.get("secretRef")
                if isinstance(secret, YMap):
                    line = line_at(
                        container, "envFrom", i, "secretRef", "name", default=obj.manifest.line
                    )
                    yield from ref(
                        secret.get("name"), None, secret.get("optional"), line, "envFrom secretRef"
                    )
    for i, volume in _items(pod.get("volumes")):
        secret = volume.get("secret")
        if isinstance(secret, YMap):
            line = line_at(pod, "volumes", i, "secret", "secretName", default=obj.manifest.line)
            keys = [item.get("key") for _, item in _items(secret.get("items"))] or [None]
            for key in keys:
                yield from ref(
                    secret.get("secretName"), key, secret.get("optional"), line, "volume"
                )
        projected = volume.get("projected")
        if isinstance(projected, YMap):
            for j, source in _items(projected.get("sources")):
                secret = source.get("secret")
                if isinstance(secret, YMap):
                    line = line_at(
                        pod,
                        "volumes",
                        i,
                        "projected",
                        "sources",
                        j,
                        "secret",
                        default=obj.manifest.line,
                    )
                    yield from ref(
                        secret.get("name"), None, secret.get("optional"), line, "projected volume"
                    )


def _check_reference(ctx: LintContext, ref: Reference, rule_id: str) -> Iterator[Finding]:
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
        source = unlisted[0].source
        file = source.file if source else "?"
        listing = ctx.kustomization_for(file) or "a kustomization"
        yield _ref_finding(
            ctx,
            rule_id,
            E,
            ref,
            f"{base}; it is defined in {file}, which no kustomization lists.",
            f"List {file} in {listing}.",
        )
        return
    guess = ctx.closest(
        ref.name, [n for (k, ns, n) in ctx.producers if k == ref.kind and ns == ref.namespace]
    )
    severity = W if ref.kind == "Secret" else E
    message = f"{base}, which nothing in the repository produces."
    if guess:
        yield _ref_finding(ctx, rule_id, severity, ref, message, f"Did you mean '{guess}'?")
        return
    release = ctx.helm_namespaces.get(ref.namespace or "")
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
    for ref in _references(ctx):
        if ref.kind == "Secret":
            yield from _check_reference(ctx, ref, "secret-missing")


@rule(
    "secret-key-missing",
    E,
    "A Secret key referenced that its producer does not yield",
    "The pod fails with 'couldn't find key' even though the Secret exists.",
)
def secret_key_missing(ctx: LintContext) -> Iterable[Finding]:
    return ()  # produced by _check_reference, registered here for its id and docs


# -- 7. ExternalSecret stores --------------------------------------------------------------


@rule(
    "externalsecret-store-missing",
    E,
    "An ExternalSecret's secretStoreRef does not resolve",
    "The ExternalSecret reports SecretSyncedError and its Secret never appears.",
)
def externalsecret_store_missing(ctx: LintContext) -> Iterable[Finding]:
    stores = {
        (o.manifest.kind, o.namespace, o.manifest.name)
        for o in ctx.placed
        if o.manifest.group == ESO_GROUP
    }
    cluster = {n for (k, _, n) in stores if k == "ClusterSecretStore"}
    for obj in ctx.of_kind("ExternalSecret", ESO_GROUP):
        ref = obj.manifest.spec.get("secretStoreRef")
        if not isinstance(ref, YMap) or not _text(ref.get("name")):
            continue
        kind, name = _text(ref.get("kind")) or "SecretStore", ref["name"]
        if kind == "ClusterSecretStore" and name in cluster:
            continue
        if kind == "SecretStore" and (kind, obj.namespace, name) in stores:
            continue
        line = obj.manifest.line_of("spec", "secretStoreRef", "kind" if "kind" in ref else "name")
        if kind == "SecretStore" and name in cluster:
            fix = "Set kind: ClusterSecretStore in secretStoreRef."
            message = (
                f"secretStoreRef names SecretStore '{obj.namespace}/{name}', but only a "
                f"ClusterSecretStore '{name}' exists."
            )
        else:
            names = (
                cluster
                if kind == "ClusterSecretStore"
                else {n for (k, ns, n) in stores if k == "SecretStore" and ns == obj.namespace}
            )
            guess = ctx.closest(name, names)
            fix = f"Did you mean '{guess}'?" if guess else ""
            message = (
                f"secretStoreRef names {kind} '{name}', which nothing in the repository defines."
            )
        yield ctx.finding(
            "externalsecret-store-missing",
            E,
            obj.manifest,
            line,
            message,
            obj=obj.ref,
            fix=fix or None,
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
            same_doc = (earlier.manifest.file, earlier.manifest.index) == (
                obj.manifest.file,
                obj.manifest.index,
            )
            if earlier is obj or same_doc or (obj.manifest.file, obj.manifest.line) in reported:
                continue
            reported.add((obj.manifest.file, obj.manifest.line))
            yield ctx.finding(
                "duplicate-object",
                E,
                obj.manifest,
                obj.manifest.line,
                f"{obj.ref} is defined twice in the build of '{build.path or '.'}'.",
                obj=obj.ref,
                fix=f"Remove one; it is also defined at {earlier.manifest.file}:"
                f"{earlier.manifest.line}.",
            )


@rule(
    "duplicate-label",
    E,
    "A label or annotation key repeated",
    "Only the last value counts, which silently changes selectors.",
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
        post = owner.manifest.spec.get("postBuild") if owner else None
        if owner is None or not isinstance(post, YMap):
            continue
        defined = _substitution_names(ctx, owner, post)
        if defined is None:
            continue
        for obj in build.objects:
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


def _substitution_names(ctx: LintContext, owner: Placed, post: YMap) -> set[str] | None:
    """Names post-build defines; None when a source's keys cannot be known offline."""
    names: set[str] = set()
    substitute = post.get("substitute")
    if isinstance(substitute, dict):
        names.update(str(k) for k in substitute)
    for _, entry in _items(post.get("substituteFrom")):
        kind, name = _text(entry.get("kind")), _text(entry.get("name"))
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


# -- files outside the graph ---------------------------------------------------------------


@rule(
    "unreferenced-file",
    I,
    "Manifests no kustomization reaches",
    "Flux never applies them. Files named in a commented-out entry are deliberate and "
    "not reported.",
)
def unreferenced_file(ctx: LintContext) -> Iterable[Finding]:
    reachable = ctx.model.reachable_files
    misspelled = _misspelled_targets(ctx)
    for rel, manifests in sorted(ctx.model.manifests.items()):
        if (
            rel in reachable
            or rel in misspelled
            or rel in ctx.model.listed_files
            or rel in ctx.model.commented_entries
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
