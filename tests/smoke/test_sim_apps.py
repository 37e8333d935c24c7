"""The simulated applications behind the service proxy, over real HTTP: through glmctl's
gateway (``Cluster.proxy``) and the real kubectl (``kubectl get --raw``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from glmctl.cluster import resources
from glmctl.cluster.client import Cluster
from glmctl.errors import NotFound
from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario, with_time_scale
from tests.polling import wait_for

AUTHENTIK = ("authentik", "authentik-server", 9000)
CONNECT = ("onepassword-connect", "onepassword-connect", 8080)


def _cluster(handle: SimHandle) -> Cluster:
    return Cluster.connect(kubeconfig=handle.kubeconfig_path)


def _token(handle: SimHandle) -> str:
    import base64

    secret = handle.store.get("", "secrets", "authentik", "authentik-admin-token")
    assert secret is not None
    return base64.b64decode(secret["data"]["token"]).decode()


def test_authentik_accepts_the_secrets_token_and_lists_oidc_providers(
    start_sim: Callable[..., SimHandle],
) -> None:
    handle = start_sim(load_scenario("healthy"), controllers=[])
    with _cluster(handle) as cluster:
        bearer = f"Bearer {_token(handle)}"
        me = cluster.proxy(*AUTHENTIK, "/api/v3/core/users/me/", upstream_authorization=bearer)
        assert me.status == 200
        assert me.json()["user"]["username"] == "akadmin"
        bad = cluster.proxy(*AUTHENTIK, "/api/v3/core/users/me/", upstream_authorization="Bearer x")
        assert bad.status == 401
        providers = cluster.proxy(
            *AUTHENTIK, "/api/v3/providers/oauth2/", upstream_authorization=bearer
        ).json()
        assert sorted(p["name"] for p in providers["results"]) == ["dashboard", "grafana"]
        assert providers["pagination"]["count"] == 2


def test_invalid_token_scenario_refuses_the_secrets_token(
    start_sim: Callable[..., SimHandle],
) -> None:
    handle = start_sim(load_scenario("smoke-invalid-token"), controllers=[])
    with _cluster(handle) as cluster:
        me = cluster.proxy(
            *AUTHENTIK, "/api/v3/core/users/me/", upstream_authorization=f"Bearer {_token(handle)}"
        )
        assert me.status == 401


def test_connect_heartbeat_and_health(
    start_sim: Callable[..., SimHandle], kubectl: Callable[..., tuple[int, str, str]]
) -> None:
    handle = start_sim(load_scenario("smoke-connect-unhealthy"), controllers=[])
    with _cluster(handle) as cluster:
        beat = cluster.proxy(*CONNECT, "/heartbeat")
        assert (beat.status, beat.body) == (200, b".")
    code, out, err = kubectl(
        handle,
        "get",
        "--raw",
        "/api/v1/namespaces/onepassword-connect/services/onepassword-connect:8080/proxy/health",
    )
    assert code == 0, err
    health = json.loads(out)
    assert {d["service"]: d["status"] for d in health["dependencies"]} == {
        "sqlite": "ACTIVE",
        "sync": "ERROR",
    }


def test_a_service_without_an_app_or_ready_pod_is_503(
    start_sim: Callable[..., SimHandle],
) -> None:
    handle = start_sim(load_scenario("onepassword-down"), controllers=[])
    with _cluster(handle) as cluster:
        answer = cluster.proxy(*CONNECT, "/heartbeat")
        assert answer.no_endpoints
        with pytest.raises(NotFound):
            cluster.proxy("authentik", "no-such-service", 80, "/")


@pytest.mark.parametrize(
    ("scenario", "created", "removed"),
    [
        ("healthy", True, True),
        ("smoke-discovery-never-creates", False, True),
        ("smoke-discovery-never-cleans-up", True, False),
        ("service-discovery-rbac-missing", False, True),
    ],
)
def test_service_discovery_provider_follows_the_labelled_service(
    start_sim: Callable[..., SimHandle], scenario: str, created: bool, removed: bool
) -> None:
    handle = start_sim(with_time_scale(load_scenario(scenario), 0.05), controllers=[])
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "probe",
            "namespace": "default",
            "labels": {"authentik.io/proxy": "enabled"},
        },
        "spec": {"selector": {"app": "probe"}, "ports": [{"port": 80}]},
    }
    bearer = f"Bearer {_token(handle)}"
    with _cluster(handle) as cluster:

        def names() -> list[str]:
            found = cluster.proxy(
                *AUTHENTIK, "/api/v3/providers/proxy/", upstream_authorization=bearer
            ).json()
            return [p["name"] for p in found["results"]]

        made = cluster.create(service)
        if created:
            wait_for(lambda: "default-probe" in names(), timeout=10)
        else:  # well past the discovery delay (2 s x 0.05)
            born = datetime.fromisoformat(
                made["metadata"]["creationTimestamp"].replace("Z", "+00:00")
            )
            wait_for(lambda: handle.store.now() > born + timedelta(seconds=1.5), timeout=5)
            assert "default-probe" not in names()
            return
        cluster.delete(resources.SERVICE, "probe", "default")
        if removed:
            wait_for(lambda: "default-probe" not in names(), timeout=10)
        else:
            assert "default-probe" in names()
