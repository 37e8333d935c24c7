"""The simulator's API over HTTPS: watch, pagination, deletes, discovery, auth, faults."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from glmctl.sim.contracts import Scenario
from glmctl.sim.faults import Fault
from glmctl.sim.runner import SimHandle
from tests.sim_server.helpers import (
    HELMRELEASE_CRD,
    SA_USER,
    api,
    connection,
    crd,
    helmrelease,
    namespace,
    pod,
    small_cluster,
)

StartSim = Callable[..., SimHandle]
HR_PATH = "/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases"


@pytest.fixture
def sim(start_sim: StartSim) -> SimHandle:
    return start_sim(small_cluster(), controllers=[])


def _watch(
    handle: SimHandle, path: str
) -> tuple[http.client.HTTPSConnection, Iterator[dict[str, Any]]]:
    conn = connection(handle, timeout=20)
    conn.request("GET", path, headers={"Authorization": f"Bearer {handle.token}"})
    resp = conn.getresponse()
    assert resp.status == 200

    def events() -> Iterator[dict[str, Any]]:
        for line in resp:
            if line.strip():
                yield json.loads(line)

    return conn, events()


# --- watch ---------------------------------------------------------------------------


def test_an_update_during_a_watch_arrives_as_modified(sim: SimHandle) -> None:
    listed = api(sim, "GET", HR_PATH).json()
    rv = listed["metadata"]["resourceVersion"]
    conn, events = _watch(sim, f"{HR_PATH}?watch=1&resourceVersion={rv}&timeoutSeconds=10")
    try:
        patched = api(
            sim,
            "PATCH",
            f"{HR_PATH}/gitops-lifecycle-management",
            {"spec": {"suspend": True}},
            content_type="application/merge-patch+json",
        )
        assert patched.status == 200
        event = next(events)
    finally:
        conn.close()
    assert event["type"] == "MODIFIED"
    assert event["object"]["spec"]["suspend"] is True
    assert (
        event["object"]["metadata"]["resourceVersion"]
        == patched.json()["metadata"]["resourceVersion"]
    )


def test_watch_without_resource_version_starts_with_the_current_objects(sim: SimHandle) -> None:
    conn, events = _watch(
        sim, "/api/v1/pods?watch=true&labelSelector=app%3Doutpost&timeoutSeconds=5"
    )
    try:
        first = next(events)
    finally:
        conn.close()
    assert (first["type"], first["object"]["metadata"]["name"]) == ("ADDED", "broken-1")


def test_a_label_change_out_of_the_selector_is_a_deleted_event(sim: SimHandle) -> None:
    rv = sim.store.resource_version
    path = (
        f"/api/v1/namespaces/authentik/pods?watch=1&resourceVersion={rv}"
        "&labelSelector=app%3Doutpost"
    )
    conn, events = _watch(sim, path)
    try:
        api(
            sim,
            "PATCH",
            "/api/v1/namespaces/authentik/pods/broken-1",
            {"metadata": {"labels": {"app": "other"}}},
            content_type="application/merge-patch+json",
        )
        event = next(events)
    finally:
        conn.close()
    assert (event["type"], event["object"]["metadata"]["labels"]["app"]) == ("DELETED", "other")


def test_a_stale_resource_version_gets_410_gone(sim: SimHandle) -> None:
    sim.store.set_history_limit(3)
    start = sim.store.resource_version
    for i in range(5):
        api(
            sim,
            "PATCH",
            f"{HR_PATH}/gitops-lifecycle-management",
            {"metadata": {"annotations": {"n": str(i)}}},
            content_type="application/merge-patch+json",
        )
    conn, events = _watch(sim, f"{HR_PATH}?watch=1&resourceVersion={start}")
    try:
        event = next(events)
    finally:
        conn.close()
    assert event["type"] == "ERROR"
    status = event["object"]
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 410, "Expired")
    assert "too old resource version" in status["message"]


def test_a_watch_ends_at_its_timeout(sim: SimHandle) -> None:
    conn, events = _watch(
        sim, f"{HR_PATH}?watch=1&resourceVersion={sim.store.resource_version}&timeoutSeconds=1"
    )
    try:
        assert list(events) == []  # the stream closes cleanly, with no events
    finally:
        conn.close()


def test_a_watch_that_allows_bookmarks_ends_with_one(sim: SimHandle) -> None:
    rv = sim.store.resource_version
    sim.store.create(pod("late", "authentik", {}))
    conn, events = _watch(
        sim, f"/api/v1/pods?watch=1&resourceVersion={rv}&timeoutSeconds=1&allowWatchBookmarks=true"
    )
    try:
        seen = [(e["type"], e["object"]["metadata"]["resourceVersion"]) for e in events]
    finally:
        conn.close()
    assert seen == [("ADDED", str(rv + 1)), ("BOOKMARK", str(rv + 1))]


# --- list and pagination ---------------------------------------------------------------


def test_pagination_with_limit_and_continue(sim: SimHandle) -> None:
    names: list[str] = []
    path = "/api/v1/pods?limit=3"
    first = api(sim, "GET", path).json()
    names += [p["metadata"]["name"] for p in first["items"]]
    assert first["metadata"]["remainingItemCount"] == 1
    token = first["metadata"]["continue"]
    rest = api(sim, "GET", f"{path}&continue={token}").json()
    names += [p["metadata"]["name"] for p in rest["items"]]
    assert "continue" not in rest["metadata"]
    assert names == ["broken-1", "database-init-abcde", "connect-0", "token-setup-xyz12"]


def test_a_continue_token_older_than_the_history_gets_410(sim: SimHandle) -> None:
    token = api(sim, "GET", "/api/v1/pods?limit=1").json()["metadata"]["continue"]
    sim.store.set_history_limit(1)
    for i in range(3):
        api(
            sim,
            "PATCH",
            "/api/v1/namespaces/authentik/pods/broken-1",
            {"metadata": {"annotations": {"n": str(i)}}},
            content_type="application/merge-patch+json",
        )
    resp = api(sim, "GET", f"/api/v1/pods?limit=1&continue={token}")
    assert resp.status == 410
    assert resp.json()["reason"] == "Expired"


def test_not_found_is_a_status_body(sim: SimHandle) -> None:
    resp = api(sim, "GET", f"{HR_PATH}/missing")
    assert resp.status == 404
    assert resp.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'helmreleases.helm.toolkit.fluxcd.io "missing" not found',
        "reason": "NotFound",
        "details": {"name": "missing", "group": "helm.toolkit.fluxcd.io", "kind": "helmreleases"},
        "code": 404,
    }


def test_create_needs_the_namespace_and_refuses_duplicates(sim: SimHandle) -> None:
    body = helmrelease("new", ns="nowhere")
    resp = api(sim, "POST", "/apis/helm.toolkit.fluxcd.io/v2/namespaces/nowhere/helmreleases", body)
    assert (resp.status, resp.json()["message"]) == (404, 'namespaces "nowhere" not found')
    again = api(sim, "POST", HR_PATH, helmrelease("gitops-lifecycle-management"))
    assert (again.status, again.json()["reason"]) == (409, "AlreadyExists")


def test_status_is_only_written_through_the_status_subresource(sim: SimHandle) -> None:
    path = f"{HR_PATH}/gitops-lifecycle-management"
    current = api(sim, "GET", path).json()
    changed = {**current, "status": {"conditions": []}, "spec": {**current["spec"], "x": 1}}
    updated = api(sim, "PUT", path, changed).json()
    assert updated["status"] == current["status"]
    assert updated["metadata"]["generation"] == 2
    via_status = api(sim, "PUT", f"{path}/status", {**updated, "status": {"conditions": []}})
    assert via_status.json()["status"] == {"conditions": []}
    assert via_status.json()["metadata"]["generation"] == 2


def test_a_stale_put_is_a_conflict(sim: SimHandle) -> None:
    path = f"{HR_PATH}/gitops-lifecycle-management"
    current = api(sim, "GET", path).json()
    assert api(sim, "PUT", path, current).status == 200
    api(
        sim, "PATCH", path, {"spec": {"suspend": True}}, content_type="application/merge-patch+json"
    )
    resp = api(sim, "PUT", path, current)
    assert (resp.status, resp.json()["reason"]) == (409, "Conflict")


def test_dry_run_changes_nothing(sim: SimHandle) -> None:
    before = sim.store.resource_version
    created = api(sim, "POST", f"{HR_PATH}?dryRun=All", helmrelease("trial"))
    patched = api(
        sim,
        "PATCH",
        f"{HR_PATH}/gitops-lifecycle-management?dryRun=All",
        {"spec": {"suspend": True}},
        content_type="application/merge-patch+json",
    )
    deleted = api(sim, "DELETE", f"{HR_PATH}/gitops-lifecycle-management?dryRun=All")
    assert (created.status, patched.status, deleted.status) == (201, 200, 200)
    assert patched.json()["spec"]["suspend"] is True
    assert sim.store.resource_version == before
    assert sim.store.get("helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "trial") is None


# --- deletion ------------------------------------------------------------------------


def test_delete_preconditions_that_do_not_hold_are_a_conflict(sim: SimHandle) -> None:
    path = "/api/v1/namespaces/flux-system/pods/connect-0"
    resp = api(sim, "DELETE", path, {"preconditions": {"uid": "not-the-uid"}})
    assert resp.status == 409
    assert "Precondition failed: UID in precondition: not-the-uid" in resp.json()["message"]
    stale = api(sim, "DELETE", path, {"preconditions": {"resourceVersion": "1"}})
    assert stale.status == 409
    uid = api(sim, "GET", path).json()["metadata"]["uid"]
    assert api(sim, "DELETE", path, {"preconditions": {"uid": uid}}).status == 200
    assert api(sim, "GET", path).status == 404


def test_finalizers_hold_an_object_until_removed(sim: SimHandle) -> None:
    path = f"{HR_PATH}/gitops-lifecycle-management"
    api(
        sim,
        "PATCH",
        path,
        {"metadata": {"finalizers": ["finalizers.fluxcd.io"]}},
        content_type="application/merge-patch+json",
    )
    resp = api(sim, "DELETE", path)
    assert resp.status == 200
    held = api(sim, "GET", path).json()
    assert held["metadata"]["deletionTimestamp"]
    assert held["metadata"]["finalizers"] == ["finalizers.fluxcd.io"]
    api(
        sim,
        "PATCH",
        path,
        {"metadata": {"finalizers": None}},
        content_type="application/merge-patch+json",
    )
    assert api(sim, "GET", path).status == 404


def test_background_deletion_collects_a_jobs_pods(sim: SimHandle) -> None:
    resp = api(
        sim,
        "DELETE",
        "/apis/batch/v1/namespaces/authentik/jobs/database-init",
        {"propagationPolicy": "Background"},
    )
    assert resp.status == 200
    assert sim.store.get("", "pods", "authentik", "database-init-abcde") is None


def test_orphan_deletion_keeps_the_pods_without_owner(sim: SimHandle) -> None:
    resp = api(
        sim,
        "DELETE",
        "/apis/batch/v1/namespaces/authentik/jobs/database-init",
        {"propagationPolicy": "Orphan"},
    )
    assert resp.status == 200
    kept = sim.store.get("", "pods", "authentik", "database-init-abcde")
    assert kept is not None and "ownerReferences" not in kept["metadata"]


def test_a_job_deleted_without_a_policy_orphans_its_pods_as_the_api_does(
    sim: SimHandle,
) -> None:
    assert (
        api(sim, "DELETE", "/apis/batch/v1/namespaces/authentik/jobs/database-init").status == 200
    )
    assert sim.store.get("", "pods", "authentik", "database-init-abcde") is not None


def test_foreground_deletion_removes_dependents_first(sim: SimHandle) -> None:
    seen: list[str] = []
    conn, events = _watch(sim, f"/api/v1/pods?watch=1&resourceVersion={sim.store.resource_version}")
    try:
        resp = api(
            sim,
            "DELETE",
            "/apis/batch/v1/namespaces/flux-system/jobs/token-setup",
            {"propagationPolicy": "Foreground"},
        )
        assert resp.status == 200
        event = next(events)
        seen.append(event["type"])
    finally:
        conn.close()
    assert seen == ["DELETED"]
    assert sim.store.get("batch", "jobs", "flux-system", "token-setup") is None


# --- discovery -----------------------------------------------------------------------


def test_a_crd_registers_and_unregisters_its_resource(sim: SimHandle) -> None:
    es_crd = crd("external-secrets.io", "v1", "ExternalSecret", "externalsecrets", ["es"])
    assert api(sim, "GET", "/apis/external-secrets.io/v1").status == 404
    assert (
        api(sim, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", es_crd).status
        == 201
    )
    resources = api(sim, "GET", "/apis/external-secrets.io/v1").json()["resources"]
    assert {r["name"] for r in resources} == {"externalsecrets", "externalsecrets/status"}
    entry = next(r for r in resources if r["name"] == "externalsecrets")
    assert entry["shortNames"] == ["es"] and entry["namespaced"] is True
    groups = {g["name"] for g in api(sim, "GET", "/apis").json()["groups"]}
    assert "external-secrets.io" in groups
    assert (
        api(
            sim,
            "DELETE",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
            "externalsecrets.external-secrets.io",
        ).status
        == 200
    )
    assert api(sim, "GET", "/apis/external-secrets.io/v1/externalsecrets").status == 404


def test_core_discovery_lists_subresources(sim: SimHandle) -> None:
    names = {r["name"] for r in api(sim, "GET", "/api/v1").json()["resources"]}
    assert {"pods", "pods/log", "pods/status", "secrets", "events", "namespaces"} <= names


def test_table_of_helmreleases(sim: SimHandle) -> None:
    resp = api(
        sim,
        "GET",
        HR_PATH,
        headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"},
    )
    body = resp.json()
    assert body["kind"] == "Table"
    assert [c["name"] for c in body["columnDefinitions"]] == ["Name", "Age", "Ready", "Status"]
    row = body["rows"][0]
    assert row["cells"][0] == "gitops-lifecycle-management"
    assert row["cells"][2:] == ["True", "Helm install succeeded"]
    assert row["object"]["kind"] == "PartialObjectMetadata"


# --- authentication and authorization ----------------------------------------------------


def test_an_unknown_token_is_unauthorized(sim: SimHandle) -> None:
    resp = api(sim, "GET", "/api/v1/pods", token="wrong")
    assert resp.status == 401
    assert resp.json()["reason"] == "Unauthorized"


def test_scenario_users_are_authorized_by_rbac(start_sim: StartSim) -> None:
    base = small_cluster()
    scenario = Scenario(
        base.name,
        base.description,
        base.objects,
        base.logs,
        {"users": [{"name": "alice", "token": "alice-token", "groups": ["ops"]}]},
    )
    sim = start_sim(scenario, controllers=[])
    resp = api(sim, "GET", "/api/v1/namespaces/authentik/secrets", token="alice-token")
    assert resp.status == 403
    assert resp.json()["message"] == (
        'secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in '
        'the namespace "authentik"'
    )
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": "list", "resource": "services"}},
    }
    answer = api(
        sim,
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        review,
        headers={"Impersonate-User": SA_USER},
    )
    assert answer.json()["status"]["allowed"] is True
    denied = api(
        sim,
        "POST",
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        review,
        token="alice-token",
        headers={"Impersonate-User": SA_USER},
    )
    assert denied.status == 403  # alice may not impersonate


# --- faults --------------------------------------------------------------------------


def test_429_then_success(sim: SimHandle) -> None:
    sim.faults.add(Fault(kind="429", path=r"/api/v1/pods$", count=1, retry_after=2))
    throttled = api(sim, "GET", "/api/v1/pods")
    assert throttled.status == 429
    assert throttled.headers["Retry-After"] == "2"
    assert throttled.json()["reason"] == "TooManyRequests"
    assert api(sim, "GET", "/api/v1/pods").status == 200


def test_faults_over_the_admin_endpoint(sim: SimHandle) -> None:
    added = api(sim, "POST", "/_sim/faults", [{"kind": "500", "path": "secrets", "count": 2}])
    assert added.json()["faults"][0]["kind"] == "500"
    assert api(sim, "GET", "/api/v1/secrets").status == 500
    assert api(sim, "DELETE", "/_sim/faults").json() == {"faults": []}
    assert api(sim, "GET", "/api/v1/secrets").status == 200


def test_a_dropped_connection_gets_no_response(sim: SimHandle) -> None:
    sim.faults.add(Fault(kind="drop", path="/api/v1/pods", count=1))
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        api(sim, "GET", "/api/v1/pods")
    assert api(sim, "GET", "/api/v1/pods").status == 200


def test_a_watch_can_be_cut_mid_stream(sim: SimHandle) -> None:
    sim.faults.add(Fault(kind="drop", path="/api/v1/pods", count=1, seconds=0.5))
    conn, events = _watch(sim, "/api/v1/pods?watch=1&timeoutSeconds=30")
    try:
        with pytest.raises((http.client.IncompleteRead, ConnectionError, ValueError)):
            list(events)
    finally:
        conn.close()


def test_expired_credentials_fault_is_401(sim: SimHandle) -> None:
    sim.faults.add(Fault(kind="401", count=1))
    assert api(sim, "GET", "/api/v1/pods").status == 401
    assert api(sim, "GET", "/api/v1/pods").status == 200


@pytest.mark.parametrize(("kind", "reason"), [("403", "Forbidden"), ("410", "Expired")])
def test_forbidden_and_gone_faults_answer_as_the_api_does(
    sim: SimHandle, kind: str, reason: str
) -> None:
    sim.faults.add(Fault(kind=kind, path="/api/v1/pods", count=1))
    first = api(sim, "GET", "/api/v1/pods")
    assert (first.status, first.json()["reason"]) == (int(kind), reason)
    assert api(sim, "GET", "/api/v1/pods").status == 200


def test_latency_fault_delays_the_answer_without_failing_it(sim: SimHandle) -> None:
    sim.faults.add(Fault(kind="latency", seconds=0.2, count=1))
    assert api(sim, "GET", "/version").status == 200


def test_stop_ends_open_watches(start_sim: StartSim) -> None:
    sim = start_sim(
        Scenario(
            "empty", "", [HELMRELEASE_CRD, namespace("flux-system"), pod("p", "flux-system", {})]
        ),
        controllers=[],
    )
    conn, events = _watch(sim, "/api/v1/pods?watch=1&timeoutSeconds=60")
    assert next(events)["type"] == "ADDED"
    stopper = threading.Thread(target=sim.stop)
    stopper.start()
    try:
        rest = list(events)
    except (http.client.IncompleteRead, ConnectionError):
        rest = []
    finally:
        conn.close()
        stopper.join(timeout=10)
    assert rest == []
    assert not stopper.is_alive()


def test_two_requests_on_one_connection_after_an_error_with_a_body(sim: SimHandle) -> None:
    conn = connection(sim)
    try:
        headers = {"Authorization": f"Bearer {sim.token}", "Content-Type": "application/json"}
        conn.request("POST", "/apis/nowhere/v1/things", body=b'{"kind":"Thing"}', headers=headers)
        first = conn.getresponse()
        first.read()
        conn.request("GET", "/version", headers=headers)
        second = conn.getresponse()
        assert (first.status, second.status) == (404, 200)
        assert json.loads(second.read())["major"] == "1"
    finally:
        conn.close()


def test_fault_rules_are_validated() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        Fault(kind="teapot")
    with pytest.raises(ValueError, match="unknown fault fields: colour"):
        Fault.from_dict({"kind": "500", "colour": "red"})
    rule = Fault.from_dict({"kind": "429", "method": "get", "count": 2})
    assert rule.applies_to("GET", "/api/v1/pods") and not rule.applies_to("POST", "/api")
