"""``glmctl sim serve --engine real`` leaves nothing behind: not after Ctrl-C, not after
SIGTERM or SIGHUP, not even when it is killed outright (the kernel ends its programs and its
reaper removes its files)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.polling import wait_for

pytestmark = [pytest.mark.real, pytest.mark.timeout(120)]


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(int(entry.name))
    return found


def _serve(tmp_path: Path) -> tuple[subprocess.Popen[str], Path, str]:
    """Start the real engine in a child glmctl; its kubeconfig and its work directory."""
    glmctl = Path(sys.executable).parent / "glmctl"
    process = subprocess.Popen(
        [str(glmctl), "sim", "serve", "--engine", "real", "--scenario", "healthy"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert process.stdout is not None
    kubeconfig = Path(process.stdout.readline().strip())
    assert kubeconfig.exists(), kubeconfig
    wait_for(lambda: _processes_mentioning(str(tmp_path)), timeout=30, what="etcd to start")
    return process, kubeconfig, str(tmp_path)


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_nothing_left_after(how: signal.Signals, tmp_path: Path, real_binaries: Any) -> None:
    process, kubeconfig, workdir = _serve(tmp_path)
    assert any(
        "etcd" in Path(f"/proc/{pid}/cmdline").read_text() for pid in _processes_mentioning(workdir)
    )
    process.send_signal(how)
    process.wait(timeout=60)
    wait_for(lambda: not _processes_mentioning(workdir), timeout=30, what="no program left")
    wait_for(lambda: not kubeconfig.exists(), timeout=10, what="the kubeconfig removed")
    assert [p.name for p in tmp_path.iterdir()] == []
