"""The cluster layer and ``glmctl status`` over real HTTPS against the simulated cluster.

The simulators here run without controllers: these tests read and write the API, they do
not wait for reconciliation, so the world stays as the scenario describes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from glmctl.cluster import flux, helm, resources
from glmctl.cluster.client import Cluster, RetryPolicy, WatchExpired
from glmctl.cluster.resources import ResourceType
from glmctl.errors import Conflict, CrdNotInstalled, NotFound
from glmctl.sim.faults import Fault
from glmctl.sim.runner import SimHandle, start_simulator
from glmctl.sim.scenario import load_scenario
from tests.conftest import CliResult
from tests.polling import wait_for

LIFECYCLE_KS = "infrastructure-gitops-lifecycle-management"
RELEASE = "gitops-lifecycle-management"
CONTROLLER_SA = "system:serviceaccount:flux-system:gitops-lifecycle-management"
FLUX_NS = "flux-system"


def start(scenario: str) -> SimHandle:
    return start_simulator(load_scenario(scenario), controllers=[])


@pytest.fixture(scope="module")
def healthy() -> Iterator[SimHandle]:
    with start("healthy") as handle:
        yield handle


@pytest.fixture(scope="module")
def failed() -> Iterator[SimHandle]:
    with start("helmrelease-failed") as handle:
        yield handle


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def connect(handle: SimHandle, sleeps: Sleeps | None = None) -> Cluster:
    return Cluster.connect(handle.kubeconfig_path, sleep=sleeps or Sleeps())


# -- reads, writes, errors ------------------------------------------------------------


def test_get_and_flux_readiness_of_the_lifecycle_kustomization(healthy: SimHandle) -> None:
    with connect(healthy) as cluster:
        ks = cluster.get(resources.KUSTOMIZATION, LIFECYCLE_KS, FLUX_NS)
        assert flux.readiness(ks).ready
        assert ("flux-system", "infrastructure-authentik") in flux.depends_on(ks)
        assert cluster.server_version().startswith("v1.")
        assert cluster.context_name == healthy.context


def test_read_retries_through_an_injected_429_and_500(healthy: SimHandle) -> None:
    sleeps = Sleeps()
    path = f"/kustomizations/{LIFECYCLE_KS}$"
    # Every matching rule consumes one count per request, and the 429 answers first:
    # request 1 gets the 429, request 2 the 500, request 3 the object.
    healthy.inject(Fault("429", path=path, count=1, retry_after=2))
    healthy.inject(Fault("500", path=path, count=2))
    with connect(healthy, sleeps) as cluster:
        ks = cluster.get(resources.KUSTOMIZATION, LIFECYCLE_KS, FLUX_NS)

    assert ks["metadata"]["name"] == LIFECYCLE_KS
    assert cluster.request_count == 3
    assert sleeps.delays[0] == 2.0  # Retry-After honoured
    assert len(sleeps.delays) == 2


def test_list_follows_pagination(healthy: SimHandle) -> None:
    with connect(healthy) as cluster:
        whole = cluster.list(resources.POD, page_size=0)
        before = cluster.request_count
        paged = cluster.list(resources.POD, page_size=2)
        pages = cluster.request_count - before

    assert len(whole) > 4
    assert [p["metadata"]["uid"] for p in paged] == [p["metadata"]["uid"] for p in whole]
    assert pages == (len(whole) + 1) // 2


def test_label_and_field_selectors(healthy: SimHandle) -> None:
    with connect(healthy) as cluster:
        lifecycle = cluster.list(
            resources.POD, label_selector="app.kubernetes.io/name=gitops-lifecycle-management"
        )
        named = cluster.list(
            resources.KUSTOMIZATION, FLUX_NS, field_selector=f"metadata.name={LIFECYCLE_KS}"
        )
    assert lifecycle
    assert all(p["metadata"]["labels"]["app.kubernetes.io/name"] == RELEASE for p in lifecycle)
    assert [k["metadata"]["name"] for k in named] == [LIFECYCLE_KS]


def test_watch_replays_a_modification_after_the_list_version(healthy: SimHandle) -> None:
    with connect(healthy) as cluster:
        listed = cluster.list_with_version(resources.KUSTOMIZATION, FLUX_NS)
        requested = flux.format_requested_at(__import__("datetime").datetime.now())
        cluster.patch_merge(
            resources.KUSTOMIZATION,
            LIFECYCLE_KS,
            FLUX_NS,
            {"metadata": {"annotations": {flux.REQUESTED_AT_ANNOTATION: requested}}},
        )
        events = cluster.watch(
            resources.KUSTOMIZATION,
            FLUX_NS,
            resource_version=listed.resource_version,
            timeout_seconds=2,
        )
        first = next(e for e in events if e.type != "BOOKMARK")
        events.close()  # type: ignore[attr-defined]

    assert first.type == "MODIFIED"
    assert flux.reconcile_requested_at(first.object) == requested


def test_watch_from_a_compacted_version_raises_watch_expired() -> None:
    with start("healthy") as handle, connect(handle) as cluster:
        listed = cluster.list_with_version(resources.KUSTOMIZATION, FLUX_NS)
        cluster.patch_merge(
            resources.KUSTOMIZATION, LIFECYCLE_KS, FLUX_NS, {"metadata": {"labels": {"x": "1"}}}
        )
        handle.store.set_history_limit(0)
        with pytest.raises(WatchExpired):
            list(
                cluster.watch(
                    resources.KUSTOMIZATION,
                    FLUX_NS,
                    resource_version=listed.resource_version,
                    timeout_seconds=2,
                )
            )


def test_missing_object_and_missing_crd(healthy: SimHandle) -> None:
    with connect(healthy) as cluster:
        with pytest.raises(NotFound):
            cluster.get(resources.KUSTOMIZATION, "no-such-kustomization", FLUX_NS)
        with pytest.raises(CrdNotInstalled) as raised:
            cluster.list(resources.OCIREPOSITORY, FLUX_NS)
        assert "is the ocirepositories.source.toolkit.fluxcd.io CRD installed?" in (
            raised.value.message
        )
        assert cluster.is_served(resources.EXTERNALSECRET)
        assert not cluster.is_served(resources.OCIREPOSITORY)
        assert (resources.KUSTOMIZATION.group, "kustomizations") in cluster.served_resources()


def test_a_kind_served_only_at_another_version_is_found(healthy: SimHandle) -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget"},
            "scope": "Namespaced",
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object"}},
                }
            ],
        },
    }
    widget_v1beta1 = ResourceType("example.com", "v1beta1", "widgets", "Widget")
    with connect(healthy) as cluster:
        cluster.create(crd)
        assert cluster.list(widget_v1beta1, "default") == []
        assert cluster.resolve(widget_v1beta1).version == "v1"


def test_delete_preconditions_and_dry_run(healthy: SimHandle) -> None:
    with connect(healthy) as cluster:
        jobs = cluster.list(resources.JOB, label_selector=f"app.kubernetes.io/name={RELEASE}")
        job = jobs[0]
        name, namespace = job["metadata"]["name"], job["metadata"]["namespace"]
        with pytest.raises(Conflict):
            cluster.delete(resources.JOB, name, namespace, uid="not-the-uid")
        cluster.delete(resources.JOB, name, namespace, dry_run=True)
        assert (
            cluster.get(resources.JOB, name, namespace)["metadata"]["uid"]
            == (job["metadata"]["uid"])
        )


def test_pod_logs_tail(healthy: SimHandle) -> None:
    with connect(healthy) as cluster:
        pods = cluster.list(
            resources.POD, FLUX_NS, label_selector="app.kubernetes.io/component=service-discovery"
        )
        logs = cluster.pod_logs(pods[0]["metadata"]["name"], FLUX_NS, tail_lines=1)
    assert logs.count("\n") <= 1
    assert "reconciled proxy providers" in logs


def test_can_i_with_impersonation_follows_the_scenarios_rbac(healthy: SimHandle) -> None:
    with connect(healthy) as cluster:
        assert cluster.can_i("list", "services").allowed  # the admin
        assert cluster.can_i("list", "services", as_user=CONTROLLER_SA).allowed
    with start("service-discovery-rbac-missing") as broken, connect(broken) as cluster:
        assert not cluster.can_i("list", "services", as_user=CONTROLLER_SA).allowed


def test_helm_release_read_from_its_secrets(healthy: SimHandle) -> None:
    with connect(healthy) as cluster:
        info = helm.read_release(cluster, RELEASE, FLUX_NS)
        absent = helm.read_release(cluster, "never-installed", FLUX_NS)
    assert info is not None and info.deployed
    assert info.chart_name == RELEASE
    assert {h.phase for h in info.hooks} == {"Succeeded"}
    assert absent is None


# -- glmctl status ---------------------------------------------------------------------

_AGE = re.compile(r"  (\d+[smhd]|-)$", re.MULTILINE)


def deterministic(text: str, handle: SimHandle) -> str:
    """Ages (they depend on when the simulator loaded the scenario) as a placeholder."""
    return _AGE.sub("  <age>", text)


def stable_json(text: str) -> Any:
    def scrub(node: dict[str, Any]) -> dict[str, Any]:
        for key in ("age", "created", "lastTransitionTime"):
            if node.get(key) is not None:
                node[key] = f"<{key}>"
        node["children"] = [scrub(child) for child in node["children"]]
        return node

    data = json.loads(text)
    data["tree"] = scrub(data["tree"])
    data["observedAt"] = "<observedAt>"
    return data


def test_status_of_a_healthy_cluster(
    healthy: SimHandle, run_cli: Callable[..., CliResult], snapshot: SnapshotAssertion
) -> None:
    result = run_cli(["status", "--kubeconfig", str(healthy.kubeconfig_path)])

    assert result.exit_code == 0, result.stderr
    assert deterministic(result.stdout, healthy) == snapshot


def test_status_of_a_failed_helmrelease(
    failed: SimHandle, run_cli: Callable[..., CliResult], snapshot: SnapshotAssertion
) -> None:
    rendered = run_cli(["status", "--kubeconfig", str(failed.kubeconfig_path)])
    as_json = run_cli(["status", "-o", "json", "--kubeconfig", str(failed.kubeconfig_path)])

    assert rendered.exit_code == 1, rendered.stderr
    assert "HelmRelease/gitops-lifecycle-management  ✗ NotReady" in rendered.stdout
    assert deterministic(rendered.stdout, failed) == snapshot
    assert as_json.exit_code == 1
    data = stable_json(as_json.stdout)
    assert data["ready"] is False
    assert f"HelmRelease/{FLUX_NS}/{RELEASE}" in data["notReady"]
    assert data == snapshot


def test_status_unknown_context_against_the_simulator(
    healthy: SimHandle, run_cli: Callable[..., CliResult]
) -> None:
    result = run_cli(["status", "--context", "prod", "--kubeconfig", str(healthy.kubeconfig_path)])
    assert result.exit_code == 3
    assert f"available contexts: {healthy.context}." in result.stderr


def test_status_reads_few_requests(healthy: SimHandle, tmp_path: Path) -> None:
    from glmctl.config import Profile
    from glmctl.status import StatusTargets, build_status

    with connect(healthy) as cluster:
        targets = StatusTargets.from_profile(Profile())
        report = build_status(cluster, targets, context=cluster.context_name)
        assert report.all_ready
        assert cluster.request_count == len(report.nodes)  # one GET per object shown


def test_unreachable_after_the_simulator_stops(tmp_path: Path) -> None:
    handle = start("healthy")
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_bytes(handle.kubeconfig_path.read_bytes())
    handle.stop()
    cluster = Cluster.connect(kubeconfig, retry=RetryPolicy(attempts=2), sleep=Sleeps())
    with pytest.raises(Exception) as raised:
        cluster.get(resources.KUSTOMIZATION, LIFECYCLE_KS, FLUX_NS)
    assert type(raised.value).__name__ == "ClusterUnreachable"
    assert handle.url in str(raised.value)


def test_reconcile_request_is_handled_by_the_controller(
    start_sim: Callable[..., SimHandle],
) -> None:
    from datetime import UTC, datetime

    handle = start_sim(load_scenario("healthy"))
    with connect(handle) as cluster:
        now = datetime.now(UTC)
        requested = flux.format_requested_at(now)
        cluster.patch_merge(
            resources.KUSTOMIZATION, LIFECYCLE_KS, FLUX_NS, flux.reconcile_request_patch(now)
        )
        handled = wait_for(
            lambda: flux.reconcile_handled(
                cluster.get(resources.KUSTOMIZATION, LIFECYCLE_KS, FLUX_NS), requested
            )
        )
        ks = cluster.get(resources.KUSTOMIZATION, LIFECYCLE_KS, FLUX_NS)

    assert handled
    assert flux.last_handled_reconcile(ks) == requested
    assert flux.readiness(ks).ready


def test_suspend_patch_is_reported_by_readiness(
    start_sim: Callable[..., SimHandle],
) -> None:
    handle = start_sim(load_scenario("healthy"), controllers=[])
    with connect(handle) as cluster:
        ks = cluster.patch_merge(
            resources.KUSTOMIZATION, LIFECYCLE_KS, FLUX_NS, flux.suspend_patch(True)
        )
        assert flux.is_suspended(ks)
        resumed = cluster.patch_merge(
            resources.KUSTOMIZATION, LIFECYCLE_KS, FLUX_NS, flux.suspend_patch(False)
        )

    assert flux.readiness(ks).suspended
    assert not flux.readiness(resumed).suspended


def test_status_takes_its_names_from_the_profile(
    healthy: SimHandle, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    profile = tmp_path / "glmctl.yaml"
    profile.write_text(
        "flux:\n  lifecycle_kustomization:\n    name: renamed-lifecycle\n"
        "    namespace: flux-system\n",
        encoding="utf-8",
    )
    result = run_cli(
        [
            "status",
            "-o",
            "json",
            "--config",
            str(profile),
            "--kubeconfig",
            str(healthy.kubeconfig_path),
        ]
    )

    assert result.exit_code == 1, result.stderr
    tree = json.loads(result.stdout)["tree"]
    assert (tree["name"], tree["status"], tree["message"]) == (
        "renamed-lifecycle",
        "NotFound",
        "not found",
    )
    assert tree["children"][-1]["name"] == RELEASE  # the HelmRelease is still shown


def test_events_for_an_object_over_http(healthy: SimHandle) -> None:
    from glmctl.cluster.events import events_for

    with connect(healthy) as cluster:
        release = cluster.get(resources.HELMRELEASE, RELEASE, FLUX_NS)
        healthy.store.record_event(release, "UpgradeFailed", "boom", "Warning")
        found = events_for(cluster, release)
    assert ("UpgradeFailed", "boom", True) in [(e.reason, e.message, e.warning) for e in found]


def test_expired_credentials_are_reloaded_once_then_exit_3(
    start_sim: Callable[..., SimHandle], run_cli: Callable[..., CliResult]
) -> None:
    handle = start_sim(load_scenario("healthy"), controllers=[])
    handle.inject(Fault("401", count=1))
    with connect(handle) as cluster:  # one 401: the reload and retry get through
        assert cluster.get(resources.KUSTOMIZATION, LIFECYCLE_KS, FLUX_NS)
        assert cluster.request_count == 2

    handle.inject(Fault("401"))
    result = run_cli(["status", "--kubeconfig", str(handle.kubeconfig_path)])
    assert result.exit_code == 3
    assert "rejected the credentials of user" in result.stderr
    assert handle.token not in result.stderr
