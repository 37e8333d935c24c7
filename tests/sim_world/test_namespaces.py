"""Namespace deletion goes through Terminating, driven with the real kubectl."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario

pytestmark = pytest.mark.kubectl

Kubectl = Callable[..., tuple[int, str, str]]
StartSim = Callable[..., SimHandle]

HELD = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "held", "namespace": "doomed", "finalizers": ["example.com/hold"]},
    "data": {"a": "1"},
}


def test_a_namespace_terminates_until_its_content_is_gone(
    start_sim: StartSim, kubectl: Kubectl, tmp_path: Path
) -> None:
    sim = start_sim(load_scenario("healthy"))
    manifest = tmp_path / "held.json"
    manifest.write_text(json.dumps(HELD))
    assert kubectl(sim, "create", "namespace", "doomed")[0] == 0
    assert kubectl(sim, "create", "-f", str(manifest))[0] == 0

    code, out, err = kubectl(sim, "delete", "namespace", "doomed", "--wait=false")
    assert code == 0, err
    code, out, err = kubectl(sim, "get", "namespace", "doomed", "-o", "jsonpath={.status.phase}")
    assert (code, out) == (0, "Terminating"), err
    code, _, err = kubectl(sim, "create", "configmap", "late", "-n", "doomed")
    assert code == 1
    assert "because it is being terminated" in err

    code, _, err = kubectl(
        sim,
        "patch",
        "configmap",
        "held",
        "-n",
        "doomed",
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":null}}',
    )
    assert code == 0, err
    code, _, err = kubectl(sim, "wait", "--for=delete", "namespace/doomed", "--timeout=20s")
    assert code == 0, err
