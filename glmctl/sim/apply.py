"""Server-side apply, simplified: field ownership by manager, conflicts, and the merge.

An applied configuration owns the leaf fields it sets (maps are walked, lists are atomic,
as for a list without ``x-kubernetes-list-type: map``). Applying a value that differs from
the live one in a field another manager owns is a conflict (409), unless forced, which
moves the field to the applier. Fields the applier owned before and no longer sets are
removed when nobody else owns them. Ownership is kept in ``metadata.managedFields`` as
``FieldsV1`` (``{"f:data": {"f:key": {}}}``), as a real server writes it.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

Obj = dict[str, Any]
Path = tuple[str, ...]

_NOT_OWNED = {("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace")}
_SKIPPED_METADATA = {"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation"}


class ApplyConflict(Exception):
    """Fields owned by other managers would change: ``conflicts`` is (manager, path)."""

    def __init__(self, conflicts: list[tuple[str, Path]]) -> None:
        super().__init__(conflicts)
        self.conflicts = conflicts


def leaf_paths(obj: Any, prefix: Path = ()) -> set[Path]:
    """The leaf fields of an applied configuration."""
    if not isinstance(obj, dict) or (not obj and prefix):
        return {prefix}
    paths: set[Path] = set()
    for key, value in obj.items():
        if prefix == ("metadata",) and key in _SKIPPED_METADATA:
            continue
        if (*prefix, key) in _NOT_OWNED or (not prefix and key == "status"):
            continue
        paths |= leaf_paths(value, (*prefix, key))
    return paths


def to_fields_v1(paths: set[Path]) -> Obj:
    root: Obj = {}
    for path in sorted(paths):
        node = root
        for key in path:
            node = node.setdefault(f"f:{key}", {})
    return root


def from_fields_v1(fields: Obj, prefix: Path = ()) -> set[Path]:
    paths: set[Path] = set()
    for key, value in (fields or {}).items():
        if not key.startswith("f:"):
            continue
        path = (*prefix, key[2:])
        paths |= from_fields_v1(value, path) if value else {path}
    return paths


def _get(obj: Any, path: Path) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return _MISSING
        obj = obj[key]
    return obj


def _set(obj: Obj, path: Path, value: Any) -> None:
    for key in path[:-1]:
        child = obj.get(key)
        if not isinstance(child, dict):
            child = obj[key] = {}
        obj = child
    obj[path[-1]] = value


def _delete(obj: Obj, path: Path) -> None:
    parents = [obj]
    for key in path[:-1]:
        child = parents[-1].get(key)
        if not isinstance(child, dict):
            return
        parents.append(child)
    parents[-1].pop(path[-1], None)
    for depth in range(len(path) - 2, -1, -1):  # drop maps the removal emptied
        if parents[depth + 1] == {}:
            parents[depth].pop(path[depth], None)


_MISSING = object()


def apply(
    live: Obj, applied: Obj, manager: str, api_version: str, *, force: bool, now: datetime
) -> Obj:
    """``live`` with ``applied`` merged in for ``manager``; raises ApplyConflict."""
    entries = [dict(e) for e in (live.get("metadata") or {}).get("managedFields") or []]
    owned = {
        str(e.get("manager")): from_fields_v1(e.get("fieldsV1") or {})
        for e in entries
        if e.get("operation") == "Apply" or e.get("manager") != manager
    }
    mine_before = owned.pop(manager, set())
    wanted = leaf_paths(applied)
    conflicts = [
        (other, path)
        for other, paths in owned.items()
        for path in sorted(wanted & paths)
        if _get(live, path) != _get(applied, path)
    ]
    if conflicts and not force:
        raise ApplyConflict(conflicts)
    result = copy.deepcopy(live)
    result.setdefault("metadata", {})
    for path in sorted(wanted):
        _set(result, path, copy.deepcopy(_get(applied, path)))
    others = set().union(*owned.values()) if owned else set()
    for path in mine_before - wanted - others:
        _delete(result, path)
    kept = []
    for entry in entries:
        name = str(entry.get("manager"))
        if name == manager and entry.get("operation") == "Apply":
            continue
        if force and name in owned:
            left = owned[name] - wanted
            if not left:
                continue
            entry["fieldsV1"] = to_fields_v1(left)
        kept.append(entry)
    kept.append(
        {
            "manager": manager,
            "operation": "Apply",
            "apiVersion": api_version,
            "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(wanted),
        }
    )
    result["metadata"]["managedFields"] = kept
    return result


def conflict_message(conflicts: list[tuple[str, Path]]) -> str:
    count = len(conflicts)
    lines = [f'conflict with "{manager}": .{".".join(path)}' for manager, path in conflicts]
    noun = "conflict" if count == 1 else "conflicts"
    return f"Apply failed with {count} {noun}: " + "\n".join(lines)
