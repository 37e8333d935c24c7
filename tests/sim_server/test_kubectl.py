"""The real kubectl binary against the simulated cluster."""

from __future__ import annotations

import json
import re
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from glmctl.sim.runner import SimHandle
from tests.sim_server.helpers import LIFECYCLE, SA_USER, small_cluster

pytestmark = pytest.mark.kubectl

Kubectl = Callable[..., tuple[int, str, str]]
StartSim = Callable[..., SimHandle]


@pytest.fixture
def sim(start_sim: StartSim) -> SimHandle:
    return start_sim(small_cluster(), controllers=[])


def _rows(stdout: str) -> list[list[str]]:
    return [line.split() for line in stdout.strip().splitlines()]


def test_get_pods_all_namespaces_prints_the_server_table(sim: SimHandle, kubectl: Kubectl) -> None:
    code, out, err = kubectl(sim, "get", "pods", "-A")
    assert code == 0, err
    rows = _rows(out)
    assert rows[0] == ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert rows[1][:5] == ["authentik", "broken-1", "0/1", "Failed", "0"]
    assert {r[1] for r in rows[1:]} == {
        "broken-1",
        "database-init-abcde",
        "connect-0",
        "token-setup-xyz12",
    }


def test_get_with_label_selector(sim: SimHandle, kubectl: Kubectl) -> None:
    code, out, err = kubectl(
        sim,
        "get",
        "pods",
        "-A",
        "-l",
        "app.kubernetes.io/name in (gitops-lifecycle-management),app.kubernetes.io/name!=x",
    )
    assert code == 0, err
    assert sorted(r[1] for r in _rows(out)[1:]) == ["database-init-abcde", "token-setup-xyz12"]


def test_get_failed_pods_by_field_selector(sim: SimHandle, kubectl: Kubectl) -> None:
    code, out, err = kubectl(sim, "get", "pods", "-A", "--field-selector", "status.phase=Failed")
    assert code == 0, err
    assert [r[:4] for r in _rows(out)[1:]] == [["authentik", "broken-1", "0/1", "Failed"]]


def test_unsupported_field_selector_is_a_bad_request(sim: SimHandle, kubectl: Kubectl) -> None:
    code, _, err = kubectl(sim, "get", "pods", "--field-selector", "spec.image=x")
    assert code == 1
    assert "field label not supported: spec.image" in err


def test_get_custom_resources_by_short_name_uses_printer_columns(
    sim: SimHandle, kubectl: Kubectl
) -> None:
    code, out, err = kubectl(sim, "get", "hr", "-n", "flux-system")
    assert code == 0, err
    header, row = out.strip().splitlines()
    assert header.split() == ["NAME", "AGE", "READY", "STATUS"]
    assert row.split()[0] == "gitops-lifecycle-management"
    assert row.split()[2:] == ["True", "Helm", "install", "succeeded"]


def test_describe_helmrelease_shows_status_and_events(sim: SimHandle, kubectl: Kubectl) -> None:
    hr = sim.store.get(
        "helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "gitops-lifecycle-management"
    )
    assert hr is not None
    sim.store.record_event(hr, "InstallSucceeded", "Helm install succeeded for release x")
    code, out, err = kubectl(
        sim, "describe", "helmrelease", "gitops-lifecycle-management", "-n", "flux-system"
    )
    assert code == 0, err
    assert re.search(r"Kind:\s+HelmRelease", out)
    assert re.search(r"Reason:\s+InstallSucceeded", out)
    events = out.split("Events:")[1]
    assert "InstallSucceeded" in events and "Helm install succeeded for release x" in events


def test_describe_pod(sim: SimHandle, kubectl: Kubectl) -> None:
    pod = sim.store.get("", "pods", "authentik", "broken-1")
    assert pod is not None
    sim.store.record_event(pod, "BackOff", "Back-off restarting failed container", "Warning")
    code, out, err = kubectl(sim, "describe", "pod", "broken-1", "-n", "authentik")
    assert code == 0, err
    assert re.search(r"Status:\s+Failed", out)
    assert re.search(r"Warning\s+BackOff", out)


