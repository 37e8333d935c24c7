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


def test_help_summaries_are_the_commands_own() -> None:
    """`glmctl --help` lists summaries from a table; they must say what each command says."""
    from glmctl.cli.commands import COMMANDS, load_command

    for name, entry in COMMANDS.items():
        command = load_command(name)
        assert command is not None, name
        assert command.get_short_help_str(1000) == entry.summary, name


def test_help_does_not_import_command_modules() -> None:
    import subprocess
    import sys

    code = (
        "import sys, contextlib, io\n"
        "from glmctl.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "loaded = sorted(m for m in sys.modules if m.endswith('_cmd') or m == 'kubernetes')\n"
        "print(loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


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
    result = run_cli(["-o", "yml", "status"])
    assert result.exit_code == 2
    assert "'yml' is not one of rich, json, yaml, junit, markdown, sarif, github" in result.stderr
    assert "Value error" not in result.stderr
