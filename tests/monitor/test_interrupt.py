"""Ctrl-C on ``glmctl monitor``: the last state and "Interrupted", exit 130 — in a real
process sent SIGINT, because that is where the signal arrives."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import IO

import pytest

from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario

KS_REF = "Kustomization/flux-system/infrastructure-gitops-lifecycle-management"


@pytest.fixture
def waiting_cluster(start_sim: Callable[..., SimHandle]) -> SimHandle:
    """The lifecycle Kustomization is suspended and nothing moves: monitor waits forever."""
    return start_sim(load_scenario("predeploy"), controllers=[])


@pytest.fixture
def glmctl() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "glmctl", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def read_until(stream: IO[str] | None, marker: str) -> str:
    """Lines of ``stream`` up to the first containing ``marker`` (pytest-timeout bounds it)."""
    assert stream is not None
    seen = ""
    for line in iter(stream.readline, ""):
        seen += line
        if marker in line:
            return seen
    raise AssertionError(f"the stream ended before {marker!r}: {seen}")


def interrupt(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    return out, err


def test_ctrl_c_shows_the_last_state_and_says_interrupted(
    waiting_cluster: SimHandle, glmctl: Callable[..., subprocess.Popen[str]]
) -> None:
    process = glmctl("monitor", "--kubeconfig", str(waiting_cluster.kubeconfig_path))
    first = read_until(process.stdout, KS_REF)  # plain lines: stdout is not a terminal

    out, err = interrupt(process)

    assert process.returncode == 130, err
    assert "Unknown  suspended" in first
    lines = out.splitlines()
    assert "Final state:" in lines
    final = lines[lines.index("Final state:") :]
    assert any(KS_REF in line and "suspended" in line for line in final[1:])
    assert final[-1].startswith("Interrupted. Waiting for Kustomization/")
    assert "Traceback" not in err


def test_ctrl_c_with_json_output_writes_the_final_document_with_an_interrupted_verdict(
    waiting_cluster: SimHandle, glmctl: Callable[..., subprocess.Popen[str]]
) -> None:
    process = glmctl(
        "monitor", "-o", "json", "-vv", "--kubeconfig", str(waiting_cluster.kubeconfig_path)
    )
    read_until(process.stderr, "kustomizations -> 200")  # debug log: following has begun

    out, err = interrupt(process)

    assert process.returncode == 130, err
    document = json.loads(out)
    assert document["verdict"] == "interrupted"
    assert document["exitCode"] == 130
    assert document["summary"].startswith("Interrupted.")
    kinds = {obj["kind"] for obj in document["objects"]}
    assert {"Kustomization", "HelmRelease"} <= kinds