def test_logs_by_label_selector(sim: SimHandle, kubectl: Kubectl) -> None:
    code, out, err = kubectl(
        sim,
        "logs",
        "-n",
        "flux-system",
        "-l",
        "app.kubernetes.io/name=onepassword-connect",
        "--tail",
        "1",
    )
    assert code == 0, err
    assert out == "listening on :8080\n"


def test_annotate_and_label_write_metadata_only(sim: SimHandle, kubectl: Kubectl) -> None:
    code, _, err = kubectl(
        sim,
        "annotate",
        "hr",
        "gitops-lifecycle-management",
        "-n",
        "flux-system",
        "reconcile.fluxcd.io/requestedAt=2026-11-26T12:00:00Z",
    )
    assert code == 0, err
    code, _, err = kubectl(sim, "label", "pod", "connect-0", "-n", "flux-system", "tier=secrets")
    assert code == 0, err
    hr = sim.store.get(
        "helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "gitops-lifecycle-management"
    )
    pod = sim.store.get("", "pods", "flux-system", "connect-0")
    assert hr is not None and pod is not None
    assert hr["metadata"]["annotations"] == {
        "reconcile.fluxcd.io/requestedAt": "2026-11-26T12:00:00Z"
    }
    assert hr["metadata"]["generation"] == 1  # metadata changes leave generation alone
    assert pod["metadata"]["labels"]["tier"] == "secrets"


def test_patch_merge_and_json(sim: SimHandle, kubectl: Kubectl) -> None:
    args = ("hr", "gitops-lifecycle-management", "-n", "flux-system")
    code, _, err = kubectl(
        sim, "patch", *args, "--type", "merge", "-p", '{"spec":{"suspend":true}}'
    )
    assert code == 0, err
    code, _, err = kubectl(
        sim,
        "patch",
        *args,
        "--type",
        "json",
        "-p",
        '[{"op":"test","path":"/spec/suspend","value":true},'
        '{"op":"replace","path":"/spec/interval","value":"1m"}]',
    )
    assert code == 0, err
    hr = sim.store.get(
        "helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "gitops-lifecycle-management"
    )
    assert hr is not None
    assert hr["spec"]["suspend"] is True and hr["spec"]["interval"] == "1m"
    assert hr["metadata"]["generation"] == 3
    code, _, err = kubectl(
        sim,
        "patch",
        *args,
        "--type",
        "json",
        "-p",
        '[{"op":"test","path":"/spec/suspend","value":false}]',
    )
    assert code == 1
    assert "test failed" in err


def test_strategic_patch_on_a_custom_resource_is_unsupported(
    sim: SimHandle, kubectl: Kubectl
) -> None:
    code, _, err = kubectl(
        sim,
        "patch",
        "hr",
        "gitops-lifecycle-management",
        "-n",
        "flux-system",
        "-p",
        '{"spec":{"suspend":true}}',
    )
    assert code == 1
    assert "application/strategic-merge-patch+json is not supported" in err


def test_strategic_patch_merges_containers_by_name(sim: SimHandle, kubectl: Kubectl) -> None:
    code, _, err = kubectl(
        sim,
        "patch",
        "pod",
        "connect-0",
        "-n",
        "flux-system",
        "-p",
        '{"spec":{"containers":[{"name":"main","image":"busybox:1.37"}]}}',
    )
    assert code == 0, err
    pod = sim.store.get("", "pods", "flux-system", "connect-0")
    assert pod is not None
    assert pod["spec"]["containers"] == [{"name": "main", "image": "busybox:1.37"}]


def test_delete_jobs_by_label_in_all_namespaces_collects_their_pods(
    sim: SimHandle, kubectl: Kubectl
) -> None:
    selector = ",".join(f"{k}={v}" for k, v in LIFECYCLE.items())
    code, out, err = kubectl(sim, "delete", "jobs", "-l", selector, "-A")
    assert code == 0, err
    assert 'job.batch "database-init" deleted' in out
    assert 'job.batch "token-setup" deleted' in out
    assert sim.store.list("batch", "jobs") == []
    remaining = {p["metadata"]["name"] for p in sim.store.list("", "pods")}
    assert remaining == {"connect-0", "broken-1"}


