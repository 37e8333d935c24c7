"""Reads shared by every step of one run: one list per kind, namespace and selector.

A preflight looks at the same pods, Jobs and Kustomizations from several checks, and
those checks run concurrently. Asking the API once per check (or worse, once per object)
would make a run's request count grow with the size of the cluster; instead each list is
made once per run, unpaginated, and every check filters it in memory. Concurrent steps
that want the same list wait for the one request in flight rather than sending their own.

The cache lives beside the cluster handle, which the engine creates once per run, so a
new run (a new handle) always reads fresh state. Failed reads are not cached, a step's
retry asks the API again, and a write through the handle empties the cache (see
:class:`_SharedReads`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from glmctl.cluster.resources import ResourceType
from glmctl.steps.registry import StepContext

Obj = dict[str, Any]
T = TypeVar("T")

UNPAGINATED = 0
"""``page_size`` for one request per list: a paginated list costs one request per 500
objects, which is exactly the growth with cluster size these checks must not have."""


class _Once:
    """A value computed by the first caller; later and concurrent callers get the same."""

    def __init__(self, compute: Callable[[], Any]) -> None:
        self._compute = compute
        self._lock = threading.Lock()
        self._done = False
        self._value: Any = None
        self.readers: set[str] = set()

    def get(self) -> Any:
        with self._lock:
            if not self._done:
                self._value = self._compute()  # an exception leaves it to be tried again
                self._done = True
            return self._value


class _SharedReads:
    """The run's cache for one cluster handle: entries by key, each remembering its readers.

    An entry is served to each step once. When a step asks again for a key it has already
    read (its retry after a failed attempt), the API is asked again and the fresh answer
    replaces the entry: a retry exists to see a change. Any write through the handle
    (create, patch, delete) empties the cache, so a check after a change sees the change.
    """

    WRITE_METHODS = ("create", "patch_merge", "patch_json", "delete")

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster
        self._lock = threading.Lock()
        self._entries: dict[Hashable, _Once] = {}
        self._forget_after_writes()

    def entry(self, key: Hashable, reader: str, compute: Callable[[], Any]) -> _Once:
        with self._lock:
            found = self._entries.get(key)
            if found is None or reader in found.readers:
                found = self._entries[key] = _Once(compute)
            found.readers.add(reader)
            return found

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()

    def _forget_after_writes(self) -> None:
        for name in self.WRITE_METHODS:
            original = getattr(self.cluster, name, None)
            if original is None:
                continue

            def write(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.forget()

            setattr(self.cluster, name, write)


class ClusterReads:
    """One attempt's view of the run's reads (``reads(ctx)`` makes one per attempt).

    Within the view a key is read at most once; across views the run's shared entries are
    reused, so concurrent checks that need the same list send one request between them.
    """

    def __init__(self, shared: _SharedReads, reader: str) -> None:
        self._shared = shared
        self._reader = reader
        self._seen: dict[Hashable, Any] = {}
        self.cluster = shared.cluster

    def _once(self, key: Hashable, compute: Callable[[], T]) -> T:
        if key not in self._seen:
            self._seen[key] = self._shared.entry(key, self._reader, compute).get()
        value: T = self._seen[key]
        return value

    def objects(
        self, rt: ResourceType, namespace: str | None = None, label_selector: str | None = None
    ) -> list[Obj]:
        """Every object of ``rt`` in ``namespace`` (all when None) matching the selector."""
        return self._once(
            ("list", rt, namespace, label_selector or ""),
            lambda: list(
                self.cluster.list(
                    rt, namespace, label_selector=label_selector, page_size=UNPAGINATED
                )
            ),
        )

    def by_name(self, rt: ResourceType, namespace: str | None = None) -> dict[str, Obj]:
        """The list of ``rt`` in ``namespace`` keyed by object name."""
        return {name_of(obj): obj for obj in self.objects(rt, namespace)}

    def served(self, rt: ResourceType) -> bool:
        """The server serves ``rt`` (its CRD is installed), from discovery."""
        return self._once(("served", rt.group, rt.plural), lambda: bool(self.cluster.is_served(rt)))

    def server_version(self) -> str:
        """The API server's ``gitVersion``."""
        return self._once(("version",), lambda: str(self.cluster.server_version()))

    def logs(self, pod: str, namespace: str, container: str | None, tail_lines: int) -> str:
        """The last ``tail_lines`` lines of one container's log."""
        return self._once(
            ("logs", namespace, pod, container, tail_lines),
            lambda: str(
                self.cluster.pod_logs(pod, namespace, tail_lines=tail_lines, container=container)
            ),
        )


_BY_CLUSTER: weakref.WeakKeyDictionary[Any, _SharedReads] = weakref.WeakKeyDictionary()
_BY_CLUSTER_LOCK = threading.Lock()


def reads(ctx: StepContext) -> ClusterReads:
    """A fresh view of this run's shared reads; call once per attempt of a step.

    Connects the cluster handle on first use.
    """
    cluster = ctx.cluster
    with _BY_CLUSTER_LOCK:
        shared = _BY_CLUSTER.get(cluster)
        if shared is None:
            shared = _BY_CLUSTER[cluster] = _SharedReads(cluster)
    return ClusterReads(shared, ctx.step_id)


def name_of(obj: Obj) -> str:
    """``metadata.name``."""
    return str((obj.get("metadata") or {}).get("name") or "")


def namespace_of(obj: Obj) -> str:
    """``metadata.namespace`` (empty for cluster-scoped objects)."""
    return str((obj.get("metadata") or {}).get("namespace") or "")


def labels_of(obj: Obj) -> dict[str, str]:
    """``metadata.labels``."""
    return dict((obj.get("metadata") or {}).get("labels") or {})


def annotations_of(obj: Obj) -> dict[str, str]:
    """``metadata.annotations``."""
    return dict((obj.get("metadata") or {}).get("annotations") or {})
