"""Exec credential plugins: run under --timeout, failures named in one sentence (issue 13, 3)."""

from __future__ import annotations

import json
import stat
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario
from tests.conftest import CliResult

Run = Callable[..., CliResult]


@pytest.fixture
def sim(start_sim: Callable[..., SimHandle]) -> SimHandle:
    return start_sim(load_scenario("healthy"), controllers=[])


def _with_plugin(handle: SimHandle, tmp_path: Path, script: str) -> tuple[Path, str]:
    """A copy of the simulator's kubeconfig whose user runs ``script`` for its token."""
    config = yaml.safe_load(handle.kubeconfig_path.read_text(encoding="utf-8"))
    token = config["users"][0]["user"]["token"]
    plugin = tmp_path / "bin" / "cred-plugin"
    plugin.parent.mkdir()
    plugin.write_text("#!/bin/sh\n" + script.replace("TOKEN", token), encoding="utf-8")
    plugin.chmod(plugin.stat().st_mode | stat.S_IXUSR)
    config["users"][0]["user"] = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": "./bin/cred-plugin",
            "args": ["get-token"],
            "installHint": "Install cred-plugin from your platform team.",
        }
    }
    path = tmp_path / "kubeconfig"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path, token


GOOD = (
    'echo \'{"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential", '
    '"status": {"token": "TOKEN"}}\'\n'
)


def _no_log_noise(result: CliResult) -> None:
    assert "ERROR root" not in result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("glmctl: error:")]
    assert len(errors) == 1, result.stderr


def test_a_plugin_token_is_used(sim: SimHandle, tmp_path: Path, run_cli: Run) -> None:
    kubeconfig, _ = _with_plugin(sim, tmp_path, GOOD)
    result = run_cli(["-o", "json", "status", "--kubeconfig", str(kubeconfig)])
    assert result.exit_code in (0, 1), result.stderr
    assert json.loads(result.stdout)


def test_a_plugin_that_hangs_is_killed_when_the_timeout_passes(
    sim: SimHandle, tmp_path: Path, run_cli: Run
) -> None:
    marker = tmp_path / "still-running"
    script = f"echo 'opening a browser for login' >&2\n(sleep 30; touch {marker}) &\nsleep 30\n"
    kubeconfig, _ = _with_plugin(sim, tmp_path, script)
    started = time.monotonic()
    result = run_cli(["status", "--timeout", "2", "--kubeconfig", str(kubeconfig)])
    took = time.monotonic() - started

    assert result.exit_code == 4, result.stderr
    assert took < 10
    assert "'./bin/cred-plugin'" in result.stderr
    assert "did not answer within" in result.stderr
    assert "hint: the plugin said: opening a browser for login" in result.stderr
    _no_log_noise(result)


@pytest.mark.parametrize(
    ("script", "words", "hint"),
    [
        ("echo 'not json at all'\n", "did not print an ExecCredential", None),
        ("echo '{\"status\": 5}'\n", "did not print an ExecCredential", None),
        (
            "echo 'token expired, run login' >&2\nexit 1\n",
            "failed with exit code 1",
            "the plugin said: token expired, run login",
        ),
        ("echo '{\"status\": {}}'\n", "neither a token nor a client certificate", None),
    ],
)
def test_a_misbehaving_plugin_is_named(
    script: str, words: str, hint: str | None, sim: SimHandle, tmp_path: Path, run_cli: Run
) -> None:
    kubeconfig, _ = _with_plugin(sim, tmp_path, script)
    result = run_cli(["status", "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 3, result.stderr
    assert "exec credential plugin './bin/cred-plugin'" in result.stderr
    assert words in result.stderr
    if hint:
        assert hint in result.stderr
    _no_log_noise(result)


def test_a_missing_plugin_is_named_with_its_install_hint(
    sim: SimHandle, tmp_path: Path, run_cli: Run
) -> None:
    kubeconfig, _ = _with_plugin(sim, tmp_path, GOOD)
    (tmp_path / "bin" / "cred-plugin").unlink()
    result = run_cli(["status", "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 3, result.stderr
    assert "'./bin/cred-plugin' of user" in result.stderr
    assert "is not installed" in result.stderr
    assert "Install cred-plugin from your platform team." in result.stderr
    _no_log_noise(result)
