"""The interactive session through a real terminal: menu, arrow keys, diagnosis, quit.

glmctl runs as its own process on a pseudo-terminal (pexpect), talking over HTTPS to a
simulated cluster started by the test, exactly as an operator's session would.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario

StartSim = Callable[..., SimHandle]
DOWN = "\x1b[B"
UP = "\x1b[A"
ENTER = "\r"
TIMEOUT = 40


def spawn(sim: SimHandle, tmp_path: Path) -> pexpect.spawn:
    glmctl = Path(sys.executable).parent / "glmctl"
    if not glmctl.exists():
        pytest.skip("the glmctl console script is not installed next to the interpreter")
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "KUBECONFIG": "",
    }
    env.pop("NO_COLOR", None)
    return pexpect.spawn(
        str(glmctl),
        ["--kubeconfig", str(sim.kubeconfig_path), "troubleshoot"],
        cwd=str(tmp_path),
        env=env,
        dimensions=(50, 200),
        encoding="utf-8",
        timeout=TIMEOUT,
    )


def test_pick_a_topic_read_the_diagnosis_then_quit(start_sim: StartSim, tmp_path: Path) -> None:
    sim = start_sim(load_scenario("service-discovery-rbac-missing"), controllers=[])
    child = spawn(sim, tmp_path)
    try:
        child.expect("What is going wrong?")
        child.expect("Quit")  # the whole menu is drawn; the triage put service discovery first
        child.send(ENTER)
        child.expect("Diagnosis: ")
        child.expect("service account may not list services")
        child.expect(
            "flux reconcile helmrelease gitops-lifecycle-management -n flux-system --force"
        )
        child.expect("What next?")
        child.expect("Quit")
        child.send(UP)  # from the first entry up, round to the last: quit
        child.send(ENTER)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 1  # the last diagnosis found a problem


def test_another_topic_then_quit_from_the_menu(start_sim: StartSim, tmp_path: Path) -> None:
    sim = start_sim(load_scenario("healthy"), controllers=[])
    child = spawn(sim, tmp_path)
    try:
        child.expect("What is going wrong?")
        child.expect("Failed pods in authentik")
        child.send(DOWN * 5)  # the sixth topic: failed pods
        child.send(ENTER)
        child.expect("Nothing wrong found: no Failed pods in authentik")
        child.expect("What next?")
        child.send(ENTER)  # another topic
        child.expect("What is going wrong?")
        child.expect("Quit")
        child.send(DOWN * 6)  # past the six topics: Quit
        child.send(ENTER)
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
