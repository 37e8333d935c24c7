"""The simulated cluster's state: an in-memory, thread-safe object store with the API's
write semantics (resourceVersion, generation, status subresource, finalizers, owner
garbage collection, namespaces) and a bounded history of watch events.

Stored objects are never mutated in place: every write builds a new dict. That lets the
HTTP server JSON-encode references taken under the lock without copying them, which is
what keeps a list of ten thousand pods cheap. The :class:`~glmctl.sim.contracts.SimStore`
methods hand controllers deep copies, as the contract says.
"""

from __future__ import annotations

import base64
import itertools
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from glmctl.sim.apply import ApplyConflict
from glmctl.sim.apply import apply as server_side_apply
from glmctl.sim.apply import conflict_message as apply_conflict_message
from glmctl.sim.patches import (
    JSON_PATCH,
    MERGE,
    STRATEGIC,
    PatchError,
    json_patch,
    merge_patch,
    strategic_merge_patch,
)
from glmctl.sim.resources import CRD_GROUP, Registry, ResourceType, resource_from_crd

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace or "", name)

DEFAULT_HISTORY = 1000
_IMMORTAL_NAMESPACES = frozenset({"default", "kube-system", "kube-public"})
_SPEC_EXCLUDED = frozenset({"metadata", "status", "apiVersion", "kind"})
_SERVER_METADATA = ("uid", "creationTimestamp", "deletionTimestamp", "generation")


class ApiError(Exception):
    """An API failure carried as the ``Status`` body the real server would send."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: Obj | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> Obj:
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def qualified(rt: ResourceType) -> str:
    """``pods`` or ``helmreleases.helm.toolkit.fluxcd.io``: how messages name a resource."""
    return f"{rt.plural}.{rt.group}" if rt.group else rt.plural


def _details(rt: ResourceType, name: str) -> Obj:
    details: Obj = {"name": name, "kind": rt.plural}
    if rt.group:
        details["group"] = rt.group
    return details


def not_found(rt: ResourceType, name: str) -> ApiError:
    return ApiError(
        404, "NotFound", f'{qualified(rt)} "{name}" not found', details=_details(rt, name)
    )


def already_exists(rt: ResourceType, name: str) -> ApiError:
    return ApiError(
        409, "AlreadyExists", f'{qualified(rt)} "{name}" already exists', details=_details(rt, name)
    )


def conflict(rt: ResourceType, name: str, why: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {qualified(rt)} "{name}": {why}',
        details=_details(rt, name),
    )


def invalid(rt: ResourceType, name: str, field: str, why: str) -> ApiError:
    details = _details(rt, name)
    details["kind"] = rt.kind
    details["causes"] = [{"reason": "FieldValueInvalid", "message": why, "field": field}]
    return ApiError(
        422, "Invalid", f'{rt.kind} "{name}" is invalid: {field}: {why}', details=details
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def gone(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def clone(value: Any) -> Any:
    """A deep copy of decoded JSON, several times faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def clone_obj(obj: Obj) -> Obj:
    """:func:`clone` for an object, typed as one."""
    return {k: clone(v) for k, v in obj.items()}


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spec_of(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in _SPEC_EXCLUDED}


def _without_rv(obj: Obj) -> Obj:
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k != "resourceVersion"}
    return {**obj, "metadata": meta}


@dataclass(frozen=True)
class WatchEvent:
    """One change, as a watch stream reports it; ``previous`` lets a filtered watch turn a
    change into ADDED or DELETED when an object enters or leaves its selector."""

    rv: int
    type: str  # ADDED, MODIFIED, DELETED
    group: str
    plural: str
    namespace: str
    obj: Obj
    previous: Obj | None


@dataclass(frozen=True)
class Preconditions:
    uid: str | None = None
    resource_version: str | None = None


