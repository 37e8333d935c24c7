"""Build the repository's object graph the way Flux does, without a cluster.

Flux starts from the bootstrap ``flux-system`` Kustomization, builds its ``spec.path`` with
kustomize, applies what comes out — including more Flux Kustomizations, whose paths are
built in turn. Only objects reached this way are deployed. This module reproduces that walk
closely enough for lint: kustomization ``resources``/``components`` (files, directories,
remote bases), a generated kustomization for directories that have none, the top-level
``namespace:`` override, Flux's ``targetNamespace``, and kustomize's Secret/ConfigMap
generators (whose input files, like patch files, must exist). Whatever the walk meets that
Flux would fail on is recorded as a :class:`Problem`; turning problems into findings is the
rules' job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from glmctl.lint.files import RepoFiles, base_name, normalize, parent_dir
from glmctl.lint.model import CLUSTER_SCOPED_KINDS, Build, Manifest, Placed, Problem, memo
from glmctl.lint.yamlio import ParseError, YList, YMap, parse_documents

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
FLUX_KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
SOURCE_GROUP = "source.toolkit.fluxcd.io"
UNKNOWN_KEYS_ANNOTATION = "lint.glmctl.io/keys-unknown"
PATCH_KEYS = ("patches", "patchesStrategicMerge", "patchesJson6902")

# Flux's own test for a non-local kustomize resource, plus other hosted git forms.
_REMOTE = re.compile(
    r"^(git::|gh:|ssh://|https?://|git@|github\.com[:/]|gitlab\.com/|bitbucket\.org/)",
    re.IGNORECASE,
)
_COMMENTED_ENTRY = re.compile(r"^\s*#\s*-\s+['\"]?([^\s'\"#]+)")


def is_remote(entry: str) -> bool:
    """A kustomize remote resource: a URL or a hosted git path (``?ref=`` included)."""
    return bool(_REMOTE.match(entry)) or "?ref=" in entry


def is_kustomize_config(rel: str) -> bool:
    """kustomization.yaml and friends: kustomize's input, not objects Flux applies."""
    return base_name(rel) in KUSTOMIZATION_FILES


def is_yaml_file(rel: str) -> bool:
    return rel.endswith((".yaml", ".yml"))


def is_flux_kustomization(manifest: Manifest) -> bool:
    return manifest.kind == "Kustomization" and manifest.group == FLUX_KUSTOMIZE_GROUP


@dataclass
class _DirBuild:
    """What a kustomize directory builds, before the includer's namespace override."""

    objects: list[Placed] = field(default_factory=list)
    unknown: bool = False
    files: set[str] = field(default_factory=set)


@dataclass
class RepoModel:
    """The repository as Flux would see it: every manifest, and what each Kustomization builds.

    ``builds``, ``bootstrap``, ``repo_sources`` and ``known_sources`` are one cluster's
    (``cluster_name``); :meth:`for_cluster` gives the model of another. Files and parse
    results are shared by all clusters, and a file counts as reached when any cluster reaches
    it.
    """

    files: RepoFiles
    manifests: dict[str, list[Manifest]]
    parse_errors: dict[str, ParseError]
    builds: list[Build]
    problems: list[Problem]
    listed_files: set[str]
    commented_entries: set[str]
    resource_files: set[str]
    bootstrap: Placed | None
    repo_sources: set[tuple[str | None, str]]
    known_sources: set[tuple[str, str | None, str]] = field(default_factory=set)
    clusters: list[Cluster] = field(default_factory=list)
    all_reachable: frozenset[str] = frozenset()
    cluster_name: str = "."
    units: frozenset[str] = frozenset()  # kustomization directories Flux builds as a whole

    def for_cluster(self, cluster: Cluster) -> RepoModel:
        """The same repository seen from another cluster's sync Kustomization."""
        return replace(
            self,
            builds=cluster.builds,
            bootstrap=None if cluster.root is _NO_ROOT else cluster.root,
            repo_sources=cluster.repo_sources,
            known_sources=cluster.known_sources,
            cluster_name=cluster.name,
        )

    @property
    def reachable_files(self) -> frozenset[str]:
        """Files some Flux Kustomization's build reads, in any cluster."""
        return self.all_reachable

    def placed(self) -> list[Placed]:
        """Every object the walk reached, once per build that produces it."""
        return [obj for build in self.builds for obj in build.objects]

    @memo
    def unreachable_manifests(self) -> list[Manifest]:
        """Objects in files that no kustomization reaches: Flux never applies them."""
        reachable = self.reachable_files
        return [
            manifest
            for rel, manifests in self.manifests.items()
            if rel not in reachable and not is_kustomize_config(rel)
            for manifest in manifests
            if manifest.is_object
        ]


