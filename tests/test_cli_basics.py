"""The CLI shell: help, version, usage errors and global options anywhere."""

from __future__ import annotations

from collections.abc import Callable

from glmctl.cli.globals import hoist_global_options
from tests.conftest import CliResult


def test_help_lists_exit_codes(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli(["--help"])
    assert result.exit_code == 0
    assert "Exit codes: 0 all passed" in result.stdout


def test_unknown_command_is_a_usage_error(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli(["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.stderr


def test_version(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli(["version"])
    assert result.exit_code == 0
    assert result.stdout.startswith("glmctl ")


def test_global_options_are_hoisted_before_the_subcommand() -> None:
    args = ["status", "--context", "prod", "-o=json", "-vv", "name", "--", "--yes"]
    assert hoist_global_options(args) == [
        "--context",
        "prod",
        "-o=json",
        "-vv",
        "status",
        "name",
        "--",
        "--yes",
    ]


def test_dangling_value_option_is_left_for_the_parser() -> None:
    assert hoist_global_options(["status", "--context"]) == ["status", "--context"]
