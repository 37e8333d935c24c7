"""What a person reads at the end of a topic: a snapshot, and the run that could not finish."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from syrupy.assertion import SnapshotAssertion

from tests.cluster.scripted_api import write_kubeconfig
from tests.cluster.test_status_cli_errors import closed_port_url
from tests.conftest import CliResult
from tests.troubleshoot.conftest import Sims

RunCli = Callable[..., CliResult]


def diagnosis_text(stdout: str) -> str:
    """From the ``Troubleshooting:`` heading on: the part that has no timings in it."""
    return stdout[stdout.index("Troubleshooting: ") :]


def test_plain_diagnosis_snapshot(run_cli: RunCli, sims: Sims, snapshot: SnapshotAssertion) -> None:
    kubeconfig = str(sims("service-discovery-rbac-missing").kubeconfig_path)
    result = run_cli(["--kubeconfig", kubeconfig, "--no-color", "troubleshoot", "discovery"])
    assert result.exit_code == 1
    assert "\x1b[" not in result.stdout  # plain text: no colour, no cursor movement
    assert diagnosis_text(result.stdout) == snapshot


def test_healthy_plain_text(run_cli: RunCli, sims: Sims) -> None:
    kubeconfig = str(sims("healthy").kubeconfig_path)
    result = run_cli(["--kubeconfig", kubeconfig, "--no-color", "troubleshoot", "old-jobs"])
    assert result.exit_code == 0
    assert diagnosis_text(result.stdout) == (
        "Troubleshooting: Old jobs still running (2 checks, 0 found a problem)\n"
        "Nothing wrong found: none of the replaced jobs is running.\n"
    )


def test_an_unreachable_cluster_ends_without_a_diagnosis_and_exit_3(
    run_cli: RunCli, tmp_path: Path
) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "config", closed_port_url())
    result = run_cli(["--kubeconfig", str(kubeconfig), "--no-color", "troubleshoot", "hr"])
    assert result.exit_code == 3
    text = " ".join(diagnosis_text(result.stdout).split())
    assert text.startswith(
        "Troubleshooting: HelmRelease fails to deploy "
        "(6 checks, 0 found a problem, 6 could not be made) "
        "No diagnosis: the run stopped before it could make one."
    )
    assert result.stderr.startswith(
        "glmctl: error: runbook troubleshoot-helmrelease stopped: the cluster is unreachable: "
        "cannot reach the Kubernetes API server at http://127.0.0.1:"
    )
    assert "Traceback" not in result.stdout + result.stderr