def _chart_directories(files: RepoFiles) -> list[str]:
    return sorted(
        parent_dir(rel) for rel in files.files if "/" in rel and base_name(rel) == "Chart.yaml"
    )


def is_skipped(rel: str, chart_dirs: list[str]) -> bool:
    """Not manifests: Helm charts (Go templates), hidden directories, ``*.yaml.template``."""
    parts = rel.split("/")
    if any(part.startswith(".") for part in parts) or rel.endswith(".template"):
        return True
    return any(rel == chart or rel.startswith(f"{chart}/") for chart in chart_dirs)


class _Walker:
    """Follows references from the bootstrap Kustomization, memoising each directory."""

    def __init__(self, files: RepoFiles) -> None:
        self.files = files
        self.chart_dirs = _chart_directories(files)
        self.manifests: dict[str, list[Manifest]] = {}
        self.parse_errors: dict[str, ParseError] = {}
        self.problems: list[Problem] = []
        self.listed: set[str] = set()
        self.commented: set[str] = set()
        self.resource_files: set[str] = set()
        self._dirs: dict[str, _DirBuild] = {}
        self._in_progress: set[str] = set()
        self._sources: set[tuple[str, str]] | None = None
        self.units: set[str] = set()  # directories with a kustomization.yaml built as a whole
        self._config: dict[tuple[str, str], list[Manifest]] | None = None

    # -- files -------------------------------------------------------------------------

    def load_all(self) -> None:
        """Parse every YAML file that could hold manifests (each file read once)."""
        for rel in sorted(self.files.files):
            if is_yaml_file(rel) and not is_skipped(rel, self.chart_dirs):
                self.file_manifests(rel)

    def file_manifests(self, rel: str) -> list[Manifest]:
        """The mappings of ``rel`` as manifests; a parse error is kept for the rules."""
        known = self.manifests.get(rel)
        if known is not None:
            return known
        parsed = self.files.parsed(rel)
        if parsed.error is not None:
            self.parse_errors[rel] = parsed.error
        found = [
            Manifest(rel, doc.value.line, doc.value, index)
            for index, doc in enumerate(parsed.documents)
            if isinstance(doc.value, YMap)
        ]
        self.manifests[rel] = found
        return found

    def defines_source(self, kind: str, name: str) -> bool:
        """Some file defines a source of this kind and name (reached or not).

        A sourceRef to a source nobody defines is reported by a rule; its path is still
        built from this repository, the likeliest intent, so that one typo gives one finding.
        """
        if self._sources is None:
            self._sources = {
                (m.kind, m.name)
                for manifests in self.manifests.values()
                for m in manifests
                if m.group == SOURCE_GROUP
            }
        return (kind, name) in self._sources

    def post_build_variables(self, owner: Placed, injected: list[YMap]) -> dict[str, str]:
        """Values ``owner``'s post-build substitution gives, as far as the repository says:
        ``substitute`` and the data of ``substituteFrom`` ConfigMaps/Secrets defined here
        (its own postBuild and those its parent's ``spec.patches`` inject)."""
        found: dict[str, str] = {}
        own = owner.manifest.spec.get("postBuild")
        for post in [*injected, *([own] if isinstance(own, YMap) else [])]:
            found.update(self._post_build_values(owner, post))
        return found

    def _post_build_values(self, owner: Placed, post: YMap) -> dict[str, str]:
        found: dict[str, str] = {}
        if self._config is None:
            self._config = {}
            for manifests in self.manifests.values():
                for m in manifests:
                    if m.kind in ("ConfigMap", "Secret") and m.group == "":
                        self._config.setdefault((m.kind, m.name), []).append(m)
        for entry in post.get("substituteFrom") or ():
            if not isinstance(entry, YMap):
                continue
            for m in self._config.get((str(entry.get("kind")), str(entry.get("name"))), ()):
                if (m.namespace or owner.namespace) != owner.namespace:
                    continue
                for field_name in ("data", "stringData"):
                    data = m.body.get(field_name)
                    if isinstance(data, dict):
                        found.update({str(k): str(v) for k, v in data.items()})
        substitute = post.get("substitute")
        if isinstance(substitute, dict):
            found.update({str(k): str(v) for k, v in substitute.items()})
        return found

    # -- kustomize -----------------------------------------------------------------------

    def kustomization_file(self, directory: str) -> str | None:
        for name in KUSTOMIZATION_FILES:
            rel = f"{directory}/{name}" if directory else name
            if self.files.is_file(rel):
                return rel
        return None

    def build_directory(self, directory: str) -> _DirBuild:
        """What ``kustomize build DIRECTORY`` produces (Flux's generated one if none exists)."""
        known = self._dirs.get(directory)
        if known is not None:
            return known
        if directory in self._in_progress:
            return _DirBuild(unknown=True)
        self._in_progress.add(directory)
        try:
            kfile = self.kustomization_file(directory)
            result = self._kustomize(directory, kfile) if kfile else self._generated(directory)
        finally:
            self._in_progress.discard(directory)
        self._dirs[directory] = result
        return result

    def _generated(self, directory: str) -> _DirBuild:
        """Flux's generated kustomization: every manifest below, sub-kustomizations as units."""
        result = _DirBuild()
        for rel in self.files.children(directory):
            if not is_yaml_file(rel) or is_skipped(rel, self.chart_dirs):
                continue
            result.files.add(rel)
            for manifest in self.file_manifests(rel):
                if manifest.is_object:
                    result.objects.append(_as_written(manifest))
        for sub in self.files.subdirectories(directory):
            if is_skipped(sub, self.chart_dirs) or base_name(sub) == "templates":
                continue
            if self.kustomization_file(sub) is not None:
                self.units.add(sub)
            self._merge(result, self.build_directory(sub), None)
        return result

    def _kustomize(self, directory: str, kfile: str) -> _DirBuild:
        result = _DirBuild(files={kfile})
        self._note_commented(directory, kfile)
        docs = self.file_manifests(kfile)
        spec = docs[0].body if docs else None
        if spec is None:
            return result
        for key in ("resources", "components", "bases"):
            entries = spec.get(key)
            if isinstance(entries, YList):
                for index, entry in enumerate(entries):
                    if isinstance(entry, str):
                        self.add_resource(
                            result, directory, kfile, entries.line_of(index), entry, key
                        )
        self._generators(result, directory, kfile, spec)
        self._patches(directory, kfile, spec)
        self._note_listed(directory, spec)
        if (
            isinstance(spec.get("helmCharts"), YList)
            or spec.get("namePrefix")
            or spec.get("nameSuffix")
        ):
            result.unknown = True  # rendered charts and renamed objects: names not known here
        override = spec.get("namespace")
        if isinstance(override, str) and override:
            result.objects = [_with_namespace(obj, override) for obj in result.objects]
        replacements = self._replacements(directory, spec)
        if replacements:
            result.objects = apply_replacements(result.objects, replacements)
        return result

    def _replacements(self, directory: str, spec: YMap) -> list[YMap]:
        """kustomize ``replacements``: inline ones and those of ``path:`` files."""
        found: list[YMap] = []
        for entry in spec.get("replacements") or ():
            if not isinstance(entry, YMap):
                continue
            path = entry.get("path")
            if not isinstance(path, str):
                found.append(entry)
                continue
            rel = normalize(directory, path)
            if rel is None or not self.files.is_file(rel):
                continue
            for doc in self.files.parsed(rel).documents:
                items = doc.value if isinstance(doc.value, list) else [doc.value]
                found.extend(item for item in items if isinstance(item, YMap))
        return found

    def add_resource(
        self, result: _DirBuild, directory: str, kfile: str, line: int, entry: str, key: str
    ) -> None:
        """Build one ``resources``/``components`` entry of ``kfile`` into ``result``."""
        if is_remote(entry):
            self.problems.append(Problem("remote", kfile, line, entry))
            result.unknown = True
            return
        rel = normalize(directory, entry)
        if rel is None:
            self.problems.append(Problem("outside", kfile, line, entry, key))
            return
        self.listed.add(rel)
        if self.files.is_file(rel):
            self.resource_files.add(rel)
            result.files.add(rel)
            for manifest in self.file_manifests(rel):
                result.objects.append(_as_written(manifest))
        elif self.files.is_dir(rel):
            if self.kustomization_file(rel) is None:
                self.problems.append(Problem("not-a-kustomization", kfile, line, entry, key))
                result.unknown = True
                return
            self._merge(result, self.build_directory(rel), None)
        elif self.files.on_disk(rel):
            self.problems.append(Problem("ignored", kfile, line, entry, key))
        else:
            self.problems.append(Problem("missing", kfile, line, entry, key))

    def _merge(self, into: _DirBuild, part: _DirBuild, namespace: str | None) -> None:
        into.files |= part.files
        into.unknown = into.unknown or part.unknown
        into.objects.extend(
            part.objects
            if namespace is None
            else [_with_namespace(o, namespace) for o in part.objects]
        )

    def _generators(self, result: _DirBuild, directory: str, kfile: str, spec: YMap) -> None:
        """Secrets and ConfigMaps kustomize generates: producers, with the keys they yield."""
        for key, kind in (("secretGenerator", "Secret"), ("configMapGenerator", "ConfigMap")):
            entries = spec.get(key)
            if not isinstance(entries, YList):
                continue
            for index, entry in enumerate(entries):
                if isinstance(entry, YMap) and isinstance(entry.get("name"), str):
                    body = _generated_object(kind, entry, entries.line_of(index))
                    manifest = Manifest(kfile, entries.line_of(index), body, -1 - index)
                    result.objects.append(_as_written(manifest))
                    for field_name, line, path in _generator_files(entry):
                        what = f"{key} '{entry['name']}' {field_name}"
                        self._input_file(directory, kfile, line, path, what)

    def _input_file(self, directory: str, kfile: str, line: int, entry: str, what: str) -> None:
        """A file kustomize reads (generator input, patch): it must exist as Flux sees it.

        kustomize build fails on a missing one just as on a missing resource, so the same
        problems are recorded; the file is not built into objects.
        """
        if is_remote(entry):
            return
        rel = normalize(directory, entry)
        if rel is None:
            self.problems.append(Problem("outside", kfile, line, entry, what))
            return
        self.listed.add(rel)
        if self.files.is_file(rel) or self.files.is_dir(rel):
            return
        kind = "ignored" if self.files.on_disk(rel) else "missing"
        self.problems.append(Problem(kind, kfile, line, entry, what))

    def _patches(self, directory: str, kfile: str, spec: YMap) -> None:
        """Patch files (``patches``/``patchesJson6902`` ``path:``, ``patchesStrategicMerge``
        entries that are not inline patches)."""
        for key in PATCH_KEYS:
            entries = spec.get(key)
            if not isinstance(entries, YList):
                continue
            for index, entry in enumerate(entries):
                if isinstance(entry, str) and _is_patch_path(entry):
                    self._input_file(directory, kfile, entries.line_of(index), entry, key)
                elif isinstance(entry, YMap) and isinstance(entry.get("path"), str):
                    line = entry.line_of("path")
                    self._input_file(directory, kfile, line, entry["path"], key)

    def _note_listed(self, directory: str, spec: YMap) -> None:
        """Files a kustomization uses without building them (configs, plugins): not strays."""
        for key in (
            "crds",
            "configurations",
            "transformers",
            "generators",
            "replacements",
            "validators",
        ):
            entries = spec.get(key)
            if not isinstance(entries, list):
                continue
            for entry in entries:
                path = (
                    entry
                    if isinstance(entry, str)
                    else (entry.get("path") if isinstance(entry, dict) else None)
                )
                if isinstance(path, str) and not is_remote(path):
                    rel = normalize(directory, path)
                    if rel:
                        self.listed.add(rel)

    def _note_commented(self, directory: str, kfile: str) -> None:
        """``# - old-job.yaml``: a deliberately disabled entry, not a forgotten file."""
        for text in self.files.lines(kfile):
            match = _COMMENTED_ENTRY.match(text)
            if match:
                rel = normalize(directory, match.group(1))
                if rel:
                    self.commented.add(rel)


