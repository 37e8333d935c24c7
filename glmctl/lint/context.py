"""What rules look things up in: indexes over the built objects, computed once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from glmctl.lint.loader import (
    UNKNOWN_KEYS_ANNOTATION,
    RepoModel,
    is_flux_kustomization,
)
from glmctl.lint.model import Finding, Manifest, ObjectRef, Placed, Severity, memo
from glmctl.lint.schemas import Schemas
from glmctl.lint.settings import LintSettings
from glmctl.lint.yamlio import YMap
from glmctl.suggest import closest

HELM_GROUP = "helm.toolkit.fluxcd.io"
ARTIFACT_GROUP = "source.extensions.fluxcd.io"
ESO_GROUP = "external-secrets.io"


@dataclass(frozen=True)
class Producer:
    """Something that yields a Secret or ConfigMap; ``keys`` None when they are unknowable."""

    kind: str  # "Secret" or "ConfigMap"
    namespace: str | None
    name: str
    keys: frozenset[str] | None
    source: Manifest | None  # None for secrets declared in glmctl.yaml
    how: str  # "Secret manifest", "ExternalSecret", "CloudNativePG Cluster", ...


class LintContext:
    """The model plus settings, and the lookups rules share."""

    def __init__(
        self,
        model: RepoModel,
        settings: LintSettings,
        *,
        kustomize: str = "builtin",
        helm: str | None = None,
    ) -> None:
        self.model = model
        self.settings = settings
        self.kustomize = kustomize  # "kubectl": also build with the real kustomize
        self.helm = helm  # the helm program that renders local charts (--render-charts)
        self.shared: dict[str, Any] = {}  # results rules share within one run

    # -- findings ------------------------------------------------------------------------

    @staticmethod
    def finding(
        rule: str,
        severity: Severity,
        manifest_or_file: Manifest | str,
        line: int,
        message: str,
        *,
        obj: ObjectRef | None = None,
        fix: str | None = None,
        column: int = 1,
    ) -> Finding:
        file = manifest_or_file if isinstance(manifest_or_file, str) else manifest_or_file.file
        return Finding(rule, severity, file, line, message, column, obj, fix)

    # -- objects -------------------------------------------------------------------------

    @memo
    def placed(self) -> list[Placed]:
        """Every reached object once, even if two Kustomizations both build it."""
        seen: set[tuple[str, int, int, str | None]] = set()
        result: list[Placed] = []
        for obj in self.model.placed():
            key = (obj.manifest.file, obj.manifest.index, obj.manifest.line, obj.namespace)
            if key not in seen:
                seen.add(key)
                result.append(obj)
        return result

    def of_kind(self, kind: str, group: str | None = None) -> list[Placed]:
        return [
            o
            for o in self.placed
            if o.manifest.kind == kind and (group is None or o.manifest.group == group)
        ]

    @memo
    def flux_kustomizations(self) -> dict[tuple[str | None, str], Placed]:
        """Reached Flux Kustomizations, and the bootstrap one even if its path was not found."""
        found = {
            (o.namespace, o.manifest.name): o
            for o in self.placed
            if is_flux_kustomization(o.manifest)
        }
        root = self.model.bootstrap
        if root is not None:
            found.setdefault((root.namespace, root.manifest.name), root)
        return found

    @memo
    def helmreleases(self) -> dict[tuple[str | None, str], Placed]:
        return {(o.namespace, o.manifest.name): o for o in self.of_kind("HelmRelease", HELM_GROUP)}

    @memo
    def helm_namespaces(self) -> dict[str, str]:
        """Namespace → a HelmRelease installing into it: charts may create objects there."""
        found: dict[str, str] = {}
        for (namespace, name), release in self.helmreleases.items():
            target = release.manifest.spec.get("targetNamespace")
            where = target if isinstance(target, str) and target else namespace
            if where:
                found.setdefault(where, f"{namespace}/{name}")
        return found

    def sources(self, kinds: Iterable[str]) -> dict[tuple[str, str | None, str], Placed]:
        """Flux sources the cluster's builds define, ExternalArtifacts generated included."""
        wanted = set(kinds)
        found = {
            (o.manifest.kind, o.namespace, o.manifest.name): o
            for o in self.placed
            if o.manifest.kind in wanted and o.manifest.group.endswith("toolkit.fluxcd.io")
        }
        if "ExternalArtifact" in wanted:
            for generator in self.of_kind("ArtifactGenerator", ARTIFACT_GROUP):
                for _, name in generated_artifacts(generator.manifest):
                    found.setdefault(("ExternalArtifact", generator.namespace, name), generator)
        return found

    def declared(self, kind: str, namespace: str | None, name: str) -> bool:
        """Declared in glmctl.yaml (lint.external_objects) as created outside the repository."""
        return any(
            d.kind == kind and d.name == name and d.namespace in (namespace, None)
            for d in self.settings.external_objects
        )

    @memo
    def schemas(self) -> Schemas:
        """Kubernetes' schemas and those of the CRDs anywhere in the repository."""
        crds: list[dict[str, Any]] = [
            m.body
            for ms in self.model.manifests.values()
            for m in ms
            if m.kind == "CustomResourceDefinition" and m.group == "apiextensions.k8s.io"
        ]
        return Schemas(crds)

    # -- Secrets and ConfigMaps ----------------------------------------------------------

    @memo
    def producers(self) -> dict[tuple[str, str | None, str], list[Producer]]:
        """(kind, namespace, name) → what produces it among the reached objects and config."""
        index: dict[tuple[str, str | None, str], list[Producer]] = {}
        for obj in self.placed:
            for producer in producers_of(obj.manifest, obj.namespace):
                index.setdefault((producer.kind, producer.namespace, producer.name), []).append(
                    producer
                )
        for declared in self.settings.external_secrets:
            keys = frozenset(declared.keys) if declared.keys else None
            producer = Producer(
                "Secret", declared.namespace, declared.name, keys, None, "glmctl.yaml"
            )
            index.setdefault(("Secret", declared.namespace, declared.name), []).append(producer)
        return index

    @memo
    def unreachable_producers(self) -> dict[tuple[str, str], list[Producer]]:
        """(kind, name) → producers in files no kustomization reaches."""
        index: dict[tuple[str, str], list[Producer]] = {}
        for manifest in self.model.unreachable_manifests:
            for producer in producers_of(manifest, manifest.namespace):
                index.setdefault((producer.kind, producer.name), []).append(producer)
        return index

    def elsewhere(self, kind: str, name: str) -> list[Producer]:
        """Reached producers of ``kind``/``name`` in any namespace."""
        return [
            p
            for (k, _, n), found in self.producers.items()
            if k == kind and n == name
            for p in found
        ]

    # -- fixes ---------------------------------------------------------------------------

    @staticmethod
    def closest(name: str, candidates: Iterable[str]) -> str | None:
        matches = closest(name, candidates, n=1)
        return matches[0] if matches else None

    def kustomization_for(self, rel: str) -> str | None:
        """The kustomization file nearest above ``rel``: where it would need to be listed."""
        parent = PurePosixPath(rel).parent
        while True:
            directory = "" if str(parent) == "." else str(parent)
            for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
                candidate = f"{directory}/{name}" if directory else name
                if self.model.files.is_file(candidate):
                    return candidate
            if not directory:
                return None
            parent = parent.parent


def generated_artifacts(generator: Manifest) -> list[tuple[YMap, str]]:
    """(entry, name) of each ExternalArtifact an ArtifactGenerator produces."""
    artifacts = generator.spec.get("artifacts")
    if not isinstance(artifacts, list):
        return []
    return [
        (entry, entry["name"])
        for entry in artifacts
        if isinstance(entry, YMap) and isinstance(entry.get("name"), str)
    ]


def producers_of(manifest: Manifest, namespace: str | None) -> list[Producer]:
    """Secrets/ConfigMaps ``manifest`` yields, by kind and operator convention."""
    kind, group, spec = manifest.kind, manifest.group, manifest.spec
    if kind in ("Secret", "ConfigMap") and group == "":
        return [
            Producer(
                kind, namespace, manifest.name, _data_keys(manifest), manifest, f"{kind} manifest"
            )
        ]
    if kind == "ExternalSecret" and group == ESO_GROUP:
        target = spec.get("target")
        name = target.get("name") if isinstance(target, YMap) else None
        return [
            Producer(
                "Secret",
                namespace,
                name if isinstance(name, str) and name else manifest.name,
                _external_secret_keys(spec),
                manifest,
                "ExternalSecret",
            )
        ]
    if kind == "Cluster" and group == "postgresql.cnpg.io":
        return [
            Producer(
                "Secret",
                namespace,
                f"{manifest.name}-{suffix}",
                None,
                manifest,
                "CloudNativePG Cluster",
            )
            for suffix in ("superuser", "app")
        ]
    if kind == "Certificate" and group == "cert-manager.io":
        secret = spec.get("secretName")
        if isinstance(secret, str):
            keys = frozenset({"tls.crt", "tls.key", "ca.crt"})
            return [
                Producer("Secret", namespace, secret, keys, manifest, "cert-manager Certificate")
            ]
    if kind == "SealedSecret" and group == "bitnami.com":
        return [Producer("Secret", namespace, manifest.name, None, manifest, "SealedSecret")]
    return []


def _data_keys(manifest: Manifest) -> frozenset[str] | None:
    annotations = manifest.metadata.get("annotations")
    if isinstance(annotations, dict) and annotations.get(UNKNOWN_KEYS_ANNOTATION):
        return None
    keys: set[str] = set()
    for field in ("data", "stringData", "binaryData"):
        values = manifest.body.get(field)
        if isinstance(values, dict):
            keys.update(str(k) for k in values)
    return frozenset(keys)


def _external_secret_keys(spec: YMap) -> frozenset[str] | None:
    """Keys of the target Secret: ``data[].secretKey`` and ``template.data``; dataFrom: unknown."""
    if spec.get("dataFrom"):
        return None
    keys: set[str] = set()
    for item in spec.get("data") or []:
        if isinstance(item, dict) and isinstance(item.get("secretKey"), str):
            keys.add(item["secretKey"])
    target = spec.get("target")
    template = target.get("template") if isinstance(target, dict) else None
    if isinstance(template, dict):
        if template.get("templateFrom"):
            return None
        data = template.get("data")
        if isinstance(data, dict):
            keys.update(str(k) for k in data)
    return frozenset(keys)


def walk_strings(node: Any, line: int, needle: str = "") -> list[tuple[str, int]]:
    """String values below ``node`` containing ``needle``, with their lines.

    Aliased containers are visited once, so a "billion laughs" document stays cheap.
    """
    found: list[tuple[str, int]] = []
    visited: set[int] = set()
    stack: list[tuple[Any, int]] = [(node, line)]
    while stack:
        value, at = stack.pop()
        if id(value) in visited:
            continue
        visited.add(id(value))
        if isinstance(value, YMap):
            lines = value.key_lines
            for key, item in value.items():
                if isinstance(item, str):
                    if needle in item:
                        found.append((item, lines.get(key, at)))
                elif isinstance(item, (dict, list)):
                    stack.append((item, lines.get(key, at)))
        elif isinstance(value, list):
            item_lines = getattr(value, "item_lines", None)
            for index, item in enumerate(value):
                where = item_lines[index] if item_lines and index < len(item_lines) else at
                if isinstance(item, str):
                    if needle in item:
                        found.append((item, where))
                elif isinstance(item, (dict, list)):
                    stack.append((item, where))
        elif isinstance(value, dict):
            stack.extend((item, at) for item in value.values() if isinstance(item, (dict, list)))
            found.extend(
                (item, at) for item in value.values() if isinstance(item, str) and needle in item
            )
        elif isinstance(value, str) and needle in value:
            found.append((value, at))
    return found
