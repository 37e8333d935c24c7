"""Render the repository's own charts with the real helm (``glmctl lint --render-charts``).

A HelmRelease whose chart is a path in a GitRepository of this repository is rendered with
``helm template``, the way the helm-controller would install it: the release name and
namespace it computes, ``valuesFrom`` ConfigMaps found in the repository merged in order,
then ``spec.values``. Secrets are never read: a ``valuesFrom`` Secret is left out and said
so. The rendered documents become :class:`Placed` objects the chart rules read; nothing
here decides what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from glmctl.errors import GlmctlError, TimedOut
from glmctl.execs import run_tool
from glmctl.lint.context import LintContext
from glmctl.lint.files import base_name, normalize, parent_dir
from glmctl.lint.model import Manifest, Placed
from glmctl.lint.rules.common import map_items, text_of
from glmctl.lint.rules.helm import local_chart, releases
from glmctl.lint.yamlio import DuplicateKey, YMap, parse_documents

HELM_TIMEOUT = 60.0
"""Seconds one ``helm template`` may take: local charts render in well under one."""
MAX_RELEASE_NAME = 53  # Helm's limit; the helm-controller shortens longer composed names


@dataclass(frozen=True)
class Rendered:
    """One document ``helm template`` printed, with the template it came from."""

    placed: Placed
    template: str  # repo-relative path of the template file
    duplicates: tuple[DuplicateKey, ...]

    @property
    def hooks(self) -> frozenset[str]:
        """The ``helm.sh/hook`` events (``pre-install``, ...); empty for a normal resource."""
        value = _annotations(self.placed.manifest).get("helm.sh/hook")
        if not isinstance(value, str):
            return frozenset()
        return frozenset(event.strip() for event in value.split(","))

    @property
    def hook_weight(self) -> int:
        value = _annotations(self.placed.manifest).get("helm.sh/hook-weight")
        try:
            return int(str(value).strip()) if value is not None else 0
        except ValueError:
            return 0


@dataclass(frozen=True)
class Rendering:
    """What rendering one HelmRelease's local chart gave."""

    release: Placed
    chart: str  # repo-relative chart directory
    name: str  # the Helm release name
    namespace: str
    objects: tuple[Rendered, ...] = ()
    error: str | None = None  # helm's first line of stderr: the chart does not render
    incomplete: tuple[str, ...] = ()  # why the rendering may differ from Flux's (infos)


def renderings(ctx: LintContext) -> list[Rendering]:
    """Every local chart of the cluster rendered once per run (nothing when helm is off)."""
    found = ctx.shared.get("charts")
    if found is None:
        found = ctx.shared["charts"] = _render_all(ctx) if ctx.helm else []
    return list(found)


def release_name(name: str, target_namespace: str | None) -> str:
    """The helm-controller's release name: ``[<targetNamespace>-]<name>``, and when that is
    longer than Helm's 53 characters, its first 40 and 12 hex digits of its SHA-256."""
    composed = f"{target_namespace}-{name}" if target_namespace else name
    if len(composed) <= MAX_RELEASE_NAME:
        return composed
    return f"{composed[:40]}-{hashlib.sha256(composed.encode()).hexdigest()[:12]}"


def _render_all(ctx: LintContext) -> list[Rendering]:
    done: list[Rendering] = []
    for release in releases(ctx):
        chart = local_chart(ctx, release)
        if chart is not None:
            done.append(_render(ctx, release, chart))
    return done


def _render(ctx: LintContext, release: Placed, chart: str) -> Rendering:
    spec = release.manifest.spec
    target = text_of(spec.get("targetNamespace"))
    name = text_of(spec.get("releaseName")) or release_name(release.manifest.name, target)
    namespace = target or release.namespace or "default"
    rendering = Rendering(release, chart, name, namespace)
    try:
        values, notes = release_values(ctx, release)
    except GlmctlError as error:
        return _with(rendering, error=error.message)
    test = spec.get("test")
    tests = isinstance(test, YMap) and test.get("enable") is True
    chart_dir = ctx.model.files.root / chart if chart else ctx.model.files.root
    with tempfile.TemporaryDirectory(prefix="glmctl-chart-") as scratch:
        values_file = Path(scratch) / "values.json"
        values_file.write_text(json.dumps(values), encoding="utf-8")
        args = ["template", name, str(chart_dir), "--namespace", namespace]
        for extra in _values_files(ctx, release):
            args += ["--values", extra]
        args += ["--values", str(values_file), *([] if tests else ["--skip-tests"])]
        try:
            result = run_tool(str(ctx.helm), *args, timeout=HELM_TIMEOUT, cwd=Path(scratch))
        except TimedOut as error:
            return _with(rendering, error=error.message, incomplete=notes)
    if not result.ok:
        first = helm_error(result.stderr) or f"helm exited with {result.exit_code}"
        if "missing in charts/ directory" in first:
            # Flux's source-controller fetches declared dependencies; helm template does not.
            reason = (
                f"chart '{chart}' declares dependencies that are not in its charts/ folder; "
                "Flux fetches them, so it was not rendered offline"
            )
            return _with(rendering, incomplete=(*notes, reason))
        return _with(rendering, error=first, incomplete=notes)
    objects = _documents(result.stdout, chart, namespace, release)
    return _with(rendering, objects=objects, incomplete=notes)