class Store:
    """The in-memory API state; implements :class:`glmctl.sim.contracts.SimStore`."""

    def __init__(self, registry: Registry | None = None) -> None:
        self.registry = registry or Registry()
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._objects: dict[tuple[str, str], dict[Key, Obj]] = {}
        self._dependents: dict[str, set[tuple[str, str, str, str]]] = {}
        self._by_uid: dict[str, tuple[str, str, Key]] = {}  # uid -> (group, plural, key)
        self._foreground: set[str] = set()  # uids waiting on foregroundDeletion
        self._deletion_policy: dict[str, str] = {}
        self._logs: dict[Key, str] = {}
        self._rv = 0
        self._history: deque[WatchEvent] = deque(maxlen=DEFAULT_HISTORY)
        self._compacted_rv = 0
        self._clock_offset = timedelta()

    # --- clock, versions, history ----------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(UTC) + self._clock_offset

    def advance(self, seconds: float) -> None:
        """Move the simulator's clock forward (for TTLs and ages in tests)."""
        with self._lock:
            self._clock_offset += timedelta(seconds=seconds)

    @property
    def resource_version(self) -> int:
        with self._lock:
            return self._rv

    def set_history_limit(self, size: int) -> None:
        """Keep only the last ``size`` watch events; older resourceVersions become 410."""
        with self._lock:
            kept = list(self._history)[-size:] if size > 0 else []
            dropped = len(self._history) - len(kept)
            if dropped:
                self._compacted_rv = self._history[dropped - 1].rv
            self._history = deque(kept, maxlen=max(size, 1))
            if size <= 0:
                self._compacted_rv = self._rv

    def compact(self) -> None:
        """Forget the history so far: watches from an older resourceVersion get 410."""
        with self._lock:
            self._history.clear()
            self._compacted_rv = self._rv

    def check_not_compacted(self, rv: int, what: str) -> None:
        """Raise 410 Expired if events after ``rv`` are no longer retained."""
        with self._lock:
            if rv < self._compacted_rv:
                raise gone(what)

    def events_after(self, rv: int, timeout: float) -> list[WatchEvent]:
        """Events with resourceVersion greater than ``rv``, waiting up to ``timeout``
        seconds for one; 410 Expired when ``rv`` has left the retained window."""
        with self._changed:
            if rv < self._compacted_rv:
                raise gone(f"too old resource version: {rv} ({self._compacted_rv + 1})")
            if self._rv <= rv:
                self._changed.wait(timeout)
            if rv < self._compacted_rv:
                raise gone(f"too old resource version: {rv} ({self._compacted_rv + 1})")
            if not self._history or self._rv <= rv:
                return []
            start = max(0, rv + 1 - self._history[0].rv)
            return list(itertools.islice(self._history, start, None))

    def wake_watchers(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def _emit(self, event_type: str, rt: ResourceType, obj: Obj, previous: Obj | None) -> None:
        ns = (obj.get("metadata") or {}).get("namespace", "")
        if len(self._history) == self._history.maxlen and self._history:
            self._compacted_rv = self._history[0].rv
        self._history.append(
            WatchEvent(self._rv, event_type, rt.group, rt.plural, ns, obj, previous)
        )
        self._changed.notify_all()

    def _next_rv(self) -> str:
        self._rv += 1
        return str(self._rv)

    # --- resolution ------------------------------------------------------------------

    def resource_for(self, obj: Obj) -> ResourceType:
        api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
        rt = self.registry.for_api_version_kind(api_version, kind)
        if rt is None:
            raise ApiError(
                404,
                "NotFound",
                f"the server could not find the requested resource ({kind} {api_version})",
            )
        return rt

    def _resource(self, group: str, plural: str) -> ResourceType:
        rt = self.registry.get(group, plural)
        if rt is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return rt

    def _bucket(self, rt: ResourceType) -> dict[Key, Obj]:
        return self._objects.setdefault((rt.group, rt.plural), {})

    @staticmethod
    def _key(rt: ResourceType, namespace: str | None, name: str) -> Key:
        return (namespace or "" if rt.namespaced else "", name)

    # --- reads used by the HTTP server (references, never mutate) -----------------------

    def read(self, rt: ResourceType, namespace: str | None, name: str) -> Obj:
        with self._lock:
            obj = self._bucket(rt).get(self._key(rt, namespace, name))
            if obj is None:
                raise not_found(rt, name)
            return obj

    def select(
        self,
        rt: ResourceType,
        namespace: str | None,
        predicate: Callable[[Obj], bool] | None = None,
        name: str | None = None,
        after: Key | None = None,
    ) -> tuple[list[Obj], int]:
        """Matching objects sorted by (namespace, name), and the list's resourceVersion.

        ``after`` skips keys up to and including it (a continue token's position) before
        the predicate runs, so each page of a paginated list costs less than the first.
        """
        with self._lock:
            bucket = self._bucket(rt)
            keys: Iterable[Key] = bucket.keys()
            if name is not None:
                keys = [k for k in keys if k[1] == name]
            if namespace is not None:
                keys = [k for k in keys if k[0] == namespace]
            if after is not None:
                keys = [k for k in keys if k > after]
            ordered = sorted(keys)
            if predicate is None:
                items = [bucket[k] for k in ordered]
            else:
                items = [o for o in (bucket[k] for k in ordered) if predicate(o)]
            return items, self._rv

    def pod_log(self, namespace: str, name: str) -> str | None:
        with self._lock:
            return self._logs.get((namespace, name))

    # --- writes (shared by the HTTP server and the SimStore methods) -------------------

    def create_object(
        self,
        rt: ResourceType,
        obj: Obj,
        *,
        namespace: str | None = None,
        dry_run: bool = False,
        keep_status: bool = True,
        created_at: str | None = None,
    ) -> Obj:
        """Create ``obj`` as resource ``rt``; ``keep_status=False`` is the API's behaviour
        for kinds with a status subresource (status is only written through it).
        ``created_at`` backdates ``creationTimestamp`` (a scenario's object that has
        existed for a while)."""
        with self._lock:
            new = clone_obj(obj)
            meta = new.setdefault("metadata", {})
            if not isinstance(meta, dict):
                raise bad_request("metadata must be an object")
            name = meta.get("name") or ""
            if not name and meta.get("generateName"):
                name = f"{meta['generateName']}{uuid.uuid4().hex[:5]}"
                meta["name"] = name
            if not name:
                raise invalid(
                    rt, "", "metadata.name", "Required value: name or generateName is required"
                )
            self._place_namespace(rt, new, namespace)
            ns = meta.get("namespace")
            if rt.namespaced:
                self._require_namespace(str(ns))
            key = self._key(rt, ns, name)
            if key in self._bucket(rt):
                raise already_exists(rt, name)
            new["apiVersion"] = rt.api_version(_version_of(obj, rt))
            new["kind"] = rt.kind
            meta.pop("deletionTimestamp", None)
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = created_at or timestamp(self.now())
            if rt.has_status or rt.from_crd or rt.plural == "customresourcedefinitions":
                meta["generation"] = 1
            if not keep_status and rt.has_status:
                new.pop("status", None)
            _merge_string_data(rt, new)
            self._defaults_on_create(rt, new)
            if dry_run:
                meta["resourceVersion"] = str(self._rv)
                return new
            meta["resourceVersion"] = self._next_rv()
            self._put(rt, key, new, None)
            self._emit("ADDED", rt, new, None)
            return new

    def _place_namespace(self, rt: ResourceType, obj: Obj, namespace: str | None) -> None:
        meta = obj["metadata"]
        if not rt.namespaced:
            meta.pop("namespace", None)
            return
        body_ns = meta.get("namespace")
        if namespace and body_ns and body_ns != namespace:
            raise bad_request(
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        meta["namespace"] = namespace or body_ns or "default"

    def _require_namespace(self, namespace: str) -> None:
        ns_rt = self._resource("", "namespaces")
        ns_obj = self._bucket(ns_rt).get(("", namespace))
        if ns_obj is None:
            raise not_found(ns_rt, namespace)
        if (ns_obj.get("metadata") or {}).get("deletionTimestamp"):
            raise ApiError(
                403,
                "Forbidden",
                f"unable to create new content in namespace {namespace} because it is being "
                "terminated",
                details={"name": namespace, "kind": "namespaces"},
            )

    def _defaults_on_create(self, rt: ResourceType, obj: Obj) -> None:
        if rt.group == "" and rt.plural == "namespaces":
            obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
            obj["status"] = {**(obj.get("status") or {}), "phase": "Active"}
        elif rt.group == "" and rt.plural == "pods" and "status" not in obj:
            obj["status"] = {"phase": "Pending"}
        elif rt.group == "batch" and rt.plural == "jobs":
            _default_job_selector(obj)
        elif rt.group == CRD_GROUP and rt.plural == "customresourcedefinitions":
            try:
                defined = resource_from_crd(obj)
            except (ValueError, KeyError, TypeError) as err:
                raise invalid(rt, obj["metadata"]["name"], "spec.versions", str(err)) from err
            expected = f"{defined.plural}.{defined.group}"
            if obj["metadata"]["name"] != expected:
                raise invalid(
                    rt,
                    obj["metadata"]["name"],
                    "metadata.name",
                    f'Invalid value: "{obj["metadata"]["name"]}": must be spec.names.'
                    f'plural+"."+spec.group',
                )
            obj["status"] = _crd_status(obj)

    def replace_object(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        obj: Obj,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
        keep_status: bool = False,
    ) -> Obj:
        """PUT semantics: optimistic concurrency on resourceVersion, status only through
        the status subresource (unless ``keep_status``: the SimStore ``update`` on a kind
        without one), generation bumped on spec changes, no-op writes not recorded."""
        with self._lock:
            current = self.read(rt, namespace, name)
            body_meta = obj.get("metadata") or {}
            if body_meta.get("name") not in (None, name):
                raise bad_request(
                    f"the name of the object ({body_meta.get('name')}) does not match the "
                    f"name on the URL ({name})"
                )
            rv = body_meta.get("resourceVersion")
            if rv and rv != current["metadata"].get("resourceVersion"):
                raise conflict(
                    rt,
                    name,
                    "the object has been modified; please apply your "
                    "changes to the latest version and try again",
                )
            new = clone_obj(obj)
            if subresource == "status":
                merged = {**current, "status": new.get("status")}
                if merged["status"] is None:
                    merged.pop("status")
                new = clone_obj(merged)
            else:
                new.setdefault("metadata", {})
                if rt.has_status and not keep_status:
                    if "status" in current:
                        new["status"] = clone(current["status"])
                    else:
                        new.pop("status", None)
            return self._commit_update(rt, current, new, dry_run=dry_run)

    def _commit_update(self, rt: ResourceType, current: Obj, new: Obj, *, dry_run: bool) -> Obj:
        _merge_string_data(rt, new)
        meta = new["metadata"]
        cur_meta = current["metadata"]
        for field in _SERVER_METADATA:
            if field in cur_meta:
                meta[field] = cur_meta[field]
            else:
                meta.pop(field, None)
        meta["name"] = cur_meta["name"]
        if rt.namespaced:
            meta["namespace"] = cur_meta["namespace"]
        else:
            meta.pop("namespace", None)
        new["apiVersion"] = current["apiVersion"]
        new["kind"] = rt.kind
        if "generation" in cur_meta and _spec_of(new) != _spec_of(current):
            meta["generation"] = int(cur_meta["generation"]) + 1
        if rt.group == CRD_GROUP and rt.plural == "customresourcedefinitions":
            self._defaults_on_create(rt, new)
        meta["resourceVersion"] = cur_meta.get("resourceVersion", "")
        if _without_rv(new) == _without_rv(current):
            return current
        if dry_run:
            return new
        if cur_meta.get("deletionTimestamp") and not meta.get("finalizers"):
            self._remove(rt, current)
            return new
        meta["resourceVersion"] = self._next_rv()
        key = self._key(rt, cur_meta.get("namespace"), cur_meta["name"])
        self._put(rt, key, new, current)
        self._emit("MODIFIED", rt, new, current)
        self._release_foreground_owners()
        return new

    def patch_object(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        content_type: str,
        patch: Any,
        *,
        subresource: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        with self._lock:
            current = self.read(rt, namespace, name)
            try:
                if content_type == MERGE:
                    patched = merge_patch(current, patch)
                elif content_type == JSON_PATCH:
                    patched = json_patch(current, patch)
                elif content_type == STRATEGIC and not rt.from_crd:
                    patched = strategic_merge_patch(current, patch)
                else:
                    raise ApiError(
                        415,
                        "UnsupportedMediaType",
                        "the body of the request was in an unknown format - accepted media "
                        "types include: application/json-patch+json, "
                        "application/merge-patch+json, application/apply-patch+yaml",
                    )
            except PatchError as err:
                raise ApiError(422, "Invalid", str(err)) from err
            if not isinstance(patched, dict):
                raise bad_request("a patch must produce an object")
            return self.replace_object(
                rt, namespace, name, patched, subresource=subresource, dry_run=dry_run
            )

    def apply_object(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        applied: Obj,
        *,
        manager: str,
        force: bool,
        dry_run: bool = False,
    ) -> tuple[Obj, bool]:
        """Server-side apply (``glmctl.sim.apply``); returns the object and whether it was
        created."""
        if not manager:
            raise bad_request(
                "PATCH, application/apply-patch+yaml requests require the fieldManager parameter"
            )
        with self._lock:
            api_version = str(applied.get("apiVersion") or rt.api_version())
            try:
                current = self.read(rt, namespace, name)
            except ApiError as err:
                if err.code != 404:
                    raise
                fresh = {"metadata": {"name": name}}
                merged = server_side_apply(
                    fresh, applied, manager, api_version, force=force, now=self.now()
                )
                merged["apiVersion"], merged["kind"] = api_version, rt.kind
                created = self.create_object(
                    rt, merged, namespace=namespace, dry_run=dry_run, keep_status=False
                )
                return created, True
            try:
                merged = server_side_apply(
                    current, applied, manager, api_version, force=force, now=self.now()
                )
            except ApplyConflict as err:
                raise ApiError(
                    409,
                    "Conflict",
                    apply_conflict_message(err.conflicts),
                    details={
                        **_details(rt, name),
                        "causes": [
                            {
                                "reason": "FieldManagerConflict",
                                "message": f'conflict with "{who}"',
                                "field": "." + ".".join(path),
                            }
                            for who, path in err.conflicts
                        ],
                    },
                ) from err
            merged["metadata"].pop("resourceVersion", None)
            return self.replace_object(rt, namespace, name, merged, dry_run=dry_run), False

    def delete_object(
        self,
        rt: ResourceType,
        namespace: str | None,
        name: str,
        *,
        propagation: str | None = None,
        preconditions: Preconditions | None = None,
        dry_run: bool = False,
    ) -> tuple[Obj, bool]:
        """Delete as the API does; returns the object's last state and whether it is gone
        (False when finalizers keep it, with ``deletionTimestamp`` set)."""
        with self._lock:
            current = self.read(rt, namespace, name)
            meta = current["metadata"]
            pre = preconditions or Preconditions()
            if pre.uid and pre.uid != meta.get("uid"):
                raise conflict(
                    rt,
                    name,
                    f"Precondition failed: UID in precondition: {pre.uid}, "
                    f"UID in object meta: {meta.get('uid')}",
                )
            if pre.resource_version and pre.resource_version != meta.get("resourceVersion"):
                raise conflict(
                    rt,
                    name,
                    f"Precondition failed: ResourceVersion in precondition: "
                    f"{pre.resource_version}, ResourceVersion in object meta: "
                    f"{meta.get('resourceVersion')}",
                )
            if rt.group == "" and rt.plural == "namespaces" and name in _IMMORTAL_NAMESPACES:
                raise ApiError(
                    403,
                    "Forbidden",
                    f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                    details={"name": name, "kind": "namespaces"},
                )
            policy = propagation or _default_propagation(rt)
            if policy not in ("Orphan", "Background", "Foreground"):
                raise invalid(
                    rt,
                    name,
                    "propagationPolicy",
                    f'Unsupported value: "{policy}": supported values: "Foreground", '
                    '"Background", "Orphan"',
                )
            if dry_run:
                return current, not meta.get("finalizers")
            if meta.get("deletionTimestamp"):
                return current, False
            uid = str(meta.get("uid"))
            self._deletion_policy[uid] = policy
            if policy == "Orphan":
                self._orphan_dependents(uid)
            elif policy == "Foreground":
                for dep in sorted(self._dependents.get(uid, ())):
                    self._delete_dependent(dep, "Foreground")
            if rt.group == "" and rt.plural == "namespaces":
                return self._mark_terminating(rt, current), False
            finalizers = list(meta.get("finalizers") or [])
            if policy == "Foreground" and self._dependents.get(uid):
                finalizers.append("foregroundDeletion")
            if finalizers:
                marked = clone_obj(current)
                marked["metadata"]["deletionTimestamp"] = timestamp(self.now())
                marked["metadata"]["deletionGracePeriodSeconds"] = 0
                marked["metadata"]["finalizers"] = finalizers
                marked["metadata"]["resourceVersion"] = self._next_rv()
                key = self._key(rt, meta.get("namespace"), name)
                self._put(rt, key, marked, current)
                self._emit("MODIFIED", rt, marked, current)
                return marked, False
            return self._remove(rt, current), True

    def _remove(self, rt: ResourceType, current: Obj) -> Obj:
        meta = current["metadata"]
        key = self._key(rt, meta.get("namespace"), meta["name"])
        last = clone_obj(current)
        last["metadata"]["resourceVersion"] = self._next_rv()
        self._drop(rt, key, current)
        self._emit("DELETED", rt, last, current)
        uid = str(meta.get("uid"))
        policy = self._deletion_policy.pop(uid, "Background")
        if rt.group == CRD_GROUP and rt.plural == "customresourcedefinitions":
            self._drop_crd_resource(current)
        if policy == "Orphan":
            self._orphan_dependents(uid)
        else:
            for dep in sorted(self._dependents.get(uid, ())):
                self._collect_dependent(dep, uid)
        self._release_foreground_owners()
        return last

    def _orphan_dependents(self, owner_uid: str) -> None:
        for group, plural, ns, name in sorted(self._dependents.get(owner_uid, ())):
            dep_rt = self.registry.get(group, plural)
            dep = self._bucket(dep_rt).get((ns, name)) if dep_rt else None
            if dep_rt is None or dep is None:
                continue
            stripped = clone_obj(dep)
            refs = [
                r
                for r in stripped["metadata"].get("ownerReferences") or []
                if r.get("uid") != owner_uid
            ]
            if refs:
                stripped["metadata"]["ownerReferences"] = refs
            else:
                stripped["metadata"].pop("ownerReferences", None)
            self._commit_update(dep_rt, dep, stripped, dry_run=False)

    def _collect_dependent(self, dep: tuple[str, str, str, str], owner_uid: str) -> None:
        """The garbage collector's step for one dependent of a removed owner: delete it
        when no owner remains, else drop the dangling reference."""
        group, plural, ns, name = dep
        dep_rt = self.registry.get(group, plural)
        obj = self._bucket(dep_rt).get((ns, name)) if dep_rt else None
        if dep_rt is None or obj is None:
            return
        remaining = [
            r
            for r in obj["metadata"].get("ownerReferences") or []
            if r.get("uid") != owner_uid and self._uid_exists(str(r.get("uid")))
        ]
        if remaining:
            stripped = clone_obj(obj)
            stripped["metadata"]["ownerReferences"] = remaining
            self._commit_update(dep_rt, obj, stripped, dry_run=False)
        else:
            self.delete_object(dep_rt, ns or None, name, propagation="Background")

    def _delete_dependent(self, dep: tuple[str, str, str, str], policy: str) -> None:
        group, plural, ns, name = dep
        dep_rt = self.registry.get(group, plural)
        if dep_rt is not None and (ns, name) in self._bucket(dep_rt):
            self.delete_object(dep_rt, ns or None, name, propagation=policy)

    def _release_foreground_owners(self) -> None:
        """Remove ``foregroundDeletion`` from owners whose dependents are all gone."""
        for uid in [u for u in self._foreground if not self._dependents.get(u)]:
            self._foreground.discard(uid)
            where = self._by_uid.get(uid)
            rt = self.registry.get(where[0], where[1]) if where else None
            obj = self._bucket(rt).get(where[2]) if rt and where else None
            if rt is None or obj is None:
                continue
            released = clone_obj(obj)
            released["metadata"]["finalizers"] = [
                f for f in obj["metadata"].get("finalizers") or [] if f != "foregroundDeletion"
            ]
            self._commit_update(rt, obj, released, dry_run=False)

    def _uid_exists(self, uid: str) -> bool:
        return uid in self._by_uid

    def _mark_terminating(self, rt: ResourceType, current: Obj) -> Obj:
        """A deleted namespace: ``Terminating`` until the namespace controller has
        emptied it (:meth:`finalize_namespace`)."""
        marked = clone_obj(current)
        marked["metadata"]["deletionTimestamp"] = timestamp(self.now())
        marked["status"] = {**(marked.get("status") or {}), "phase": "Terminating"}
        marked["metadata"]["resourceVersion"] = self._next_rv()
        self._put(rt, self._key(rt, None, current["metadata"]["name"]), marked, current)
        self._emit("MODIFIED", rt, marked, current)
        return marked

    def finalize_namespace(self, namespace: str) -> bool:
        """What the namespace controller does for a Terminating namespace: delete its
        contents (finalizers respected), then remove the namespace once nothing is left.
        Returns True when the namespace is gone."""
        with self._lock:
            ns_rt = self._resource("", "namespaces")
            ns_obj = self._bucket(ns_rt).get(("", namespace))
            if ns_obj is None:
                return True
            if not ns_obj["metadata"].get("deletionTimestamp"):
                return False
            remaining = False
            for rt in self.registry.all():
                if not rt.namespaced:
                    continue
                for key in [k for k in self._bucket(rt) if k[0] == namespace]:
                    if key in self._bucket(rt):
                        self.delete_object(rt, namespace, key[1], propagation="Background")
                    remaining = remaining or key in self._bucket(rt)
            if remaining:
                return False
            self._remove(ns_rt, ns_obj)
            return True

    def _drop_crd_resource(self, crd: Obj) -> None:
        try:
            defined = resource_from_crd(crd)
        except (ValueError, KeyError, TypeError):
            return
        rt = self.registry.get(defined.group, defined.plural)
        if rt is None or not rt.from_crd:
            return
        for obj in list(self._bucket(rt).values()):
            self._remove(rt, obj)
        self._objects.pop((rt.group, rt.plural), None)
        self.registry.unregister(rt.group, rt.plural)

    def _put(self, rt: ResourceType, key: Key, new: Obj, old: Obj | None) -> None:
        if old is not None:
            self._unindex(rt, key, old)
        self._bucket(rt)[key] = new
        self._by_uid[str(new["metadata"].get("uid"))] = (rt.group, rt.plural, key)
        if "foregroundDeletion" in (new["metadata"].get("finalizers") or ()):
            self._foreground.add(str(new["metadata"].get("uid")))
        for ref in new["metadata"].get("ownerReferences") or []:
            if ref.get("uid"):
                self._dependents.setdefault(str(ref["uid"]), set()).add(
                    (rt.group, rt.plural, key[0], key[1])
                )
        if rt.group == CRD_GROUP and rt.plural == "customresourcedefinitions":
            self.registry.register(resource_from_crd(new))

    def _drop(self, rt: ResourceType, key: Key, old: Obj) -> None:
        self._unindex(rt, key, old)
        self._bucket(rt).pop(key, None)
        self._by_uid.pop(str(old["metadata"].get("uid")), None)
        self._foreground.discard(str(old["metadata"].get("uid")))

    def _unindex(self, rt: ResourceType, key: Key, old: Obj) -> None:
        for ref in old["metadata"].get("ownerReferences") or []:
            deps = self._dependents.get(str(ref.get("uid")))
            if deps is not None:
                deps.discard((rt.group, rt.plural, key[0], key[1]))
                if not deps:
                    del self._dependents[str(ref.get("uid"))]

    # --- SimStore (deep copies in and out) --------------------------------------------

    def list(self, group: str, plural: str, namespace: str | None = None) -> list[Obj]:
        items, _ = self.select(self._resource(group, plural), namespace)
        return [clone_obj(o) for o in items]

    def get(self, group: str, plural: str, namespace: str | None, name: str) -> Obj | None:
        rt = self.registry.get(group, plural)
        if rt is None:
            return None
        with self._lock:
            obj = self._bucket(rt).get(self._key(rt, namespace, name))
        return clone_obj(obj) if obj is not None else None

    def create(self, obj: Obj) -> Obj:
        return clone_obj(self.create_object(self.resource_for(obj), obj))

    def update(self, obj: Obj) -> Obj:
        rt = self.resource_for(obj)
        meta = obj.get("metadata") or {}
        return clone_obj(
            self.replace_object(
                rt, meta.get("namespace"), str(meta.get("name")), obj, keep_status=not rt.has_status
            )
        )

    def update_status(self, obj: Obj) -> Obj:
        rt = self.resource_for(obj)
        meta = obj.get("metadata") or {}
        subresource = "status" if rt.has_status else None
        if subresource is None:
            with self._lock:
                current = self.read(rt, meta.get("namespace"), str(meta.get("name")))
                obj = {**current, "status": obj.get("status")}
        return clone_obj(
            self.replace_object(
                rt,
                meta.get("namespace"),
                str(meta.get("name")),
                obj,
                subresource=subresource,
                keep_status=True,
            )
        )

    def delete(
        self,
        group: str,
        plural: str,
        namespace: str | None,
        name: str,
        propagation: str = "Background",
    ) -> None:
        self.delete_object(self._resource(group, plural), namespace, name, propagation=propagation)

    def record_event(
        self, involved: Obj, reason: str, message: str, event_type: str = "Normal"
    ) -> None:
        event = event_for(involved, reason, message, event_type, timestamp(self.now()))
        self.create_object(self._resource("", "events"), event)

    def set_pod_log(self, namespace: str, name: str, text: str) -> None:
        with self._lock:
            self._logs[(namespace, name)] = text


def event_for(involved: Obj, reason: str, message: str, event_type: str, moment: str) -> Obj:
    """A core/v1 Event about ``involved``, as the simulated controllers record them (on the
    simulator's store and, through the API, on the real engine)."""
    meta = involved.get("metadata") or {}
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{meta.get('name', 'unknown')}.{uuid.uuid4().hex[:16]}",
            "namespace": meta.get("namespace") or "default",
        },
        "involvedObject": _reference_to(involved),
        "reason": reason,
        "message": message,
        "type": event_type,
        "source": {"component": "glmctl-sim"},
        "reportingComponent": "glmctl-sim",
        "reportingInstance": "glmctl-sim",
        "firstTimestamp": moment,
        "lastTimestamp": moment,
        "count": 1,
    }


def _reference_to(involved: Obj) -> Obj:
    meta = involved.get("metadata") or {}
    ref: Obj = {
        "apiVersion": involved.get("apiVersion", ""),
        "kind": involved.get("kind", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    return ref


def _version_of(obj: Obj, rt: ResourceType) -> str | None:
    version = str(obj.get("apiVersion", "")).rpartition("/")[2]
    return version if version in rt.versions else None


def _default_propagation(rt: ResourceType) -> str:
    """The API's default when a DELETE names no policy: Jobs, ReplicaSets and
    ReplicationControllers orphan their dependents (kept for compatibility), others
    delete them in the background."""
    if (rt.group, rt.plural) in (
        ("batch", "jobs"),
        ("apps", "replicasets"),
        ("", "replicationcontrollers"),
    ):
        return "Orphan"
    return "Background"


def _default_job_selector(job: Obj) -> None:
    """What the API server does to a new Job (``generateSelector``): a selector on the
    Job's uid and matching labels on its pod template, so ``kubectl logs job/NAME`` and
    ``kubectl describe job`` find the pods a controller creates from that template."""
    spec = job.setdefault("spec", {})
    if spec.get("manualSelector") or spec.get("selector"):
        return
    meta = job["metadata"]
    uid, name = meta["uid"], meta["name"]
    spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    template = spec.setdefault("template", {})
    template_meta = template.setdefault("metadata", {})
    template_meta["labels"] = {
        **(template_meta.get("labels") or {}),
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    }


def _crd_status(crd: Obj) -> Obj:
    names = (crd.get("spec") or {}).get("names") or {}
    stored = [v["name"] for v in (crd.get("spec") or {}).get("versions") or [] if v.get("storage")]
    return {
        "acceptedNames": dict(names),
        "storedVersions": stored,
        "conditions": [
            {
                "type": "NamesAccepted",
                "status": "True",
                "reason": "NoConflicts",
                "message": "no conflicts found",
            },
            {
                "type": "Established",
                "status": "True",
                "reason": "InitialNamesAccepted",
                "message": "the initial names have been accepted",
            },
        ],
    }


def _merge_string_data(rt: ResourceType, obj: Obj) -> None:
    """A Secret's write-only ``stringData``: merged into ``data`` (base64, its keys
    winning) and never stored or returned, as the API server does."""
    if rt.group != "" or rt.plural != "secrets" or "stringData" not in obj:
        return
    string_data = obj.pop("stringData") or {}
    if not isinstance(string_data, dict):
        raise bad_request("stringData must be an object")
    data = dict(obj.get("data") or {})
    for key, value in string_data.items():
        data[str(key)] = base64.b64encode(str(value).encode()).decode()
    obj["data"] = data
