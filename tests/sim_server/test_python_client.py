"""The official ``kubernetes`` Python client (what glmctl's cluster layer builds on)
against the simulator, reading the kubeconfig the runner writes."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from glmctl.sim.runner import SimHandle
from tests.sim_server.helpers import small_cluster

StartSim = Callable[..., SimHandle]


@pytest.fixture
def client(start_sim: StartSim) -> tuple[SimHandle, object]:
    kubernetes = pytest.importorskip("kubernetes")
    sim = start_sim(small_cluster(), controllers=[])
    api_client = kubernetes.config.new_client_from_config(
        config_file=str(sim.kubeconfig_path), context=sim.context
    )
    return sim, api_client


def test_list_pods_and_read_logs(client: tuple[SimHandle, object]) -> None:
    from kubernetes import client as k8s

    _, api_client = client
    core = k8s.CoreV1Api(api_client)
    pods = core.list_namespaced_pod("flux-system", label_selector="app.kubernetes.io/name")
    assert sorted(p.metadata.name for p in pods.items) == ["connect-0", "token-setup-xyz12"]
    log = core.read_namespaced_pod_log("connect-0", "flux-system", tail_lines=1)
    assert log == "listening on :8080\n"


def test_watch_reports_a_status_update(client: tuple[SimHandle, object]) -> None:
    from kubernetes import client as k8s
    from kubernetes import watch

    sim, api_client = client
    custom = k8s.CustomObjectsApi(api_client)
    listed = custom.list_namespaced_custom_object(
        "helm.toolkit.fluxcd.io", "v2", "flux-system", "helmreleases"
    )
    hr = sim.store.get(
        "helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "gitops-lifecycle-management"
    )
    assert hr is not None
    hr["status"]["observedGeneration"] = 7

    timer = threading.Timer(0.3, lambda: sim.store.update_status(hr))
    timer.start()
    stream = watch.Watch()
    try:
        events = stream.stream(
            custom.list_namespaced_custom_object,
            "helm.toolkit.fluxcd.io",
            "v2",
            "flux-system",
            "helmreleases",
            resource_version=listed["metadata"]["resourceVersion"],
            timeout_seconds=10,
        )
        event = next(iter(events))
    finally:
        stream.stop()
        timer.cancel()
    assert event["type"] == "MODIFIED"
    assert event["object"]["status"]["observedGeneration"] == 7


def test_access_review_with_impersonation(client: tuple[SimHandle, object]) -> None:
    from kubernetes import client as k8s

    _, api_client = client
    api_client.default_headers["Impersonate-User"] = (  # type: ignore[attr-defined]
        "system:serviceaccount:flux-system:gitops-lifecycle-management"
    )
    review = k8s.V1SelfSubjectAccessReview(
        spec=k8s.V1SelfSubjectAccessReviewSpec(
            resource_attributes=k8s.V1ResourceAttributes(verb="list", resource="services")
        )
    )
    answer = k8s.AuthorizationV1Api(api_client).create_self_subject_access_review(review)
    assert answer.status.allowed is True
