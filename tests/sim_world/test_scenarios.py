"""Scenario files: every shipped one loads, is valid, and the loader's rules hold."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from glmctl.errors import ConfigError, UsageError
from glmctl.sim.contracts import Obj
from glmctl.sim.generate import generate_scenario
from glmctl.sim.helm_storage import decode_release
from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import (
    list_scenarios,
    load_scenario,
    object_key,
    parse_duration,
    scenario_names,
    validate_object,
)
from tests.sim_world.api import Api

StartSim = Callable[..., SimHandle]
SHIPPED = scenario_names()
REQUIRED = {
    "healthy",
    "predeploy",
    "helmrelease-failed",
    "externalsecrets-not-syncing",
    "onepassword-down",
    "service-discovery-rbac-missing",
    "old-jobs-running",
    "failed-pods",
}


def _find(objects: list[Obj], kind: str, name: str, namespace: str = "") -> Obj | None:
    for obj in objects:
        meta = obj["metadata"]
        if obj["kind"] == kind and meta["name"] == name and meta.get("namespace", "") == namespace:
            return obj
    return None


def _ready(obj: Obj | None) -> tuple[str, str]:
    for item in (obj or {}).get("status", {}).get("conditions", []):
        if item["type"] == "Ready":
            return item["status"], item["reason"]
    return ("", "")


def test_the_required_scenarios_are_shipped_and_listed() -> None:
    assert set(SHIPPED) >= REQUIRED
    listed = dict(list_scenarios())
    assert set(listed) == {*SHIPPED, "generated"}
    assert all(listed.values()), "every scenario has a description"
    assert not any(name.startswith("_") for name in listed), "fragments are not listed"


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_loads_with_valid_unique_objects(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name
    for index, obj in enumerate(scenario.objects):
        validate_object(obj, f"{name}[{index}]")
    keys = Counter(object_key(obj) for obj in scenario.objects)
    assert [key for key, count in keys.items() if count > 1] == []
    kinds = [obj["kind"] for obj in scenario.objects]
    assert kinds[: kinds.count("CustomResourceDefinition")] == ["CustomResourceDefinition"] * 8
    for key in scenario.logs:
        namespace, pod = key.split("/")
        found = _find(scenario.objects, "Pod", pod, namespace) or _find(
            scenario.behaviours["pending"], "Pod", pod, namespace
        )
        job_pod = any(pod.startswith(obj["metadata"]["name"]) for obj in scenario.objects)
        assert found is not None or job_pod, f"log for unknown pod {key}"


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_is_accepted_by_the_api_server(
    name: str, start_sim: StartSim
) -> None:
    scenario = load_scenario(name)
    api = Api(start_sim(scenario, controllers=[]))
    pods = api.items("/api/v1/pods")
    expected = [obj for obj in scenario.objects if obj["kind"] == "Pod"]
    assert len(pods) == len(expected)
    crds = api.items("/apis/apiextensions.k8s.io/v1/customresourcedefinitions")
    assert len(crds) == 8


def test_healthy_is_the_guides_cluster_after_a_good_deploy() -> None:
    objects = load_scenario("healthy").objects
    for name in (
        "infrastructure-sources",
        "infrastructure-external-secrets",
        "infrastructure-onepassword-connect",
        "infrastructure-authentik",
        "infrastructure-gitops-lifecycle-management",
        "infrastructure-authentik-outpost-config",
    ):
        ks = _find(objects, "Kustomization", name, "flux-system")
        assert _ready(ks) == ("True", "ReconciliationSucceeded"), name
    lifecycle = _find(
        objects, "Kustomization", "infrastructure-gitops-lifecycle-management", "flux-system"
    )
    assert lifecycle is not None
    assert {d["name"] for d in lifecycle["spec"]["dependsOn"]} == {
        "infrastructure-sources",
        "infrastructure-external-secrets",
        "infrastructure-onepassword-connect",
        "infrastructure-authentik",
    }
    helmrelease = _find(objects, "HelmRelease", "gitops-lifecycle-management", "flux-system")
    assert _ready(helmrelease) == ("True", "InstallSucceeded")
    secrets = {
        obj["metadata"]["name"]: obj["metadata"]["namespace"]
        for obj in objects
        if obj["kind"] == "ExternalSecret"
    }
    assert secrets == {
        "authentik-admin-token": "authentik",
        "authentik-outpost-config": "authentik",
        "grafana-oidc-secret": "authentik",
        "dashboard-oidc-secret": "authentik",
        "postgresql-admin-credentials": "home-automation",
    }
    for name, namespace in secrets.items():
        assert _find(objects, "Secret", name, namespace) is not None, name
    old_jobs = {o["metadata"]["name"] for o in objects if o["kind"] == "Job"} & {
        "enhanced-token-setup",
        "grafana-oidc-setup",
        "dashboard-oidc-setup",
        "cleanup-duplicate-tokens",
        "radius-outpost-config",
    }
    assert old_jobs == {"radius-outpost-config"}, "replaced jobs are pruned after the deploy"
    [release] = [o for o in objects if o.get("type") == "helm.sh/release.v1"]
    assert decode_release(release)["info"]["status"] == "deployed"


def test_predeploy_has_prerequisites_ready_and_the_chart_not_installed() -> None:
    scenario = load_scenario("predeploy")
    objects = scenario.objects
    lifecycle = _find(
        objects, "Kustomization", "infrastructure-gitops-lifecycle-management", "flux-system"
    )
    assert lifecycle is not None and lifecycle["spec"]["suspend"] is True
    assert _find(objects, "HelmRelease", "gitops-lifecycle-management", "flux-system") is None
    assert not [o for o in objects if o.get("type") == "helm.sh/release.v1"]
    pending = scenario.behaviours["pending"]
    assert _find(pending, "HelmRelease", "gitops-lifecycle-management", "flux-system")
    assert all("status" not in obj for obj in pending)
    jobs = [o for o in objects if o["kind"] == "Job" and o["metadata"]["namespace"] == "authentik"]
    assert len(jobs) == 5
    assert all(any(c["type"] == "Complete" for c in job["status"]["conditions"]) for job in jobs), (
        "old jobs present but finished"
    )


def test_failure_scenarios_say_what_went_wrong() -> None:
    failed = load_scenario("helmrelease-failed").objects
    helmrelease = _find(failed, "HelmRelease", "gitops-lifecycle-management", "flux-system")
    assert _ready(helmrelease) == ("False", "InstallFailed")
    stalled = [c for c in helmrelease["status"]["conditions"] if c["type"] == "Stalled"]  # type: ignore[index]
    assert stalled[0]["reason"] == "RetriesExceeded"
    [release] = [o for o in failed if o.get("type") == "helm.sh/release.v1"]
    assert decode_release(release)["info"]["status"] == "failed"

    for name in ("externalsecrets-not-syncing", "onepassword-down"):
        objects = load_scenario(name).objects
        assert _ready(_find(objects, "ClusterSecretStore", "onepassword-connect"))[0] == "False"
        assert {_ready(o) for o in objects if o["kind"] == "ExternalSecret"} == {
            ("False", "SecretSyncedError")
        }

    down = load_scenario("onepassword-down")
    pod = _find(down.objects, "Pod", "onepassword-connect-6d8f7b9c4d-x7k2p", "onepassword-connect")
    assert pod is not None
    waiting = [s["state"].get("waiting", {}) for s in pod["status"]["containerStatuses"]]
    assert {"CrashLoopBackOff"} <= {w.get("reason") for w in waiting}
    assert "(E)" in down.logs["onepassword-connect/onepassword-connect-6d8f7b9c4d-x7k2p"]

    rbac = load_scenario("service-discovery-rbac-missing")
    assert not [o for o in rbac.objects if o["kind"] == "ClusterRoleBinding"]
    assert any("forbidden" in text for text in rbac.logs.values())

    running = load_scenario("old-jobs-running").objects
    active = {o["metadata"]["name"] for o in running if o.get("status", {}).get("active")}
    assert active == {
        "enhanced-token-setup",
        "grafana-oidc-setup",
        "dashboard-oidc-setup",
        "cleanup-duplicate-tokens",
    }

    pods = load_scenario("failed-pods").objects
    failed_pods = [
        o
        for o in pods
        if o["kind"] == "Pod"
        and o["metadata"]["namespace"] == "authentik"
        and o["status"]["phase"] == "Failed"
    ]
    assert len(failed_pods) == 2


def test_relative_timestamps_resolve_at_load_time() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    objects = load_scenario("healthy").objects
    job = _find(objects, "Job", "gitops-lifecycle-management-auth-setup", "flux-system")
    assert job is not None
    completed = datetime.fromisoformat(job["status"]["completionTime"].replace("Z", "+00:00"))
    assert 85 <= (before - completed).total_seconds() <= 95


def test_unknown_scenario_says_did_you_mean_and_names_the_valid_ones() -> None:
    with pytest.raises(UsageError) as caught:
        load_scenario("helthy")
    assert caught.value.message == "unknown scenario 'helthy', did you mean healthy?"
    assert caught.value.hint is not None
    assert "healthy, helmrelease-failed" in caught.value.hint


def test_a_scenario_file_by_path_with_a_base(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "name: mine\n"
        "description: healthy without its binding\n"
        "base: healthy\n"
        "remove: [ClusterRoleBinding/gitops-lifecycle-management-service-discovery]\n"
        "behaviours: {timeScale: 0.5}\n"
        "---\n"
        "apiVersion: v1\nkind: ConfigMap\n"
        "metadata: {name: extra, namespace: flux-system, annotations: {at: !ago 1h}}\n"
    )
    scenario = load_scenario(str(path))
    assert scenario.name == "mine"
    assert scenario.behaviours["timeScale"] == 0.5
    assert "jobs" in scenario.behaviours, "behaviours merge over the base's"
    assert not [o for o in scenario.objects if o["kind"] == "ClusterRoleBinding"]
    extra = _find(scenario.objects, "ConfigMap", "extra", "flux-system")
    assert extra is not None and extra["metadata"]["annotations"]["at"].endswith("Z")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\n---\nkind: Pod\n", "lacks apiVersion"),
        ("name: x\nbase: healthy\nremove: [Pod/nowhere/nothing]\n", "does not have"),
        ("name: x\nsurprise: 1\n", "unknown header key(s) surprise"),
        (
            "name: x\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n",
            "needs metadata.namespace",
        ),
        ("name: x\nlogs: {a: !ago soon}\n", ":2: not a duration"),
        ("name: x\n  bad: [\n", "invalid YAML"),
    ],
)
def test_bad_scenario_files_are_one_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_scenario(str(path))
    assert expected in caught.value.message
    assert str(path) in caught.value.message


def test_base_chains_that_loop_are_refused(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(f"name: a\nbase: {second}\n")
    second.write_text(f"name: b\nbase: {first}\n")
    with pytest.raises(ConfigError, match="loops"):
        load_scenario(str(first))


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("5m", 300), ("1h30m", 5400), ("500ms", 0.5), (12, 12)]
)
def test_durations_read_the_way_go_writes_them(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_generator_adds_the_requested_counts_deterministically(start_sim: StartSim) -> None:
    base = load_scenario("healthy")
    generated = generate_scenario(30, 12, 700)
    again = generate_scenario(30, 12, 700)
    names = [object_key(o) for o in generated.objects]
    assert names == [object_key(o) for o in again.objects]
    count = Counter(o["kind"] for o in generated.objects)
    before = Counter(o["kind"] for o in base.objects)
    assert count["Kustomization"] - before["Kustomization"] == 30
    assert count["HelmRelease"] - before["HelmRelease"] == 12
    assert count["Pod"] - before["Pod"] == 700

    api = Api(start_sim(generated, controllers=[]))
    assert (
        len(api.items("/apis/kustomize.toolkit.fluxcd.io/v1/kustomizations"))
        == count["Kustomization"]
    )
    assert len(api.items("/apis/helm.toolkit.fluxcd.io/v2/helmreleases")) == count["HelmRelease"]
    assert len(api.items("/api/v1/pods")) == count["Pod"]
    releases = api.items("/api/v1/namespaces/bench-00/secrets?labelSelector=owner%3Dhelm")
    assert len(releases) == 12


def test_no_object_is_created_after_the_times_in_its_status(
    start_sim: Callable[..., SimHandle],
) -> None:
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")

    def times(value: object) -> list[str]:
        if isinstance(value, str):
            return [value] if stamp.match(value) else []
        if isinstance(value, dict):
            return [t for v in value.values() for t in times(v)]
        if isinstance(value, list):
            return [t for v in value for t in times(v)]
        return []

    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    sim = start_sim(load_scenario("healthy"), controllers=[])
    checked = 0
    for rt in sim.store.registry.all():
        for obj in sim.store.list(rt.group, rt.plural):
            created = parse(obj["metadata"]["creationTimestamp"])
            for text in times(obj.get("status")):
                assert created <= parse(text), (obj["kind"], obj["metadata"]["name"], text)
                checked += 1
    assert checked > 50