def apply_replacements(objects: list[Placed], replacements: list[YMap]) -> list[Placed]:
    """What kustomize ``replacements`` do to the fields lint reads: a value taken from one
    object (``source``: kind/name/namespace and a dotted ``fieldPath``) is written into the
    ``targets`` (``select`` by kind/group/name, dotted ``fieldPaths``). Paths with list
    selectors are left alone, as is a target whose field is missing without ``create``."""
    result = list(objects)
    for replacement in replacements:
        source = replacement.get("source")
        if not isinstance(source, YMap):
            continue
        value = _source_value(result, source)
        if value is None:
            continue
        for target in replacement.get("targets") or ():
            if not isinstance(target, YMap) or not isinstance(target.get("select"), YMap):
                continue
            paths = [p for p in target.get("fieldPaths") or () if isinstance(p, str)]
            options = target.get("options")
            create = isinstance(options, YMap) and options.get("create") is True
            result = [
                _replaced(obj, paths, value, create) if _selects(target["select"], obj) else obj
                for obj in result
            ]
    return result


def _selects(select: YMap, obj: Placed) -> bool:
    for key, actual in (
        ("kind", obj.manifest.kind),
        ("group", obj.manifest.group),
        ("name", obj.name),
        ("namespace", obj.namespace),
    ):
        wanted = select.get(key)
        if isinstance(wanted, str) and wanted != actual:
            return False
    return True


