"""``glmctl monitor`` and ``follow()`` against the simulated cluster, over HTTPS."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from glmctl.cluster import flux, resources
from glmctl.cluster.client import Cluster, Timeouts
from glmctl.cluster.resources import KUSTOMIZATION
from glmctl.config import Profile
from glmctl.monitor import (
    MonitorTargets,
    MonitorUpdate,
    Stream,
    Verdict,
    _Reset,
    _Watcher,
    follow,
)
from glmctl.sim.faults import Fault
from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario, with_time_scale
from tests.conftest import CliResult

NS = "flux-system"
KS = "infrastructure-gitops-lifecycle-management"
HR = "gitops-lifecycle-management"
AUTH_HOOK = "gitops-lifecycle-management-auth-setup"
TIME_SCALE = 0.05
TARGETS = MonitorTargets.from_profile(Profile())


def scenario(name: str) -> Any:
    return with_time_scale(load_scenario(name), TIME_SCALE)


def deploy(cluster: Cluster) -> None:
    """What an operator does in `predeploy`: resume the lifecycle Kustomization, reconcile."""
    patch = {**flux.suspend_patch(False), **flux.reconcile_request_patch(datetime.now(UTC))}
    cluster.patch_merge(resources.KUSTOMIZATION, KS, NS, patch)


def cli(run_cli: Callable[..., CliResult], handle: SimHandle, *args: str) -> CliResult:
    result: CliResult = run_cli(["monitor", "--kubeconfig", str(handle.kubeconfig_path), *args])
    return result


class Recorder:
    """An ``on_update`` that keeps every update and runs ``first`` once, on the first one."""

    def __init__(self, first: Callable[[], None] | None = None) -> None:
        self.updates: list[MonitorUpdate] = []
        self.first = first

    def __call__(self, update: MonitorUpdate) -> None:
        self.updates.append(update)
        if self.first is not None:
            first, self.first = self.first, None
            first()

    def states_of(self, kind: str) -> list[str]:
        return [row.state for u in self.updates for row in u.changed if row.kind == kind]


def test_follow_sees_the_controllers_bring_the_release_to_ready(
    start_sim: Callable[..., SimHandle],
) -> None:
    handle = start_sim(scenario("predeploy"))
    with (
        Cluster.connect(handle.kubeconfig_path) as cluster,
        Cluster.connect(handle.kubeconfig_path) as operator,
    ):
        recorder = Recorder(first=lambda: deploy(operator))
        outcome = follow(cluster, TARGETS, 45, recorder)

    assert outcome.verdict is Verdict.READY, outcome.summary
    assert outcome.exit_code == 0
    assert recorder.states_of("HelmRelease")[0] == "NotFound"
    assert recorder.states_of("HelmRelease")[-1] == "Ready"
    assert {"Running", "Complete"} <= set(recorder.states_of("Job"))
    assert "InstallSucceeded" in [e.reason for e in outcome.events]
    assert {row.name for row in outcome.objects if row.kind == "Job"} == {
        AUTH_HOOK,
        "gitops-lifecycle-management-database-init",
    }


def test_monitor_exits_0_after_a_requested_reconcile(
    start_sim: Callable[..., SimHandle], run_cli: Callable[..., CliResult]
) -> None:
    handle = start_sim(scenario("predeploy"))
    with Cluster.connect(handle.kubeconfig_path) as operator:
        deploy(operator)

    result = cli(run_cli, handle, "--timeout", "45")

    assert result.exit_code == 0, result.stdout + result.stderr
    assert "All 4 objects Ready." in result.stdout
    assert "event Normal InstallSucceeded HelmRelease/flux-system/" in result.stdout
    assert "\x1b[" not in result.stdout


def test_monitor_exits_1_when_the_release_failed_install(
    start_sim: Callable[..., SimHandle], run_cli: Callable[..., CliResult]
) -> None:
    handle = start_sim(scenario("helmrelease-failed"))

    result = cli(run_cli, handle, "--timeout", "45")

    assert result.exit_code == 1, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("Failed: HelmRelease/gitops-lifecycle-management NotReady (")
    assert "InstallFailed" in summary
    assert "(gave up: RetriesExceeded: Failed to install after 4 attempt(s))" in result.stdout


def test_monitor_exits_4_on_timeout_waiting_for_a_suspended_kustomization(
    start_sim: Callable[..., SimHandle], run_cli: Callable[..., CliResult]
) -> None:
    handle = start_sim(scenario("predeploy"))

    result = cli(run_cli, handle, "--timeout", "1")

    assert result.exit_code == 4, result.stdout + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("Timed out after 1 s. Waiting for Kustomization/")
    assert "suspended" in summary


def test_a_connection_budget_running_out_mid_request_ends_the_wait_as_timed_out(
    start_sim: Callable[..., SimHandle],
) -> None:
    """`monitor --timeout N` connects with N as the connection's budget: a list cut short by
    it is the wait's own deadline, so the outcome is "timed out" with the state, not an
    error."""
    handle = start_sim(scenario("predeploy"))
    elsewhere = "/namespaces/elsewhere/kustomizations$"
    handle.faults.add(Fault("latency", path=elsewhere, method="GET", count=1, seconds=5))
    dependency = {"spec": {"dependsOn": [{"name": "infra", "namespace": "elsewhere"}]}}
    with (
        Cluster.connect(handle.kubeconfig_path, timeouts=Timeouts(total=2.5)) as cluster,
        Cluster.connect(handle.kubeconfig_path) as operator,
    ):
        # A new dependency in a namespace not listed yet: the follower lists it, slowly.
        add = Recorder(first=lambda: operator.patch_merge(KUSTOMIZATION, KS, NS, dependency))
        outcome = follow(cluster, TARGETS, 45, add)

    assert outcome.verdict is Verdict.WAITING, outcome.summary
    assert outcome.exit_code == 4
    assert outcome.timeout <= 2.5
    assert outcome.summary.startswith("Timed out after 2")
    left = [f.count for f in handle.faults.active() if f.path == elsewhere]
    assert left in ([], [0])  # the slow list was asked for


def test_once_reports_the_current_state_with_the_same_exit_codes(
    start_sim: Callable[..., SimHandle], run_cli: Callable[..., CliResult]
) -> None:
    healthy = start_sim(scenario("healthy"), controllers=[])
    failed = start_sim(scenario("helmrelease-failed"), controllers=[])
    pending = start_sim(scenario("predeploy"), controllers=[])

    ok = cli(run_cli, healthy, "--once")
    bad = cli(run_cli, failed, "--once", "-o", "json")
    waiting = cli(run_cli, pending, "--once")

    assert ok.exit_code == 0, ok.stdout + ok.stderr
    assert bad.exit_code == 1
    document = json.loads(bad.stdout)
    assert (document["apiVersion"], document["kind"]) == ("glmctl.io/v1", "MonitorReport")
    assert (document["verdict"], document["exitCode"]) == ("failed", 1)
    assert {o["name"]: o["failed"] for o in document["objects"]} == {
        KS: False,
        HR: True,
        AUTH_HOOK: True,
    }
    assert waiting.exit_code == 4
    assert "Timed out" not in waiting.stdout
    assert waiting.stdout.strip().splitlines()[-1].startswith("Waiting for Kustomization/")


def test_a_failed_hook_job_ends_the_wait_at_once(start_sim: Callable[..., SimHandle]) -> None:
    """The test plays helm-controller: an install in progress, then its hook Job fails."""
    handle = start_sim(scenario("healthy"), controllers=[])
    store = handle.store
    release = store.get("helm.toolkit.fluxcd.io", "helmreleases", NS, HR)
    assert release is not None
    release["status"]["conditions"] = [
        {"type": "Ready", "status": "Unknown", "reason": "Progressing", "message": "installing"},
        {"type": "Reconciling", "status": "True", "reason": "Progressing", "message": "..."},
    ]
    store.update_status(release)
    hook = store.get("batch", "jobs", NS, AUTH_HOOK)
    assert hook is not None
    hook["status"] = {"active": 1, "startTime": hook["status"].get("startTime")}
    store.update_status(hook)

    def fail_the_hook() -> None:
        current = store.get("batch", "jobs", NS, AUTH_HOOK)
        assert current is not None
        current["status"] = {
            "failed": 1,
            "conditions": [
                {
                    "type": "Failed",
                    "status": "True",
                    "reason": "BackoffLimitExceeded",
                    "message": "Job has reached the specified backoff limit",
                }
            ],
        }
        store.update_status(current)

    recorder = Recorder(first=fail_the_hook)
    with Cluster.connect(handle.kubeconfig_path) as cluster:
        outcome = follow(cluster, TARGETS, 50, recorder)

    assert outcome.verdict is Verdict.FAILED, outcome.summary
    assert outcome.exit_code == 1
    assert outcome.summary == (
        f"Failed: Job/{AUTH_HOOK} Failed "
        "(BackoffLimitExceeded: Job has reached the specified backoff limit)."
    )
    assert recorder.states_of("Job")[0] == "Running"


def test_follow_stays_correct_through_dropped_watches(
    start_sim: Callable[..., SimHandle], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="glmctl.monitor")
    handle = start_sim(scenario("predeploy"))
    watched = "/(kustomizations|helmreleases|jobs|events)$"
    drops = Fault("drop", path=watched, method="GET", count=40, seconds=0.3)
    handle.faults.add(drops)
    with (
        Cluster.connect(handle.kubeconfig_path) as cluster,
        Cluster.connect(handle.kubeconfig_path) as operator,
    ):
        recorder = Recorder(first=lambda: deploy(operator))
        outcome = follow(cluster, TARGETS, 45, recorder)
    left = [f.count or 0 for f in handle.faults.active() if f.path == watched]

    assert outcome.verdict is Verdict.READY, outcome.summary
    assert "InstallSucceeded" in [e.reason for e in outcome.events]
    assert recorder.states_of("HelmRelease")[-1] == "Ready"
    # 4 streams listed once and watched once each; anything more is a watch reopened.
    assert 40 - sum(left) >= 4 + 4 + 1
    assert any("dropped" in r.getMessage() for r in caplog.records)


def test_follow_stays_correct_when_watch_versions_expire(
    start_sim: Callable[..., SimHandle], caplog: pytest.LogCaptureFixture
) -> None:
    """After the first read the server keeps one event of history: the watches start from
    versions already compacted (410), so they must list again to see the deploy."""
    caplog.set_level(logging.DEBUG, logger="glmctl.monitor")
    handle = start_sim(scenario("predeploy"))

    def deploy_and_compact() -> None:
        deploy(operator)
        handle.store.set_history_limit(1)

    with (
        Cluster.connect(handle.kubeconfig_path) as cluster,
        Cluster.connect(handle.kubeconfig_path) as operator,
    ):
        recorder = Recorder(first=deploy_and_compact)
        outcome = follow(cluster, TARGETS, 45, recorder)

    assert outcome.verdict is Verdict.READY, outcome.summary
    assert recorder.states_of("HelmRelease")[-1] == "Ready"
    assert any("expired; listing again" in r.getMessage() for r in caplog.records)


def test_a_watch_whose_version_expired_lists_again(start_sim: Callable[..., SimHandle]) -> None:
    handle = start_sim(scenario("healthy"), controllers=[])
    stream = Stream(resources.KUSTOMIZATION, NS)
    inbox: queue.Queue[Any] = queue.Queue()
    stop = threading.Event()
    with Cluster.connect(handle.kubeconfig_path) as cluster:
        old = cluster.list_with_version(resources.KUSTOMIZATION, NS).resource_version
        cluster.patch_merge(resources.KUSTOMIZATION, KS, NS, {"metadata": {"labels": {"x": "1"}}})
        handle.store.set_history_limit(0)
        watcher = _Watcher(cluster, stream, old, inbox, stop, time.monotonic() + 20, time.monotonic)
        watcher.start()
        try:
            first = inbox.get(timeout=20)
        finally:
            stop.set()

    assert isinstance(first, _Reset)
    relisted = {item["metadata"]["name"]: item for item in first.items}
    assert relisted[KS]["metadata"]["labels"]["x"] == "1"


def test_an_output_format_monitor_cannot_write_is_a_usage_error(
    run_cli: Callable[..., CliResult],
) -> None:
    result = run_cli(["monitor", "-o", "junit"])

    assert result.exit_code == 2
    assert "cannot write -o junit" in result.stderr


def test_without_rbac_for_events_it_follows_without_them(
    start_sim: Callable[..., SimHandle], tmp_path: Path
) -> None:
    from glmctl.sim.kubeconfig import write_kubeconfig

    handle = start_sim(scenario("healthy"), controllers=[])
    handle.add_user("viewer", "viewer-token", ["viewers"])
    rules = [
        {"apiGroups": [group], "resources": [plural], "verbs": ["get", "list", "watch"]}
        for group, plural in (
            ("kustomize.toolkit.fluxcd.io", "kustomizations"),
            ("helm.toolkit.fluxcd.io", "helmreleases"),
            ("batch", "jobs"),
        )
    ]
    handle.store.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "flux-viewer"},
            "rules": rules,
        }
    )
    handle.store.create(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "flux-viewers"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "flux-viewer",
            },
            "subjects": [{"kind": "Group", "name": "viewers"}],
        }
    )
    kubeconfig = write_kubeconfig(
        tmp_path / "viewer.yaml", handle.url, "viewer-token", handle.ca_pem
    )

    with Cluster.connect(kubeconfig) as cluster:
        outcome = follow(cluster, TARGETS, 0)

    assert outcome.verdict is Verdict.READY, outcome.summary
    assert outcome.events == ()
