"""The store's write semantics, through the SimStore methods controllers use."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from glmctl.sim.store import ApiError, Store
from tests.sim_server.helpers import HELMRELEASE_CRD, helmrelease, job, namespace, pod


@pytest.fixture
def store() -> Store:
    s = Store()
    for obj in (HELMRELEASE_CRD, namespace("flux-system"), namespace("authentik")):
        s.create(obj)
    return s


def _hr(store: Store) -> dict[str, Any]:
    obj = store.get("helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "hr")
    assert obj is not None
    return obj


def test_create_sets_server_fields(store: Store) -> None:
    created = store.create(helmrelease("hr", ready="True"))
    meta = created["metadata"]
    assert meta["uid"] and meta["creationTimestamp"].endswith("Z")
    assert meta["generation"] == 1
    assert int(meta["resourceVersion"]) == store.resource_version
    assert created["status"]["conditions"][0]["type"] == "Ready"  # scenarios keep status


def test_generation_follows_spec_not_metadata_or_status(store: Store) -> None:
    store.create(helmrelease("hr", ready="True"))
    hr = _hr(store)
    hr["metadata"]["annotations"] = {"a": "b"}
    hr["status"]["observedGeneration"] = 5
    hr = store.update(hr)
    assert hr["metadata"]["generation"] == 1
    assert hr["status"]["observedGeneration"] == 1  # update does not write status
    hr["spec"]["suspend"] = True
    assert store.update(hr)["metadata"]["generation"] == 2
    hr = _hr(store)
    hr["status"]["observedGeneration"] = 2
    updated = store.update_status(hr)
    assert (updated["metadata"]["generation"], updated["status"]["observedGeneration"]) == (2, 2)


def test_a_no_op_update_does_not_bump_the_resource_version(store: Store) -> None:
    store.create(helmrelease("hr"))
    before = store.resource_version
    store.update(_hr(store))
    assert store.resource_version == before


def test_update_with_a_stale_resource_version_conflicts(store: Store) -> None:
    store.create(helmrelease("hr"))
    stale = _hr(store)
    fresh = _hr(store)
    fresh["spec"]["suspend"] = True
    store.update(fresh)
    stale["spec"]["suspend"] = False
    with pytest.raises(ApiError) as err:
        store.update(stale)
    assert (err.value.code, err.value.reason) == (409, "Conflict")


def test_returned_objects_are_copies(store: Store) -> None:
    store.create(helmrelease("hr"))
    _hr(store)["spec"]["interval"] = "changed"
    assert _hr(store)["spec"]["interval"] == "5m"


def test_namespaced_create_needs_the_namespace(store: Store) -> None:
    with pytest.raises(ApiError) as err:
        store.create(pod("p", "nowhere", {}))
    assert (err.value.code, err.value.message) == (404, 'namespaces "nowhere" not found')


def test_delete_with_finalizers_waits_for_their_removal(store: Store) -> None:
    obj = helmrelease("hr")
    obj["metadata"]["finalizers"] = ["finalizers.fluxcd.io"]
    store.create(obj)
    store.delete("helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "hr")
    held = _hr(store)
    assert held["metadata"]["deletionTimestamp"]
    held["metadata"]["finalizers"] = []
    store.update(held)
    assert store.get("helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "hr") is None


def test_deleting_an_owner_collects_dependents_unless_orphaned(store: Store) -> None:
    owner = store.create(job("j", "authentik", {}))
    for name in ("a", "b"):
        p = pod(name, "authentik", {})
        p["metadata"]["ownerReferences"] = [
            {"apiVersion": "batch/v1", "kind": "Job", "name": "j", "uid": owner["metadata"]["uid"]}
        ]
        store.create(p)
    store.delete("batch", "jobs", "authentik", "j", propagation="Background")
    assert store.list("", "pods", "authentik") == []


def test_deleting_a_namespace_deletes_its_contents(store: Store) -> None:
    store.create(pod("p", "authentik", {}))
    store.delete("", "namespaces", None, "authentik")
    terminating = store.get("", "namespaces", None, "authentik")
    assert terminating is not None and terminating["status"]["phase"] == "Terminating"
    assert store.finalize_namespace("authentik") is True
    assert store.list("", "pods") == []
    assert store.get("", "namespaces", None, "authentik") is None


def test_deleting_a_crd_removes_its_objects_and_resource(store: Store) -> None:
    store.create(helmrelease("hr"))
    store.delete(
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        None,
        "helmreleases.helm.toolkit.fluxcd.io",
    )
    assert store.registry.get("helm.toolkit.fluxcd.io", "helmreleases") is None
    with pytest.raises(ApiError):
        store.create(helmrelease("hr"))


def test_record_event_creates_a_core_event_about_the_object(store: Store) -> None:
    hr = store.create(helmrelease("hr"))
    store.record_event(hr, "ReconciliationSucceeded", "done")
    (event,) = store.list("", "events", "flux-system")
    assert event["involvedObject"] == {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "name": "hr",
        "namespace": "flux-system",
        "uid": hr["metadata"]["uid"],
        "resourceVersion": hr["metadata"]["resourceVersion"],
    }
    assert (event["reason"], event["message"], event["type"]) == (
        "ReconciliationSucceeded",
        "done",
        "Normal",
    )


def test_history_window_makes_old_versions_gone(store: Store) -> None:
    store.set_history_limit(2)
    start = store.resource_version
    for name in ("a", "b", "c"):
        store.create(pod(name, "authentik", {}))
    with pytest.raises(ApiError) as err:
        store.events_after(start, timeout=0)
    assert err.value.code == 410
    recent = store.events_after(store.resource_version - 1, timeout=0)
    assert [e.obj["metadata"]["name"] for e in recent] == ["c"]


def test_events_after_wakes_on_a_write(store: Store) -> None:
    rv = store.resource_version
    writer = threading.Timer(0.2, lambda: store.create(pod("late", "authentik", {})))
    writer.start()
    try:
        events = store.events_after(rv, timeout=10)
    finally:
        writer.cancel()
    assert [(e.type, e.obj["metadata"]["name"]) for e in events] == [("ADDED", "late")]


def test_clock_can_be_advanced(store: Store) -> None:
    before = store.now()
    store.advance(3600)
    assert (store.now() - before).total_seconds() >= 3600


def test_the_system_namespaces_may_not_be_deleted(store: Store) -> None:
    store.create(namespace("default"))
    with pytest.raises(ApiError) as err:
        store.delete("", "namespaces", None, "default")
    assert (err.value.code, err.value.message) == (
        403,
        'namespaces "default" is forbidden: this namespace may not be deleted',
    )


def test_a_new_job_gets_a_selector_and_matching_template_labels(store: Store) -> None:
    created = store.create(job("j", "authentik", {}))
    uid = created["metadata"]["uid"]
    assert created["spec"]["selector"] == {
        "matchLabels": {"batch.kubernetes.io/controller-uid": uid}
    }
    labels = created["spec"]["template"]["metadata"]["labels"]
    assert labels["batch.kubernetes.io/job-name"] == "j"
    assert labels["batch.kubernetes.io/controller-uid"] == uid