def _source_value(objects: list[Placed], source: YMap) -> str | None:
    path = source.get("fieldPath") or "metadata.name"
    if not isinstance(path, str) or "[" in path:
        return None
    for obj in objects:
        if not _selects(source, obj):
            continue
        if path == "metadata.name":
            return obj.name
        if path == "metadata.namespace":
            return obj.namespace
        node: Any = obj.manifest.body
        for step in path.split("."):
            node = node.get(step) if isinstance(node, dict) else None
        return node if isinstance(node, str) else None
    return None


def _replaced(obj: Placed, paths: list[str], value: str, create: bool) -> Placed:
    body = obj.manifest.body
    changed = False
    for path in paths:
        steps = path.split(".")
        if "[" in path or steps[0] == "metadata":
            continue  # names and namespaces are identities: not rewritten here
        copied = _copy_map(body)
        node = copied
        for step in steps[:-1]:
            child = node.get(step)
            if not isinstance(child, YMap):
                if not create:
                    break
                child = _ymap({}, node.line)
            child = _copy_map(child)
            node[step] = child
            node = child
        else:
            if steps[-1] in node or create:
                node[steps[-1]] = value
                node.key_lines.setdefault(steps[-1], node.line)
                body, changed = copied, True
    if not changed:
        return obj
    manifest = Manifest(obj.manifest.file, obj.manifest.line, body, obj.manifest.index)
    return Placed(manifest, obj.namespace, obj.renamed)


