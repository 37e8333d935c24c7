"""Each topic, non-interactively, against its failing scenario and against ``healthy``."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections.abc import Callable

import pytest

from glmctl.cluster import resources
from glmctl.cluster.client import Cluster
from glmctl.troubleshoot import topic_names
from tests.conftest import CliResult
from tests.troubleshoot.conftest import Sims

RunCli = Callable[..., CliResult]

# topic, its failing scenario, words of the diagnosis, words of the next command
DIAGNOSES = [
    (
        "helmrelease",
        "helmrelease-failed",
        "A Helm hook Job of the chart failed",
        "kubectl logs -n flux-system -l 'app.kubernetes.io/instance=gitops-lifecycle-management,"
        "job-name'",
    ),
    (
        "external-secrets",
        "externalsecrets-not-syncing",
        "1Password Connect rejects the access token the store presents",
        "kubectl describe ClusterSecretStore onepassword-connect",
    ),
    (
        "external-secrets",
        "onepassword-down",
        "1Password Connect is not running",
        "glmctl troubleshoot onepassword",
    ),
    (
        "onepassword",
        "onepassword-down",
        "1Password Connect cannot load its credentials file",
        "kubectl describe secrets -n onepassword-connect",
    ),
    (
        "service-discovery",
        "service-discovery-rbac-missing",
        "The controller's service account may not list services",
        "flux reconcile helmrelease gitops-lifecycle-management -n flux-system --force",
    ),
    (
        "old-jobs",
        "old-jobs-running",
        "The replaced jobs are still running, and a Flux Kustomization still applies them",
        "flux reconcile kustomization infrastructure-authentik-outpost-config -n flux-system "
        "--with-source",
    ),
    (
        "failed-pods",
        "failed-pods",
        "The Failed pods are leftovers",
        "kubectl delete pods -n authentik --field-selector=status.phase=Failed",
    ),
]


def troubleshoot(run_cli: RunCli, sims: Sims, scenario: str, *args: str) -> CliResult:
    kubeconfig = str(sims(scenario).kubeconfig_path)
    return run_cli(["--kubeconfig", kubeconfig, "--no-color", "troubleshoot", *args])


def one_line(text: str) -> str:
    """The output with rich's line wrapping undone, for phrase searches."""
    return " ".join(text.split())


@pytest.mark.parametrize(("topic", "scenario", "diagnosis", "command"), DIAGNOSES)
def test_topic_names_the_cause_of_its_failing_scenario(
    run_cli: RunCli, sims: Sims, topic: str, scenario: str, diagnosis: str, command: str
) -> None:
    result = troubleshoot(run_cli, sims, scenario, topic)
    assert result.exit_code == 1, result.stderr
    text = one_line(result.stdout)
    assert f"Diagnosis: {diagnosis}" in text
    assert f"Next command: {command}" in text
    # the command is printed whole on one line, ready to copy
    assert any(line.strip().startswith(command) for line in result.stdout.splitlines())


@pytest.mark.parametrize("topic", topic_names())
def test_topic_finds_nothing_wrong_on_a_healthy_cluster(
    run_cli: RunCli, sims: Sims, topic: str
) -> None:
    result = troubleshoot(run_cli, sims, "healthy", topic)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Nothing wrong found" in result.stdout
    assert not [line for line in result.stdout.splitlines() if line.startswith("Diagnosis:")]


def test_a_topic_looks_past_its_own_scope_when_the_cause_is_elsewhere(
    run_cli: RunCli, sims: Sims
) -> None:
    # 1Password Connect's credentials are broken: the External Secrets topic sends the
    # operator to the onepassword topic rather than guessing at the store.
    result = troubleshoot(run_cli, sims, "onepassword-down", "external-secrets", "-o", "json")
    report = json.loads(result.stdout)
    diagnosis = report["steps"][-1]
    assert diagnosis["uses"] == "diagnose.conclude"
    assert diagnosis["status"] == "fail"
    assert diagnosis["command"] == "glmctl troubleshoot onepassword"
    assert report["exitCode"] == 1


def _secret_values(sims: Sims, scenario: str) -> set[str]:
    """Every Secret value in the cluster, as stored (base64) and decoded, long enough to find."""
    cluster = Cluster.connect(sims(scenario).kubeconfig_path, None)
    values: set[str] = set()
    for secret in cluster.list(resources.SECRET):
        for encoded in (secret.get("data") or {}).values():
            values.add(str(encoded))
            with contextlib.suppress(binascii.Error, UnicodeDecodeError):
                values.add(base64.b64decode(str(encoded)).decode("utf-8"))
    return {value for value in values if len(value.strip()) >= 6}


@pytest.mark.parametrize("scenario", ["healthy", "onepassword-down"])
@pytest.mark.parametrize("output", ["rich", "json", "markdown", "junit"])
def test_no_secret_value_in_any_output(
    run_cli: RunCli, sims: Sims, scenario: str, output: str
) -> None:
    values = _secret_values(sims, scenario)
    assert values, "the scenario holds Secrets, or this test proves nothing"
    for topic in topic_names():
        result = troubleshoot(run_cli, sims, scenario, topic, "-o", output)
        assert result.exit_code in (0, 1), result.stderr
        text = result.stdout + result.stderr
        leaked = sorted(value for value in values if value in text)
        assert not leaked, f"{topic} -o {output} printed a Secret value"


def test_machine_formats_carry_the_diagnosis(run_cli: RunCli, sims: Sims) -> None:
    result = troubleshoot(run_cli, sims, "old-jobs-running", "old-jobs", "-o", "markdown")
    assert result.exit_code == 1
    assert "### ❌ fail: Diagnosis" in result.stdout
    assert (
        "flux reconcile kustomization infrastructure-authentik-outpost-config -n flux-system "
        "--with-source"
    ) in result.stdout
