"""Triage, actions and leaving, through a real pseudo-terminal (pexpect).

glmctl runs as its own process on a pseudo-terminal, talking over HTTPS to a simulated
cluster whose controllers run, as an operator's session would: the triage offers the
matching topic first, an offered action is planned, confirmed, journaled, applied and
verified by the state the cluster reaches, and Ctrl-C / Ctrl-D leave cleanly.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from glmctl.journal import Journal
from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario
from tests.sim_world.api import CSS, LIFECYCLE_KS, Api

StartSim = Callable[..., SimHandle]
ENTER = "\r"
CTRL_C = "\x03"
CTRL_D = "\x04"
DOWN = "\x1b[B"
TIMEOUT = 60
pytestmark = pytest.mark.timeout(120)


def _glmctl() -> Path:
    glmctl = Path(sys.executable).parent / "glmctl"
    if not glmctl.exists():
        pytest.skip("the glmctl console script is not installed next to the interpreter")
    return glmctl


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "GLMCTL_STATE_DIR": str(tmp_path / "state"),
        "KUBECONFIG": "",
        "NO_COLOR": "1",  # the text to expect, without colour codes inside it
    }
    return env


def spawn(sim: SimHandle, tmp_path: Path) -> pexpect.spawn:
    return pexpect.spawn(
        str(_glmctl()),
        ["--kubeconfig", str(sim.kubeconfig_path), "troubleshoot", "--timeout", "40"],
        cwd=str(tmp_path),
        env=_env(tmp_path),
        dimensions=(60, 220),
        encoding="utf-8",
        timeout=TIMEOUT,
    )


def _journal(tmp_path: Path, command_name: str) -> list[tuple[str, str | None]]:
    """(status, outcome) of each journal entry the session wrote for ``command_name``."""
    journal = Journal(tmp_path / "state" / "journal")
    entries = [journal.get(summary.id) for summary in journal.list()]
    return [(str(e.status), e.outcome) for e in entries if e.command_name == command_name]


def test_triage_offers_external_secrets_first_and_force_sync_is_applied_and_verified(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(load_scenario("externalsecrets-not-syncing"))
    api = Api(sim)
    child = spawn(sim, tmp_path)
    try:
        child.expect(r"1\. External Secrets not syncing")
        child.expect("What is going wrong?")
        child.expect(r"» External Secrets not syncing\s+\[critical\]")  # the pointer starts here
        child.send(ENTER)
        child.expect("Diagnosis: 1Password Connect rejects the access token")
        child.expect("What next?")
        child.expect(r"» Force-sync 5 ExternalSecrets")
        # The operator fixes the token meanwhile; the store validates again.
        store = api.get(CSS)
        assert store is not None
        store["status"]["conditions"][0].update(
            status="True", reason="Valid", message="store validated"
        )
        assert api.request("PUT", f"{CSS}/status", store)[0] == 200
        child.send(ENTER)
        child.expect("annotate")  # the plan, before anything is done
        child.expect("Make these changes?")
        child.send("y")
        child.expect("Verified: each ExternalSecret is synced again")
        child.expect("ExternalSecret authentik/authentik-admin-token: synced at ")
        child.expect("What next?")
        child.send(CTRL_D)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before
    assert _journal(tmp_path, "troubleshoot force-sync") == [("finished", "succeeded")]
    es = api.get(
        "/apis/external-secrets.io/v1/namespaces/authentik/externalsecrets/grafana-oidc-secret"
    )
    assert es is not None
    assert "force-sync" in es["metadata"]["annotations"]


def test_triage_offers_old_jobs_first_and_resume_is_applied_and_verified_then_ctrl_c(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(load_scenario("old-jobs-running"))
    api = Api(sim)
    child = spawn(sim, tmp_path)
    try:
        child.expect(r"1\. Old jobs still running")
        child.expect("What is going wrong?")
        child.expect(r"» Old jobs still running\s+\[critical\]")
        child.send(ENTER)
        child.expect("Diagnosis: The replaced jobs are still running")
        child.expect("What next?")
        child.expect(
            r"» Resume Kustomization flux-system/infrastructure-gitops-lifecycle-management"
        )
        child.send(ENTER)
        child.expect("resume")
        child.expect("Make this change?")
        child.send("y")
        child.expect("Verified: Flux reconciles Kustomization")
        child.expect("infrastructure-gitops-lifecycle-management: reconciled")
        child.expect("What next?")
        child.send(CTRL_C)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 130
    assert "interrupted" in (child.before or "")
    lifecycle = api.get(LIFECYCLE_KS)
    assert lifecycle is not None and not lifecycle["spec"].get("suspend")
    assert _journal(tmp_path, "troubleshoot resume") == [("finished", "succeeded")]


def test_ctrl_d_at_the_topic_menu_leaves_with_0(start_sim: StartSim, tmp_path: Path) -> None:
    sim = start_sim(load_scenario("old-jobs-running"), controllers=[])
    child = spawn(sim, tmp_path)
    try:
        child.expect("What is going wrong?")
        child.expect("Quit")
        child.send(CTRL_D)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0


def test_ctrl_c_at_a_confirmation_changes_nothing_and_exits_130(
    start_sim: StartSim, tmp_path: Path
) -> None:
    sim = start_sim(load_scenario("old-jobs-running"), controllers=[])
    child = spawn(sim, tmp_path)
    try:
        child.expect("What is going wrong?")
        child.expect("Quit")
        child.send(ENTER)
        child.expect("What next?")
        child.expect(r"» Resume")
        child.send(ENTER)
        child.expect("Make this change?")
        child.send(CTRL_C)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 130
    lifecycle = Api(sim).get(LIFECYCLE_KS)
    assert lifecycle is not None and lifecycle["spec"].get("suspend") is True
    assert _journal(tmp_path, "troubleshoot resume") == []


def test_stdin_at_eof_under_script_prints_the_triage_and_does_not_wait(
    start_sim: StartSim, tmp_path: Path
) -> None:
    script = shutil.which("script")
    if script is None:
        pytest.skip("util-linux script is not installed")
    sim = start_sim(load_scenario("old-jobs-running"), controllers=[])
    command = f"{_glmctl()} --kubeconfig {sim.kubeconfig_path} troubleshoot"
    done = subprocess.run(
        [script, "-qec", command, "/dev/null"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=TIMEOUT,
    )
    assert "1. Old jobs still running" in done.stdout
    assert done.returncode == 1, done.stdout[-2000:]  # the triage found something
    assert "Traceback" not in done.stdout


def test_an_interrupt_during_a_change_is_held_until_it_is_done() -> None:
    import signal

    from glmctl.cli._troubleshoot_session import held_interrupts

    before = signal.getsignal(signal.SIGINT)
    with held_interrupts() as interrupted:
        assert not interrupted()
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while a patch is on its way
        finished = True  # no KeyboardInterrupt arrived half-way
        assert interrupted()
    assert finished
    assert signal.getsignal(signal.SIGINT) is before


def test_an_offered_redeploy_runs_glmctl_redeploy_itself(
    start_sim: StartSim, tmp_path: Path
) -> None:
    # helmrelease-failed's hook fails on every attempt: the redeploy is carried out (its
    # plan, its confirmation, its journal, its wait) and reports the failure it meets.
    sim = start_sim(load_scenario("helmrelease-failed"))
    child = spawn(sim, tmp_path)
    try:
        child.expect(r"» HelmRelease fails to deploy\s+\[critical\]")
        child.expect("Quit")
        child.send(ENTER)
        child.expect("What next?")
        child.expect(r"Redeploy cleanly \(glmctl redeploy")
        child.expect("Quit")
        child.send(DOWN * 3)  # force upgrade, reconcile ×2, then redeploy
        child.send(ENTER)
        child.expect("Delete and redeploy as planned?")
        child.send("y")
        child.expect("the redeploy failed: Failed: Job/gitops-lifecycle-management-auth-setup")
        child.expect("glmctl redeploy ended with exit code 1.")
        child.expect("What next?")
        child.send(CTRL_D)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert _journal(tmp_path, "redeploy") == [("finished", "succeeded")]