def _copy_map(node: YMap) -> YMap:
    copied = YMap(node)
    copied.line = node.line
    copied.key_lines = dict(node.key_lines)
    return copied


def _generator_files(entry: YMap) -> list[tuple[str, int, str]]:
    """(field, line, path) of each file a generator entry reads (``key=path`` gives path)."""
    found: list[tuple[str, int, str]] = []
    for key in ("files", "envs"):
        values = entry.get(key)
        if isinstance(values, YList):
            found.extend(
                (key, values.line_of(index), value.split("=", 1)[-1] if key == "files" else value)
                for index, value in enumerate(values)
                if isinstance(value, str)
            )
    env = entry.get("env")
    if isinstance(env, str):
        found.append(("env", entry.line_of("env"), env))
    return found


def _is_patch_path(entry: str) -> bool:
    """A ``patchesStrategicMerge`` string is a file path unless it is an inline patch."""
    return "\n" not in entry and ":" not in entry


def _generated_object(kind: str, entry: YMap, line: int) -> YMap:
    """A synthetic manifest for a generator entry, so producers are found in one place."""
    keys: dict[str, Any] = {}
    for literal in entry.get("literals") or []:
        if isinstance(literal, str):
            keys[literal.split("=", 1)[0]] = ""
    for path in entry.get("files") or []:
        if isinstance(path, str):
            name = path.split("=", 1)[0] if "=" in path else base_name(path)
            keys[name] = ""
    metadata: dict[str, Any] = {"name": entry["name"]}
    if isinstance(entry.get("namespace"), str):
        metadata["namespace"] = entry["namespace"]
    if entry.get("envs") or entry.get("env"):
        metadata["annotations"] = {UNKNOWN_KEYS_ANNOTATION: "true"}
    return _ymap(
        {
            "apiVersion": "v1",
            "kind": kind,
            "metadata": _ymap(metadata, line),
            "data": _ymap(keys, line),
        },
        line,
    )


def _ymap(values: dict[str, Any], line: int) -> YMap:
    result = YMap(values)
    result.line = line
    result.key_lines = dict.fromkeys(values, line)
    return result


def _as_written(manifest: Manifest) -> Placed:
    """An object as its file places it; a cluster-scoped kind has no namespace (kustomize
    drops one written on a built-in cluster-scoped kind)."""
    if manifest.kind in CLUSTER_SCOPED_KINDS:
        return Placed(manifest, None)
    return Placed(manifest, manifest.namespace)


def _with_namespace(obj: Placed, namespace: str) -> Placed:
    """``obj`` moved by a kustomization ``namespace:``; like kustomize, that renames a
    Namespace object to the namespace it sets."""
    if obj.manifest.kind == "Namespace" and obj.manifest.group == "":
        return Placed(obj.manifest, None, namespace)
    if obj.manifest.kind in CLUSTER_SCOPED_KINDS:
        return obj
    return Placed(obj.manifest, namespace, obj.renamed)


# -- Flux ---------------------------------------------------------------------------------


def _source_key(owner: Placed) -> tuple[str, str | None, str]:
    ref = owner.manifest.spec.get("sourceRef")
    if not isinstance(ref, YMap):
        return ("", None, "")
    namespace = ref.get("namespace") if isinstance(ref.get("namespace"), str) else owner.namespace
    return (str(ref.get("kind") or ""), namespace, str(ref.get("name") or ""))


FLUX_OPERATOR_GROUP = "fluxcd.controlplane.io"
SYNC_NAME = "flux-system"


