"""The CLI shell: help, version, usage errors and global options anywhere."""

from __future__ import annotations

from collections.abc import Callable

import pytest

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


def test_attached_short_option_value_is_hoisted() -> None:
    assert hoist_global_options(["status", "-ojson"]) == ["-ojson", "status"]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["status", "--context"], "--context"),
        (["status", "-o"], "-o"),
        (["--kubeconfig"], "--kubeconfig"),
        (["status", "--timeout", "--", "x"], "--timeout"),
    ],
)
def test_global_option_without_a_value_says_so(
    run_cli: Callable[..., CliResult], args: list[str], option: str
) -> None:
    result = run_cli(args)
    assert result.exit_code == 2
    assert f"glmctl: error: option {option} needs a value" in result.stderr
    assert "No such option" not in result.stderr


def test_bad_output_format_lists_the_choices_plainly(run_cli: Callable[..., CliResult]) -> None:
    result = run_cli(["-o", "yaml", "status"])
    assert result.exit_code == 2
    assert "'yaml' is not one of rich, json, junit, markdown, sarif, github" in result.stderr
    assert "Value error" not in result.stderr
