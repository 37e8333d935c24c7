"""The simulated controllers, observed over HTTP as a client would observe a real cluster."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from glmctl.sim.helm_storage import decode_release
from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario, with_time_scale
from tests.polling import wait_for
from tests.sim_world.api import (
    CSS,
    KS,
    LIFECYCLE_HR,
    LIFECYCLE_KS,
    REQUESTED_AT,
    Api,
    condition,
)

StartSim = Callable[..., SimHandle]
RELEASE_V1 = (
    "/api/v1/namespaces/flux-system/secrets/sh.helm.release.v1.gitops-lifecycle-management.v1"
)


def _start(start_sim: StartSim, name: str, scale: float = 0.01) -> Api:
    return Api(start_sim(with_time_scale(load_scenario(name), scale)))


def _handled(api: Api, path: str, value: str) -> dict[str, Any] | None:
    obj = api.get(path)
    if obj and obj.get("status", {}).get("lastHandledReconcileAt") == value:
        return obj
    return None


def test_requested_reconcile_of_a_suspended_kustomization_changes_nothing(
    start_sim: StartSim,
) -> None:
    api = _start(start_sim, "predeploy")
    before = api.get(LIFECYCLE_KS)
    assert before is not None and before["spec"]["suspend"] is True
    api.annotate_requested_at(LIFECYCLE_KS, "2026-01-01T00:00:00Z")
    # A witness: once the controller handled a later request, it has seen ours too.
    api.annotate_requested_at(f"{KS}/infrastructure-sources", "witness")
    wait_for(lambda: _handled(api, f"{KS}/infrastructure-sources", "witness"), what="witness")

    after = api.get(LIFECYCLE_KS)
    assert after is not None
    assert after["status"] == before["status"] == {}
    assert api.get(LIFECYCLE_HR) is None


def test_resumed_kustomization_settles_ready_and_records_the_request(
    start_sim: StartSim,
) -> None:
    api = _start(start_sim, "predeploy")
    api.merge_patch(LIFECYCLE_KS, {"spec": {"suspend": False}})
    api.annotate_requested_at(LIFECYCLE_KS, "2026-01-01T00:00:01Z")

    ks = wait_for(
        lambda: (
            (obj := api.get(LIFECYCLE_KS))
            and condition(obj, "Ready").get("status") == "True"
            and obj
        ),
        what="lifecycle Kustomization Ready",
    )
    assert ks["status"]["lastHandledReconcileAt"] == "2026-01-01T00:00:01Z"
    assert ks["status"]["observedGeneration"] == ks["metadata"]["generation"]
    assert condition(ks, "Ready")["reason"] == "ReconciliationSucceeded"
    assert condition(ks, "Ready")["observedGeneration"] == ks["metadata"]["generation"]
    assert condition(ks, "Reconciling") == {}
    healthy = condition(ks, "Healthy")
    assert (healthy["status"], healthy["reason"]) == ("True", "Succeeded")
    assert healthy["message"].startswith("Health check passed in ")
    helmrelease = api.get(LIFECYCLE_HR)
    assert condition(helmrelease, "Ready")["reason"] == "InstallSucceeded"
    # The hook Jobs may already be gone (TTL); Helm's storage records how they ran.
    release = decode_release(wait_for(lambda: api.get(RELEASE_V1), what="release secret"))
    assert release["info"]["status"] == "deployed"
    assert {hook["name"]: hook["last_run"]["phase"] for hook in release["hooks"]} == {
        "gitops-lifecycle-management-auth-setup": "Succeeded",
        "gitops-lifecycle-management-database-init": "Succeeded",
    }
    events = api.items("/api/v1/namespaces/flux-system/events")
    completed = {e["involvedObject"]["name"] for e in events if e["reason"] == "Completed"}
    assert completed == {
        "gitops-lifecycle-management-auth-setup",
        "gitops-lifecycle-management-database-init",
    }


def test_deleted_helmrelease_comes_back_when_its_kustomization_reconciles(
    start_sim: StartSim,
) -> None:
    api = _start(start_sim, "healthy")
    assert api.get(RELEASE_V1) is not None
    api.delete(LIFECYCLE_HR)
    wait_for(lambda: api.get(LIFECYCLE_HR) is None, what="HelmRelease deleted")
    assert api.get(RELEASE_V1) is None, "uninstall removes Helm's storage"

    api.annotate_requested_at(LIFECYCLE_KS, "redeploy-1")
    helmrelease = wait_for(
        lambda: (
            (obj := api.get(LIFECYCLE_HR))
            and condition(obj, "Ready").get("status") == "True"
            and obj
        ),
        what="HelmRelease back and Ready",
    )
    assert helmrelease["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"] == (
        "infrastructure-gitops-lifecycle-management"
    )
    ks = wait_for(lambda: _handled(api, LIFECYCLE_KS, "redeploy-1"), what="request handled")
    assert condition(ks, "Ready").get("status") == "True"
    release = decode_release(wait_for(lambda: api.get(RELEASE_V1), what="release secret"))
    assert release["info"]["status"] == "deployed"


def test_deleting_a_suspended_helmrelease_keeps_its_release(start_sim: StartSim) -> None:
    # helm-controller skips the uninstall of a suspended HelmRelease on deletion and only
    # removes its finalizer (helm-controller v1.5 reconcileDelete).
    api = _start(start_sim, "healthy")
    api.merge_patch(LIFECYCLE_HR, {"spec": {"suspend": True}})
    api.delete(LIFECYCLE_HR)
    wait_for(lambda: api.get(LIFECYCLE_HR) is None, what="HelmRelease deleted")
    assert api.get(RELEASE_V1) is not None, "no uninstall: Helm's storage stays"


def test_finished_job_and_its_pod_disappear_after_the_ttl(start_sim: StartSim) -> None:
    api = _start(start_sim, "healthy", scale=0.05)
    jobs = "/apis/batch/v1/namespaces/flux-system/jobs"
    api.create(
        jobs,
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "ttl-probe", "namespace": "flux-system"},
            "spec": {
                "ttlSecondsAfterFinished": 60,
                "template": {
                    "metadata": {"labels": {"app": "ttl-probe"}},
                    "spec": {
                        "restartPolicy": "Never",
                        "containers": [{"name": "probe", "image": "busybox"}],
                    },
                },
            },
        },
    )
    pods = "/api/v1/namespaces/flux-system/pods?labelSelector=job-name%3Dttl-probe"
    done = wait_for(
        lambda: (
            (job := api.get(f"{jobs}/ttl-probe"))
            and condition(job, "Complete").get("status") == "True"
            and job
        ),
        what="job complete",
    )
    assert done["status"]["succeeded"] == 1
    assert done["status"]["completionTime"]
    [pod] = api.items(pods)
    assert pod["status"]["phase"] == "Succeeded"
    assert pod["metadata"]["ownerReferences"][0]["uid"] == done["metadata"]["uid"]

    wait_for(lambda: api.get(f"{jobs}/ttl-probe") is None, what="job removed after TTL")
    wait_for(lambda: api.items(pods) == [], what="pod garbage-collected")


def test_externalsecret_reports_secretsyncederror_while_its_store_is_not_ready(
    start_sim: StartSim,
) -> None:
    api = _start(start_sim, "healthy")
    es_path = "/apis/external-secrets.io/v1/namespaces/authentik/externalsecrets"
    store = api.get(CSS)
    assert store is not None
    store["status"]["conditions"][0].update(
        status="False", reason="ValidationFailed", message="unable to validate store"
    )
    code, _ = api.request("PUT", f"{CSS}/status", store)
    assert code == 200

    failing = wait_for(
        lambda: (
            (obj := api.get(f"{es_path}/authentik-admin-token"))
            and condition(obj, "Ready").get("reason") == "SecretSyncedError"
            and obj
        ),
        what="SecretSyncedError",
    )
    ready = condition(failing, "Ready")
    assert ready["status"] == "False"
    assert ready["message"] == "could not get secret data from provider"


def test_externalsecrets_create_their_target_secrets_once_the_store_is_ready(
    start_sim: StartSim,
) -> None:
    api = _start(start_sim, "externalsecrets-not-syncing")
    secret_path = "/api/v1/namespaces/home-automation/secrets/postgresql-admin-credentials"
    assert api.get(secret_path) is None
    store = api.get(CSS)
    assert store is not None
    store["status"]["conditions"][0].update(
        status="True", reason="Valid", message="store validated"
    )
    code, _ = api.request("PUT", f"{CSS}/status", store)
    assert code == 200

    secret = wait_for(lambda: api.get(secret_path), what="target secret")
    assert sorted(secret["data"]) == ["password", "username"]
    assert all(base64.b64decode(v) == b"sim-fake-value" for v in secret["data"].values())
    assert secret["metadata"]["ownerReferences"][0]["kind"] == "ExternalSecret"
    es = wait_for(
        lambda: (
            (
                obj := api.get(
                    "/apis/external-secrets.io/v1/namespaces/home-automation/externalsecrets/"
                    "postgresql-admin-credentials"
                )
            )
            and condition(obj, "Ready").get("status") == "True"
            and obj
        ),
        what="SecretSynced",
    )
    assert condition(es, "Ready")["reason"] == "SecretSynced"
    assert es["status"]["binding"] == {"name": "postgresql-admin-credentials"}


def test_helm_release_secret_decodes_to_a_deployed_release(start_sim: StartSim) -> None:
    api = _start(start_sim, "healthy")
    secret = api.get(RELEASE_V1)
    assert secret is not None
    assert secret["type"] == "helm.sh/release.v1"
    assert secret["metadata"]["labels"] == {
        "name": "gitops-lifecycle-management",
        "owner": "helm",
        "status": "deployed",
        "version": "1",
    }
    release = decode_release(secret)  # base64 (API) -> base64 (Helm) -> gzip -> JSON
    assert release["info"]["status"] == "deployed"
    assert release["name"] == "gitops-lifecycle-management"
    assert release["namespace"] == "flux-system"
    assert release["chart"]["metadata"]["name"] == "gitops-lifecycle-management"
    assert release["chart"]["metadata"]["version"] == "0.1.0"
    phases = {hook["name"]: hook["last_run"]["phase"] for hook in release["hooks"]}
    assert phases == {
        "gitops-lifecycle-management-auth-setup": "Succeeded",
        "gitops-lifecycle-management-database-init": "Succeeded",
    }


def test_failed_install_retries_then_stalls_with_retries_exceeded(start_sim: StartSim) -> None:
    api = _start(start_sim, "helmrelease-failed")
    api.annotate_requested_at(LIFECYCLE_HR, "retry-1", **{"reconcile.fluxcd.io/resetAt": "retry-1"})
    stalled = wait_for(
        lambda: (
            (obj := api.get(LIFECYCLE_HR))
            and obj["status"].get("lastHandledResetAt") == "retry-1"
            and condition(obj, "Stalled").get("status") == "True"
            and obj
        ),
        what="Stalled again after the retries",
    )
    assert condition(stalled, "Stalled")["reason"] == "RetriesExceeded"
    assert condition(stalled, "Stalled")["message"] == "Failed to install after 4 attempt(s)"
    ready = condition(stalled, "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "InstallFailed")
    assert ready["message"].startswith(
        "Helm install failed for release flux-system/gitops-lifecycle-management with chart "
        "gitops-lifecycle-management@0.1.0: failed pre-install: job "
        "gitops-lifecycle-management-auth-setup failed: BackoffLimitExceeded"
    )
    assert stalled["status"]["installFailures"] == 4
    release = decode_release(wait_for(lambda: api.get(RELEASE_V1), what="failed release"))
    assert release["info"]["status"] == "failed"
    events = api.items("/api/v1/namespaces/flux-system/events")
    assert any(e["reason"] == "InstallFailed" and e["type"] == "Warning" for e in events)


def test_kustomization_waits_for_a_dependency_that_is_not_ready(start_sim: StartSim) -> None:
    api = _start(start_sim, "helmrelease-failed")
    outpost = f"{KS}/infrastructure-authentik-outpost-config"
    api.annotate_requested_at(outpost, "try-outpost")
    ks = wait_for(lambda: _handled(api, outpost, "try-outpost"), what="request handled")
    ready = condition(ks, "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "DependencyNotReady")
    assert ready["message"] == (
        "dependency 'flux-system/infrastructure-gitops-lifecycle-management' is not ready"
    )
    annotations = ks["metadata"]["annotations"]
    assert annotations[REQUESTED_AT] == "try-outpost"


def test_kustomization_reapplies_a_deleted_object_on_its_interval(start_sim: StartSim) -> None:
    api = _start(start_sim, "healthy", scale=0.001)  # the 1h interval becomes 3.6 s
    account = "/api/v1/namespaces/flux-system/serviceaccounts/gitops-lifecycle-management"
    api.delete(account)
    assert api.get(account) is None
    restored = wait_for(lambda: api.get(account), what="service account re-applied")
    labels = restored["metadata"]["labels"]
    assert labels["kustomize.toolkit.fluxcd.io/name"] == "infrastructure-authentik"


def test_a_spec_change_upgrades_the_release_and_supersedes_the_old_one(
    start_sim: StartSim,
) -> None:
    api = _start(start_sim, "healthy")
    api.merge_patch(LIFECYCLE_HR, {"spec": {"values": {"serviceDiscovery": {"enabled": False}}}})
    upgraded = wait_for(
        lambda: (
            (obj := api.get(LIFECYCLE_HR))
            and condition(obj, "Ready").get("reason") == "UpgradeSucceeded"
            and obj
        ),
        what="upgrade",
    )
    assert condition(upgraded, "Ready")["message"] == (
        "Helm upgrade succeeded for release flux-system/gitops-lifecycle-management.v2 "
        "with chart gitops-lifecycle-management@0.1.0"
    )
    assert upgraded["status"]["observedGeneration"] == upgraded["metadata"]["generation"] == 2
    releases = api.items("/api/v1/namespaces/flux-system/secrets?labelSelector=owner%3Dhelm")
    statuses = {
        s["metadata"]["labels"]["version"]: s["metadata"]["labels"]["status"] for s in releases
    }
    assert statuses == {"1": "superseded", "2": "deployed"}


def test_deleting_a_pruning_kustomization_deletes_what_it_applied(start_sim: StartSim) -> None:
    api = _start(start_sim, "healthy")
    api.delete(LIFECYCLE_KS)
    wait_for(lambda: api.get(LIFECYCLE_KS) is None, what="Kustomization gone")
    wait_for(lambda: api.get(LIFECYCLE_HR) is None, what="HelmRelease pruned")
    wait_for(lambda: api.get(RELEASE_V1) is None, what="release uninstalled")


def test_a_new_externalsecret_with_datafrom_gets_its_secret(start_sim: StartSim) -> None:
    api = _start(start_sim, "healthy")
    path = "/apis/external-secrets.io/v1/namespaces/authentik/externalsecrets"
    api.create(
        path,
        {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ExternalSecret",
            "metadata": {"name": "extra", "namespace": "authentik"},
            "spec": {
                "refreshInterval": "1h",
                "secretStoreRef": {"kind": "ClusterSecretStore", "name": "onepassword-connect"},
                "target": {"name": "extra-target"},
                "data": [{"secretKey": "token", "remoteRef": {"key": "item", "property": "t"}}],
                "dataFrom": [{"extract": {"key": "home-ops-extra"}}],
            },
        },
    )
    secret = wait_for(
        lambda: api.get("/api/v1/namespaces/authentik/secrets/extra-target"), what="target"
    )
    assert sorted(secret["data"]) == ["password", "token", "username"]
    events = api.items("/api/v1/namespaces/authentik/events")
    assert any(e["reason"] == "Created" and e["involvedObject"]["name"] == "extra" for e in events)
    api.delete(f"{path}/extra")
    wait_for(
        lambda: api.get("/api/v1/namespaces/authentik/secrets/extra-target") is None,
        what="owned Secret garbage-collected",
    )


def test_a_suspended_helmrelease_ignores_reconcile_requests(start_sim: StartSim) -> None:
    api = _start(start_sim, "helmrelease-failed")
    api.merge_patch(LIFECYCLE_HR, {"spec": {"suspend": True}})
    api.annotate_requested_at(
        LIFECYCLE_HR, "while-suspended", **{"reconcile.fluxcd.io/resetAt": "while-suspended"}
    )
    api.annotate_requested_at(f"{KS}/infrastructure-sources", "witness")
    wait_for(lambda: _handled(api, f"{KS}/infrastructure-sources", "witness"), what="witness")
    # The HelmRelease controller scans at least as often; give it the same chance once more.
    api.annotate_requested_at(f"{KS}/infrastructure-sources", "witness-2")
    wait_for(lambda: _handled(api, f"{KS}/infrastructure-sources", "witness-2"), what="witness")

    helmrelease = api.get(LIFECYCLE_HR)
    assert helmrelease is not None
    assert "lastHandledReconcileAt" not in helmrelease["status"]
    assert helmrelease["status"]["installFailures"] == 4


def test_a_helmrelease_waits_for_the_helmreleases_it_depends_on(start_sim: StartSim) -> None:
    api = _start(start_sim, "healthy")
    hr_path = "/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases"
    api.create(
        hr_path,
        {
            "apiVersion": "helm.toolkit.fluxcd.io/v2",
            "kind": "HelmRelease",
            "metadata": {"name": "dependent", "namespace": "flux-system"},
            "spec": {
                "interval": "30m",
                "dependsOn": [{"name": "not-there-yet"}],
                "chart": {"spec": {"chart": "dependent", "version": "1.0.0"}},
            },
        },
    )
    waiting = wait_for(
        lambda: (
            (obj := api.get(f"{hr_path}/dependent"))
            and condition(obj, "Ready").get("reason") == "DependencyNotReady"
            and obj
        ),
        what="DependencyNotReady",
    )
    assert condition(waiting, "Ready")["message"] == (
        "dependency 'flux-system/not-there-yet' is not ready"
    )
    assert api.get("/api/v1/namespaces/flux-system/secrets/sh.helm.release.v1.dependent.v1") is None