def _sync_root(file: str, line: int, kind: str, path: str, name: str = SYNC_NAME) -> Placed:
    """The sync Kustomization a FluxInstance (or ``flux bootstrap``) creates in the cluster.

    It is not in the repository, so it is made up here, pointing at the file that implies it.
    """
    spec = _ymap(
        {
            "path": path,
            "sourceRef": _ymap({"kind": kind, "name": name}, line),
        },
        line,
    )
    body = _ymap(
        {
            "apiVersion": f"{FLUX_KUSTOMIZE_GROUP}/v1",
            "kind": "Kustomization",
            "metadata": _ymap({"name": name, "namespace": SYNC_NAME}, line),
            "spec": spec,
        },
        line,
    )
    return Placed(Manifest(file, line, body, -1), SYNC_NAME)


def _instance_sync(manifest: Manifest) -> tuple[YMap, tuple[str, ...]] | None:
    """``spec.sync`` of a FluxInstance, or ``instance.sync`` in the values of a HelmRelease of
    the flux-instance chart (how many home labs install flux-operator)."""
    if manifest.kind == "FluxInstance" and manifest.group == FLUX_OPERATOR_GROUP:
        sync = manifest.spec.get("sync")
        return (sync, ("spec", "sync")) if isinstance(sync, YMap) else None
    if manifest.kind == "HelmRelease" and manifest.group == "helm.toolkit.fluxcd.io":
        values = manifest.spec.get("values")
        instance = values.get("instance") if isinstance(values, YMap) else None
        sync = instance.get("sync") if isinstance(instance, YMap) else None
        if isinstance(sync, YMap):
            return sync, ("spec", "values", "instance", "sync")
    return None


def find_roots(walker: _Walker, cluster: str | None = None) -> list[Placed]:
    """Each cluster's sync Kustomization: what Flux starts from, one per cluster.

    ``--cluster PATH`` names the one to build. Otherwise every ``gotk-sync.yaml`` (written by
    ``flux bootstrap --path=P`` as ``P/flux-system/gotk-sync.yaml``; its flux-system
    Kustomization when it has one, else ``P`` itself), every FluxInstance ``spec.sync`` and
    every flux-instance HelmRelease's ``instance.sync`` is a root. Roots with the same path are
    one cluster.
    """
    if cluster is not None:
        return [_sync_root(cluster or ".", 1, "GitRepository", f"./{cluster}")]
    roots: dict[str, Placed] = {}
    for rel in sorted(walker.manifests):
        manifests = walker.manifests[rel]
        if base_name(rel) == "gotk-sync.yaml":
            own = [
                m
                for m in manifests
                if is_flux_kustomization(m)
                and m.name == SYNC_NAME
                and m.namespace in (None, SYNC_NAME)
            ]
            if own:
                root = Placed(own[0], SYNC_NAME)
            else:
                folder = parent_dir(rel)
                cluster_dir = parent_dir(folder) if base_name(folder) == SYNC_NAME else folder
                root = _sync_root(rel, 1, "GitRepository", f"./{cluster_dir}")
            roots.setdefault(flux_path(root) or "", root)
            continue
        for manifest in manifests:
            found = _instance_sync(manifest)
            if found is None:
                continue
            sync, at = found
            path = sync.get("path")
            if not isinstance(path, str):
                continue
            kind = sync.get("kind") if isinstance(sync.get("kind"), str) else "GitRepository"
            name = sync.get("name") if isinstance(sync.get("name"), str) else SYNC_NAME
            root = _sync_root(rel, manifest.line_of(*at), str(kind), path, str(name))
            where = flux_path(root)
            if where is not None and walker.files.is_dir(where):  # else: another repository
                roots.setdefault(where, root)
    return list(roots.values())


_NO_ROOT = _sync_root("", 1, "GitRepository", "./")


@dataclass
class Cluster:
    """One cluster's graph: its sync Kustomization and what is built from it."""

    name: str
    root: Placed
    builds: list[Build]
    repo_sources: set[tuple[str | None, str]]
    known_sources: set[tuple[str, str | None, str]]


