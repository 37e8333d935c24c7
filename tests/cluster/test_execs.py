"""Running external programs: captured output, exit codes, absent tools, timeouts."""

from __future__ import annotations

import logging

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
