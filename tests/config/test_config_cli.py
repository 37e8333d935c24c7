"""``glmctl config show|path`` as a person and a script see them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from tests.conftest import CliResult

Run = Callable[..., CliResult]


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in an empty directory so no glmctl.yaml above the checkout is picked up."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_config_show_defaults(run_cli: Run, in_tmp: Path, snapshot: SnapshotAssertion) -> None:
    result = run_cli(["config", "show"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == snapshot


def test_config_show_with_overrides(
    run_cli: Run, in_tmp: Path, snapshot: SnapshotAssertion
) -> None:
    (in_tmp / "glmctl.yaml").write_text(
        "namespaces:\n  identity: sso\nflux:\n  prerequisites: [infrastructure-sources]\n"
    )
    result = run_cli(["config", "show", "--config", "glmctl.yaml"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == snapshot


def test_config_show_json_gives_profile_and_sources(run_cli: Run, in_tmp: Path) -> None:
    (in_tmp / "glmctl.yaml").write_text("hooks:\n  ttl_seconds: 120\n")
    result = run_cli(["config", "show", "-o", "json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["profile"]["hooks"]["ttl_seconds"] == 120
    assert document["profile"]["namespaces"]["identity"] == "authentik"
    sources = {row["field"]: row["source"] for row in document["fields"]}
    assert sources["hooks.ttl_seconds"] == f"{in_tmp / 'glmctl.yaml'}:2"
    assert sources["namespaces.identity"] == "default"
    assert (document["apiVersion"], document["kind"]) == ("glmctl.io/v1", "Config")
    assert Path(document["path"]) == in_tmp / "glmctl.yaml"


def test_config_path_without_a_file(run_cli: Run, in_tmp: Path) -> None:
    result = run_cli(["config", "path"])
    assert (result.exit_code, result.stdout) == (0, "none: defaults\n")


def test_config_path_found_upward(
    run_cli: Run, in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (in_tmp / "glmctl.yaml").write_text("{}\n")
    (in_tmp / "sub").mkdir()
    monkeypatch.chdir(in_tmp / "sub")
    result = run_cli(["config", "path"])
    assert (result.exit_code, result.stdout) == (0, f"{in_tmp / 'glmctl.yaml'}\n")


def test_unknown_key_exits_2_with_position_and_guess(run_cli: Run, in_tmp: Path) -> None:
    (in_tmp / "glmctl.yaml").write_text("selectors:\n  lifecycle: x\n  onepasword: y\n")
    result = run_cli(["config", "show"])
    assert result.exit_code == 2
    assert f"{in_tmp / 'glmctl.yaml'}:3:3: unknown key 'onepasword'" in result.stderr
    assert "did you mean 'onepassword'?" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_bad_yaml_exits_2(run_cli: Run, in_tmp: Path) -> None:
    (in_tmp / "glmctl.yaml").write_text("flux: [\n")
    result = run_cli(["config", "show"])
    assert result.exit_code == 2
    assert "not valid YAML" in result.stderr