def test_wait_for_condition_ready_sees_a_status_update(
    start_sim: StartSim, kubectl: Kubectl
) -> None:
    sim = start_sim(small_cluster(), controllers=[])
    hr = sim.store.get(
        "helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "gitops-lifecycle-management"
    )
    assert hr is not None
    hr["status"]["conditions"][0].update(status="False", reason="Progressing")
    hr = sim.store.update_status(hr)

    def become_ready() -> None:
        hr["status"]["conditions"][0].update(status="True", reason="InstallSucceeded")
        sim.store.update_status(hr)

    timer = threading.Timer(1.0, become_ready)
    command = [
        "wait",
        "--for=condition=Ready",
        "hr/gitops-lifecycle-management",
        "-n",
        "flux-system",
        "--timeout=20s",
    ]
    timer.start()
    try:
        code, out, err = kubectl(sim, *command)
    finally:
        timer.cancel()
    assert code == 0, err
    assert "condition met" in out


def test_wait_times_out_when_the_condition_never_holds(sim: SimHandle, kubectl: Kubectl) -> None:
    code, _, err = kubectl(
        sim,
        "wait",
        "--for=condition=Stalled",
        "hr/gitops-lifecycle-management",
        "-n",
        "flux-system",
        "--timeout=1s",
    )
    assert code == 1
    assert "timed out" in err


def test_auth_can_i_follows_the_bindings(start_sim: StartSim, kubectl: Kubectl) -> None:
    allowed = start_sim(small_cluster(rbac=True), controllers=[])
    denied = start_sim(small_cluster(rbac=False), controllers=[])
    args = ("auth", "can-i", "list", "services", f"--as={SA_USER}")
    assert kubectl(allowed, *args)[:2] == (0, "yes\n")
    assert kubectl(denied, *args)[:2] == (1, "no\n")
    assert kubectl(allowed, "auth", "can-i", "delete", "services", f"--as={SA_USER}")[:2] == (
        1,
        "no\n",
    )


def test_requests_as_a_service_account_are_authorized(sim: SimHandle, kubectl: Kubectl) -> None:
    code, _, err = kubectl(sim, "get", "services", "-A", f"--as={SA_USER}")
    assert code == 0, err
    code, _, err = kubectl(sim, "get", "pods", "-n", "flux-system", f"--as={SA_USER}")
    assert code == 1
    assert (
        f'pods is forbidden: User "{SA_USER}" cannot list resource "pods" in API group "" '
        'in the namespace "flux-system"'
    ) in err


def test_get_json_lists_every_pod(sim: SimHandle, kubectl: Kubectl) -> None:
    code, out, err = kubectl(sim, "get", "pods", "-A", "-o", "json")
    assert code == 0, err
    assert len(json.loads(out)["items"]) == 4


