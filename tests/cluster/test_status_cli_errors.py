"""``glmctl status`` error paths end in one sentence and exit 3, never a traceback."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.cluster.scripted_api import write_kubeconfig
from tests.conftest import CliResult


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_unreachable_server_is_exit_3_with_the_url(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    url = closed_port_url()
    kubeconfig = write_kubeconfig(tmp_path / "config", url)

    result = run_cli(["status", "--kubeconfig", str(kubeconfig)])

    assert result.exit_code == 3
    assert result.stderr.startswith(
        f"glmctl: error: cannot reach the Kubernetes API server at {url}"
    )
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_unknown_context_is_exit_3_listing_the_contexts(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "config", closed_port_url(), contexts=("dev", "sim"))

    result = run_cli(["status", "--context", "prod", "--kubeconfig", str(kubeconfig)])

    assert result.exit_code == 3
    assert "context 'prod' is not in the kubeconfig" in result.stderr
    assert "available contexts: dev, sim." in result.stderr
    assert "hint: Pass one of them with --context." in result.stderr


def test_missing_kubeconfig_is_exit_3(run_cli: Callable[..., CliResult], tmp_path: Path) -> None:
    result = run_cli(["status", "--kubeconfig", str(tmp_path / "absent")])
    assert result.exit_code == 3
    assert f"kubeconfig file {tmp_path / 'absent'} does not exist." in result.stderr


def test_help_does_not_import_the_kubernetes_client() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from glmctl.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['status', '--help'])\n"
        "print(sorted(m for m in ('kubernetes', 'urllib3', 'rich') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert "kubernetes" not in out.stdout


def test_a_runbook_stopped_by_the_kubeconfig_keeps_its_hint(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "config", closed_port_url(), contexts=("dev",))

    result = run_cli(["preflight", "--context", "prod", "--kubeconfig", str(kubeconfig)])

    assert result.exit_code == 3
    assert "runbook preflight stopped" in result.stderr
    assert "hint: Pass one of them with --context." in result.stderr
    assert "Check that the cluster is up" not in result.stderr
