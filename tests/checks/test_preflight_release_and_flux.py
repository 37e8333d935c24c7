"""preflight says when a failed, stalled release is already installed (and what redeploy
does about it), and checks the flux CLI against the cluster's Flux release."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from glmctl.sim.runner import SimHandle
from glmctl.steps.tools import flux_skew
from tests.checks.conftest import cli_args, steps_of
from tests.conftest import CliResult

Run = Callable[..., CliResult]
Kubectl = Callable[..., tuple[int, str, str]]


def test_a_failed_stalled_release_already_installed_is_said_with_what_redeploy_does(
    run_against: Run,
) -> None:
    result = run_against("helmrelease-failed", "preflight", "-o", "json")

    step = steps_of(result)["installed_release"]
    assert step["status"] == "warn", step
    assert (
        "gitops-lifecycle-management is already installed and failed at revision 1"
        in (step["summary"])
    )
    assert "is stalled" in step["summary"]
    assert (
        "`glmctl redeploy` deletes HelmRelease flux-system/gitops-lifecycle-management"
        in (step["hint"])
    )
    assert "installed afresh" in step["hint"]
    # the failing hook, in helm-controller's words (found on the real engine: it was missing)
    assert any("job gitops-lifecycle-management-auth-setup failed" in d for d in step["details"])


@pytest.mark.parametrize(
    ("scenario", "words"),
    [("predeploy", "is not installed yet"), ("healthy", "revision 1 is deployed")],
)
def test_no_release_or_a_deployed_one_passes(run_against: Run, scenario: str, words: str) -> None:
    step = steps_of(run_against(scenario, "preflight", "-o", "json"))["installed_release"]
    assert step["status"] == "pass"
    assert words in step["summary"]


def fake_flux(directory: Path, version: str) -> None:
    """A ``flux`` on PATH that answers ``flux version --client`` like the real one."""
    program = directory / "flux"
    program.write_text(f'#!/bin/sh\necho "flux: v{version}"\n')
    program.chmod(program.stat().st_mode | stat.S_IEXEC)


def tools_step(run_cli: Run, handle: SimHandle) -> dict[str, Any]:
    result = run_cli(cli_args(handle.kubeconfig_path, ["preflight", "-o", "json"]))
    step: dict[str, Any] = steps_of(result)["tools"]
    return step


@pytest.fixture
def flux_v2_3(start_sim: Callable[..., SimHandle], kubectl: Kubectl) -> SimHandle:
    """A still cluster whose flux-system namespace says Flux v2.3.0, as `flux install` labels it."""
    from glmctl.sim.scenario import load_scenario

    handle = start_sim(load_scenario("predeploy"), controllers=[])
    code, _, err = kubectl(
        handle, "label", "namespace", "flux-system", "app.kubernetes.io/version=v2.3.0"
    )
    assert code == 0, err
    return handle


def test_a_flux_cli_three_minor_releases_ahead_is_skew_and_the_cluster_unsupported(
    run_cli: Run, flux_v2_3: SimHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_flux(tmp_path, "2.6.1")
    monkeypatch.setenv("PATH", str(tmp_path))

    step = tools_step(run_cli, flux_v2_3)

    assert step["status"] == "warn"
    details = "\n".join(step["details"])
    assert "cluster's Flux: v2.3.0" in details
    assert "flux CLI 2.6.1 and the cluster's Flux v2.3.0 are 3 minor releases apart" in details
    assert "outside the 3 most recent minor releases Flux supports" in details


def test_a_flux_cli_of_the_clusters_release_or_none_at_all_is_fine(
    run_cli: Run, flux_v2_3: SimHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    absent = tools_step(run_cli, flux_v2_3)
    assert absent["status"] == "pass", absent
    assert "flux: not installed (optional; glmctl does not need it)" in absent["details"]

    fake_flux(tmp_path, "2.3.4")
    same = tools_step(run_cli, flux_v2_3)
    assert same["status"] == "pass", same
    assert "cluster's Flux: v2.3.0" in same["details"]


def test_flux_skew_follows_the_release_rule() -> None:
    assert flux_skew("2.4.0", "v2.4.3") is None
    one = flux_skew("2.5.0", "v2.4.3")
    assert one is not None and "1 minor release apart" in one and "outside" not in one
    assert "use flux 2.4.x" in one
    older_cli = flux_skew("2.2.0", "v2.4.0")
    assert older_cli is not None and "2 minor releases apart" in older_cli
    assert "outside" not in older_cli  # the cluster is newer: still supported
    major = flux_skew("0.41.2", "v2.4.0")
    assert major is not None and "different major releases" in major
    assert flux_skew("2.4.0", "unknown") is None


def test_the_flux_check_reads_the_controller_deployments_when_the_namespace_has_no_label(
    run_cli: Run,
    start_sim: Callable[..., SimHandle],
    kubectl: Kubectl,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from glmctl.sim.scenario import load_scenario

    handle = start_sim(load_scenario("predeploy"), controllers=[])
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "kustomize-controller",
            "namespace": "flux-system",
            "labels": {"app.kubernetes.io/part-of": "flux", "app.kubernetes.io/version": "v2.5.1"},
        },
        "spec": {
            "selector": {"matchLabels": {"app": "kustomize-controller"}},
            "template": {
                "metadata": {"labels": {"app": "kustomize-controller"}},
                "spec": {"containers": [{"name": "manager", "image": "kustomize-controller"}]},
            },
        },
    }
    manifest = tmp_path / "deployment.json"
    manifest.write_text(json.dumps(deployment))
    code, _, err = kubectl(handle, "apply", "-f", str(manifest))
    assert code == 0, err
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_flux(bin_dir, "2.4.0")
    monkeypatch.setenv("PATH", str(bin_dir))

    step = tools_step(run_cli, handle)

    assert "cluster's Flux: v2.5.1" in step["details"]
    assert any("1 minor release apart" in detail for detail in step["details"])


def release_secrets(handle: SimHandle) -> dict[str, str]:
    """Helm's storage Secrets of the release: name → uid."""
    return {
        obj["metadata"]["name"]: obj["metadata"]["uid"]
        for obj in handle.store.list("", "secrets")
        if (obj["metadata"].get("labels") or {}).get("owner") == "helm"
        and obj["metadata"]["labels"].get("name") == "gitops-lifecycle-management"
    }


