"""The annotations that force a controller to act now, as the real controllers read them:
ESO's ``force-sync`` (any change of an ExternalSecret's annotations refreshes it) and
helm-controller's ``reconcile.fluxcd.io/forceAt`` (a one-off upgrade, honoured only when it
equals ``requestedAt``). Written with the real kubectl, observed over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glmctl.sim.controllers.externalsecret import synced_resource_version
from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario, with_time_scale
from tests.polling import wait_for
from tests.sim_world.api import LIFECYCLE_HR, REQUESTED_AT, Api, condition

StartSim = Callable[..., SimHandle]
Kubectl = Callable[..., tuple[int, str, str]]
Obj = dict[str, Any]
ES = "/apis/external-secrets.io/v1/namespaces/authentik/externalsecrets/grafana-oidc-secret"
FORCE_AT = "reconcile.fluxcd.io/forceAt"
RELEASES = "/api/v1/namespaces/flux-system/secrets?labelSelector=owner%3Dhelm"


def _caught_up(api: Api) -> Obj | None:
    """The ExternalSecret once the controller has synced its current labels and annotations."""
    es = api.get(ES)
    if es and es["status"].get("syncedResourceVersion") == synced_resource_version(es):
        return es
    return None


def test_a_force_sync_annotation_refreshes_a_synced_externalsecret_now(
    start_sim: StartSim, kubectl: Kubectl
) -> None:
    sim = start_sim(load_scenario("healthy"))
    api = Api(sim)
    steady = wait_for(lambda: _caught_up(api), what="synced")
    code, _, err = kubectl(
        sim, "annotate", "es", "grafana-oidc-secret", "-n", "authentik",
        "force-sync=1767225600", "--overwrite",
    )  # fmt: skip
    assert code == 0, err

    after = wait_for(lambda: _caught_up(api), what="refreshed after force-sync")
    assert after["metadata"]["annotations"]["force-sync"] == "1767225600"
    assert after["status"]["syncedResourceVersion"] != steady["status"]["syncedResourceVersion"]
    assert condition(after, "Ready")["status"] == "True"
    assert after["status"]["refreshTime"] >= steady["status"]["refreshTime"]


def _release_versions(api: Api) -> list[int]:
    return sorted(int(s["metadata"]["labels"]["version"]) for s in api.items(RELEASES))


def _annotate(api: Api, annotations: dict[str, str]) -> None:
    body = {"metadata": {"annotations": annotations}}
    code, _ = api.request("PATCH", LIFECYCLE_HR, body, content_type="application/merge-patch+json")
    assert code == 200


def test_force_at_equal_to_requested_at_upgrades_once_and_is_recorded(
    start_sim: StartSim,
) -> None:
    api = Api(start_sim(with_time_scale(load_scenario("healthy"), 0.01)))
    versions = _release_versions(api)

    # forceAt without the same requestedAt: helm-controller ignores it.
    _annotate(api, {REQUESTED_AT: "req-1", FORCE_AT: "other"})
    wait_for(
        lambda: (
            (api.get(LIFECYCLE_HR) or {}).get("status", {}).get("lastHandledReconcileAt") == "req-1"
        ),
        what="request handled",
    )
    ignored = api.get(LIFECYCLE_HR)
    assert ignored is not None and "lastHandledForceAt" not in ignored["status"]
    assert _release_versions(api) == versions

    _annotate(api, {REQUESTED_AT: "force-1", FORCE_AT: "force-1"})
    forced = wait_for(
        lambda: (
            (hr := api.get(LIFECYCLE_HR))
            and hr["status"].get("lastHandledForceAt") == "force-1"
            and hr["status"].get("lastHandledReconcileAt") == "force-1"
            and condition(hr, "Ready").get("status") == "True"
            and hr
        ),
        what="forced upgrade done",
    )
    assert forced["status"]["lastAttemptedReleaseAction"] == "upgrade"
    assert _release_versions(api) == [*versions, max(versions) + 1]