def load_repository(root: Path, cluster: str | None = None) -> RepoModel:
    """Read the repository at ``root`` and build, per cluster, what each Flux Kustomization
    would apply (``cluster``: the one cluster path to build, from ``--cluster``)."""
    files = RepoFiles.scan(root)
    walker = _Walker(files)
    walker.load_all()
    clusters: list[Cluster] = []
    for sync in find_roots(walker, cluster):
        kind, namespace, name = _source_key(sync)
        sources: set[tuple[str | None, str]] = {(namespace or SYNC_NAME, name or SYNC_NAME)}
        known: set[tuple[str, str | None, str]] = {
            (kind or "GitRepository", namespace or SYNC_NAME, name or SYNC_NAME)
        }
        builds = _walk(walker, [sync], sources, any_git=False)
        label = flux_path(sync) or "."
        clusters.append(Cluster(label, sync, builds, sources, known))
    if not clusters:  # no root at all: every Flux object is one, as if something applied it
        roots = [
            Placed(m, m.namespace or SYNC_NAME)
            for ms in walker.manifests.values()
            for m in ms
            if m.is_object and m.group in (FLUX_KUSTOMIZE_GROUP, SOURCE_GROUP)
        ]
        sources = {
            (m.namespace or SYNC_NAME, m.name)
            for ms in walker.manifests.values()
            for m in ms
            if m.kind == "GitRepository" and m.group == SOURCE_GROUP
        }
        queue = [o for o in roots if is_flux_kustomization(o.manifest)]
        builds = _walk(walker, queue, sources, any_git=True)
        builds.insert(0, _root_build(roots, builds))
        clusters.append(Cluster(".", _NO_ROOT, builds, sources, set()))
    reachable: set[str] = set()
    for each in clusters:
        for build in each.builds:
            reachable |= build.files
    first = clusters[0]
    return RepoModel(
        files=files,
        manifests=walker.manifests,
        parse_errors=walker.parse_errors,
        builds=first.builds,
        problems=walker.problems,
        listed_files=walker.listed,
        commented_entries=walker.commented,
        resource_files=walker.resource_files,
        bootstrap=None if first.root is _NO_ROOT else first.root,
        repo_sources=first.repo_sources,
        known_sources=first.known_sources,
        clusters=clusters,
        all_reachable=frozenset(reachable),
        cluster_name=first.name,
        units=frozenset(walker.units),
    )


def _root_build(roots: list[Placed], builds: list[Build]) -> Build:
    """Without a root, the Flux objects no build reaches stand for what was applied."""
    reached = {rel for build in builds for rel in build.files}
    kept = [o for o in roots if o.manifest.file not in reached]
    return Build(owner=None, path="", objects=kept, files={o.manifest.file for o in kept})


def _walk(
    walker: _Walker, queue: list[Placed], repo_sources: set[tuple[str | None, str]], any_git: bool
) -> list[Build]:
    """Build each Flux Kustomization reached from ``queue``, breadth first, once each."""
    builds: list[Build] = []
    seen: set[tuple[str | None, str]] = set()
    injected: dict[tuple[str | None, str], list[YMap]] = {}
    pending: list[tuple[Placed, dict[str, str]]] = [(owner, {}) for owner in queue]
    while pending:
        owner, variables = pending.pop(0)
        key = key_of(owner)
        if key in seen:
            continue
        seen.add(key)
        build = _build_flux_kustomization(walker, owner, repo_sources, any_git, variables)
        build.injected = injected.get(key, [])
        builds.append(build)
        children = [o for o in build.objects if is_flux_kustomization(o.manifest)]
        if children:
            known = walker.post_build_variables(owner, build.injected)
            patches = _kustomization_patches(owner)
            for child in children:
                placed = Placed(child.manifest, child.namespace or "default")
                pending.append((placed, known))
                injected[key_of(placed)] = [
                    patch for target, patch in patches if _targets(target, child.manifest)
                ]
    return builds


def key_of(owner: Placed) -> tuple[str | None, str]:
    return (owner.namespace, owner.manifest.name)


def _kustomization_patches(owner: Placed) -> list[tuple[YMap | None, YMap]]:
    """(target, postBuild) of each ``spec.patches`` entry of a Flux Kustomization that
    patches child Kustomizations' ``spec.postBuild`` (a common way to give every app the
    cluster's variables)."""
    found: list[tuple[YMap | None, YMap]] = []
    for entry in owner.manifest.spec.get("patches") or ():
        if not isinstance(entry, YMap) or not isinstance(entry.get("patch"), str):
            continue
        parsed = parse_documents(entry["patch"])
        for doc in parsed.documents:
            body = doc.value
            if not isinstance(body, YMap) or body.get("kind") not in (None, "Kustomization"):
                continue
            spec = body.get("spec")
            post = spec.get("postBuild") if isinstance(spec, YMap) else None
            if isinstance(post, YMap):
                target = entry.get("target")
                found.append((target if isinstance(target, YMap) else None, post))
    return found


def _targets(target: YMap | None, manifest: Manifest) -> bool:
    """A kustomize patch target selects ``manifest`` (kind, group, name as a regex);
    label and annotation selectors are taken to match."""
    if target is None:
        return True
    kind, group, name = target.get("kind"), target.get("group"), target.get("name")
    if isinstance(kind, str) and kind != manifest.kind:
        return False
    if isinstance(group, str) and group != manifest.group:
        return False
    if isinstance(name, str):
        try:
            return re.fullmatch(name, manifest.name) is not None
        except re.error:
            return name == manifest.name
    return True


_VARIABLE = re.compile(r"\$\{([_a-zA-Z][_a-zA-Z0-9]*)(?::=([^}]*))?\}")