def test_the_redeploy_preflight_names_deletes_and_reinstalls_the_failed_release(
    run_cli: Run,
    start_sim: Callable[..., SimHandle],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from glmctl.sim.scenario import load_scenario, with_time_scale
    from tests.polling import wait_for

    monkeypatch.setenv("GLMCTL_STATE_DIR", str(tmp_path / "state"))
    handle = start_sim(with_time_scale(load_scenario("helmrelease-failed"), 0.02))
    hr_uid = handle.store.get(
        "helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "gitops-lifecycle-management"
    )["metadata"]["uid"]
    before = release_secrets(handle)
    assert before

    done = run_cli(cli_args(handle.kubeconfig_path, ["redeploy", "--yes", "--no-wait"]))
    assert done.exit_code == 0, done.stdout + done.stderr

    def reinstalled() -> dict[str, Any] | None:
        hr = handle.store.get(
            "helm.toolkit.fluxcd.io", "helmreleases", "flux-system", "gitops-lifecycle-management"
        )
        fresh = release_secrets(handle)
        new_release = fresh and not set(fresh.values()) & set(before.values())
        return hr if hr and hr["metadata"]["uid"] != hr_uid and new_release else None

    wait_for(reinstalled, timeout=60, what="the HelmRelease re-created and the chart reinstalled")
    assert "sh.helm.release.v1.gitops-lifecycle-management.v1" in release_secrets(handle)
