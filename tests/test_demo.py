"""`glmctl demo` tours a deployment on the simulator and ends green."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.timeout(120)
def test_demo_deploys_on_the_simulator_and_every_stage_passes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home), "NO_COLOR": "1"}
    env.pop("GLMCTL_STATE_DIR", None)  # the demo must keep its own journal, not the user's
    done = subprocess.run(
        [sys.executable, "-m", "glmctl", "demo", "--time-scale", "0.2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=110,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for command in ("glmctl status", "glmctl preflight", "glmctl redeploy --yes", "glmctl verify"):
        assert f"$ {command}" in done.stdout
    assert "Runbook preflight passed" in done.stdout
    assert "Runbook verify passed" in done.stdout
    assert "All 7 objects Ready." in done.stdout
    assert not (home / ".local" / "state" / "glmctl").exists()
    assert "Traceback" not in done.stderr
