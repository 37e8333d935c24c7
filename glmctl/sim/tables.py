"""``meta.k8s.io/v1`` Table responses: what ``kubectl get`` asks for and prints.

Columns follow the real server's printers for the kinds kubectl users look at most (pods,
jobs, deployments, namespaces, secrets, config maps, events), a CRD's
``additionalPrinterColumns`` for custom resources, and NAME/AGE for everything else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from glmctl.sim.resources import PrinterColumn, ResourceType

Obj = dict[str, Any]
Cells = Callable[[Obj, datetime], list[Any]]

_NAME_COLUMN = PrinterColumn(
    "Name",
    "string",
    ".metadata.name",
    "Name must be unique within a namespace.",
    0,
    "name",
)
_AGE_COLUMN = PrinterColumn(
    "Age",
    "date",
    ".metadata.creationTimestamp",
    "CreationTimestamp is a timestamp representing the server time when this object was created.",
)


def human_duration(seconds: float) -> str:
    """Ages as kubectl shows them (apimachinery's ``duration.HumanDuration``)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def age(value: Any, now: datetime) -> str:
    moment = _parse_time(value)
    return "<unknown>" if moment is None else human_duration((now - moment).total_seconds())


# --- a small JSONPath, enough for printer columns -----------------------------------------

_FILTER_RE = re.compile(r"^\?\(@((?:\.[\w\-/]+)+)\s*(?:(==|!=)\s*(.+?))?\s*\)$")


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        return text


def _field(value: Any, dotted: str) -> tuple[bool, Any]:
    cur = value
    for part in dotted.strip(".").split("."):
        if not isinstance(cur, dict) or part not in cur:
            return False, None
        cur = cur[part]
    return True, cur


def _bracket(results: list[Any], inner: str) -> list[Any]:
    out: list[Any] = []
    if inner == "*":
        for r in results:
            if isinstance(r, list):
                out.extend(r)
            elif isinstance(r, dict):
                out.extend(r.values())
        return out
    m = _FILTER_RE.match(inner)
    if m:
        path, op, literal = m.group(1), m.group(2), m.group(3)
        for r in results:
            for item in r if isinstance(r, list) else []:
                found, value = _field(item, path)
                if op is None:
                    keep = found
                elif op == "==":
                    keep = found and str(value) == str(_literal(literal))
                else:
                    keep = not found or str(value) != str(_literal(literal))
                if keep:
                    out.append(item)
        return out
    if re.fullmatch(r"-?\d+", inner):
        i = int(inner)
        for r in results:
            if isinstance(r, list) and -len(r) <= i < len(r):
                out.append(r[i])
        return out
    key = _literal(inner)
    return [r[key] for r in results if isinstance(r, dict) and key in r]


def jsonpath(obj: Any, path: str) -> list[Any]:
    """Evaluate a printer-column JSONPath (``.a.b``, ``[0]``, ``[*]``, ``[?(@.k=="v")]``)."""
    path = path.strip()
    if path.startswith("{") and path.endswith("}"):
        path = path[1:-1]
    path = path.removeprefix("$")
    results = [obj]
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == ".":
            j = i + 1
            while j < len(path) and path[j] not in ".[":
                j += 1
            name = path[i + 1 : j]
            if name:
                results = [r[name] for r in results if isinstance(r, dict) and name in r]
            i = j
        elif ch == "[":
            depth, j = 0, i
            while j < len(path):
                if path[j] == "[":
                    depth += 1
                elif path[j] == "]":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            results = _bracket(results, path[i + 1 : j].strip())
            i = j + 1
        else:
            j = i
            while j < len(path) and path[j] not in ".[":
                j += 1
            name = path[i:j]
            results = [r[name] for r in results if isinstance(r, dict) and name in r]
            i = j
    return results


def _cell(column: PrinterColumn, obj: Obj, now: datetime) -> Any:
    values = jsonpath(obj, column.json_path)
    if not values or values[0] is None:
        return None
    value = values[0]
    if column.type == "date":
        return age(value, now)
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    if column.type == "integer" and isinstance(value, int | float):
        return int(value)
    if column.type == "boolean":
        return bool(value)
    return value if isinstance(value, int | float | bool) else str(value)


# --- built-in printers -----------------------------------------------------------------


def _pod_status(pod: Obj) -> str:
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    reason = status.get("reason") or status.get("phase") or "Unknown"
    for cs in status.get("containerStatuses") or []:
        state = cs.get("state") or {}
        if state.get("waiting", {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated", {}).get("reason"):
            reason = state["terminated"]["reason"]
        elif "terminated" in state:
            code = state["terminated"].get("exitCode", 0)
            reason = f"ExitCode:{code}"
    if meta.get("deletionTimestamp"):
        reason = "Terminating"
    return str(reason)


def _pod_cells(pod: Obj, now: datetime) -> list[Any]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for cs in statuses if cs.get("ready"))
    restarts = sum(int(cs.get("restartCount", 0)) for cs in statuses)
    total = len(spec.get("containers") or []) or len(statuses)
    return [
        pod["metadata"]["name"],
        f"{ready}/{total}",
        _pod_status(pod),
        restarts,
        age(pod["metadata"].get("creationTimestamp"), now),
        status.get("podIP") or "<none>",
        spec.get("nodeName") or "<none>",
    ]


def _condition_true(obj: Obj, kind: str) -> bool:
    return any(
        c.get("type") == kind and c.get("status") == "True"
        for c in (obj.get("status") or {}).get("conditions") or []
    )


def _job_cells(job: Obj, now: datetime) -> list[Any]:
    spec, status = job.get("spec") or {}, job.get("status") or {}
    if _condition_true(job, "Complete"):
        state = "Complete"
    elif _condition_true(job, "Failed"):
        state = "Failed"
    elif spec.get("suspend"):
        state = "Suspended"
    elif _condition_true(job, "FailureTarget"):
        state = "FailureTarget"
    else:
        state = "Running"
    completions = f"{status.get('succeeded', 0)}/{spec.get('completions', 1)}"
    start = _parse_time(status.get("startTime"))
    end = _parse_time(status.get("completionTime")) or (None if state != "Running" else now)
    duration = human_duration((end - start).total_seconds()) if start and end else ""
    return [
        job["metadata"]["name"],
        state,
        completions,
        duration,
        age(job["metadata"].get("creationTimestamp"), now),
    ]


def _deployment_cells(dep: Obj, now: datetime) -> list[Any]:
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    return [
        dep["metadata"]["name"],
        f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
        status.get("updatedReplicas", 0),
        status.get("availableReplicas", 0),
        age(dep["metadata"].get("creationTimestamp"), now),
    ]


def _event_cells(ev: Obj, now: datetime) -> list[Any]:
    involved = ev.get("involvedObject") or {}
    last = ev.get("lastTimestamp") or ev.get("eventTime") or ev["metadata"].get("creationTimestamp")
    return [
        age(last, now),
        ev.get("type", ""),
        ev.get("reason", ""),
        f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}",
        ev.get("message", ""),
    ]


def _binding_cells(binding: Obj, now: datetime) -> list[Any]:
    """A (Cluster)RoleBinding's row as kube-apiserver prints it: the role, and with
    ``-o wide`` its subjects by kind (service accounts as ``namespace/name``)."""
    ref = binding.get("roleRef") or {}
    subjects = [s for s in binding.get("subjects") or [] if isinstance(s, dict)]

    def named(kind: str) -> str:
        return ", ".join(str(s.get("name", "")) for s in subjects if s.get("kind") == kind)

    accounts = ", ".join(
        f"{s.get('namespace', '')}/{s.get('name', '')}"
        for s in subjects
        if s.get("kind") == "ServiceAccount"
    )
    return [
        binding["metadata"]["name"],
        f"{ref.get('kind', '')}/{ref.get('name', '')}",
        age(binding["metadata"].get("creationTimestamp"), now),
        named("User"),
        named("Group"),
        accounts,
    ]


def _col(name: str, kind: str = "string", priority: int = 0) -> PrinterColumn:
    return PrinterColumn(name, kind, "", "", priority)


_BUILTIN: dict[tuple[str, str], tuple[tuple[PrinterColumn, ...], Cells]] = {
    ("", "pods"): (
        (
            _NAME_COLUMN,
            _col("Ready"),
            _col("Status"),
            _col("Restarts", "integer"),
            _AGE_COLUMN,
            _col("IP", priority=1),
            _col("Node", priority=1),
        ),
        _pod_cells,
    ),
    ("batch", "jobs"): (
        (_NAME_COLUMN, _col("Status"), _col("Completions"), _col("Duration"), _AGE_COLUMN),
        _job_cells,
    ),
    ("apps", "deployments"): (
        (
            _NAME_COLUMN,
            _col("Ready"),
            _col("Up-to-date", "integer"),
            _col("Available", "integer"),
            _AGE_COLUMN,
        ),
        _deployment_cells,
    ),
    ("", "namespaces"): (
        (_NAME_COLUMN, _col("Status"), _AGE_COLUMN),
        lambda o, now: [
            o["metadata"]["name"],
            (o.get("status") or {}).get("phase", ""),
            age(o["metadata"].get("creationTimestamp"), now),
        ],
    ),
    ("", "secrets"): (
        (_NAME_COLUMN, _col("Type"), _col("Data", "integer"), _AGE_COLUMN),
        lambda o, now: [
            o["metadata"]["name"],
            o.get("type", "Opaque"),
            len(o.get("data") or {}) + len(o.get("stringData") or {}),
            age(o["metadata"].get("creationTimestamp"), now),
        ],
    ),
    ("", "configmaps"): (
        (_NAME_COLUMN, _col("Data", "integer"), _AGE_COLUMN),
        lambda o, now: [
            o["metadata"]["name"],
            len(o.get("data") or {}) + len(o.get("binaryData") or {}),
            age(o["metadata"].get("creationTimestamp"), now),
        ],
    ),
    **{
        ("rbac.authorization.k8s.io", plural): (
            (
                _NAME_COLUMN,
                _col("Role"),
                _AGE_COLUMN,
                _col("Users", priority=1),
                _col("Groups", priority=1),
                _col("ServiceAccounts", priority=1),
            ),
            _binding_cells,
        )
        for plural in ("clusterrolebindings", "rolebindings")
    },
    ("", "events"): (
        (_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Message")),
        _event_cells,
    ),
}


def columns_and_cells(rt: ResourceType) -> tuple[tuple[PrinterColumn, ...], Cells]:
    """The columns of ``rt``'s table and the function that fills one row."""
    builtin = _BUILTIN.get((rt.group, rt.plural))
    if builtin is not None:
        return builtin
    columns = (
        (_NAME_COLUMN, *rt.printer_columns)
        if rt.printer_columns
        else (
            _NAME_COLUMN,
            _AGE_COLUMN,
        )
    )

    def cells(obj: Obj, now: datetime) -> list[Any]:
        return [_cell(c, obj, now) for c in columns]

    return columns, cells


def _definition(column: PrinterColumn, *, custom: bool) -> Obj:
    # Built-in printers declare their Age column a string; CRD columns keep their type.
    return {
        "name": column.name,
        "type": column.type if custom or column.type != "date" else "string",
        "format": column.format,
        "description": column.description,
        "priority": column.priority,
    }


def _row_object(obj: Obj, include: str) -> Obj | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata") or {},
    }


def table(
    rt: ResourceType,
    items: list[Obj],
    *,
    include_object: str = "Metadata",
    resource_version: str = "",
    continue_token: str = "",
    now: datetime | None = None,
) -> Obj:
    """A ``meta.k8s.io/v1`` Table of ``items``."""
    moment = now or datetime.now(UTC)
    columns, cells = columns_and_cells(rt)
    rows = []
    for obj in items:
        row: Obj = {"cells": cells(obj, moment)}
        partial = _row_object(obj, include_object)
        if partial is not None:
            row["object"] = partial
        rows.append(row)
    metadata: Obj = {"resourceVersion": resource_version}
    if continue_token:
        metadata["continue"] = continue_token
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": [_definition(c, custom=rt.from_crd) for c in columns],
        "rows": rows,
    }
