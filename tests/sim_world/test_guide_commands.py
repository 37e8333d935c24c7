"""The deployment guide's own kubectl commands, run by the real kubectl against the scenarios.

What an operator following the guide would see is what the scenarios are for: these
tests read the answers the way the guide's commands print them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario

pytestmark = pytest.mark.kubectl

StartSim = Callable[..., SimHandle]
Kubectl = Callable[..., tuple[int, str, str]]
SERVICE_ACCOUNT = "system:serviceaccount:flux-system:gitops-lifecycle-management"


def _serve(start_sim: StartSim, name: str) -> SimHandle:
    return start_sim(load_scenario(name), controllers=[])


def test_flux_objects_print_ready_and_status_columns(start_sim: StartSim, kubectl: Kubectl) -> None:
    sim = _serve(start_sim, "helmrelease-failed")
    code, out, err = kubectl(sim, "get", "hr", "-n", "flux-system")
    assert code == 0, err
    header, row = out.splitlines()
    assert header.split() == ["NAME", "AGE", "READY", "STATUS"]
    assert row.split()[:3] == ["gitops-lifecycle-management", row.split()[1], "False"]
    assert "Helm install failed for release" in row
    code, out, _ = kubectl(sim, "get", "ks", "-n", "flux-system")
    assert code == 0
    assert "dependency 'flux-system/infrastructure-gitops-lifecycle-management' is not ready" in out


def test_can_i_list_services_follows_the_rbac_objects(
    start_sim: StartSim, kubectl: Kubectl
) -> None:
    for scenario, answer in (("healthy", "yes"), ("service-discovery-rbac-missing", "no")):
        sim = _serve(start_sim, scenario)
        _code, out, _err = kubectl(
            sim, "auth", "can-i", "list", "services", f"--as={SERVICE_ACCOUNT}"
        )
        assert out.strip() == answer, scenario


def test_failed_pods_in_authentik_are_found_by_field_selector(
    start_sim: StartSim, kubectl: Kubectl
) -> None:
    sim = _serve(start_sim, "failed-pods")
    code, out, err = kubectl(
        sim, "get", "pods", "-n", "authentik", "--field-selector=status.phase=Failed", "-o", "name"
    )
    assert code == 0, err
    assert sorted(out.split()) == [
        "pod/authentik-worker-7d6c5b4a3-zx81q",
        "pod/cleanup-duplicate-tokens-x8f2d",
    ]


def test_onepassword_connect_logs_are_clean_when_healthy_and_errors_when_down(
    start_sim: StartSim, kubectl: Kubectl
) -> None:
    args = ("logs", "-n", "onepassword-connect", "-l", "app.kubernetes.io/name=onepassword-connect")
    code, healthy, err = kubectl(_serve(start_sim, "healthy"), *args)
    assert code == 0, err
    assert "(I) GET /health completed (200: OK)" in healthy
    assert "(E)" not in healthy
    code, down, err = kubectl(_serve(start_sim, "onepassword-down"), *args)
    assert code == 0, err
    assert "(E) Server: (failed to load credentials)" in down


def test_old_jobs_show_as_running_or_complete(start_sim: StartSim, kubectl: Kubectl) -> None:
    old = {"enhanced-token-setup", "grafana-oidc-setup", "dashboard-oidc-setup"}
    old |= {"cleanup-duplicate-tokens"}
    for scenario, status in (("predeploy", "Complete"), ("old-jobs-running", "Running")):
        sim = _serve(start_sim, scenario)
        code, out, err = kubectl(sim, "get", "jobs", "-n", "authentik")
        assert code == 0, err
        rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[1:]}
        assert {rows[name] for name in old} == {status}, scenario


def test_database_init_logs_report_success(start_sim: StartSim, kubectl: Kubectl) -> None:
    sim = _serve(start_sim, "healthy")
    code, out, err = kubectl(
        sim, "logs", "-n", "flux-system", "-l", "app.kubernetes.io/component=database-init"
    )
    assert code == 0, err
    assert "database initialization completed successfully" in out


def test_externalsecrets_show_their_sync_status(start_sim: StartSim, kubectl: Kubectl) -> None:
    sim = _serve(start_sim, "externalsecrets-not-syncing")
    code, out, err = kubectl(sim, "get", "externalsecrets", "-A")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == [
        "NAMESPACE",
        "NAME",
        "STORE",
        "REFRESH",
        "INTERVAL",
        "STATUS",
        "READY",
    ]
    assert len(lines) == 6
    assert all(line.split()[-2:] == ["SecretSyncedError", "False"] for line in lines[1:])