def substitute(text: str, variables: dict[str, str]) -> str:
    """Flux's post-build substitution of ``${VAR}`` and ``${VAR:=default}``; a variable
    without a value or default is left as it is (unknown here)."""

    def value(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in variables:
            return variables[name]
        return default if default is not None else match.group(0)

    return _VARIABLE.sub(value, text) if "${" in text else text


def flux_path(owner: Placed, variables: dict[str, str] | None = None) -> str | None:
    """``spec.path`` as a repo-relative directory ("" for the root); None if it escapes.

    ``variables`` are those of the parent Kustomization's post-build substitution, which
    Flux applies to this Kustomization object (its ``spec.path`` included) before applying it.
    """
    raw = owner.manifest.spec.get("path")
    text = raw if isinstance(raw, str) else "./"
    return normalize("", substitute(text, variables or {}))


def _artifact_path(
    walker: _Walker,
    namespace: str | None,
    name: str,
    path: str,
    repo_sources: set[tuple[str | None, str]],
) -> str | None:
    """Where ``path`` of ExternalArtifact ``name`` comes from in this repository, following
    the ArtifactGenerator's ``copy`` entries (``@alias/dir/**`` to ``@artifact/sub/``);
    None when it is not a plain copy of this repository."""
    for manifests in walker.manifests.values():
        for generator in manifests:
            if generator.kind != "ArtifactGenerator" or (generator.namespace or namespace) != (
                namespace
            ):
                continue
            aliases = {
                str(source.get("alias")): (source.get("namespace") or namespace, source.get("name"))
                for source in generator.spec.get("sources") or ()
                if isinstance(source, YMap)
            }
            for artifact in generator.spec.get("artifacts") or ():
                if not isinstance(artifact, YMap) or artifact.get("name") != name:
                    continue
                for copy in artifact.get("copy") or ():
                    found = _copied_from(copy, aliases, repo_sources, path)
                    if found is not None:
                        return found
    return None


def _copied_from(
    copy: Any,
    aliases: dict[str, tuple[Any, Any]],
    repo_sources: set[tuple[str | None, str]],
    path: str,
) -> str | None:
    if not isinstance(copy, YMap):
        return None
    source, target = copy.get("from"), copy.get("to")
    if not isinstance(source, str) or not isinstance(target, str) or not source.startswith("@"):
        return None
    alias, _, inner = source[1:].partition("/")
    if aliases.get(alias) not in repo_sources or not target.startswith("@artifact/"):
        return None
    inner = inner.removesuffix("**").removesuffix("*").strip("/")
    into = target.removeprefix("@artifact/").strip("/")
    if into and path != into and not path.startswith(f"{into}/"):
        return None
    rest = path[len(into) :].strip("/") if into else path
    return normalize(inner, rest)


def _build_flux_kustomization(
    walker: _Walker,
    owner: Placed,
    repo_sources: set[tuple[str | None, str]],
    any_git: bool,
    variables: dict[str, str],
) -> Build:
    kind, namespace, name = _source_key(owner)
    raw = owner.manifest.spec.get("path")
    path = flux_path(owner, variables)
    build = Build(owner=owner, path=path or "")
    from_this_repo = (namespace, name) in repo_sources or (
        kind == "GitRepository" and (any_git or not walker.defines_source(kind, name))
    )
    if kind == "ExternalArtifact" and path is not None:
        path = _artifact_path(walker, namespace, name, path, repo_sources)
        build.path = path or build.path
        from_this_repo = path is not None
    if isinstance(raw, str) and "${" in (path or ""):
        from_this_repo = False  # a variable no parent defines: not known offline
    if not from_this_repo or path is None or not walker.files.is_dir(path):
        build.remote = True
        build.built = False
        return build
    if walker.kustomization_file(path) is not None:
        walker.units.add(path)
    result = walker.build_directory(path)
    objects = list(result.objects)
    files = set(result.files)
    unknown = result.unknown
    components = owner.manifest.spec.get("components")
    if isinstance(components, YList):
        for index, entry in enumerate(components):
            if not isinstance(entry, str):
                continue
            part = _DirBuild()
            walker.add_resource(
                part, path, owner.manifest.file, components.line_of(index), entry, "components"
            )
            objects.extend(part.objects)
            files |= part.files
            unknown = unknown or part.unknown
    target = owner.manifest.spec.get("targetNamespace")
    if isinstance(target, str) and target:
        objects = [_with_namespace(o, target) for o in objects]
    build.objects = [
        o
        if o.namespace or o.manifest.kind in CLUSTER_SCOPED_KINDS
        else Placed(o.manifest, "default")
        for o in objects
    ]
    build.remote = unknown
    build.files = files
    build.broken = any(rel in walker.parse_errors for rel in build.files)
    return build
