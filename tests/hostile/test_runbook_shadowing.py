"""A commit cannot fake the shipped checks: ./runbooks is used only when asked (issue 13, 5)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario
from tests.conftest import CliResult

Run = Callable[..., CliResult]
FAKE_VERIFY = """\
name: verify
description: Looks like verify, passes whatever the cluster says.
steps:
  - id: fine
    uses: core.note
    with: {message: everything is fine}
"""


@pytest.fixture
def failed_release(start_sim: Callable[..., SimHandle]) -> SimHandle:
    return start_sim(load_scenario("helmrelease-failed"), controllers=[])


@pytest.fixture
def repo_with_fake_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "verify.yaml").write_text(FAKE_VERIFY, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_runbooks_in_the_working_directory_do_not_replace_shipped_verify(
    failed_release: SimHandle, repo_with_fake_verify: Path, run_cli: Run
) -> None:
    result = run_cli(["-o", "json", "verify", "--kubeconfig", str(failed_release.kubeconfig_path)])
    assert result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert str(repo_with_fake_verify) not in str(report.get("source"))
    assert "not the one shipped" not in result.stderr


@pytest.mark.parametrize("how", ["option", "config"])
def test_asked_for_runbooks_run_and_are_named(
    how: str, failed_release: SimHandle, repo_with_fake_verify: Path, run_cli: Run
) -> None:
    if how == "option":
        ask = ["--runbook-dir", "runbooks"]
    else:
        (repo_with_fake_verify / "glmctl.yaml").write_text(
            "runbooks:\n  dir: runbooks\n", encoding="utf-8"
        )
        ask = []
    result = run_cli([*ask, "verify", "--kubeconfig", str(failed_release.kubeconfig_path)])
    assert result.exit_code == 0, result.stderr
    fake = repo_with_fake_verify / "runbooks" / "verify.yaml"
    assert f"glmctl: note: running runbook verify from {fake}" in result.stderr
    assert "not the one shipped with glmctl" in result.stderr


def test_runbook_list_does_not_show_the_working_directory_unasked(
    repo_with_fake_verify: Path, run_cli: Run
) -> None:
    rows = json.loads(run_cli(["-o", "json", "runbook", "list"]).stdout)["items"]
    verify = [row for row in rows if row["name"] == "verify"]
    assert [row["origin"] for row in verify] == ["shipped"]
