"""``glmctl troubleshoot`` without a TOPIC and without a terminal: the triage, exit 1 or 0.

Every topic's diagnosis at once, everything wrong worst first (by the findings' severity,
ties in the catalogue's order), over the still simulated clusters of the module.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from glmctl.runbook.result import RunbookResult
from glmctl.troubleshoot import TOPICS, find_topic, triage_of
from tests.cluster.scripted_api import write_kubeconfig
from tests.cluster.test_status_cli_errors import closed_port_url
from tests.conftest import CliResult
from tests.troubleshoot.conftest import Sims

RunCli = Callable[..., CliResult]


def triage(run_cli: RunCli, sims: Sims, scenario: str) -> CliResult:
    kubeconfig = str(sims(scenario).kubeconfig_path)
    return run_cli(["--kubeconfig", kubeconfig, "--no-color", "troubleshoot"])


def test_healthy_triage_exits_0(run_cli: RunCli, sims: Sims) -> None:
    result = triage(run_cli, sims, "healthy")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("\nTriage (6 topics, 0 found a problem)\nNot found: ")
    assert result.stderr == ""


def test_failing_triage_exits_1_worst_first_snapshot(
    run_cli: RunCli, sims: Sims, snapshot: SnapshotAssertion
) -> None:
    result = triage(run_cli, sims, "old-jobs-running")
    assert result.exit_code == 1, result.stderr
    assert "\x1b[" not in result.stdout
    assert result.stdout == snapshot


@pytest.mark.parametrize(
    ("scenario", "first"),
    [
        ("externalsecrets-not-syncing", "External Secrets not syncing"),
        ("old-jobs-running", "Old jobs still running"),
        ("helmrelease-failed", "HelmRelease fails to deploy"),
        ("service-discovery-rbac-missing", "Service discovery issues"),
    ],
)
def test_the_matching_topic_comes_first(
    run_cli: RunCli, sims: Sims, scenario: str, first: str
) -> None:
    result = triage(run_cli, sims, scenario)
    assert result.exit_code == 1
    assert f"  1. {first}  [critical]" in result.stdout.splitlines()


def test_an_unreachable_cluster_is_exit_3(run_cli: RunCli, tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "config", closed_port_url())
    result = run_cli(["--kubeconfig", str(kubeconfig), "--no-color", "troubleshoot"])
    assert result.exit_code == 3
    assert result.stderr.startswith("glmctl: error: runbook troubleshoot-")
    assert "unreachable" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_a_document_format_is_refused_without_a_topic(run_cli: RunCli, sims: Sims) -> None:
    kubeconfig = str(sims("healthy").kubeconfig_path)
    result = run_cli(["--kubeconfig", kubeconfig, "troubleshoot", "-o", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "troubleshoot without a TOPIC" in result.stderr


def _result(name: str, status: str, severity: str = "") -> RunbookResult:
    """A finished topic run whose diagnosis step ended ``status`` with ``severity``."""
    return RunbookResult.model_validate(
        {
            "runbook": f"troubleshoot-{name}",
            "started_at": "2026-01-01T00:00:00Z",
            "finished_at": "2026-01-01T00:00:01Z",
            "duration": 1.0,
            "status": "failed" if status == "fail" else "passed",
            "steps": [
                {
                    "id": "diagnosis",
                    "title": "Diagnosis",
                    "uses": "diagnose.conclude",
                    "mutating": False,
                    "result": {
                        "status": status,
                        "summary": f"{name} diagnosis",
                        "outputs": {"severity": severity},
                    },
                }
            ],
        }
    )


def test_triage_orders_by_severity_then_catalogue_order() -> None:
    results = [
        (find_topic("helmrelease"), _result("helmrelease", "fail", "warning")),
        (find_topic("external-secrets"), _result("external-secrets", "fail", "error")),
        (find_topic("service-discovery"), _result("service-discovery", "pass")),
        (find_topic("onepassword"), _result("onepassword", "fail", "critical")),
        (find_topic("old-jobs"), _result("old-jobs", "fail", "critical")),
        (find_topic("failed-pods"), _result("failed-pods", "error")),
    ]
    found = triage_of(results)
    assert [(f.topic.name, f.severity) for f in found.findings] == [
        ("onepassword", "critical"),
        ("old-jobs", "critical"),
        ("external-secrets", "error"),
        ("helmrelease", "warning"),
        ("failed-pods", "unchecked"),
    ]
    assert [t.name for t in found.healthy] == ["service-discovery"]
    assert found.exit_code == 1
    assert [t.name for t in found.topics_worst_first()][-1] == "service-discovery"
    assert len(found.topics_worst_first()) == len(TOPICS)