def _values_files(ctx: LintContext, release: Placed) -> list[str]:
    """``spec.chart.spec.valuesFiles`` (and the older ``valuesFile``): paths in the source,
    this repository, merged before the release's values. A missing one is passed on, so
    helm fails as the source-controller does, unless ``ignoreMissingValuesFiles``."""
    chart = release.manifest.spec.get("chart")
    chart_spec = chart.get("spec") if isinstance(chart, YMap) else None
    if not isinstance(chart_spec, YMap):
        return []
    listed = chart_spec.get("valuesFiles")
    paths = [p for p in listed if isinstance(p, str)] if isinstance(listed, list) else []
    single = text_of(chart_spec.get("valuesFile"))
    paths = [single, *paths] if single and not paths else paths
    ignore_missing = chart_spec.get("ignoreMissingValuesFiles") is True
    found: list[str] = []
    for path in paths:
        rel = normalize("", path)
        if rel is not None and (not ignore_missing or ctx.model.files.is_file(rel)):
            found.append(str(ctx.model.files.root / rel))
    return found


def helm_error(stderr: str) -> str:
    """helm's error in one line: its ``Error:`` line, with the indented lines that go on
    with it (a template error names the place first, then what went wrong)."""
    lines = stderr.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Error:")), None)
    if start is None:
        return next((line.strip() for line in lines if line.strip()), "")
    parts = [lines[start].removeprefix("Error:").strip()]
    for line in lines[start + 1 :]:
        if not line.startswith((" ", "\t")) or not line.strip():
            break
        parts.append(line.strip())
    return " ".join(parts)


def _with(rendering: Rendering, **changes: Any) -> Rendering:
    return replace(rendering, **changes)


def release_values(ctx: LintContext, release: Placed) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The values the helm-controller would pass: ``valuesFrom`` in order, then ``values``.

    ConfigMaps are read from the repository; Secrets never are (a note says which were left
    out). A ConfigMap the repository does not define is left out silently:
    ``helmrelease-values-missing`` reports it.
    """
    from glmctl.safeyaml import safe_load

    merged: dict[str, Any] = {}
    notes: list[str] = []
    spec = release.manifest.spec
    for _, entry in map_items(spec.get("valuesFrom")):
        kind, name = text_of(entry.get("kind")), text_of(entry.get("name"))
        key = text_of(entry.get("valuesKey")) or "values.yaml"
        if kind == "Secret" and name:
            notes.append(
                f"valuesFrom Secret '{name}' was not read (glmctl never reads Secrets); the "
                "chart was rendered without it"
            )
            continue
        if kind != "ConfigMap" or not name:
            continue
        text = _config_map_value(ctx, release.namespace, name, key)
        if text is None:
            continue
        path = text_of(entry.get("targetPath"))
        if path:
            _set_path(merged, path, text)
            continue
        loaded = safe_load(text, f"ConfigMap {release.namespace}/{name} key {key}")
        if isinstance(loaded, dict):
            _merge(merged, loaded)
    values = spec.get("values")
    if isinstance(values, dict):
        _merge(merged, values)
    return merged, tuple(notes)


def _config_map_value(ctx: LintContext, namespace: str | None, name: str, key: str) -> str | None:
    """The text of ``key`` in a ConfigMap of the repository: a manifest's ``data``, or the
    file a kustomize ``configMapGenerator`` reads for it."""
    for producer in ctx.producers.get(("ConfigMap", namespace, name), []):
        source = producer.source
        if source is None or source.kind != "ConfigMap":
            continue
        if source.index < 0:  # generated: the loader numbers generator entries -1, -2, ...
            text = _generated_value(ctx, source.file, -1 - source.index, key)
            if text is not None:
                return text
            continue
        data = source.body.get("data")
        if isinstance(data, dict) and isinstance(data.get(key), str):
            return str(data[key])
    return None


def _generated_value(ctx: LintContext, kfile: str, index: int, key: str) -> str | None:
    """``files: [key=path]`` (or ``[path]`` named ``key``) of configMapGenerator ``index``."""
    parsed = ctx.model.files.parsed(kfile)
    spec = parsed.documents[0].value if parsed.documents else None
    entries = spec.get("configMapGenerator") if isinstance(spec, YMap) else None
    entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
    files = entry.get("files") if isinstance(entry, YMap) else None
    for item in files if isinstance(files, list) else ():
        if not isinstance(item, str):
            continue
        named, _, path = item.partition("=") if "=" in item else (base_name(item), "", item)
        rel = normalize(parent_dir(kfile), path)
        if named == key and rel is not None and ctx.model.files.is_file(rel):
            return ctx.model.files.text(rel)
    return None


def _merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    """Helm's merge of values: maps merge key by key, anything else replaces."""
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = _plain(value)


def _plain(value: Any) -> Any:
    """A copy as plain dicts and lists (the values file is JSON)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _set_path(into: dict[str, Any], path: str, value: str) -> None:
    """``targetPath``: the value as a string at a dotted path (escaped dots not modelled)."""
    *parents, last = path.split(".")
    node = into
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[last] = value


def _documents(text: str, chart: str, namespace: str, release: Placed) -> tuple[Rendered, ...]:
    """The rendered documents, each with its ``# Source:`` template as a repo path."""
    sources: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("# Source: "):
            sources.append((number, line.removeprefix("# Source: ").strip()))
    parsed = parse_documents(text)
    found: list[Rendered] = []
    for index, document in enumerate(parsed.documents):
        if not isinstance(document.value, YMap):
            continue
        source = next((s for n, s in reversed(sources) if n <= document.start_line), "")
        # "<chart name>/templates/x.yaml": the chart's own folder in the repository instead
        inner = source.partition("/")[2]
        template = f"{chart}/{inner}" if chart and inner else inner or release.manifest.file
        manifest = Manifest(template, document.start_line, document.value, index)
        placed = Placed(manifest, manifest.namespace or namespace)
        found.append(Rendered(placed, template, document.duplicates))
    return tuple(found)


def _annotations(manifest: Manifest) -> dict[str, Any]:
    annotations = manifest.metadata.get("annotations")
    return annotations if isinstance(annotations, dict) else {}