def test_kubectl_binary_is_the_wheel(kubectl: Kubectl) -> None:
    from tests.conftest import _kubectl_binary

    done = subprocess.run(
        [str(_kubectl_binary()), "version", "--client"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0 and "Client Version" in done.stdout


def test_apply_creates_then_updates_a_custom_resource(
    sim: SimHandle, kubectl: Kubectl, tmp_path: Path
) -> None:
    manifest = tmp_path / "hr.yaml"
    manifest.write_text(
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
        "metadata: {name: applied, namespace: flux-system}\nspec: {interval: 1m}\n"
    )
    code, out, err = kubectl(sim, "apply", "-f", str(manifest))
    assert code == 0, err
    assert "helmrelease.helm.toolkit.fluxcd.io/applied created" in out
    manifest.write_text(manifest.read_text().replace("1m", "2m"))
    code, out, err = kubectl(sim, "apply", "-f", str(manifest))
    assert code == 0, err
    hr = sim.store.get("helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "applied")
    assert hr is not None
    assert (hr["spec"]["interval"], hr["metadata"]["generation"]) == ("2m", 2)


def test_create_from_a_file_validates_on_the_server(
    sim: SimHandle, kubectl: Kubectl, tmp_path: Path
) -> None:
    manifest = tmp_path / "cm.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: authentik}\n"
        "data: {mode: test}\n"
    )
    code, out, err = kubectl(sim, "create", "-f", str(manifest))
    assert code == 0, err
    assert out.strip() == "configmap/settings created"
    code, _, err = kubectl(sim, "create", "-f", str(manifest))
    assert code == 1
    assert 'configmaps "settings" already exists' in err


def test_auth_whoami_names_the_impersonated_service_account(
    sim: SimHandle, kubectl: Kubectl
) -> None:
    code, out, err = kubectl(sim, "auth", "whoami", f"--as={SA_USER}")
    assert code == 0, err
    assert SA_USER in out
    assert "system:serviceaccounts:flux-system" in out


def test_an_error_before_the_body_is_read_leaves_the_connection_usable(
    sim: SimHandle, kubectl: Kubectl
) -> None:
    # ResourceQuotas are not served (404 before the protobuf body is read); the body must
    # not be read as the next request on the kept-alive connection.
    code, _, err = kubectl(sim, "create", "quota", "q", "--hard=pods=1", "-n", "authentik")
    assert code == 1
    assert "could not find the requested resource" in err
    assert "Unsolicited response" not in err


def test_auth_can_i_list_prints_the_rules_bound_to_the_user(
    sim: SimHandle, kubectl: Kubectl
) -> None:
    code, out, err = kubectl(sim, "auth", "can-i", "--list", "-n", "authentik")
    assert code == 0, err
    assert out.split()[:4] == ["Resources", "Non-Resource", "URLs", "Resource"]
    assert "*.*" in out


def test_typed_create_generators_send_protobuf_the_simulator_decodes(
    sim: SimHandle, kubectl: Kubectl
) -> None:
    for args in (
        ["serviceaccount", "robot"],
        ["secret", "generic", "creds", "--from-literal=user=admin"],
        ["configmap", "settings-2", "--from-literal=a=b"],
        ["job", "once", "--image=busybox", "--", "echo", "hi"],
        ["deployment", "web", "--image=nginx", "--replicas=2"],
        ["role", "reader", "--verb=get", "--resource=pods"],
        ["rolebinding", "reader", "--role=reader", "--user=alice"],
    ):
        code, _, err = kubectl(sim, "create", "-n", "authentik", *args)
        assert code == 0, (args, err)
    code, out, err = kubectl(sim, "get", "secret", "creds", "-n", "authentik", "-o", "json")
    assert code == 0, err
    assert json.loads(out)["data"] == {"user": "YWRtaW4="}
    code, out, err = kubectl(sim, "get", "job", "once", "-n", "authentik", "-o", "json")
    assert code == 0, err
    container = json.loads(out)["spec"]["template"]["spec"]["containers"][0]
    assert (container["image"], container["command"]) == ("busybox", ["echo", "hi"])
    code, out, err = kubectl(sim, "get", "deploy", "web", "-n", "authentik", "-o", "json")
    assert code == 0, err
    spec = json.loads(out)["spec"]
    assert (spec["replicas"], spec["selector"]) == (2, {"matchLabels": {"app": "web"}})
    code, out, err = kubectl(sim, "get", "rolebinding", "reader", "-n", "authentik", "-o", "json")
    assert code == 0, err
    binding = json.loads(out)
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "reader",
    }
    assert binding["subjects"][0]["name"] == "alice"


def test_health_endpoints_answer_ok(sim: SimHandle, kubectl: Kubectl) -> None:
    for path in ("/readyz", "/livez", "/healthz"):
        assert kubectl(sim, "get", "--raw", path)[:2] == (0, "ok")


def test_logs_of_a_job_find_its_pods_through_the_generated_selector(
    sim: SimHandle, kubectl: Kubectl
) -> None:
    code, out, err = kubectl(sim, "logs", "job/database-init", "-n", "authentik")
    assert code == 0, err
    assert out == "database created\n"
