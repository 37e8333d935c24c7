"""``glmctl journal restore``: re-create what a journaled command deleted.

The journal keeps each deleted object's full manifest; restoring creates it again
without the fields the API server sets (``strip_server_fields``) and, for a Job, without
the selector and labels the Job controller generated (the API refuses a Job whose
selector names another Job's uid). An object that exists again (Flux re-applied it, say)
is left alone. Secrets were recorded with their values redacted and cannot be restored.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from glmctl.plan import Plan, PlanItem, object_item

if TYPE_CHECKING:
    from glmctl.cluster.client import Cluster
    from glmctl.journal import JournalEntry

Obj = dict[str, Any]

_JOB_GENERATED_LABELS = (
    "controller-uid",
    "batch.kubernetes.io/controller-uid",
    "job-name",
    "batch.kubernetes.io/job-name",
)
RESTORE_COMMAND = "journal restore"


def fit_for_create(obj: Obj) -> Obj:
    """``obj`` as a create request: for a Job, drop the generated selector and labels."""
    fitted = copy.deepcopy(obj)
    if fitted.get("kind") == "Job":
        spec = fitted.get("spec") or {}
        if not spec.get("manualSelector"):
            spec.pop("selector", None)
            template_meta = (spec.get("template") or {}).get("metadata") or {}
            labels = template_meta.get("labels") or {}
            for key in _JOB_GENERATED_LABELS:
                labels.pop(key, None)
        metadata_labels = (fitted.get("metadata") or {}).get("labels") or {}
        for key in _JOB_GENERATED_LABELS:
            metadata_labels.pop(key, None)
    return fitted


def plan_restore(cluster: Cluster, entry: JournalEntry) -> Plan:
    """One create per deleted object of ``entry``; objects that exist now are "already"."""
    from glmctl.cluster import resources

    items: list[PlanItem] = []
    notes: list[str] = []
    redacted = [record for record in entry.before if record.action == "delete" and record.redacted]
    if redacted:
        notes.append(
            f"{len(redacted)} deleted Secret(s) were journaled with their values redacted and "
            "cannot be restored from the journal."
        )
    for obj in entry.restorable_objects():
        wanted = fit_for_create(obj)
        metadata = wanted.get("metadata") or {}
        try:
            rt = resources.for_kind(str(wanted.get("apiVersion", "")), str(wanted.get("kind", "")))
        except KeyError:
            notes.append(
                f"Cannot restore {wanted.get('kind')}/{metadata.get('name')}: unknown kind."
            )
            continue
        name = str(metadata.get("name", ""))
        namespace = metadata.get("namespace")
        exists = cluster.get_or_none(rt, name, namespace) is not None
        item = object_item(
            "create",
            wanted,
            detail="exists again; left alone" if exists else f"from journal entry {entry.id}",
            state="already" if exists else "todo",
        )
        items.append(item)
    if not items and not notes:
        notes.append(f"Journal entry {entry.id} deleted nothing: there is nothing to restore.")
    return Plan(
        command=f"journal restore {entry.id}",
        items=tuple(items),
        notes=tuple(notes),
        journal_name=RESTORE_COMMAND,
    )
