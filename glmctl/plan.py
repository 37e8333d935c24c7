"""Plans: what a mutating command is about to do, as data, before it does any of it.

A plan is built by *reading* the cluster and the repository (listing, never guessing), is
printed, confirmed, journaled, and then executed item by item. What is executed is exactly
what the plan holds: deletes go by name with the uid and resourceVersion the plan read, so
an object that appeared or changed after the plan is left alone and reported.

This module also holds the safety rules every destructive plan passes through: a label
selector must not be empty and must not reach objects without the lifecycle's labels, and
a plan touching more than :data:`SANE_BOUND` objects needs ``--force``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from glmctl.errors import UsageError

if TYPE_CHECKING:
    from glmctl.repo.kustomize_edit import EditResult

SANE_BOUND = 50
"""More objects than this in one plan needs ``--force`` as well as confirmation."""

ActionKind = Literal["suspend", "resume", "annotate", "reconcile", "delete", "create", "edit-file"]
ItemState = Literal["todo", "already"]

Obj = dict[str, Any]
FileEdit = Callable[[str], "EditResult"]
"""The pure edit an ``edit-file`` item applies to the file's text when it is carried out."""


@dataclass(frozen=True)
class PlanItem:
    """One change the command will make (``todo``) or found already made (``already``).

    ``object`` is the manifest as read when planning (for the journal and for the delete
    preconditions); renderers show only the kind, name, action and detail.
    """

    id: str
    action: ActionKind
    kind: str
    name: str
    namespace: str | None = None
    api_version: str = ""
    detail: str = ""
    state: ItemState = "todo"
    uid: str | None = None
    resource_version: str | None = None
    object: Obj | None = field(default=None, repr=False, compare=False)
    patch: Obj | None = field(default=None, repr=False, compare=False)
    wait_gone: bool = False
    """After deleting, wait until the object is gone (finalizers, Helm uninstall) before
    the next item, so a following reconcile re-creates it instead of meeting it."""

    @property
    def target(self) -> str:
        """``Kind/namespace/name``, ``Kind/name`` or, for a file, its path."""
        if self.kind == "File":
            return self.name
        return (
            f"{self.kind}/{self.namespace}/{self.name}"
            if self.namespace
            else f"{self.kind}/{self.name}"
        )

    @property
    def is_object(self) -> bool:
        """A cluster object (not a file in the repository)."""
        return self.kind != "File"


@dataclass(frozen=True)
class Plan:
    """Everything one command run will do, in order, plus what the operator should know."""

    command: str
    items: tuple[PlanItem, ...]
    notes: tuple[str, ...] = ()
    diff: str = ""
    """The unified diff of repository files the plan edits (empty when none)."""
    edits: Mapping[str, FileEdit] = field(default_factory=dict, repr=False, compare=False)
    """Each ``edit-file`` item's id → the edit to apply (re-read and re-applied at run time)."""
    journal_name: str = ""
    """The command name journal entries of this plan carry (default: ``command``), which an
    interrupted run is found by: ``journal restore`` for every ``journal restore ID``."""

    @property
    def journaled_as(self) -> str:
        """The command name this plan's journal entry is recorded (and resumed) under."""
        return self.journal_name or self.command

    @property
    def todo(self) -> tuple[PlanItem, ...]:
        """Items that still have to be done."""
        return tuple(item for item in self.items if item.state == "todo")

    @property
    def nothing_to_do(self) -> bool:
        return not self.todo

    def object_count(self) -> int:
        """Cluster objects that will change or be deleted."""
        return len({item.target for item in self.todo if item.is_object})


def object_item(
    action: ActionKind,
    obj: Obj,
    *,
    detail: str = "",
    state: ItemState = "todo",
    patch: Obj | None = None,
) -> PlanItem:
    """A plan item for ``obj`` as read from the cluster, with its delete preconditions."""
    metadata = obj.get("metadata") or {}
    kind = str(obj.get("kind", "?"))
    namespace = metadata.get("namespace")
    name = str(metadata.get("name", "?"))
    ref = f"{kind}/{namespace}/{name}" if namespace else f"{kind}/{name}"
    return PlanItem(
        id=f"{action} {ref}",
        action=action,
        kind=kind,
        name=name,
        namespace=str(namespace) if namespace else None,
        api_version=str(obj.get("apiVersion", "")),
        detail=detail,
        state=state,
        uid=metadata.get("uid"),
        resource_version=metadata.get("resourceVersion"),
        object=obj,
        patch=patch,
    )


