"""Every malformed kubeconfig is exit 3 and one sentence naming the file (issue 13, 3)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

MALFORMED = {
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe binary",
    "contexts-number": b"contexts: 5\ncurrent-context: a\n",
    "clusters-string": b"clusters: nope\ncontexts: []\n",
    "context-without-name": b"contexts:\n- context: {cluster: c}\n",
    "context-body-list": b"contexts:\n- name: a\n  context: [1, 2]\ncurrent-context: a\n",
    "server-mapping": (
        b"clusters:\n- name: c\n  cluster: {server: {a: 1}}\n"
        b"contexts:\n- name: a\n  context: {cluster: c, user: u}\ncurrent-context: a\n"
    ),
    "current-context-list": b"current-context: [a]\ncontexts: []\n",
    "scalar": b"just words\n",
    "missing-cluster": (
        b"contexts:\n- name: a\n  context: {cluster: nowhere, user: u}\ncurrent-context: a\n"
    ),
    "no-server": (
        b"clusters:\n- name: c\n  cluster: {}\n"
        b"contexts:\n- name: a\n  context: {cluster: c}\ncurrent-context: a\n"
    ),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_kubeconfig_is_exit_3_one_sentence(
    case: str, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_bytes(MALFORMED[case])
    result = run_cli(["status", "--kubeconfig", str(kubeconfig)])
    assert result.exit_code == 3, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("glmctl: error:")]
    assert len(errors) == 1, result.stderr
    assert "kubeconfig" in errors[0]
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr
