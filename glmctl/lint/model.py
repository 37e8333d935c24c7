"""Lint's data: findings (what rules return) and manifests (what the loader builds)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar, overload

from glmctl.lint.yamlio import YMap

T = TypeVar("T")


class memo(Generic[T]):
    """``functools.cached_property`` without its per-access lock (Python 3.11 takes one).

    A non-data descriptor: the first access stores the value in the instance ``__dict__``,
    which then shadows the descriptor; frozen dataclasses allow this, as it bypasses
    ``__setattr__``. Lint reads these fields hundreds of thousands of times per run.
    """

    def __init__(self, compute: Callable[[Any], T]) -> None:
        self.compute = compute
        self.name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type) -> memo[T]: ...
    @overload
    def __get__(self, instance: object, owner: type) -> T: ...
    def __get__(self, instance: object | None, owner: type) -> T | memo[T]:
        if instance is None:
            return self
        value = self.compute(instance)
        instance.__dict__[self.name] = value
        return value


class Severity(StrEnum):
    """How bad a finding is; only errors make ``glmctl lint`` exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class ObjectRef:
    """The object a finding is about, as ``kubectl`` would name it."""

    kind: str
    namespace: str | None
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


@dataclass(frozen=True)
class Finding:
    """One thing wrong (or worth knowing) in the repository, at a file and line."""

    rule: str
    severity: Severity
    file: str
    line: int
    message: str
    column: int = 1
    object: ObjectRef | None = None
    fix: str | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Findings read top to bottom per file."""
        return (self.file, self.line, self.column, self.rule, self.message)


CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterSecretStore",
        "ClusterExternalSecret",
        "ClusterIssuer",
        "StorageClass",
        "PersistentVolume",
        "PriorityClass",
        "IngressClass",
        "RuntimeClass",
        "CSIDriver",
        "Node",
        "APIService",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ClusterPolicy",
        "VolumeSnapshotClass",
        "GatewayClass",
    }
)


@dataclass(frozen=True)
class Manifest:
    """One Kubernetes object as a file defines it, before any kustomization touches it."""

    file: str
    line: int
    body: YMap
    index: int  # position of the document in its file

    @memo
    def api_version(self) -> str:
        return _text(self.body.get("apiVersion"))

    @memo
    def group(self) -> str:
        return self.api_version.rpartition("/")[0] if "/" in self.api_version else ""

    @memo
    def kind(self) -> str:
        return _text(self.body.get("kind"))

    @memo
    def metadata(self) -> YMap:
        meta = self.body.get("metadata")
        return meta if isinstance(meta, YMap) else _empty_map(self.line)

    @memo
    def name(self) -> str:
        return _text(self.metadata.get("name"))

    @memo
    def namespace(self) -> str | None:
        value = self.metadata.get("namespace")
        return value if isinstance(value, str) and value else None

    @memo
    def spec(self) -> YMap:
        spec = self.body.get("spec")
        return spec if isinstance(spec, YMap) else _empty_map(self.line)

    @property
    def is_object(self) -> bool:
        """Looks like a Kubernetes object: both apiVersion and kind are set."""
        return bool(self.api_version and self.kind)

    def line_of(self, *path: str | int) -> int:
        """Line of the deepest part of ``path`` that exists (the document's line if none)."""
        return line_at(self.body, *path, default=self.line)


def line_at(node: Any, *path: str | int, default: int) -> int:
    """Line of ``node[path...]``: each step's own line, as deep as the path goes."""
    line = default
    for step in path:
        if isinstance(node, YMap) and isinstance(step, str) and step in node:
            line = node.line_of(step)
            node = node[step]
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            line = node.line_of(step) if hasattr(node, "line_of") else line
            node = node[step]
        else:
            break
    return line


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _empty_map(line: int) -> YMap:
    empty = YMap()
    empty.line = line
    empty.key_lines = {}
    return empty


@dataclass(frozen=True)
class Placed:
    """A manifest as a build places it: namespace after kustomize's override."""

    manifest: Manifest
    namespace: str | None
    renamed: str | None = None  # a Namespace object renamed by a kustomization namespace:

    @property
    def name(self) -> str:
        return self.renamed or self.manifest.name

    @property
    def ref(self) -> ObjectRef:
        return ObjectRef(self.manifest.kind, self.namespace, self.name)

    @property
    def identity(self) -> tuple[str, str, str | None, str]:
        """(group, kind, namespace, name): what makes two objects the same object."""
        return (self.manifest.group, self.manifest.kind, self.namespace, self.name)


@dataclass(frozen=True)
class Problem:
    """Something the loader met while following references; a rule turns it into a finding."""

    kind: str  # "missing", "ignored", "outside", "remote", "not-a-kustomization"
    file: str
    line: int
    entry: str
    detail: str = ""


@dataclass
class Build:
    """What one Flux Kustomization (or the bootstrap root) produces from its ``spec.path``."""

    owner: Placed | None
    path: str
    objects: list[Placed] = field(default_factory=list)
    remote: bool = False  # a remote base is part of it: its contents are unknown offline
    built: bool = True  # False when spec.path or the source could not be followed at all
    files: set[str] = field(default_factory=set)
    broken: bool = False  # a file it reads does not parse: kustomize fails before anything
    injected: list[YMap] = field(default_factory=list)  # postBuilds the parent patches in

    def post_builds(self) -> list[YMap]:
        """Every postBuild that applies: the parent's injected ones, then the owner's own."""
        own = self.owner.manifest.spec.get("postBuild") if self.owner else None
        return [*self.injected, *([own] if isinstance(own, YMap) else [])]
