"""``glmctl smoke`` over real HTTP against the simulated cluster: passes on healthy, fails
on each smoke-failing scenario naming the check, leaves nothing behind however it ends,
and never shows a secret value."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario, with_time_scale
from tests.conftest import CliResult
from tests.polling import wait_for

RunCli = Callable[..., CliResult]
TIME_SCALE = 0.05
STATUS_WORDS = frozenset({"PASS", "FAIL", "WARN", "SKIP", "ERROR"})
MASKS = (
    (re.compile(r"\b\d+\.\d+s\b"), "N.Ns"),
    (re.compile(r"glmctl-smoke-pg-[0-9a-f]{8}(-[a-z0-9]{5})?"), "glmctl-smoke-pg-ID"),
    (re.compile(r"glmctl-smoke-[0-9a-f]{8}"), "glmctl-smoke-ID"),
    (re.compile(r"journal [0-9TZ.]+-[0-9a-f]+"), "journal ID"),
)


def stable(text: str) -> str:
    """Durations and random names masked; the progress lines (in the order concurrent
    steps finish) sorted."""
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    head, marker, tail = text.partition("\nRunbook smoke ")
    first, *progress = head.splitlines()
    return "\n".join([first, *sorted(progress)]) + marker + tail


@pytest.fixture
def short_discovery(tmp_path: Path) -> Path:
    path = tmp_path / "glmctl.yaml"
    path.write_text("smoke:\n  discovery_timeout_seconds: 2\n")
    return path


@pytest.fixture
def sim(start_sim: Callable[..., SimHandle]) -> Callable[[str], SimHandle]:
    return lambda name: start_sim(with_time_scale(load_scenario(name), TIME_SCALE))


def _smoke(run_cli: RunCli, handle: SimHandle, config: Path, *args: str) -> CliResult:
    return run_cli(
        ["--kubeconfig", str(handle.kubeconfig_path), "--config", str(config), "smoke", *args]
    )


def _leftovers(handle: SimHandle) -> list[str]:
    found = []
    for group, plural in (("", "services"), ("batch", "jobs")):
        for obj in handle.store.list(group, plural):
            labels = obj["metadata"].get("labels") or {}
            if labels.get("app.kubernetes.io/managed-by") == "glmctl-smoke":
                found.append(f"{plural}/{obj['metadata']['name']}")
    return found


def _steps(result: CliResult) -> dict[str, str]:
    return {s["id"]: s["status"] for s in json.loads(result.stdout)["steps"]}


def test_healthy_passes_every_check_and_leaves_nothing(
    run_cli: RunCli, sim: Callable[[str], SimHandle], short_discovery: Path
) -> None:
    handle = sim("healthy")
    result = _smoke(run_cli, handle, short_discovery, "-o", "json")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert set(_steps(result).values()) == {"pass"}
    assert len(_steps(result)) == 11
    assert _leftovers(handle) == []


@pytest.mark.parametrize(
    ("scenario", "failing"),
    [
        (
            "smoke-invalid-token",
            {"authentik_token", "authentik_oidc", "authentik_outpost", "service_discovery"},
        ),
        ("smoke-missing-oidc-provider", {"authentik_oidc"}),
        ("smoke-discovery-never-creates", {"service_discovery"}),
        ("smoke-discovery-never-cleans-up", {"service_discovery"}),
        ("smoke-connect-unhealthy", {"connect_health"}),
        ("smoke-database-unreachable", {"database_connectivity"}),
    ],
)
def test_each_failing_scenario_fails_naming_the_check(
    run_cli: RunCli,
    sim: Callable[[str], SimHandle],
    short_discovery: Path,
    scenario: str,
    failing: set[str],
) -> None:
    handle = sim(scenario)
    result = _smoke(run_cli, handle, short_discovery, "-o", "json")
    assert result.exit_code == 1, result.stderr
    assert {k for k, v in _steps(result).items() if v == "fail"} == failing
    assert _leftovers(handle) == []  # cleaned up after a failure too


def test_a_topic_runs_only_its_checks(
    run_cli: RunCli, sim: Callable[[str], SimHandle], short_discovery: Path
) -> None:
    result = _smoke(run_cli, sim("healthy"), short_discovery, "onepassword", "-o", "json")
    ran = {k for k, v in _steps(result).items() if v != "skip"}
    assert ran == {"leftovers", "connect_health", "externalsecret_items"}
    wrong = _smoke(run_cli, sim("healthy"), short_discovery, "onepasword")
    assert wrong.exit_code == 2
    assert "did you mean" in wrong.stderr and "Traceback" not in wrong.stderr


def test_the_run_timeout_still_removes_the_temporary_service(
    run_cli: RunCli, sim: Callable[[str], SimHandle], tmp_path: Path
) -> None:
    handle = sim("smoke-discovery-never-creates")
    config = tmp_path / "glmctl.yaml"
    config.write_text("smoke:\n  discovery_timeout_seconds: 60\n")
    result = _smoke(run_cli, handle, config, "service-discovery", "--timeout", "3")
    assert result.exit_code == 4, result.stdout + result.stderr
    wait_for(lambda: _leftovers(handle) == [], timeout=10, what="the temporary Service to go")


def _spawn(handle: SimHandle, config: Path, *args: str) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "glmctl",
        "--kubeconfig",
        str(handle.kubeconfig_path),
        "--config",
        str(config),
        "--no-color",
        "smoke",
        *args,
    ]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.fixture
def long_discovery(tmp_path: Path) -> Path:
    path = tmp_path / "long.yaml"
    path.write_text("smoke:\n  discovery_timeout_seconds: 120\n")
    return path


@pytest.fixture
def stopper() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_ctrl_c_removes_the_temporary_service(
    sim: Callable[[str], SimHandle],
    long_discovery: Path,
    stopper: list[subprocess.Popen[str]],
) -> None:
    handle = sim("smoke-discovery-never-creates")
    process = _spawn(handle, long_discovery, "service-discovery")
    stopper.append(process)
    wait_for(lambda: _leftovers(handle), timeout=30, what="the temporary Service")
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, out + err
    assert _leftovers(handle) == []


def test_a_killed_runs_leftover_is_removed_and_reported_next_run(
    run_cli: RunCli,
    sim: Callable[[str], SimHandle],
    long_discovery: Path,
    short_discovery: Path,
    stopper: list[subprocess.Popen[str]],
) -> None:
    handle = sim("smoke-discovery-never-creates")
    process = _spawn(handle, long_discovery, "service-discovery")
    stopper.append(process)
    left = wait_for(lambda: _leftovers(handle), timeout=30, what="the temporary Service")
    process.kill()
    process.wait(timeout=10)
    assert _leftovers(handle) == left  # SIGKILL: nothing could clean up
    result = _smoke(run_cli, handle, short_discovery, "config", "--no-color")
    assert result.exit_code == 0, result.stdout
    assert "removed 1 leftover of an earlier smoke run" in result.stdout
    assert left[0].split("/")[1] in result.stdout
    assert _leftovers(handle) == []


def _secret_values(handle: SimHandle) -> set[str]:
    values = {"rotated-in-authentik-not-in-1password"}
    for secret in handle.store.list("", "secrets"):
        if secret.get("type") == "helm.sh/release.v1":
            continue
        for raw in (secret.get("data") or {}).values():
            text = base64.b64decode(raw).decode("utf-8", "replace")
            if len(text) >= 8:
                values.add(text)
    return values


@pytest.mark.parametrize("scenario", ["healthy", "smoke-invalid-token"])
def test_no_secret_value_in_any_output_journal_or_snapshot(
    run_cli: RunCli,
    sim: Callable[[str], SimHandle],
    short_discovery: Path,
    scenario: str,
) -> None:
    handle = sim(scenario)
    secrets = _secret_values(handle)
    assert "sim-fake-value" in secrets
    texts = []
    for args in ([], ["-o", "json"], ["-o", "yaml"], ["-o", "junit"], ["-o", "markdown"]):
        result = _smoke(run_cli, handle, short_discovery, "-v", "-v", *args)
        texts += [result.stdout, result.stderr]
    state = Path(os.environ["GLMCTL_STATE_DIR"])
    journals = [p.read_text() for p in state.rglob("*.json")]
    if scenario == "healthy":
        assert journals, "the temporary Service was journaled"
    texts += journals
    snapshots = Path(__file__).parent / "__snapshots__"
    texts += [p.read_text() for p in snapshots.glob("*.ambr")] if snapshots.is_dir() else []
    for text in texts:
        for value in secrets:
            assert value not in text


@pytest.mark.parametrize("scenario", ["healthy", "smoke-database-unreachable"])
def test_rendered_report(
    run_cli: RunCli,
    sim: Callable[[str], SimHandle],
    short_discovery: Path,
    snapshot: SnapshotAssertion,
    scenario: str,
) -> None:
    result = _smoke(run_cli, sim(scenario), short_discovery, "--no-color")
    assert stable(result.stdout) == snapshot


def test_verify_smoke_runs_both_and_the_worse_code_wins(
    run_cli: RunCli, sim: Callable[[str], SimHandle], short_discovery: Path
) -> None:
    handle = sim("smoke-connect-unhealthy")
    base = ["--kubeconfig", str(handle.kubeconfig_path), "--config", str(short_discovery)]
    alone = run_cli([*base, "verify", "--no-color"])
    both = run_cli([*base, "verify", "--smoke", "--no-color"])
    assert alone.exit_code == 0, alone.stdout
    assert both.exit_code == 1
    assert "Runbook verify passed" in both.stdout
    assert "1Password Connect is unhealthy: sync ERROR" in both.stdout
