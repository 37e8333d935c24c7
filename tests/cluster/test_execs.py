"""Running external programs: captured output, exit codes, absent tools, timeouts."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from glmctl import execs
from glmctl.errors import TimedOut


def test_run_tool_captures_both_streams_and_the_exit_code(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="glmctl.execs"):
        result = execs.run_tool("sh", "-c", "echo out; echo err >&2; exit 3", timeout=10)
    assert (result.exit_code, result.stdout, result.stderr, result.ok) == (
        3,
        "out\n",
        "err\n",
        False,
    )
    assert "run: sh -c 'echo out; echo err >&2; exit 3'" in caplog.text


def test_absent_tool_is_exit_127_and_has_no_version() -> None:
    result = execs.run_tool("glmctl-no-such-tool", "--help")
    assert result.exit_code == 127
    assert execs.tool_version("glmctl-no-such-tool") is None


def test_a_tool_that_hangs_times_out() -> None:
    with pytest.raises(TimedOut) as raised:
        execs.run_tool("sleep", "30", timeout=0.2)
    assert "sleep 30 did not finish within 0.2 seconds" in raised.value.message


@pytest.mark.parametrize(
    ("name", "output", "version"),
    [
        ("kubectl", '{"clientVersion": {"gitVersion": "v1.30.2"}}', "1.30.2"),
        ("flux", "flux: v2.4.0\n", "2.4.0"),
        ("helm", "v3.16.1+g5a5449d\n", "3.16.1+g5a5449d"),
        ("git", "git version 2.39.5\n", "2.39.5"),
        ("flux", "nothing here", None),
    ],
)
def test_parse_version(name: str, output: str, version: str | None) -> None:
    assert execs.parse_version(name, output) == version


def test_git_version_is_found() -> None:
    assert execs.tool_version("git") is not None


def _fake_helm(directory: Path, version: str) -> Path:
    """A ``helm`` on PATH that prints ``version`` and counts how often it ran."""
    program = directory / "helm"
    program.write_text(
        f'#!/bin/sh\necho run >> "{directory}/runs"\necho "v{version}+gabc"\n', encoding="utf-8"
    )
    program.chmod(0o755)
    return program


def _runs(directory: Path) -> int:
    runs = directory / "runs"
    return len(runs.read_text().splitlines()) if runs.exists() else 0


def test_a_tools_version_is_asked_once_per_build_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    program = _fake_helm(tmp_path, "3.16.1")
    assert [execs.tool_version("helm") for _ in range(3)] == ["3.16.1+gabc"] * 3
    assert _runs(tmp_path) == 1  # the cache answered the second and third time

    _fake_helm(tmp_path, "3.17.0-longer")  # an upgrade: another size and mtime
    os.utime(program, ns=(1, 1))
    assert execs.tool_version("helm") == "3.17.0-longer+gabc"
    assert _runs(tmp_path) == 2
    cached = json.loads((Path(os.environ["GLMCTL_CACHE_DIR"]) / "tool-versions.json").read_text())
    assert list(cached.values()) == ["3.17.0-longer+gabc"]  # the old build's entry is gone


def test_an_unusable_version_cache_is_only_slower(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    _fake_helm(tmp_path, "3.16.1")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "tool-versions.json").write_text("[not, a, mapping")
    monkeypatch.setenv("GLMCTL_CACHE_DIR", str(cache))
    assert execs.tool_version("helm") == "3.16.1+gabc"
    assert _runs(tmp_path) == 1
    not_a_directory = tmp_path / "cache-file"
    not_a_directory.write_text("")
    monkeypatch.setenv("GLMCTL_CACHE_DIR", str(not_a_directory))  # nothing can be written
    assert [execs.tool_version("helm") for _ in range(2)] == ["3.16.1+gabc"] * 2
    assert _runs(tmp_path) == 3  # still answers, every time by asking
