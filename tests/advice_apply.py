"""Apply a piece of glmctl's advice on a simulated cluster, as an operator would.

``glmctl …`` runs in-process (``--yes``: the test is the operator saying yes); ``kubectl
…`` runs the real kubectl; the flux CLI is not installed here, so ``flux resume`` and
``flux reconcile`` are applied as the API writes the flux CLI makes (``spec.suspend:
false`` and the ``reconcile.fluxcd.io/requestedAt`` annotation; ``--force``/``--reset``
add ``forceAt``/``resetAt``).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from datetime import UTC, datetime

from glmctl.sim.runner import SimHandle
from tests.conftest import CliResult

Kubectl = Callable[..., tuple[int, str, str]]
RunCli = Callable[..., CliResult]
REQUESTED_AT = "reconcile.fluxcd.io/requestedAt"


def apply_advice(command: str, handle: SimHandle, run_cli: RunCli, kubectl: Kubectl) -> int:
    """Carry out ``command`` against ``handle``; returns its exit code."""
    words = shlex.split(command)
    if words[0] == "glmctl":
        done = run_cli([*words[1:], "--yes", "--kubeconfig", str(handle.kubeconfig_path)])
        assert "Traceback" not in done.stderr
        return done.exit_code
    if words[0] == "kubectl":
        code, _, _ = kubectl(handle, *words[1:])
        return code
    assert words[0] == "flux" and words[1] in ("resume", "reconcile"), command
    kind, name = words[2], words[3]
    namespace = words[words.index("-n") + 1] if "-n" in words else "flux-system"
    stamp = datetime.now(UTC).isoformat()
    annotations = {REQUESTED_AT: stamp}
    if "--force" in words:
        annotations["reconcile.fluxcd.io/forceAt"] = stamp
    if "--reset" in words:
        annotations["reconcile.fluxcd.io/resetAt"] = stamp
    patch: dict[str, object] = {"metadata": {"annotations": annotations}}
    if words[1] == "resume":
        patch["spec"] = {"suspend": False}
    code, _, err = kubectl(
        handle, "patch", kind, name, "-n", namespace, "--type=merge", "-p", json.dumps(patch)
    )
    assert code == 0, err
    return code
