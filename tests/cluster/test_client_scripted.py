"""The request policy and error mapping over real HTTP, against a scripted throwaway server."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from glmctl.cluster import resources
from glmctl.cluster.client import Cluster, RetryPolicy, ServerTimedOut, Timeouts, WatchExpired
from glmctl.errors import (
    ApiError,
    ClusterUnreachable,
    CrdNotInstalled,
    ExitCode,
    Forbidden,
    NotFound,
    Unauthorized,
)
from tests.cluster.scripted_api import Reply, ScriptedApi, scripted_api, write_kubeconfig

KS_PATH = "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations"


class Sleeps:
    """Records the delays the client asked for instead of sleeping them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def api() -> Iterator[ScriptedApi]:
    with scripted_api() as server:
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def connect(tmp_path: Path, url: str, sleeps: Sleeps, attempts: int = 4) -> Cluster:
    kubeconfig = write_kubeconfig(tmp_path / "config", url)
    return Cluster.connect(kubeconfig, retry=RetryPolicy(attempts=attempts), sleep=sleeps)


def ks(name: str) -> dict[str, object]:
    return {"kind": "Kustomization", "metadata": {"name": name, "namespace": "flux-system"}}


def test_get_returns_the_json_and_sends_the_token(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    api.script("GET", f"{KS_PATH}/apps", Reply(200, ks("apps")))
    cluster = connect(tmp_path, api.url, sleeps)

    obj = cluster.get(resources.KUSTOMIZATION, "apps", "flux-system")

    assert obj["metadata"]["name"] == "apps"
    assert api.requests_to(f"{KS_PATH}/apps")[0].headers["authorization"] == ["Bearer t0ken"]
    assert cluster.request_count == 1
    assert cluster.context_name == "sim"


def test_read_retries_through_429_honouring_retry_after_and_a_500(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    throttled = Reply(429, {"kind": "Status", "code": 429}, {"Retry-After": "2"})
    api.script("GET", f"{KS_PATH}/apps", throttled, Reply(500, {}), Reply(200, ks("apps")))
    cluster = connect(tmp_path, api.url, sleeps)

    obj = cluster.get(resources.KUSTOMIZATION, "apps", "flux-system")

    assert obj["metadata"]["name"] == "apps"
    assert len(api.requests_to(f"{KS_PATH}/apps")) == 3
    assert sleeps.delays[0] == 2.0
    assert len(sleeps.delays) == 2
    assert cluster.request_count == 3


def test_reads_give_up_after_the_bounded_attempts(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    api.script("GET", f"{KS_PATH}/apps", Reply(503, {"message": "etcd is sad"}))
    cluster = connect(tmp_path, api.url, sleeps, attempts=3)

    with pytest.raises(ApiError) as raised:
        cluster.get(resources.KUSTOMIZATION, "apps", "flux-system")

    assert raised.value.status == 503
    assert "etcd is sad" in raised.value.message
    assert len(api.requests_to(f"{KS_PATH}/apps")) == 3


def test_writes_are_not_retried_after_a_response(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    api.script("PATCH", f"{KS_PATH}/apps", Reply(500, {"message": "boom"}), Reply(200, ks("x")))
    cluster = connect(tmp_path, api.url, sleeps)

    with pytest.raises(ApiError):
        cluster.patch_merge(resources.KUSTOMIZATION, "apps", "flux-system", {"spec": {}})

    assert len(api.requests_to(f"{KS_PATH}/apps")) == 1
    assert sleeps.delays == []


def test_merge_patch_sends_the_patch_content_type_and_dry_run(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    api.script("PATCH", f"{KS_PATH}/apps", Reply(200, ks("apps")))
    cluster = connect(tmp_path, api.url, sleeps)

    cluster.patch_merge(
        resources.KUSTOMIZATION, "apps", "flux-system", {"spec": {"suspend": True}}, dry_run=True
    )

    seen = api.requests_to(f"{KS_PATH}/apps")[0]
    assert seen.headers["content-type"] == ["application/merge-patch+json"]
    assert json.loads(seen.body) == {"spec": {"suspend": True}}
    assert "dryRun=All" in seen.path


def test_a_401_reloads_credentials_once_and_retries(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("old", encoding="utf-8")
    kubeconfig = write_kubeconfig(
        tmp_path / "config", api.url, token="", user_extra={"tokenFile": str(token_file)}
    )
    api.script("GET", f"{KS_PATH}/apps", Reply(401, {"kind": "Status"}), Reply(200, ks("apps")))
    cluster = Cluster.connect(kubeconfig, sleep=sleeps)
    token_file.write_text("new", encoding="utf-8")  # an exec plugin would mint a new one

    cluster.get(resources.KUSTOMIZATION, "apps", "flux-system")

    sent = [s.headers["authorization"] for s in api.requests_to(f"{KS_PATH}/apps")]
    assert sent == [["Bearer old"], ["Bearer new"]]


def test_a_second_401_is_unauthorized_with_exit_3(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    api.script("GET", f"{KS_PATH}/apps", Reply(401, {"kind": "Status", "reason": "Unauthorized"}))
    cluster = connect(tmp_path, api.url, sleeps)

    with pytest.raises(Unauthorized) as raised:
        cluster.get(resources.KUSTOMIZATION, "apps", "flux-system")

    assert raised.value.exit_code == ExitCode.CLUSTER
    assert len(api.requests_to(f"{KS_PATH}/apps")) == 2
    assert "t0ken" not in raised.value.message


def test_forbidden_carries_the_servers_sentence_and_a_can_i_hint(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    message = (
        'kustomizations.kustomize.toolkit.fluxcd.io is forbidden: User "dev" cannot list '
        'resource "kustomizations" in API group "kustomize.toolkit.fluxcd.io" in the '
        'namespace "flux-system"'
    )
    api.script(
        "GET", KS_PATH, Reply(403, {"kind": "Status", "reason": "Forbidden", "message": message})
    )
    cluster = connect(tmp_path, api.url, sleeps)

    with pytest.raises(Forbidden) as raised:
        cluster.list(resources.KUSTOMIZATION, "flux-system")

    assert 'cannot list resource "kustomizations"' in raised.value.message
    assert raised.value.hint is not None
    assert "kubectl auth can-i list kustomizations.kustomize.toolkit.fluxcd.io -n flux-system" in (
        raised.value.hint
    )


def test_missing_object_is_not_found(api: ScriptedApi, tmp_path: Path, sleeps: Sleeps) -> None:
    body = {"kind": "Status", "code": 404, "reason": "NotFound", "details": {"name": "gone"}}
    api.script("GET", f"{KS_PATH}/gone", Reply(404, body))
    cluster = connect(tmp_path, api.url, sleeps)

    with pytest.raises(NotFound) as raised:
        cluster.get(resources.KUSTOMIZATION, "gone", "flux-system")

    assert raised.value.message == "Kustomization flux-system/gone not found."
    assert cluster.get_or_none(resources.KUSTOMIZATION, "gone", "flux-system") is None


def test_missing_crd_is_named(api: ScriptedApi, tmp_path: Path, sleeps: Sleeps) -> None:
    # Nothing scripted under /apis/kustomize.toolkit.fluxcd.io: every path there is a 404.
    cluster = connect(tmp_path, api.url, sleeps)

    with pytest.raises(CrdNotInstalled) as raised:
        cluster.list(resources.KUSTOMIZATION, "flux-system")

    assert (
        "is the kustomizations.kustomize.toolkit.fluxcd.io CRD installed?" in raised.value.message
    )
    assert not cluster.is_served(resources.KUSTOMIZATION)


def test_a_kind_served_at_another_version_is_found_by_discovery(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    api.script(
        "GET",
        "/apis/external-secrets.io",
        Reply(200, {"preferredVersion": {"version": "v1"}, "versions": [{"version": "v1"}]}),
    )
    api.script(
        "GET",
        "/apis/external-secrets.io/v1",
        Reply(
            200, {"resources": [{"name": "externalsecrets"}, {"name": "externalsecrets/status"}]}
        ),
    )
    es_path = "/apis/external-secrets.io/v1/namespaces/authentik/externalsecrets"
    api.script("GET", es_path, Reply(200, {"metadata": {"resourceVersion": "7"}, "items": [{}]}))
    cluster = connect(tmp_path, api.url, sleeps)

    items = cluster.list(resources.EXTERNALSECRET, "authentik")

    assert items == [{}]
    assert cluster.resolve(resources.EXTERNALSECRET).version == "v1"


def test_list_follows_continue_tokens(api: ScriptedApi, tmp_path: Path, sleeps: Sleeps) -> None:
    api.script(
        "GET",
        KS_PATH,
        Reply(200, {"metadata": {"continue": "page2"}, "items": [ks("a"), ks("b")]}),
        Reply(200, {"metadata": {"resourceVersion": "42"}, "items": [ks("c")]}),
    )
    cluster = connect(tmp_path, api.url, sleeps)

    result = cluster.list_with_version(resources.KUSTOMIZATION, "flux-system", page_size=2)

    assert [o["metadata"]["name"] for o in result.items] == ["a", "b", "c"]
    assert result.resource_version == "42"
    paths = [s.path for s in api.requests_to(KS_PATH)]
    assert "limit=2" in paths[0] and "continue" not in paths[0]
    assert "continue=page2" in paths[1]


def test_watch_410_raises_watch_expired(api: ScriptedApi, tmp_path: Path, sleeps: Sleeps) -> None:
    api.script("GET", KS_PATH, Reply(410, {"kind": "Status", "code": 410, "reason": "Expired"}))
    cluster = connect(tmp_path, api.url, sleeps)

    with pytest.raises(WatchExpired):
        list(cluster.watch(resources.KUSTOMIZATION, "flux-system", resource_version="1"))


def test_watch_error_event_410_raises_watch_expired(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    lines = [
        {"type": "ADDED", "object": ks("a") | {"metadata": {"name": "a", "resourceVersion": "5"}}},
        {"type": "ERROR", "object": {"kind": "Status", "code": 410, "message": "too old"}},
    ]
    api.script("GET", KS_PATH, Reply(200, b"".join(json.dumps(x).encode() + b"\n" for x in lines)))
    cluster = connect(tmp_path, api.url, sleeps)
    events = cluster.watch(resources.KUSTOMIZATION, "flux-system", timeout_seconds=5)

    first = next(events)
    assert (first.type, first.resource_version) == ("ADDED", "5")
    with pytest.raises(WatchExpired):
        next(events)
    watch_path = api.requests_to(KS_PATH)[0].path
    assert "watch=true" in watch_path and "timeoutSeconds=5" in watch_path


def test_access_review_impersonates_user_and_groups(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
    api.script("POST", path, Reply(201, {"status": {"allowed": False, "reason": "no binding"}}))
    cluster = connect(tmp_path, api.url, sleeps)

    review = cluster.can_i(
        "list",
        "services",
        as_user="system:serviceaccount:flux-system:gitops-lifecycle-management",
        as_groups=["system:serviceaccounts", "system:authenticated"],
    )

    assert (review.allowed, review.reason) == (False, "no binding")
    seen = api.requests_to(path)[0]
    assert seen.headers["impersonate-user"] == [
        "system:serviceaccount:flux-system:gitops-lifecycle-management"
    ]
    assert seen.headers["impersonate-group"] == ["system:serviceaccounts", "system:authenticated"]
    spec = json.loads(seen.body)["spec"]["resourceAttributes"]
    assert spec == {"verb": "list", "resource": "services"}


def test_delete_sends_propagation_and_preconditions(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    path = "/apis/batch/v1/namespaces/authentik/jobs/old"
    api.script("DELETE", path, Reply(200, {"kind": "Status", "status": "Success"}))
    cluster = connect(tmp_path, api.url, sleeps)

    cluster.delete(
        resources.JOB, "old", "authentik", propagation="Foreground", uid="u-1", resource_version="9"
    )

    options = json.loads(api.requests_to(path)[0].body)
    assert options["propagationPolicy"] == "Foreground"
    assert options["preconditions"] == {"uid": "u-1", "resourceVersion": "9"}
    assert "dryRun" not in options


def test_unreachable_server_names_the_url(tmp_path: Path, sleeps: Sleeps) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"  # closed once the probe socket is gone
    cluster = connect(tmp_path, url, sleeps, attempts=2)

    with pytest.raises(ClusterUnreachable) as raised:
        cluster.server_version()

    assert url in raised.value.message
    assert raised.value.exit_code == ExitCode.CLUSTER
    assert len(sleeps.delays) == 1


def test_a_silent_server_hits_the_client_side_read_timeout_once_without_retrying(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    api.script("GET", f"{KS_PATH}/apps", Reply(hold="before"))
    kubeconfig = write_kubeconfig(tmp_path / "config", api.url)
    cluster = Cluster.connect(
        kubeconfig, timeouts=Timeouts(read=0.3), retry=RetryPolicy(attempts=5), sleep=sleeps
    )

    with pytest.raises(ServerTimedOut) as raised:
        cluster.get(resources.KUSTOMIZATION, "apps", "flux-system")

    assert raised.value.message.startswith(f"the API server at {api.url} (context 'sim') ")
    assert raised.value.message.endswith(" s.")  # "did not answer within 0.3 s."
    assert "did not answer within" in raised.value.message
    assert raised.value.exit_code == ExitCode.TIMEOUT
    assert isinstance(raised.value, ClusterUnreachable)  # what reconnecting callers catch
    # A read, yet not sent again: a hung server would cost attempts x read timeout.
    assert len(api.requests_to(f"{KS_PATH}/apps")) == 1
    assert sleeps.delays == []


def test_a_watch_on_a_dropped_network_ends_after_its_timeout_plus_margin(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    event = {"type": "ADDED", "object": {"metadata": {"name": "a", "resourceVersion": "3"}}}
    api.script("GET", KS_PATH, Reply(200, json.dumps(event).encode() + b"\n", hold="after-body"))
    kubeconfig = write_kubeconfig(tmp_path / "config", api.url)
    cluster = Cluster.connect(kubeconfig, timeouts=Timeouts(watch_margin=0.3), sleep=sleeps)

    events = cluster.watch(resources.KUSTOMIZATION, "flux-system", timeout_seconds=1)
    assert next(events).resource_version == "3"
    with pytest.raises(ClusterUnreachable) as raised:
        next(events)
    assert "the watch on Kustomization list" in raised.value.message
    assert "ConnectionPool" not in raised.value.message  # urllib3's wording, not ours


def test_the_clients_own_retries_are_off_so_a_delete_is_sent_once(
    api: ScriptedApi, tmp_path: Path, sleeps: Sleeps
) -> None:
    # urllib3's default Retry would re-send a DELETE on 503 + Retry-After by itself.
    path = "/apis/batch/v1/namespaces/authentik/jobs/old"
    api.script("DELETE", path, Reply(503, {"message": "busy"}, {"Retry-After": "0"}))
    api.script("GET", path, Reply(503, {"message": "busy"}, {"Retry-After": "0"}))
    cluster = connect(tmp_path, api.url, sleeps, attempts=2)

    with pytest.raises(ApiError):
        cluster.delete(resources.JOB, "old", "authentik")
    assert [s.method for s in api.requests_to(path)] == ["DELETE"]

    with pytest.raises(ApiError):
        cluster.get(resources.JOB, "old", "authentik")
    assert [s.method for s in api.requests_to(path)] == ["DELETE", "GET", "GET"]
    assert sleeps.delays == [0.0]


def test_list_items_get_the_type_the_server_leaves_out() -> None:
    """A real API server's JobList items carry no kind or apiVersion (found on the real
    engine: redeploy's plan then named a Job '?' and crashed); list fills them in."""
    from glmctl.cluster.client import _with_type

    page = {"kind": "JobList", "apiVersion": "batch/v1", "items": []}
    assert _with_type({"metadata": {"name": "j"}}, page) == {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
    }
    typed = {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease", "metadata": {}}
    assert _with_type(typed, {"kind": "HelmReleaseList", "apiVersion": "x/v1"}) == typed
