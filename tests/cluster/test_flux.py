"""Flux readiness and reconcile semantics on object dicts (no server)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from glmctl.cluster import flux


def obj(
    *,
    generation: int = 2,
    observed: int | None = 2,
    conditions: list[dict[str, Any]] | None = None,
    suspend: bool | None = None,
    deleting: bool = False,
    namespace: str = "flux-system",
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "x", "namespace": namespace, "generation": generation}
    if deleting:
        metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    status: dict[str, Any] = {"conditions": conditions or []}
    if observed is not None:
        status["observedGeneration"] = observed
    spec: dict[str, Any] = {}
    if suspend is not None:
        spec["suspend"] = suspend
    return {"metadata": metadata, "spec": spec, "status": status}


def ready(
    status: str = "True", reason: str = "ReconciliationSucceeded", **extra: Any
) -> dict[str, Any]:
    return {"type": "Ready", "status": status, "reason": reason, "message": "m", **extra}


def test_ready_true_at_current_generation_is_ready() -> None:
    result = flux.readiness(obj(conditions=[ready(observedGeneration=2)]))
    assert result.ready and result.label == "Ready"
    assert (result.status, result.reason, result.stale) == (
        "True",
        "ReconciliationSucceeded",
        False,
    )


def test_condition_generation_behind_metadata_generation_is_stale() -> None:
    result = flux.readiness(obj(generation=3, observed=3, conditions=[ready(observedGeneration=2)]))
    assert not result.ready
    assert result.stale


def test_without_condition_generation_status_observed_generation_decides() -> None:
    # HelmRelease-style: the Ready condition carries no observedGeneration.
    assert flux.readiness(obj(generation=2, observed=2, conditions=[ready()])).ready
    stale = flux.readiness(obj(generation=3, observed=2, conditions=[ready()]))
    assert not stale.ready and stale.stale


def test_missing_observed_generation_is_never_ready() -> None:
    result = flux.readiness(obj(observed=None, conditions=[ready()]))
    assert not result.ready
    assert result.observed_generation == 0
    assert result.stale


def test_observed_generation_zero_is_not_reconciled() -> None:
    result = flux.readiness(obj(generation=1, observed=0, conditions=[]))
    assert not result.ready
    assert (result.reason, result.label) == ("NotReconciled", "Unknown")


def test_reconciling_true_is_not_ready_even_with_ready_true() -> None:
    reconciling = {"type": "Reconciling", "status": "True", "reason": "Progressing"}
    result = flux.readiness(obj(conditions=[ready(), reconciling]))
    assert not result.ready and result.reconciling
    assert result.label == "Unknown"


def test_stalled_true_is_not_ready_and_explains_with_ready_then_the_stalled_reason() -> None:
    stalled = {
        "type": "Stalled",
        "status": "True",
        "reason": "RetriesExceeded",
        "message": "no more retries",
    }
    result = flux.readiness(obj(conditions=[ready("False", "UpgradeFailed"), stalled]))
    assert not result.ready and result.stalled
    assert (result.reason, result.message, result.label) == (
        "UpgradeFailed",
        "m (gave up: RetriesExceeded: no more retries)",
        "NotReady",
    )


def test_stalled_without_a_ready_message_explains_with_the_stalled_condition() -> None:
    stalled = {"type": "Stalled", "status": "True", "reason": "RetriesExceeded", "message": "x"}
    result = flux.readiness(obj(conditions=[stalled]))
    assert (result.reason, result.message) == ("RetriesExceeded", "x")


def test_terminating_object_is_not_ready() -> None:
    result = flux.readiness(obj(deleting=True, conditions=[ready()]))
    assert not result.ready and result.terminating
    assert result.reason == "Terminating"


def test_ready_false_is_not_ready_with_its_reason() -> None:
    result = flux.readiness(obj(conditions=[ready("False", "HealthCheckFailed")]))
    assert not result.ready
    assert (result.status, result.reason, result.label) == (
        "False",
        "HealthCheckFailed",
        "NotReady",
    )


def test_no_ready_condition_is_unknown() -> None:
    result = flux.readiness(obj(conditions=[]))
    assert not result.ready
    assert (result.status, result.label, result.reason) == (
        "Unknown",
        "Unknown",
        "NoReadyCondition",
    )


def test_suspended_is_reported_and_does_not_change_readiness() -> None:
    result = flux.readiness(obj(suspend=True, conditions=[ready()]))
    assert result.suspended and result.ready
    assert flux.is_suspended(obj(suspend=True))
    assert not flux.is_suspended(obj())


def test_malformed_status_does_not_raise() -> None:
    result = flux.readiness({"metadata": {}, "status": {"conditions": "nonsense"}})
    assert not result.ready


@pytest.mark.parametrize(
    ("conditions", "terminal"),
    [
        ([ready("False", "InstallFailed")], True),
        ([ready("False", "RetriesExceeded")], True),
        ([ready("False", "ArtifactFailed")], True),
        ([ready("False", "DependencyNotReady")], False),
        ([ready("True")], False),
        ([ready("False", "UpgradeFailed"), {"type": "Reconciling", "status": "True"}], False),
        ([ready("Unknown", "Progressing"), {"type": "Stalled", "status": "True"}], True),
    ],
)
def test_terminal_failures(conditions: list[dict[str, Any]], terminal: bool) -> None:
    assert flux.is_terminal_failure(obj(conditions=conditions)) is terminal


def test_terminal_reason_for_an_older_generation_is_not_terminal() -> None:
    stale = obj(generation=3, observed=2, conditions=[ready("False", "InstallFailed")])
    assert not flux.is_terminal_failure(stale)


def test_reconcile_request_round_trip() -> None:
    now = datetime(2026, 11, 26, 12, 0, 1, 250000, tzinfo=UTC)
    patch = flux.reconcile_request_patch(now)
    value = patch["metadata"]["annotations"]["reconcile.fluxcd.io/requestedAt"]
    assert value == "2026-11-26T12:00:01.25Z"

    requested = obj()
    requested["metadata"]["annotations"] = {flux.REQUESTED_AT_ANNOTATION: value}
    assert flux.reconcile_requested_at(requested) == value
    assert not flux.reconcile_handled(requested, value)
    requested["status"]["lastHandledReconcileAt"] = value
    assert flux.last_handled_reconcile(requested) == value
    assert flux.reconcile_handled(requested, value)


def test_requested_at_without_fraction_has_none() -> None:
    assert (
        flux.format_requested_at(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
        == "2026-01-02T03:04:05Z"
    )


def test_depends_on_defaults_to_the_objects_namespace() -> None:
    kustomization = obj(namespace="flux-system")
    kustomization["spec"]["dependsOn"] = [
        {"name": "infrastructure-sources"},
        {"name": "other", "namespace": "apps"},
        {"namespace": "nameless"},
    ]
    assert flux.depends_on(kustomization) == [
        ("flux-system", "infrastructure-sources"),
        ("apps", "other"),
    ]


def test_source_refs_of_kustomization_and_helmrelease() -> None:
    kustomization = obj()
    kustomization["spec"]["sourceRef"] = {"kind": "GitRepository", "name": "flux-system"}
    helmrelease = obj(namespace="apps")
    helmrelease["spec"]["chart"] = {
        "spec": {
            "sourceRef": {"kind": "HelmRepository", "name": "charts", "namespace": "flux-system"}
        }
    }
    assert flux.source_ref(kustomization) == flux.SourceRef(
        "GitRepository", "flux-system", "flux-system"
    )
    assert flux.source_ref(helmrelease) == flux.SourceRef("HelmRepository", "flux-system", "charts")
    assert flux.source_ref(obj()) is None
