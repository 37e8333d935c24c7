"""``-n/--namespace`` (a global option, as flux's): where the Flux objects are looked for,
overriding the profile, for every command that reads them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from glmctl.config import Profile
from tests.conftest import CliResult

if TYPE_CHECKING:
    from glmctl.sim.runner import SimHandle


@pytest.fixture(scope="module")
def healthy() -> SimHandle:
    from glmctl.sim.runner import start_simulator
    from glmctl.sim.scenario import load_scenario, with_time_scale

    with start_simulator(with_time_scale(load_scenario("healthy"), 0.02)) as handle:
        yield handle


def test_in_flux_namespace_moves_every_flux_object_and_nothing_else() -> None:
    moved = Profile().in_flux_namespace("ops")

    assert moved.flux.lifecycle_kustomization.namespace == "ops"
    assert moved.flux.helm_release.namespace == "ops"
    assert moved.flux.helm_release.storage_namespace == "ops"
    assert moved.namespaces.flux == "ops"
    assert moved.namespaces.identity == Profile().namespaces.identity
    assert moved.flux.lifecycle_kustomization.name == Profile().flux.lifecycle_kustomization.name


@pytest.mark.parametrize("spelling", [["-n", "ops"], ["--namespace", "ops"], ["-nops"]])
def test_status_looks_in_the_namespace_given(
    spelling: list[str], healthy: SimHandle, run_cli: Callable[..., CliResult]
) -> None:
    args = ["status", "--kubeconfig", str(healthy.kubeconfig_path), "--no-color", *spelling]

    moved = run_cli(args)

    assert moved.exit_code == 1
    first = moved.stdout.splitlines()[1]
    assert "Kustomization/infrastructure-gitops-lifecycle-management (ops)" in first
    assert "not found" in first


def test_the_profile_namespace_is_the_default_and_n_can_name_it(
    healthy: SimHandle, run_cli: Callable[..., CliResult]
) -> None:
    base = ["status", "--kubeconfig", str(healthy.kubeconfig_path)]
    assert run_cli(base).exit_code == 0
    assert run_cli([*base, "-n", "flux-system"]).exit_code == 0


def test_preflight_checks_prerequisites_in_the_namespace_given(
    healthy: SimHandle, run_cli: Callable[..., CliResult]
) -> None:
    kubeconfig = str(healthy.kubeconfig_path)
    result = run_cli(["preflight", "--kubeconfig", kubeconfig, "-n", "ops", "-o", "json"])

    assert result.exit_code == 1
    assert "ops" in result.stdout


@pytest.mark.parametrize("spelling", ["-A", "--all-namespaces"])
def test_all_namespaces_finds_where_the_lifecycle_is(
    spelling: str, healthy: SimHandle, run_cli: Callable[..., CliResult]
) -> None:
    result = run_cli(["status", "--kubeconfig", str(healthy.kubeconfig_path), spelling])

    assert result.exit_code == 0, result.stderr
    assert "(flux-system)" in result.stdout


def test_all_namespaces_and_a_namespace_are_refused_together(
    healthy: SimHandle, run_cli: Callable[..., CliResult]
) -> None:
    result = run_cli(["status", "--kubeconfig", str(healthy.kubeconfig_path), "-A", "-n", "x"])

    assert result.exit_code == 2
    assert result.stderr.startswith("glmctl: error: -n/--namespace and -A/--all-namespaces")


def test_all_namespaces_without_the_lifecycle_says_so(
    healthy: SimHandle, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    config = tmp_path / "glmctl.yaml"
    config.write_text("flux:\n  lifecycle_kustomization: {name: nowhere, namespace: flux-system}\n")
    kubeconfig = str(healthy.kubeconfig_path)

    result = run_cli(["status", "--kubeconfig", kubeconfig, "--config", str(config), "-A"])

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "glmctl: error: no Kustomization named nowhere in any namespace (-A)."
    )


def test_all_namespaces_with_two_candidates_asks_for_n(
    start_sim: Callable[..., SimHandle], run_cli: Callable[..., CliResult]
) -> None:
    from glmctl.cluster import resources
    from glmctl.cluster.client import Cluster
    from glmctl.sim.scenario import load_scenario, with_time_scale

    handle = start_sim(with_time_scale(load_scenario("healthy"), 0.02), controllers=[])
    name = Profile().flux.lifecycle_kustomization.name
    with Cluster.connect(handle.kubeconfig_path) as cluster:
        cluster.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ops"}})
        copy = cluster.get(resources.KUSTOMIZATION, name, "flux-system")
        copy["metadata"] = {"name": name, "namespace": "ops"}
        cluster.create(copy)

    result = run_cli(["status", "--kubeconfig", str(handle.kubeconfig_path), "-A"])

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"glmctl: error: Kustomizations named {name} are in 2 namespaces: flux-system, ops.",
        "  hint: Pick one with -n NAMESPACE.",
    ]
