"""Rule groups 3 and 4: Flux Kustomizations (path, source, dependsOn, healthChecks)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from glmctl.lint.context import HELM_GROUP, LintContext
from glmctl.lint.loader import flux_path
from glmctl.lint.model import (
    CLUSTER_SCOPED_KINDS,
    Build,
    Finding,
    Manifest,
    Placed,
)
from glmctl.lint.registry import rule
from glmctl.lint.rules.common import (
    SOURCE_KINDS,
    E,
    I,
    W,
    map_items,
    text_of,
)
from glmctl.lint.yamlio import YMap

# -- 3. Flux Kustomizations ----------------------------------------------------------------


def flux_owners(ctx: LintContext) -> list[Placed]:
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
    for owner in flux_owners(ctx):
        manifest = owner.manifest
        ref = manifest.spec.get("sourceRef")
        if not isinstance(ref, YMap):
            continue
        namespace = text_of(ref.get("namespace")) or owner.namespace
        source = (namespace, text_of(ref.get("name")) or "")
        if ref.get("kind") != "GitRepository" or (
            ctx.model.bootstrap is not None and source not in ctx.model.repo_sources
        ):
            continue
        path = flux_path(owner)
        if path is not None and ctx.model.files.is_dir(path):
            continue
        raw = manifest.spec.get("path")
        if isinstance(raw, str) and "${" in raw:
            continue  # filled by the parent's post-build substitution: not known offline
        guess = _closest_directory(ctx, path or str(raw))
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
    for owner in flux_owners(ctx):
        ref = owner.manifest.spec.get("sourceRef")
        if not isinstance(ref, YMap):
            continue
        kind = text_of(ref.get("kind")) or "GitRepository"
        name = text_of(ref.get("name")) or ""
        namespace = text_of(ref.get("namespace")) or owner.namespace
        if (
            (kind, namespace, name) in sources
            or (kind, namespace, name) in ctx.model.known_sources
            or ctx.declared(kind, namespace, name)
            or _is_bootstrap_source(ctx, owner)
        ):
            continue
        yield missing_source(
            ctx, "flux-source-missing", owner, ("spec", "sourceRef"), kind, namespace, name, sources
        )


def _closest_directory(ctx: LintContext, path: str) -> str | None:
    """A directory ending in ``path`` (repository checked out one level too high), else the
    most similar name."""
    endings = sorted(d for d in ctx.model.files.directories if d.endswith(f"/{path}"))
    return endings[0] if endings else ctx.closest(path, ctx.model.files.directories)


def _is_bootstrap_source(ctx: LintContext, owner: Placed) -> bool:
    """The bootstrap Kustomization's source is this repository, by definition."""
    root = ctx.model.bootstrap
    return root is not None and root.manifest is owner.manifest


def missing_source(
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
        found = sources[(kind, other_ns[0], name)]
        fix = (
            f"{kind} '{name}' exists in namespace '{other_ns[0]}'"
            f"{_moved(found)}: set namespace: {other_ns[0]} in the reference."
        )
    elif other_kind:
        fix = f"'{name}' is a {other_kind[0]}: set kind: {other_kind[0]}."
    else:
        guess = ctx.closest(name, [n for (k, ns, n) in sources if k == kind])
        fix = f"Did you mean '{guess}'?" if guess else ""
    moved = _moved(owner) if namespace == owner.namespace else ""
    return ctx.finding(
        rule_id,
        E,
        owner.manifest,
        owner.manifest.line_of(*path),
        f"sourceRef names {kind} '{namespace}/{name}', which nothing in the repository defines"
        f"{' (this object' + moved + ')' if moved else ''}.",
        obj=owner.ref,
        fix=fix or None,
    )


def _moved(obj: Placed) -> str:
    """Why an object is not where its file says: a kustomization ``namespace:`` moved it."""
    written = obj.manifest.namespace
    if written and written != obj.namespace:
        return f" — moved from '{written}' by a kustomization namespace:"
    return ""


def depends_on(owner: Placed) -> Iterator[tuple[int, YMap, str | None, str]]:
    entries = owner.manifest.spec.get("dependsOn")
    for index, entry in map_items(entries):
        name = text_of(entry.get("name"))
        if name:
            yield index, entry, text_of(entry.get("namespace")) or owner.namespace, name


@rule(
    "flux-depends-on-missing",
    E,
    "dependsOn names no Flux Kustomization",
    "Flux waits forever for a dependency that does not exist ('dependency not found').",
)
def flux_depends_on_missing(ctx: LintContext) -> Iterable[Finding]:
    for owner in flux_owners(ctx):
        for index, entry, namespace, name in depends_on(owner):
            if foreign_kind(entry) or (namespace, name) in ctx.flux_kustomizations:
                continue
            candidates = [n for (ns, n) in ctx.flux_kustomizations if ns == namespace]
            guess = ctx.closest(name, candidates)
            unseen = [b for b in ctx.model.builds if b.remote and b.owner is not None]
            if guess or not unseen:
                severity, where = E, "which does not exist"
            else:  # a build lint cannot see may define it
                severity = W
                where = "which this repository does not define (a remote build might)"
            yield ctx.finding(
                "flux-depends-on-missing",
                severity,
                owner.manifest,
                owner.manifest.line_of("spec", "dependsOn", index),
                f"dependsOn names Kustomization '{namespace}/{name}', {where}.",
                obj=owner.ref,
                fix=f"Did you mean '{guess}'?" if guess else None,
            )


def foreign_kind(entry: YMap) -> str | None:
    kind = text_of(entry.get("kind"))
    api = text_of(entry.get("apiVersion")) or ""
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
    for owner in flux_owners(ctx):
        for index, entry, _namespace, name in depends_on(owner):
            foreign = foreign_kind(entry)
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
            for index, entry, ns, name in depends_on(owner)
            if not foreign_kind(entry) and (ns, name) in ctx.flux_kustomizations
        ]
    reported: set[frozenset[tuple[str | None, str]]] = set()
    for start in sorted(_maybe_cyclic(graph), key=lambda k: (k[0] or "", k[1])):
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


