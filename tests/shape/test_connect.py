"""One way to connect: every command reaches the cluster through ``Cluster.from_options``,
which applies --kubeconfig, --context, --as/--as-group and --timeout."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import glmctl
from glmctl.cli.globals import parse_timeout
from glmctl.context import GlobalOptions
from glmctl.errors import ExitCode, UsageError
from tests.cluster.scripted_api import ScriptedApi, scripted_api, write_kubeconfig
from tests.conftest import CliResult

PACKAGE = Path(glmctl.__file__).parent


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2", 2.0),
        ("2.5", 2.5),
        ("0", 0.0),
        ("90s", 90.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("500ms", 0.5),
        ("1m30.5s", 90.5),
        ("2h", 7200.0),
    ],
)
def test_timeout_takes_seconds_or_go_durations(text: str, seconds: float) -> None:
    assert parse_timeout(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5x", "-1", "m", "1.2.3", "5 m", "1d", "inf", "nan"])
def test_anything_else_is_one_sentence(text: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_timeout(text)
    assert raised.value.message == f"--timeout {text!r} is not a duration"


def test_a_bad_timeout_on_the_command_line_is_exit_2_without_pydantic_words(
    run_cli: Callable[..., CliResult],
) -> None:
    result = run_cli(["status", "--timeout", "5 minutes"])

    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.splitlines() == [
        "glmctl: error: --timeout '5 minutes' is not a duration",
        "  hint: Write seconds (90) or a duration such as 90s, 5m, 1h30m or 500ms; "
        "0 means no limit.",
    ]


@pytest.mark.parametrize(
    ("timeout", "budget", "wait"),
    [(None, None, 600.0), (0.0, None, math.inf), (5.0, 5.0, 5.0)],
)
def test_timeout_zero_means_no_limit_everywhere(
    timeout: float | None, budget: float | None, wait: float
) -> None:
    options = GlobalOptions(timeout=timeout)
    assert options.budget == budget
    assert options.wait_seconds(600.0) == wait


@pytest.fixture
def api() -> Iterator[ScriptedApi]:
    with scripted_api() as server:
        yield server


def test_as_impersonates_on_every_request(
    api: ScriptedApi, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "config", api.url)

    run_cli(["status", "--kubeconfig", str(kubeconfig), "--as", "alice", "--as-group", "ops"])

    assert api.seen
    for seen in api.seen:
        assert seen.headers.get("impersonate-user") == ["alice"], seen.path
        assert seen.headers.get("impersonate-group") == ["ops"], seen.path


def test_as_group_without_as_is_refused(
    api: ScriptedApi, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "config", api.url)

    result = run_cli(["status", "--kubeconfig", str(kubeconfig), "--as-group", "ops"])

    assert result.exit_code == ExitCode.USAGE
    assert result.stderr.startswith("glmctl: error: --as-group needs --as")
    assert api.seen == []


def _connect_calls(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "connect"
        and isinstance(node.value, ast.Name)
        and node.value.id == "Cluster"
    ]


def test_commands_connect_only_through_from_options() -> None:
    """``Cluster.connect`` skips --timeout and --as; only the gateway itself may call it."""
    offenders = {
        str(path.relative_to(PACKAGE)): lines
        for path in PACKAGE.rglob("*.py")
        if path.parent.name != "cluster" and (lines := _connect_calls(path))
    }
    assert offenders == {}