# --------------------------------------------------------------------------- safety

_EQUALITY = re.compile(r"^\s*([A-Za-z0-9./_-]+)\s*(==|=)\s*([A-Za-z0-9._-]*)\s*$")


def equality_labels(selector: str) -> dict[str, str]:
    """The ``key=value`` requirements of a selector (set-based ones are not counted)."""
    labels: dict[str, str] = {}
    for part in _split_requirements(selector):
        match = _EQUALITY.match(part)
        if match:
            labels[match.group(1)] = match.group(3)
    return labels


def _split_requirements(selector: str) -> list[str]:
    """Split on commas outside ``in (a,b)`` parentheses."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part for part in parts if part.strip()]


def check_selector(selector: str, lifecycle_selector: str) -> None:
    """Refuse a selector that is empty or could reach beyond the lifecycle's objects.

    The selector must require every ``key=value`` label of the lifecycle's own selector
    (it may add more, which only narrows it). Anything else could match objects without
    the lifecycle's labels, and a delete by such a selector is how clusters get emptied.
    """
    if not selector.strip():
        from glmctl.config import Selectors

        raise UsageError(
            "refusing an empty label selector: it would match every object.",
            hint=f"Set selectors.lifecycle in glmctl.yaml (default {Selectors().lifecycle}).",
        )
    required = equality_labels(lifecycle_selector)
    if not required:
        raise UsageError(
            f"the lifecycle selector {lifecycle_selector!r} has no key=value label to check "
            "deletions against.",
            hint="Make selectors.lifecycle in glmctl.yaml name the lifecycle's labels (key=value).",
        )
    given = equality_labels(selector)
    missing = {key: value for key, value in required.items() if given.get(key) != value}
    if missing:
        wanted = ",".join(f"{key}={value}" for key, value in missing.items())
        raise UsageError(
            f"refusing selector {selector!r}: it could match objects without the lifecycle's "
            f"labels ({wanted}).",
            hint=f"Include {wanted} in the selector.",
        )


def check_labels(objects: Iterable[Obj], lifecycle_selector: str) -> None:
    """Refuse when a listed object lacks the lifecycle's labels (the server ignored part of
    the selector, or a label was removed between list and plan): never delete those."""
    required = equality_labels(lifecycle_selector)
    for obj in objects:
        metadata = obj.get("metadata") or {}
        labels: Mapping[str, str] = metadata.get("labels") or {}
        if any(labels.get(key) != value for key, value in required.items()):
            name = f"{obj.get('kind', '?')}/{metadata.get('namespace', '')}/{metadata.get('name')}"
            raise UsageError(
                f"refusing to plan: {name} was listed but does not carry the lifecycle's labels.",
                hint="Check the selector and the object's labels; nothing was changed.",
            )


def check_bound(plan: Plan, *, force: bool, bound: int = SANE_BOUND) -> None:
    """More than ``bound`` objects is more than this lifecycle ever has: demand ``--force``."""
    count = plan.object_count()
    if count > bound and not force:
        raise UsageError(
            f"the plan changes or deletes {count} objects, more than the sane bound of {bound}.",
            hint="Read the plan; if it is right, run again with --force (and confirm).",
        )


def dependency_order(objs: Sequence[Obj]) -> list[Obj]:
    """``objs`` sorted so each comes after the ones it ``dependsOn`` (stable otherwise).

    Resuming in this order lets a dependency reconcile before what needs it, as Flux
    itself would on a fresh cluster. A cycle keeps the remaining objects' given order.
    """
    from glmctl.cluster.flux import depends_on

    def key(obj: Obj) -> tuple[str, str]:
        metadata = obj.get("metadata") or {}
        return (str(metadata.get("namespace") or ""), str(metadata.get("name") or ""))

    remaining = list(objs)
    present = {key(obj) for obj in remaining}
    ordered: list[Obj] = []
    placed: set[tuple[str, str]] = set()
    while remaining:
        ready = [
            obj
            for obj in remaining
            if all(dep in placed or dep not in present for dep in depends_on(obj))
        ]
        if not ready:  # a cycle: keep the given order for what is left
            ready = remaining[:1]
        for obj in ready:
            ordered.append(obj)
            placed.add(key(obj))
            remaining.remove(obj)
    return ordered
