"""Flux semantics as pure functions on object dicts: readiness, suspend, reconcile requests.

These mirror the flux CLI (``cmd/flux/readiness.go``: ``isObjectReady``, built on
kstatus ``Compute``), so "Ready" here means what ``flux get`` / ``flux reconcile`` mean:

1. ``status.observedGeneration`` is at least 1 (the controller has seen the object);
2. the Ready condition exists and is for the current generation: its own
   ``observedGeneration`` equals ``metadata.generation`` when set, else
   ``status.observedGeneration`` does (HelmRelease conditions historically lack it);
3. kstatus: not terminating (``deletionTimestamp``), ``status.observedGeneration`` equal to
   ``metadata.generation``, no ``Reconciling=True``, no ``Stalled=True``;
4. Ready is ``True`` (flux would accept a "Current" object whose Ready is False; we do not,
   because for an operator "Ready=False" is never ready).

Nothing here talks to a cluster; every function takes the dict the API returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]

READY = "Ready"
RECONCILING = "Reconciling"
STALLED = "Stalled"
REQUESTED_AT_ANNOTATION = "reconcile.fluxcd.io/requestedAt"
SUSPENDED_BY_ANNOTATION = "glmctl.io/suspended-by"
SUSPENDED_AT_ANNOTATION = "glmctl.io/suspended-at"
SUSPEND_REASON_ANNOTATION = "glmctl.io/suspend-reason"

#: HelmRelease reasons after which the helm-controller will not make progress by itself
#: (helm-controller v2 ``api/v2/condition_types.go`` plus the Stalled reason).
TERMINAL_HELMRELEASE_REASONS = frozenset(
    {
        "InstallFailed",
        "UpgradeFailed",
        "TestFailed",
        "RollbackFailed",
        "UninstallFailed",
        "RetriesExceeded",
        "ArtifactFailed",
        "InitFailed",
        "GetLastReleaseFailed",
        "MissingRollbackTarget",
    }
)


@dataclass(frozen=True)
class Readiness:
    """How a Flux object stands, with the reason why, as ``flux get`` would show it.

    ``status`` is the Ready condition's own status ("Unknown" when absent); ``ready`` is the
    full definition above. ``stale`` says the controller has not yet observed the current
    generation, so whatever the Ready condition says is about an older spec.
    """

    ready: bool
    status: str
    reason: str
    message: str
    suspended: bool
    stalled: bool
    reconciling: bool
    terminating: bool
    observed_generation: int
    generation: int
    stale: bool

    @property
    def label(self) -> str:
        """``Ready`` / ``NotReady`` / ``Unknown``: one word for a table cell."""
        if self.ready:
            return "Ready"
        if self.status == "False" or self.stalled or self.terminating:
            return "NotReady"
        return "Unknown"


def conditions(obj: Obj) -> list[dict[str, Any]]:
    """``status.conditions`` as a list of dicts, empty when absent or malformed."""
    found = (obj.get("status") or {}).get("conditions") or []
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def find_condition(obj: Obj, condition_type: str) -> dict[str, Any] | None:
    """The condition of that type, or None (like apimachinery's FindStatusCondition)."""
    return next((c for c in conditions(obj) if c.get("type") == condition_type), None)


def condition_is_true(obj: Obj, condition_type: str) -> bool:
    """True when the condition is present with status "True"."""
    found = find_condition(obj, condition_type)
    return found is not None and found.get("status") == "True"


def generation(obj: Obj) -> int:
    """``metadata.generation`` (0 when the server did not set it)."""
    return _as_int((obj.get("metadata") or {}).get("generation"))


def observed_generation(obj: Obj) -> int:
    """``status.observedGeneration`` (0 when missing: the object was never reconciled)."""
    return _as_int((obj.get("status") or {}).get("observedGeneration"))


def is_suspended(obj: Obj) -> bool:
    """``spec.suspend`` is true: the controller will not reconcile this object."""
    return (obj.get("spec") or {}).get("suspend") is True


def is_terminating(obj: Obj) -> bool:
    """The object has a ``deletionTimestamp``: it is being deleted (finalizers pending)."""
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


def readiness(obj: Obj) -> Readiness:
    """Compute :class:`Readiness` for a Kustomization, HelmRelease or source object."""
    ready_condition = find_condition(obj, READY)
    gen = generation(obj)
    observed = observed_generation(obj)
    stale = _is_stale(ready_condition, gen, observed)
    stalled = condition_is_true(obj, STALLED)
    reconciling = condition_is_true(obj, RECONCILING)
    terminating = is_terminating(obj)
    status = str(ready_condition.get("status", "Unknown")) if ready_condition else "Unknown"
    ready = (
        observed >= 1
        and ready_condition is not None
        and not stale
        and not terminating
        and not reconciling
        and not stalled
        and status == "True"
    )
    reason, message = _explain(obj, ready_condition, stalled, terminating, observed)
    return Readiness(
        ready=ready,
        status=status,
        reason=reason,
        message=message,
        suspended=is_suspended(obj),
        stalled=stalled,
        reconciling=reconciling,
        terminating=terminating,
        observed_generation=observed,
        generation=gen,
        stale=stale,
    )


def is_ready(obj: Obj) -> bool:
    """Shorthand for ``readiness(obj).ready``."""
    return readiness(obj).ready


def is_terminal_failure(obj: Obj) -> bool:
    """True when waiting longer will not help: Stalled, or Ready=False for a terminal reason.

    A terminal reason only counts while the controller is not working on the current
    generation (not Reconciling, not stale): a retry in progress may still succeed.
    """
    if condition_is_true(obj, STALLED):
        return True
    ready_condition = find_condition(obj, READY)
    if ready_condition is None or ready_condition.get("status") != "False":
        return False
    if condition_is_true(obj, RECONCILING):
        return False
    if _is_stale(ready_condition, generation(obj), observed_generation(obj)):
        return False
    return ready_condition.get("reason") in TERMINAL_HELMRELEASE_REASONS


def last_handled_reconcile(obj: Obj) -> str | None:
    """``status.lastHandledReconcileAt``: the last requestedAt value the controller acted on."""
    value = (obj.get("status") or {}).get("lastHandledReconcileAt")
    return str(value) if value else None


def reconcile_requested_at(obj: Obj) -> str | None:
    """The ``reconcile.fluxcd.io/requestedAt`` annotation, if set."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(REQUESTED_AT_ANNOTATION)
    return str(value) if value else None


def format_requested_at(now: datetime) -> str:
    """A timestamp in Go's RFC3339Nano layout, as ``flux reconcile`` writes it.

    Go trims trailing zeros of the fraction and writes ``Z`` for UTC; any distinct string
    works for the controller, but matching flux keeps ``kubectl get -o yaml`` familiar.
    """
    moment = now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC)
    base = moment.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{moment.microsecond:06d}".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


def reconcile_request_patch(now: datetime) -> Obj:
    """The merge patch that asks Flux to reconcile now (``flux reconcile`` without waiting).

    The value written is ``format_requested_at(now)``; pass the same string to
    :func:`reconcile_handled` to know when the controller has acted on it.
    """
    return {"metadata": {"annotations": {REQUESTED_AT_ANNOTATION: format_requested_at(now)}}}


def reconcile_handled(obj: Obj, requested_at: str) -> bool:
    """True once the controller has acted on the request stamped ``requested_at``."""
    return last_handled_reconcile(obj) == requested_at


def suspend_patch(suspend: bool) -> Obj:
    """The merge patch ``flux suspend`` / ``flux resume`` apply."""
    return {"spec": {"suspend": suspend}}


def suspend_note(obj: Obj) -> str:
    """Who suspended the object, when and why, as ``glmctl rollback`` recorded it; ""
    when the object is not suspended or glmctl did not suspend it."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    who = annotations.get(SUSPENDED_BY_ANNOTATION)
    if not is_suspended(obj) or not who:
        return ""
    note = f"suspended by {who}"
    if annotations.get(SUSPENDED_AT_ANNOTATION):
        note += f" at {annotations[SUSPENDED_AT_ANNOTATION]}"
    if annotations.get(SUSPEND_REASON_ANNOTATION):
        note += f": {annotations[SUSPEND_REASON_ANNOTATION]}"
    return note


def depends_on(obj: Obj) -> list[tuple[str, str]]:
    """``spec.dependsOn`` as (namespace, name) pairs; namespace defaults to the object's."""
    own_namespace = str((obj.get("metadata") or {}).get("namespace") or "")
    found = (obj.get("spec") or {}).get("dependsOn") or []
    pairs: list[tuple[str, str]] = []
    for entry in found if isinstance(found, list) else []:
        if isinstance(entry, dict) and entry.get("name"):
            pairs.append((str(entry.get("namespace") or own_namespace), str(entry["name"])))
    return pairs


@dataclass(frozen=True)
class SourceRef:
    """Where a Flux object gets its artifact: kind, namespace, name."""

    kind: str
    namespace: str
    name: str


def source_ref(obj: Obj) -> SourceRef | None:
    """The object's source: ``spec.sourceRef`` (Kustomization), ``spec.chart.spec.sourceRef``
    or ``spec.chartRef`` (HelmRelease). Namespace defaults to the object's own."""
    spec = obj.get("spec") or {}
    ref = (
        spec.get("sourceRef")
        or ((spec.get("chart") or {}).get("spec") or {}).get("sourceRef")
        or spec.get("chartRef")
    )
    if not isinstance(ref, dict) or not ref.get("kind") or not ref.get("name"):
        return None
    own_namespace = str((obj.get("metadata") or {}).get("namespace") or "")
    return SourceRef(str(ref["kind"]), str(ref.get("namespace") or own_namespace), str(ref["name"]))


def _is_stale(ready_condition: dict[str, Any] | None, gen: int, observed: int) -> bool:
    """The status does not describe the current spec (flux's two strategies + kstatus)."""
    if observed < 1:
        return True
    if gen and observed != gen:
        return True
    if ready_condition is not None:
        condition_generation = _as_int(ready_condition.get("observedGeneration"))
        if condition_generation and condition_generation != gen:
            return True
    return False


def _explain(
    obj: Obj,
    ready_condition: dict[str, Any] | None,
    stalled: bool,
    terminating: bool,
    observed: int,
) -> tuple[str, str]:
    """Reason and message an operator should read first."""
    if terminating:
        return "Terminating", "resource scheduled for deletion"
    if stalled:
        # Stalled says the controller gave up; Ready still says why (e.g. which hook failed).
        stalled_condition = find_condition(obj, STALLED) or {}
        gave_up = str(stalled_condition.get("reason", STALLED))
        gave_up_message = str(stalled_condition.get("message", ""))
        if ready_condition is not None and ready_condition.get("message"):
            detail = f"{gave_up}: {gave_up_message}" if gave_up_message else gave_up
            return (
                str(ready_condition.get("reason", gave_up)),
                f"{ready_condition['message']} (gave up: {detail})",
            )
        return gave_up, gave_up_message
    if ready_condition is not None:
        return str(ready_condition.get("reason", "")), str(ready_condition.get("message", ""))
    if observed < 1:
        return "NotReconciled", "the controller has not reconciled this object yet"
    return "NoReadyCondition", "the object has no Ready condition"


def _as_int(value: object) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0
