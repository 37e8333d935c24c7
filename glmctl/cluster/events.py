"""Kubernetes Events about an object, as frozen data (``kubectl describe``'s Events list).

Events are listed per namespace and matched client-side on the involved object's kind and
name (and uid when known): the ``involvedObject.*`` field selectors are not served by every
API implementation, a namespace list is. Newest last, as ``kubectl describe`` shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from glmctl.cluster import resources

if TYPE_CHECKING:
    from glmctl.cluster.client import Cluster

Obj = dict[str, Any]


@dataclass(frozen=True)
class Event:
    """One event: Normal or Warning, why, what it said, how often, and when last."""

    type: str
    reason: str
    message: str
    count: int
    last_seen: str
    source: str

    @property
    def warning(self) -> bool:
        """A Warning event (failures, back-offs, health check errors)."""
        return self.type == "Warning"


def event_from(obj: Obj) -> Event:
    """An :class:`Event` from a core/v1 Event dict (old and new timestamp fields)."""
    source = obj.get("source") or {}
    return Event(
        type=str(obj.get("type") or "Normal"),
        reason=str(obj.get("reason") or ""),
        message=str(obj.get("message") or ""),
        count=int(obj.get("count") or 1),
        last_seen=str(
            obj.get("lastTimestamp")
            or obj.get("eventTime")
            or (obj.get("series") or {}).get("lastObservedTime")
            or (obj.get("metadata") or {}).get("creationTimestamp")
            or ""
        ),
        source=str(source.get("component") or obj.get("reportingComponent") or ""),
    )


def events_about(events: list[Obj], involved: Obj) -> list[Event]:
    """The events among ``events`` whose involvedObject is ``involved``, oldest first."""
    metadata = involved.get("metadata") or {}
    kind, name, uid = involved.get("kind"), metadata.get("name"), metadata.get("uid")
    matching = []
    for event in events:
        ref = event.get("involvedObject") or {}
        if ref.get("kind") != kind or ref.get("name") != name:
            continue
        if uid and ref.get("uid") and ref.get("uid") != uid:
            continue  # an earlier object of the same name
        matching.append(event_from(event))
    return sorted(matching, key=lambda e: e.last_seen)


def events_for(cluster: Cluster, involved: Obj) -> list[Event]:
    """Read the events about ``involved`` from its namespace (one list request)."""
    namespace = (involved.get("metadata") or {}).get("namespace") or "default"
    return events_about(cluster.list(resources.EVENT, namespace), involved)
