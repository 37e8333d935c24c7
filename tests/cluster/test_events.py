"""Events about an object: matched on kind, name and uid, oldest first."""

from __future__ import annotations

from typing import Any

from glmctl.cluster.events import event_from, events_about

HR: dict[str, Any] = {
    "kind": "HelmRelease",
    "metadata": {"name": "gitops-lifecycle-management", "namespace": "flux-system", "uid": "u1"},
}


def event(name: str, uid: str, reason: str, when: str, kind: str = "HelmRelease") -> dict[str, Any]:
    return {
        "involvedObject": {"kind": kind, "name": name, "uid": uid},
        "type": "Warning" if reason.endswith("Failed") else "Normal",
        "reason": reason,
        "message": f"{reason} happened",
        "lastTimestamp": when,
        "count": 2,
        "source": {"component": "helm-controller"},
    }


def test_events_about_match_kind_name_and_uid_oldest_first() -> None:
    events = [
        event("gitops-lifecycle-management", "u1", "InstallFailed", "2026-11-26T12:05:00Z"),
        event("gitops-lifecycle-management", "u1", "Progressing", "2026-11-26T12:00:00Z"),
        event("gitops-lifecycle-management", "old-uid", "InstallSucceeded", "2026-11-01T00:00:00Z"),
        event("gitops-lifecycle-management", "u9", "Scheduled", "2026-11-26T12:01:00Z", kind="Pod"),
        event("other", "u2", "Progressing", "2026-11-26T12:02:00Z"),
    ]
    found = events_about(events, HR)
    assert [(e.reason, e.warning) for e in found] == [
        ("Progressing", False),
        ("InstallFailed", True),
    ]
    assert found[1].source == "helm-controller" and found[1].count == 2


def test_new_style_event_time_fields() -> None:
    new = {
        "type": "Normal",
        "reason": "Pulled",
        "eventTime": "2026-11-26T12:00:00.000000Z",
        "reportingComponent": "kubelet",
    }
    parsed = event_from(new)
    assert (parsed.last_seen, parsed.source, parsed.count) == (
        "2026-11-26T12:00:00.000000Z",
        "kubelet",
        1,
    )
