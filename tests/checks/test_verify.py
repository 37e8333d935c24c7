"""``glmctl verify`` against the simulated cluster: passes after a good deploy, names the
right failures on the troubleshooting scenarios, and never shows a Secret value."""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.checks.conftest import TIME_SCALE, cli_args, failing, steps_of
from tests.conftest import CliResult

Run = Callable[..., CliResult]
FAKE_VALUE = "sim-fake-value"  # what the simulator writes into every synced Secret
VERIFY_STEPS = 12


def test_verify_passes_after_a_good_deploy(run_against: Run) -> None:
    result = run_against("healthy", "verify", "-o", "json")

    assert result.exit_code == 0, result.stdout
    steps = steps_of(result)
    assert {step["status"] for step in steps.values()} == {"pass"}
    assert steps["release"]["summary"] == (
        "gitops-lifecycle-management revision 1 deployed, chart gitops-lifecycle-management 0.1.0"
    )
    assert steps["hooks"]["summary"] == "2 hook Jobs completed"


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        (
            "helmrelease-failed",
            {
                "release",
                "helmrelease",
                "kustomization",
                "external_secrets",
                "service_discovery",
                "hooks",
                "database_init",
                "service_monitor",
            },
        ),
        ("service-discovery-rbac-missing", {"service_account_rbac", "service_discovery_logs"}),
        ("externalsecrets-not-syncing", {"external_secrets"}),
        ("onepassword-down", {"external_secrets"}),
    ],
)
def test_verify_names_the_failures_of_each_troubleshooting_scenario(
    run_against: Run, scenario: str, expected: set[str]
) -> None:
    result = run_against(scenario, "verify", "-o", "json")

    assert result.exit_code == 1
    assert failing(result) == expected


def test_failed_install_shows_the_failed_hook_and_its_log(run_against: Run) -> None:
    # At full time scale the failed hook Job is still there (its 300 s TTL has not run out).
    steps = steps_of(run_against("helmrelease-failed", "verify", "-o", "json", time_scale=1.0))

    assert steps["release"]["summary"].startswith("gitops-lifecycle-management revision 1 failed")
    assert "RetriesExceeded" in steps["helmrelease"]["details"][0]
    hooks = steps["hooks"]["details"]
    assert hooks[0] == "gitops-lifecycle-management-auth-setup: Failed"
    assert any("cannot authenticate to authentik" in line for line in hooks)
    assert "gitops-lifecycle-management-database-init: did not run" in hooks[-1]
    assert steps["hooks"]["summary"] == (
        "2 of 2 hook Jobs did not complete (failed: gitops-lifecycle-management-auth-setup; "
        "did not run: gitops-lifecycle-management-database-init)"
    )
    assert "InstallFailed" in steps["helmrelease"]["details"][0]


def test_missing_rbac_names_the_service_account_question(run_against: Run) -> None:
    steps = steps_of(run_against("service-discovery-rbac-missing", "verify", "-o", "json"))

    rbac = steps["service_account_rbac"]
    assert rbac["details"][0].startswith("no: list services in all namespaces")
    assert rbac["command"] == (
        "kubectl auth can-i list services --all-namespaces "
        "--as=system:serviceaccount:flux-system:gitops-lifecycle-management"
    )
    assert "ClusterRoleBinding" in rbac["hint"]
    assert all(
        "failed to list services" in line for line in steps["service_discovery_logs"]["details"]
    )


def test_unsynced_external_secrets_say_why(run_against: Run) -> None:
    steps = steps_of(run_against("externalsecrets-not-syncing", "verify", "-o", "json"))

    details = steps["external_secrets"]["details"]
    assert details[0] == (
        "authentik/authentik-admin-token: not Ready (SecretSyncedError): "
        "could not get secret data from provider"
    )
    assert (
        "kubectl describe externalsecret authentik-admin-token -n authentik"
        in (steps["external_secrets"]["hint"])
    )


def test_secret_keys_are_shown_with_byte_counts(run_against: Run) -> None:
    steps = steps_of(run_against("healthy", "verify", "-o", "json"))

    assert (
        "authentik/authentik-outpost-config: synced; Secret authentik-outpost-config: "
        "authentik_host (14 bytes), token (14 bytes)"
    ) in steps["external_secrets"]["details"]


@pytest.mark.parametrize("output", ["rich", "json", "junit", "markdown"])
def test_no_secret_value_in_any_output_format(
    start_sim: Callable[..., Any], run_cli: Run, output: str, tmp_path: Path
) -> None:
    """On healthy, plus a profile expecting a key the Secret lacks, so every format shows
    the external_secrets details (keys and byte counts) and not only a summary line."""
    from glmctl.sim.scenario import load_scenario, with_time_scale

    config = tmp_path / "glmctl.yaml"
    config.write_text(
        "external_secrets:\n"
        "  mappings:\n"
        "    - {item: outpost, external_secret: authentik-outpost-config,\n"
        "       secret: authentik-outpost-config, namespace: authentik, keys: [token, extra]}\n",
        encoding="utf-8",
    )
    encoded = base64.b64encode(FAKE_VALUE.encode()).decode()
    for profile in (None, config):
        handle = start_sim(with_time_scale(load_scenario("healthy"), TIME_SCALE))
        args = cli_args(handle.kubeconfig_path, ["verify", "-v", "-o", output], profile)
        result = run_cli(args)
        assert result.exit_code == (0 if profile is None else 1), result.stdout
        for text in (result.stdout, result.stderr):
            assert FAKE_VALUE not in text
            assert encoded.rstrip("=") not in text
    shown = " ".join(result.stdout.split())  # rich wraps long lines
    assert "lacks key(s) extra; has authentik_host (14 bytes), token (14 bytes)" in shown


def test_json_report_validates_against_the_generated_schema(run_against: Run) -> None:
    from glmctl.contract.schema import schema

    result = run_against("helmrelease-failed", "verify", "-o", "json")

    report = json.loads(result.stdout)
    jsonschema.validate(report, schema())
    assert report["kind"] == "RunbookReport"
    assert report["runbook"]["name"] == "verify"
    assert report["exitCode"] == 1


def test_junit_has_one_testcase_per_step(run_against: Run) -> None:
    result = run_against("service-discovery-rbac-missing", "verify", "-o", "junit")

    root = ET.fromstring(result.stdout)
    cases = root.findall(".//testcase")
    assert len(cases) == VERIFY_STEPS
    failed = {case.get("name") for case in cases if case.find("failure") is not None}
    assert len(failed) == 2


def test_hook_job_outliving_its_ttl_fails(start_sim: Callable[..., Any], run_cli: Run) -> None:
    """No TTL controller (no simulated controllers) and hooks that finished an hour ago."""
    from glmctl.sim.scenario import load_scenario

    scenario = load_scenario("healthy")
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for obj in scenario.objects:
        if obj["kind"] == "Job":
            obj["status"]["completionTime"] = an_hour_ago
    handle = start_sim(scenario, controllers=[])

    result = run_cli(cli_args(handle.kubeconfig_path, ["verify", "-o", "json"]))

    assert result.exit_code == 1
    assert failing(result) == {"hooks"}
    hooks = steps_of(result)["hooks"]
    assert hooks["summary"].startswith("2 hook Job(s) outlived their TTL")
    assert "TTL-after-finished controller" in hooks["hint"]
