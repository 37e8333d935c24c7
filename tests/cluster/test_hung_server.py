"""Every cluster command against a server that accepts and never answers, with
``--timeout 2``: exit 4 within 3 s, and one error line, not a failure per step."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from glmctl.errors import ExitCode
from glmctl.journal import Journal, PlannedChange
from tests.cluster.hanging import HangingListener
from tests.cluster.scripted_api import write_kubeconfig
from tests.conftest import CliResult

OUTPOST = "infrastructure/authentik-outpost-config"
REPLACED = (
    "enhanced-token-setup",
    "grafana-oidc-setup",
    "dashboard-oidc-setup",
    "cleanup-duplicate-tokens",
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Just enough of a GitOps repository for rollback to plan its file edits."""
    root = tmp_path / "gitops"
    (root / OUTPOST).mkdir(parents=True)
    lines = "".join(f"  # - {name}-job.yaml\n" for name in REPLACED)
    (root / OUTPOST / "kustomization.yaml").write_text(f"resources:\n{lines}")
    for name in REPLACED:
        (root / OUTPOST / f"{name}-job.yaml").write_text(f"kind: Job\nmetadata: {{name: {name}}}\n")
    return root


def deleted_job_entry() -> str:
    """A finished journal entry that deleted one Job: what ``journal restore`` re-creates."""
    entry = Journal().begin(
        "sim",
        ["redeploy"],
        [PlannedChange(id="j", action="delete", kind="Job", namespace="authentik", name="old")],
    )
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "old"}}
    job["metadata"]["namespace"] = "authentik"
    entry.record_before(job, "delete", change_id="j")
    entry.mark_done("j")
    entry.finish("succeeded")
    return entry.id


COMMANDS: dict[str, Callable[[Path], list[str]]] = {
    "status": lambda _: ["status"],
    "preflight": lambda _: ["preflight"],
    "verify": lambda _: ["verify"],
    "monitor": lambda _: ["monitor"],
    "monitor --once": lambda _: ["monitor", "--once"],
    "rollback": lambda repo: ["rollback", "--repo", str(repo), "--yes"],
    "rollback --undo": lambda repo: ["rollback", "--undo", "--repo", str(repo), "--yes"],
    "redeploy --dry-run": lambda _: ["redeploy", "--dry-run"],
    "redeploy": lambda _: ["redeploy", "--yes"],
    "troubleshoot helmrelease": lambda _: ["troubleshoot", "helmrelease"],
    "troubleshoot old-jobs": lambda _: ["troubleshoot", "old-jobs"],
    "journal restore": lambda _: ["journal", "restore", deleted_job_entry(), "--yes"],
    "runbook run preflight": lambda _: ["runbook", "run", "preflight"],
    "runbook run verify": lambda _: ["runbook", "run", "verify"],
}


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_cluster_command_stops_at_its_timeout_with_one_error_line(
    name: str,
    scheme: str,
    hanging: HangingListener,
    repo: Path,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "config", hanging.url(scheme))
    args = [*COMMANDS[name](repo), "--kubeconfig", str(kubeconfig), "--timeout", "2"]

    started = time.monotonic()
    result = run_cli(args)
    took = time.monotonic() - started

    assert result.exit_code == ExitCode.TIMEOUT, result.stdout + result.stderr
    assert took < 3.0
    errors = [line for line in result.stderr.splitlines() if line.startswith("glmctl: error:")]
    assert len(errors) == 1, result.stderr
    assert "2 s (--timeout)" in errors[0] or "--timeout of 2s ran out" in errors[0]
    hints = [line for line in result.stderr.splitlines() if line.startswith("  hint:")]
    assert len(result.stderr.splitlines()) == 1 + len(hints) <= 2, result.stderr
    for word in ("FAIL", "ERROR", "Traceback", "ConnectionPool", "timeout="):
        assert word not in result.stdout, result.stdout
