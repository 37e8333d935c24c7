"""``glmctl sim``: listing scenarios, serving one in the foreground, usage errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from glmctl.sim.scenario import scenario_names
from tests.conftest import CliResult

RunCli = Callable[..., CliResult]


def test_scenarios_lists_every_name_with_its_description(run_cli: RunCli) -> None:
    result = run_cli(["sim", "scenarios"])
    assert result.exit_code == 0
    for name in [*scenario_names(), "generated"]:
        assert name in result.stdout
    assert "CrashLoopBackOff" in result.stdout


def test_scenarios_as_json(run_cli: RunCli) -> None:
    result = run_cli(["sim", "scenarios", "-o", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)["items"]
    assert {row["name"] for row in rows} == {*scenario_names(), "generated"}
    assert all(row["description"] for row in rows)


def test_unknown_scenario_is_a_usage_error_naming_the_valid_ones(run_cli: RunCli) -> None:
    result = run_cli(["sim", "serve", "--scenario", "predeploi"])
    assert result.exit_code == 2
    assert "unknown scenario 'predeploi', did you mean predeploy?" in result.stderr
    assert "hint: Valid scenarios: externalsecrets-not-syncing, failed-pods," in result.stderr
    assert "Traceback" not in result.stderr


def test_a_misspelt_scenario_gets_a_did_you_mean_in_demo_too(run_cli: RunCli) -> None:
    for command in (["sim", "serve"], ["demo"]):
        result = run_cli([*command, "--scenario", "helthy"])
        assert result.exit_code == 2
        assert result.stderr.startswith(
            "glmctl: error: unknown scenario 'helthy', did you mean healthy?\n"
        ), result.stderr


def test_a_scenario_name_nothing_is_close_to_lists_the_valid_ones(run_cli: RunCli) -> None:
    result = run_cli(["sim", "serve", "--scenario", "zzz"])
    assert result.exit_code == 2
    assert "unknown scenario 'zzz'.\n" in result.stderr
    assert "did you mean" not in result.stderr
    assert "generated (`glmctl sim scenarios` describes them)" in result.stderr


def test_bad_size_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli(["sim", "serve", "--scenario", "generated", "--size", "10,20"])
    assert result.exit_code == 2
    assert "--size '10,20' is not three counts" in result.stderr
    result = run_cli(["sim", "serve", "--scenario", "healthy", "--size", "1,2,3"])
    assert result.exit_code == 2
    assert "only applies to --scenario generated" in result.stderr


def _serve_until(stop_signal: signal.Signals, *args: str) -> tuple[list[str], str]:
    """Run ``glmctl sim serve ARGS`` in a real process, read its three opening lines, send
    ``stop_signal``; the opening lines and the rest of stdout (the process ended 0)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "glmctl", "sim", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    try:
        assert process.stdout is not None
        opening = [process.stdout.readline().strip() for _ in range(3)]
        assert Path(opening[0]).is_file(), opening
        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    return opening, out


def test_serve_prints_the_kubeconfig_first_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "sim.kubeconfig"
    opening, out = _serve_until(
        signal.SIGINT, "--scenario", "predeploy", "--kubeconfig", str(kubeconfig)
    )
    assert opening[:2] == [str(kubeconfig), f"export KUBECONFIG={kubeconfig}"]
    assert "Serving scenario 'predeploy' at https://127.0.0.1:" in opening[2]
    assert 'server: "https://127.0.0.1:' in kubeconfig.read_text()
    assert out.strip().endswith("stopped")
    assert kubeconfig.is_file()  # a path the operator chose is theirs to keep


def test_serve_refuses_to_overwrite_a_kubeconfig_that_is_not_a_simulators(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    real = tmp_path / "config"
    original = "apiVersion: v1\nkind: Config\ncontexts:\n- name: prod\n  context: {cluster: p}\n"
    real.write_text(original, encoding="utf-8")

    result = run_cli(["--kubeconfig", str(real), "sim", "serve"])

    assert result.exit_code == 2
    assert "is not a simulator's kubeconfig" in result.stderr
    assert real.read_text(encoding="utf-8") == original


def test_serve_on_a_busy_port_is_a_usage_error(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_cli(["sim", "serve", "--port", str(port)])

    assert result.exit_code == 2
    assert f"port {port} is already in use" in result.stderr


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_serve_removes_its_kubeconfig_on_sigterm_sighup_and_sigint(
    stop_signal: signal.Signals,
) -> None:
    """The temporary kubeconfig holds a client key: every way of stopping removes it."""
    opening, out = _serve_until(stop_signal, "--scenario", "healthy")
    kubeconfig = Path(opening[0])
    assert "Serving scenario 'healthy'" in opening[2]
    assert out.strip().endswith("stopped")
    assert not kubeconfig.exists()
    assert not kubeconfig.parent.exists()
