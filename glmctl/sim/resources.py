"""The simulator's resource registry: built-in kinds plus those CRDs register.

Discovery, routing, tables and RBAC all ask this registry what a resource is (its group,
versions, kind, scope, short names, printer columns, whether it has a status
subresource), so adding a CRD to the store makes every one of them know the new kind.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
CRD_GROUP = "apiextensions.k8s.io"


@dataclass(frozen=True)
class PrinterColumn:
    """One column of a Table: its header, type, JSONPath and priority (0 = always shown)."""

    name: str
    type: str
    json_path: str
    description: str = ""
    priority: int = 0
    format: str = ""


@dataclass(frozen=True)
class ResourceType:
    """What the API knows about one resource (a plural name within a group)."""

    group: str
    versions: tuple[str, ...]
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    has_status: bool = False
    subresources: tuple[str, ...] = ()
    printer_columns: tuple[PrinterColumn, ...] = ()
    from_crd: bool = False
    singular: str = ""

    @property
    def preferred_version(self) -> str:
        return self.versions[0]

    def api_version(self, version: str | None = None) -> str:
        v = version or self.preferred_version
        return f"{self.group}/{v}" if self.group else v

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"


def _rt(
    group: str,
    version: str,
    plural: str,
    kind: str,
    namespaced: bool,
    *,
    short: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    verbs: tuple[str, ...] = ALL_VERBS,
    status: bool = False,
    subresources: tuple[str, ...] = (),
) -> ResourceType:
    subs = (("status",) if status else ()) + subresources
    return ResourceType(
        group=group,
        versions=(version,),
        plural=plural,
        kind=kind,
        namespaced=namespaced,
        short_names=short,
        categories=categories,
        verbs=verbs,
        has_status=status,
        subresources=subs,
        singular=kind.lower(),
    )


_NO_WATCH_CREATE_ONLY = ("create",)
_READ_ONLY = ("get", "list", "watch")

BUILTINS: tuple[ResourceType, ...] = (
    _rt("", "v1", "namespaces", "Namespace", False, short=("ns",), status=True),
    _rt(
        "",
        "v1",
        "pods",
        "Pod",
        True,
        short=("po",),
        categories=("all",),
        status=True,
        subresources=("log",),
    ),
    _rt("", "v1", "services", "Service", True, short=("svc",), categories=("all",), status=True),
    _rt("", "v1", "secrets", "Secret", True),
    _rt("", "v1", "configmaps", "ConfigMap", True, short=("cm",)),
    _rt("", "v1", "serviceaccounts", "ServiceAccount", True, short=("sa",)),
    _rt("", "v1", "events", "Event", True, short=("ev",)),
    # A view of the core Events (glmctl.sim.events); read-only in the simulator.
    _rt("events.k8s.io", "v1", "events", "Event", True, short=("ev",), verbs=_READ_ONLY),
    _rt("batch", "v1", "jobs", "Job", True, categories=("all",), status=True),
    _rt(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        True,
        short=("deploy",),
        categories=("all",),
        status=True,
    ),
    _rt(
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        True,
        short=("rs",),
        categories=("all",),
        status=True,
    ),
    _rt("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    _rt("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    _rt("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    _rt("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    _rt(
        "authorization.k8s.io",
        "v1",
        "selfsubjectaccessreviews",
        "SelfSubjectAccessReview",
        False,
        verbs=_NO_WATCH_CREATE_ONLY,
    ),
    _rt(
        "authorization.k8s.io",
        "v1",
        "selfsubjectrulesreviews",
        "SelfSubjectRulesReview",
        False,
        verbs=_NO_WATCH_CREATE_ONLY,
    ),
    _rt(
        "authentication.k8s.io",
        "v1",
        "selfsubjectreviews",
        "SelfSubjectReview",
        False,
        verbs=_NO_WATCH_CREATE_ONLY,
    ),
    _rt(
        CRD_GROUP,
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
        short=("crd", "crds"),
        categories=("api-extensions",),
        status=True,
    ),
)


def _printer_columns(version: Obj) -> tuple[PrinterColumn, ...]:
    cols = []
    for col in version.get("additionalPrinterColumns") or []:
        cols.append(
            PrinterColumn(
                name=str(col.get("name", "")),
                type=str(col.get("type", "string")),
                json_path=str(col.get("jsonPath", "")),
                description=str(col.get("description", "")),
                priority=int(col.get("priority", 0)),
                format=str(col.get("format", "")),
            )
        )
    return tuple(cols)


def resource_from_crd(crd: Obj) -> ResourceType:
    """The resource a CustomResourceDefinition object defines (served versions only).

    The storage version is listed first so that it is the preferred version, as the
    real server's discovery does unless told otherwise.
    """
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = [v for v in spec.get("versions") or [] if v.get("served", True)]
    versions.sort(key=lambda v: 0 if v.get("storage") else 1)
    if not versions:
        raise ValueError("a CRD needs at least one served version")
    first = versions[0]
    has_status = "status" in ((first.get("subresources")) or {})
    return ResourceType(
        group=str(spec.get("group", "")),
        versions=tuple(str(v["name"]) for v in versions),
        plural=str(names.get("plural", "")),
        kind=str(names.get("kind", "")),
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        short_names=tuple(names.get("shortNames") or ()),
        categories=tuple(names.get("categories") or ()),
        has_status=has_status,
        subresources=("status",) if has_status else (),
        printer_columns=_printer_columns(first),
        from_crd=True,
        singular=str(names.get("singular") or str(names.get("kind", "")).lower()),
    )


@dataclass
class Registry:
    """Built-in resources plus those registered by CRD objects; thread-safe."""

    _by_key: dict[tuple[str, str], ResourceType] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        for rt in BUILTINS:
            self._by_key[(rt.group, rt.plural)] = rt

    def register(self, rt: ResourceType) -> None:
        with self._lock:
            self._by_key[(rt.group, rt.plural)] = rt

    def unregister(self, group: str, plural: str) -> None:
        with self._lock:
            rt = self._by_key.get((group, plural))
            if rt is not None and rt.from_crd:
                del self._by_key[(group, plural)]

    def get(self, group: str, plural: str) -> ResourceType | None:
        with self._lock:
            return self._by_key.get((group, plural))

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The resource served at ``/apis/group/version/plural``, if that version is served."""
        rt = self.get(group, plural)
        return rt if rt is not None and version in rt.versions else None

    def for_api_version_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        with self._lock:
            for rt in self._by_key.values():
                if rt.group == group and rt.kind == kind and version in rt.versions:
                    return rt
        return None

    def all(self) -> list[ResourceType]:
        with self._lock:
            return list(self._by_key.values())

    def group_versions(self) -> dict[str, list[str]]:
        """Group name → served versions (preferred first), for ``/apis``."""
        out: dict[str, list[str]] = {}
        for rt in self.all():
            if not rt.group:
                continue
            versions = out.setdefault(rt.group, [])
            for v in rt.versions:
                if v not in versions:
                    versions.append(v)
        return out

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [rt for rt in self.all() if rt.group == group and version in rt.versions]
