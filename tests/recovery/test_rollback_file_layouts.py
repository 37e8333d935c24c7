"""Rollback's edit of ``kustomization.yaml`` end to end, on files of every style the guide's
users write: the exact bytes after the rollback, the original bytes after the undo, and an
untouched file when there is nothing to do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from glmctl.sim.runner import SimHandle
from tests.conftest import CliResult
from tests.recovery.conftest import OUTPOST_KUSTOMIZATION

Run = Callable[..., CliResult]
Args = Callable[[SimHandle], list[str]]

PROFILE = (
    "jobs:\n  replaced:\n"
    "    - {name: enhanced-token-setup, file: enhanced-token-setup-job.yaml}\n"
    "    - {name: grafana-oidc-setup, file: grafana-oidc-setup-job.yaml}\n"
)
LONG = "x" * 90 + ".yaml"

LAYOUTS = {
    "document-marker-and-comments": (
        "---\n"
        "# outpost config\n"
        "resources:\n"
        "  - radius-outpost-config-job.yaml\n"
        "\n"
        "  # - enhanced-token-setup-job.yaml  # replaced\n"
        "  #   - grafana-oidc-setup-job.yaml\n"
        "namespace: authentik\n",
        "---\n"
        "# outpost config\n"
        "resources:\n"
        "  - radius-outpost-config-job.yaml\n"
        "\n"
        "  - enhanced-token-setup-job.yaml  # replaced\n"
        "  - grafana-oidc-setup-job.yaml\n"
        "namespace: authentik\n",
    ),
    "unindented-double-quoted": (
        'resources:\n- "radius-outpost-config-job.yaml"\n',
        'resources:\n- "radius-outpost-config-job.yaml"\n'
        '- "enhanced-token-setup-job.yaml"\n- "grafana-oidc-setup-job.yaml"\n',
    ),
    "flow-sequence": (
        "resources: [radius-outpost-config-job.yaml]  # flow\nnamespace: authentik\n",
        "resources: [radius-outpost-config-job.yaml, enhanced-token-setup-job.yaml, "
        "grafana-oidc-setup-job.yaml]  # flow\nnamespace: authentik\n",
    ),
    "long-lines-crlf-no-final-newline": (
        f"resources:\r\n  - {LONG}\r\n  # - grafana-oidc-setup-job.yaml",
        f"resources:\r\n  - {LONG}\r\n  - enhanced-token-setup-job.yaml\r\n"
        "  - grafana-oidc-setup-job.yaml",
    ),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_only_the_intended_lines_change_and_undo_restores_every_byte(
    run_cli: Run,
    still_healthy: SimHandle,
    in_repo: Path,
    kube_args: Args,
    tmp_path: Path,
    layout: str,
) -> None:
    original, expected = LAYOUTS[layout]
    path = in_repo / OUTPOST_KUSTOMIZATION
    path.write_bytes(original.encode())
    profile = tmp_path / "glmctl.yaml"
    profile.write_text(PROFILE)
    common = ["--yes", "--config", str(profile), *kube_args(still_healthy)]

    rolled = run_cli(["rollback", *common])
    assert rolled.exit_code == 0, rolled.stderr
    assert path.read_bytes() == expected.encode()

    noop = run_cli(["rollback", *common])
    assert noop.exit_code == 0, noop.stderr
    assert path.read_bytes() == expected.encode()

    undone = run_cli(["rollback", "--undo", *common])
    assert undone.exit_code == 0, undone.stderr
    assert path.read_bytes() == original.encode()


def test_undo_after_an_unrelated_edit_reverses_only_the_rollbacks_lines(
    run_cli: Run, still_healthy: SimHandle, in_repo: Path, kube_args: Args, tmp_path: Path
) -> None:
    original, _ = LAYOUTS["document-marker-and-comments"]
    path = in_repo / OUTPOST_KUSTOMIZATION
    path.write_bytes(original.encode())
    profile = tmp_path / "glmctl.yaml"
    profile.write_text(PROFILE)
    common = ["--yes", "--config", str(profile), *kube_args(still_healthy)]
    assert run_cli(["rollback", *common]).exit_code == 0
    path.write_bytes(path.read_bytes().replace(b"namespace: authentik", b"namespace: identity"))

    undone = run_cli(["rollback", "--undo", *common])

    assert undone.exit_code == 0, undone.stderr
    assert path.read_bytes() == original.replace("authentik", "identity").encode()