def _maybe_cyclic(
    graph: dict[tuple[str | None, str], list[tuple[tuple[str | None, str], int]]],
) -> set[tuple[str | None, str]]:
    """Nodes left after peeling off every node without dependents or without dependencies.

    What remains contains every cycle, so the breadth-first search runs only from there:
    an acyclic graph of thousands of Kustomizations costs one linear pass.
    """
    succ = {node: {t for t, _ in targets if t in graph} for node, targets in graph.items()}
    pred: dict[tuple[str | None, str], set[tuple[str | None, str]]] = {n: set() for n in succ}
    for node, targets in succ.items():
        for target in targets:
            pred[target].add(node)
    alive = set(succ)
    for forward, backward in ((succ, pred), (pred, succ)):
        queue = [n for n in alive if not (forward[n] & alive)]
        while queue:
            node = queue.pop()
            if node not in alive:
                continue
            alive.discard(node)
            queue.extend(n for n in backward[node] if n in alive and not (forward[n] & alive))
    return alive


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
        if owner is None or build.broken:
            continue  # a file of the build does not parse: that finding says it all
        target_ns = owner.namespace  # an unset namespace means the Kustomization's own
        for index, check in map_items(owner.manifest.spec.get("healthChecks")):
            kind, name = text_of(check.get("kind")), text_of(check.get("name"))
            if not kind or not name:
                continue
            cluster_scoped = kind in CLUSTER_SCOPED_KINDS
            namespace = None if cluster_scoped else text_of(check.get("namespace")) or target_ns
            group = (text_of(check.get("apiVersion")) or "").rpartition("/")[0]
            produced = [o for o in build.objects if o.manifest.kind == kind]
            if any(
                o.name == name
                and (cluster_scoped or o.namespace == namespace or o.namespace is None)
                and (not group or o.manifest.group == group)
                for o in produced
            ):
                continue
            line = owner.manifest.line_of("spec", "healthChecks", index)
            unlisted = _unlisted_definition(ctx, build, kind, name)
            if unlisted is None and (build.remote or _released_into(build, namespace)):
                continue  # reported by the unverifiable rule
            where = f"'{namespace}/{name}'" if namespace else f"'{name}'"
            message = (  # when an unlisted file defines it, the fix names the file
                f"healthChecks names {kind} {where}, which spec.path '{build.path or '.'}' "
                "does not produce"
            )
            yield ctx.finding(
                "flux-health-check-missing",
                E,
                owner.manifest,
                line,
                f"{message}.",
                obj=owner.ref,
                fix=_health_check_fix(ctx, kind, namespace, name, produced),
            )


def _unlisted_definition(ctx: LintContext, build: Build, kind: str, name: str) -> Manifest | None:
    """The object, defined in a file below the build's path that no kustomization lists."""
    prefix = f"{build.path}/" if build.path else ""
    for manifest in ctx.model.unreachable_manifests:
        if manifest.kind == kind and manifest.name == name and manifest.file.startswith(prefix):
            return manifest
    return None


def _released_into(build: Build, namespace: str | None) -> bool:
    """A HelmRelease of this build installs into ``namespace`` (any, for a cluster-scoped
    object): its chart may make the object."""
    for obj in build.objects:
        if obj.manifest.kind == "HelmRelease" and obj.manifest.group == HELM_GROUP:
            target = text_of(obj.manifest.spec.get("targetNamespace")) or obj.namespace
            if namespace is None or target == namespace:
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
        if owner is None or not build.built or build.broken:
            continue
        target_ns = owner.namespace  # an unset namespace means the Kustomization's own
        for index, check in map_items(owner.manifest.spec.get("healthChecks")):
            kind, name = text_of(check.get("kind")), text_of(check.get("name"))
            if not kind or not name:
                continue
            cluster_scoped = kind in CLUSTER_SCOPED_KINDS
            namespace = None if cluster_scoped else text_of(check.get("namespace")) or target_ns
            if any(o.manifest.kind == kind and o.name == name for o in build.objects):
                continue
            if _unlisted_definition(ctx, build, kind, name) is not None:
                continue  # an error of its own
            if build.remote or _released_into(build, namespace):
                why = (
                    "a part of the build lint cannot see (remote base, kustomize helmCharts "
                    "or a name prefix)"
                    if build.remote
                    else "a HelmRelease"
                )
                where = f"'{namespace}/{name}'" if namespace else f"'{name}'"
                yield ctx.finding(
                    "flux-health-check-unverifiable",
                    I,
                    owner.manifest,
                    owner.manifest.line_of("spec", "healthChecks", index),
                    f"healthChecks {kind} {where} would come from {why}; not verified offline.",
                    obj=owner.ref,
                )
