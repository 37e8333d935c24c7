"""The status report: the lifecycle's Flux objects as a dependency tree, and the next step
for each that is not Ready, as frozen data (``glmctl status``). Core logic on top of the
gateway: it reads through :class:`ObjectReader` (a ``Cluster``) and never talks HTTP.

The root is the lifecycle Kustomization; under it come its source, the Kustomizations it
``dependsOn`` (recursively, each with its own source and dependencies) and the HelmRelease
it deploys (with its chart source). Each object is shown in full once; a Kustomization
reached again is one "see above" line, a source already shown is left out (except a
HelmRelease's chart source). A missing object, or a kind whose CRD is not
installed, is a node that says so: status must describe a broken cluster, not fail on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from glmctl.cluster import flux, resources
from glmctl.cluster.resources import ResourceType
from glmctl.errors import CrdNotInstalled, NotFound

if TYPE_CHECKING:
    from glmctl.cluster.client import Cluster
    from glmctl.config import Profile

Obj = dict[str, Any]

NOT_FOUND = "NotFound"


class ObjectReader(Protocol):
    """What the builder needs from a cluster: one read (``Cluster`` satisfies it)."""

    def get(self, rt: ResourceType, name: str, namespace: str | None = None) -> Obj: ...


@dataclass(frozen=True)
class StatusTargets:
    """Which objects ``glmctl status`` starts from: the profile's (``from_profile``), whose
    defaults are the deployment guide's names (``glmctl.config``, the one place for them).
    """

    kustomization_namespace: str
    kustomization_name: str
    helmrelease_namespace: str
    helmrelease_name: str

    @classmethod
    def from_profile(cls, profile: Profile) -> StatusTargets:
        """Names from a profile with ``flux.lifecycle_kustomization`` and ``flux.helm_release``."""
        kustomization = profile.flux.lifecycle_kustomization
        release = profile.flux.helm_release
        return cls(kustomization.namespace, kustomization.name, release.namespace, release.name)


@dataclass(frozen=True)
class FluxNode:
    """One object in the tree and how it stands.

    ``relation`` says why it is under its parent: ``root``, ``source``, ``dependsOn`` or
    ``deploys``. ``status`` is Ready / NotReady / Unknown / NotFound. ``repeated`` marks a
    Kustomization already shown in full higher up: it appears again without children, so
    a diamond of dependencies reads as a tree, not as the same subtree over and over.
    """

    kind: str
    namespace: str
    name: str
    relation: str
    found: bool
    ready: bool
    status: str
    suspended: bool = False
    reason: str = ""
    message: str = ""
    created: str = ""
    last_transition: str = ""
    repeated: bool = False
    children: tuple[FluxNode, ...] = field(default=())
    suspend_note: str = ""
    """Who suspended it, when and why (``glmctl rollback``'s annotations), if recorded."""
    progressing: bool = False
    """The controller is still working on it (Reconciling, or a generation not yet seen):
    its NotReady may yet turn Ready, so waiting, not troubleshooting, comes next."""

    @property
    def ref(self) -> str:
        """``Kind/namespace/name``."""
        return f"{self.kind}/{self.namespace}/{self.name}"

    def walk(self) -> list[FluxNode]:
        """This node and every node below it, depth first (repeats included)."""
        found = [self]
        for child in self.children:
            found.extend(child.walk())
        return found

    def age(self, now: datetime) -> str:
        """Time since creation, kubectl style (``45s``, ``12m``, ``3h``, ``5d``), or ``-``."""
        return format_age(self.created, now)


@dataclass(frozen=True)
class NextStep:
    """What to run next about an object that is not Ready, and why."""

    command: str
    why: str
    ref: str


@dataclass(frozen=True)
class StatusReport:
    """The tree, the context it was read from, and whether everything in it is Ready."""

    context: str
    root: FluxNode

    @property
    def nodes(self) -> list[FluxNode]:
        """Every object shown, once each, depth first."""
        return [node for node in self.root.walk() if not node.repeated]

    @property
    def all_ready(self) -> bool:
        """True when every object shown exists and is Ready."""
        return all(node.ready for node in self.nodes)

    @property
    def not_ready(self) -> list[FluxNode]:
        """The nodes that are missing or not Ready."""
        return [node for node in self.nodes if not node.ready]

    @property
    def next_steps(self) -> list[NextStep]:
        """What to run next, one step per command, causes before the lifecycle Kustomization.

        The root's own failure is mostly its health check on what it deploys, so it gets a
        step of its own only when nothing below it explains it.
        """
        below = [node for node in self.nodes if node is not self.root]
        # resuming comes first: nothing else moves while an object is suspended
        ordered = sorted([*below, self.root], key=lambda node: not node.suspended)
        found: dict[str, NextStep] = {}
        for node in ordered:
            if node is self.root and not node.suspended and found:
                continue
            step = next_step(node)
            if step is not None and step.command not in found:
                found[step.command] = step
        return list(found.values())


def next_step(node: FluxNode) -> NextStep | None:
    """The command for one object: resume a suspended one, follow one still progressing,
    troubleshoot a failed HelmRelease, describe anything else that failed."""
    kind = node.kind.lower()
    where = f"{node.kind}/{node.name}"
    if node.suspended:
        if node.suspend_note:
            return NextStep(
                "glmctl rollback --undo",
                f"{where} was {node.suspend_note}; --undo resumes it",
                node.ref,
            )
        return NextStep(
            f"flux resume {kind} {node.name} -n {node.namespace}",
            f"{where} is suspended: Flux does not reconcile it",
            node.ref,
        )
    if node.ready:
        return None
    if not node.found:
        return _missing_step(node)
    if node.progressing or node.status == "Unknown":
        return NextStep("glmctl monitor", f"{where} is still reconciling", node.ref)
    if node.kind == "HelmRelease":
        return NextStep(
            "glmctl troubleshoot helmrelease",
            f"{where} failed: {node.reason or node.status}",
            node.ref,
        )
    return NextStep(
        f"kubectl describe {kind} {node.name} -n {node.namespace}",
        f"{where} failed: {node.reason or node.status}",
        node.ref,
    )


def lifecycle_namespaces(cluster: Cluster, profile: Profile) -> list[str]:
    """Every namespace holding a Kustomization named like the profile's lifecycle one:
    where ``-A/--all-namespaces`` finds the Flux objects (one list, by field selector)."""
    name = profile.flux.lifecycle_kustomization.name
    found = cluster.list(resources.KUSTOMIZATION, None, field_selector=f"metadata.name={name}")
    return sorted({str((obj.get("metadata") or {}).get("namespace") or "") for obj in found})


def build_status(
    reader: ObjectReader, targets: StatusTargets, *, context: str = ""
) -> StatusReport:
    """Read the lifecycle's Flux objects and arrange them by dependsOn."""
    builder = _Builder(reader)
    root = builder.kustomization(
        targets.kustomization_namespace, targets.kustomization_name, "root", frozenset()
    )
    release = builder.helmrelease(
        targets.helmrelease_namespace, targets.helmrelease_name, "deploys", frozenset()
    )
    root = replace(root, children=(*root.children, release))
    return StatusReport(context=context, root=root)


class _Builder:
    """Reads each object once (sources are shared) and turns it into nodes."""

    def __init__(self, reader: ObjectReader) -> None:
        self._reader = reader
        self._cache: dict[tuple[str, str, str], Obj | str] = {}
        self._shown: set[tuple[str, str, str]] = set()

    def kustomization(
        self, namespace: str, name: str, relation: str, path: frozenset[tuple[str, str]]
    ) -> FluxNode:
        return self._flux_object(resources.KUSTOMIZATION, namespace, name, relation, path)

    def helmrelease(
        self, namespace: str, name: str, relation: str, path: frozenset[tuple[str, str]]
    ) -> FluxNode:
        return self._flux_object(resources.HELMRELEASE, namespace, name, relation, path)

    def _flux_object(
        self,
        rt: ResourceType,
        namespace: str,
        name: str,
        relation: str,
        path: frozenset[tuple[str, str]],
    ) -> FluxNode:
        obj = self._read(rt, namespace, name)
        key = (rt.kind, namespace, name)
        if key in self._shown:
            if isinstance(obj, str):
                return replace(_missing(rt.kind, namespace, name, relation, obj), repeated=True)
            return replace(_node(rt.kind, obj, relation), repeated=True)
        self._shown.add(key)
        if isinstance(obj, str):
            return _missing(rt.kind, namespace, name, relation, obj)
        node = _node(rt.kind, obj, relation)
        children: list[FluxNode] = []
        ref = flux.source_ref(obj)
        if ref is not None:
            source_key = (ref.kind, ref.namespace, ref.name)
            if source_key not in self._shown:
                self._shown.add(source_key)
                children.append(self._source(ref))
            elif rt == resources.HELMRELEASE:
                # Kustomizations mostly share one repository: repeating it is noise. Where a
                # chart comes from is what one asks about a failing HelmRelease, so say it.
                children.append(replace(self._source(ref), repeated=True))
        here = path | {(rt.kind, f"{namespace}/{name}")}
        for dep_namespace, dep_name in flux.depends_on(obj):
            if (rt.kind, f"{dep_namespace}/{dep_name}") in here:
                children.append(
                    _missing(
                        rt.kind,
                        dep_namespace,
                        dep_name,
                        "dependsOn",
                        "dependency cycle: already shown above",
                        status="Unknown",
                    )
                )
                continue
            children.append(self._flux_object(rt, dep_namespace, dep_name, "dependsOn", here))
        return replace(node, children=tuple(children))

    def _source(self, ref: flux.SourceRef) -> FluxNode:
        rt = resources.for_source_kind(ref.kind)
        if rt is None:
            return _missing(
                ref.kind, ref.namespace, ref.name, "source", f"unknown source kind {ref.kind}"
            )
        obj = self._read(rt, ref.namespace, ref.name)
        if isinstance(obj, str):
            return _missing(rt.kind, ref.namespace, ref.name, "source", obj)
        return _node(rt.kind, obj, "source")

    def _read(self, rt: ResourceType, namespace: str, name: str) -> Obj | str:
        """The object, or a sentence saying why there is none (not found, CRD missing)."""
        key = (rt.kind, namespace, name)
        if key not in self._cache:
            try:
                self._cache[key] = self._reader.get(rt, name, namespace)
            except NotFound:
                self._cache[key] = "not found"
            except CrdNotInstalled as error:
                self._cache[key] = error.message.rstrip(".")
        return self._cache[key]


def _node(kind: str, obj: Obj, relation: str) -> FluxNode:
    metadata = obj.get("metadata") or {}
    state = flux.readiness(obj)
    ready_condition = flux.find_condition(obj, flux.READY) or {}
    return FluxNode(
        kind=kind,
        namespace=str(metadata.get("namespace", "")),
        name=str(metadata.get("name", "")),
        relation=relation,
        found=True,
        ready=state.ready,
        status=state.label,
        suspended=state.suspended,
        reason=state.reason,
        message=state.message,
        created=str(metadata.get("creationTimestamp") or ""),
        last_transition=str(ready_condition.get("lastTransitionTime") or ""),
        suspend_note=flux.suspend_note(obj),
        progressing=(state.reconciling or state.stale) and not state.stalled,
    )


def _missing_step(node: FluxNode) -> NextStep | None:
    where = f"{node.kind}/{node.name}"
    if node.status != NOT_FOUND:  # a dependency cycle: the tree already says where
        return None
    if "CRD" in node.message:
        return NextStep("glmctl preflight", f"{where}: {node.message}", node.ref)
    if node.kind == "HelmRelease":  # its Kustomization creates it
        return NextStep(
            "glmctl monitor", f"{where} does not exist yet: follow its deploy", node.ref
        )
    return NextStep(
        "glmctl config show", f"{where} not found: is the name in the profile right?", node.ref
    )


def _missing(
    kind: str, namespace: str, name: str, relation: str, why: str, *, status: str = NOT_FOUND
) -> FluxNode:
    return FluxNode(
        kind=kind,
        namespace=namespace,
        name=name,
        relation=relation,
        found=False,
        ready=False,
        status=status,
        reason=NOT_FOUND if status == NOT_FOUND else "DependencyCycle",
        message=why,
    )


def format_age(timestamp: str, now: datetime) -> str:
    """kubectl-like coarse age of an RFC 3339 timestamp; ``-`` when unknown."""
    if not timestamp:
        return "-"
    try:
        then = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        return "-"
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d"
