"""``events.k8s.io/v1`` Events: a second view of the core ``v1`` Events, as the real API
server serves both from one storage. Fields are renamed; nothing is lost."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
GROUP = "events.k8s.io"

# core v1 field -> events.k8s.io/v1 field
_RENAMED = {
    "involvedObject": "regarding",
    "message": "note",
    "source": "deprecatedSource",
    "firstTimestamp": "deprecatedFirstTimestamp",
    "lastTimestamp": "deprecatedLastTimestamp",
    "count": "deprecatedCount",
}
_KEPT = ("metadata", "eventTime", "series", "action", "reason", "related", "type")


def from_core(event: Obj, api_version: str) -> Obj:
    """A core v1 Event as ``events.k8s.io/v1`` shows it."""
    out: Obj = {"kind": "Event", "apiVersion": api_version}
    for key in _KEPT:
        if key in event:
            out[key] = event[key]
    out.setdefault("eventTime", None)
    for old, new in _RENAMED.items():
        if event.get(old) is not None:
            out[new] = event[old]
    source = event.get("source") or {}
    controller = event.get("reportingComponent") or source.get("component")
    instance = event.get("reportingInstance") or source.get("host")
    if controller:
        out["reportingController"] = controller
    if instance:
        out["reportingInstance"] = instance
    return out
