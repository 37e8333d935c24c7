"""Every command's --help, walked: examples one per line, global options shown, clean
metavars, and one meaning per option name across commands."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from glmctl.cli.commands import COMMANDS, EXAMPLES, load_command
from tests.conftest import CliResult


def leaves() -> Iterator[tuple[str, Any]]:
    for name in COMMANDS:
        command = load_command(name)
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for sub_name, sub in subcommands.items():
                yield f"{name} {sub_name}", sub
        else:
            yield name, command


LEAVES = dict(leaves())


def test_every_leaf_has_examples_and_nothing_else_does() -> None:
    assert set(EXAMPLES) == set(LEAVES)


@pytest.mark.parametrize("path", sorted(LEAVES))
def test_help_shows_examples_one_per_line_and_the_global_options(
    path: str, run_cli: Callable[..., CliResult]
) -> None:
    result = run_cli([*path.split(), "--help"])

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    start = lines.index("Examples:")
    block = lines[start + 1 : lines.index("", start)]
    assert block == [f"  {example}" for example in EXAMPLES[path]]
    assert all(
        line.startswith(f"  glmctl {path.split()[0]}") or "--version" in line for line in block
    )
    assert "Global options (anywhere on the line):" in lines
    for option in ("--context NAME", "--timeout DURATION", "--as USER", "-o, --output FORMAT"):
        assert any(line.lstrip().startswith(option) for line in lines), option


@pytest.mark.parametrize("path", sorted(LEAVES))
def test_help_has_no_typer_type_labels(path: str, run_cli: Callable[..., CliResult]) -> None:
    text = run_cli([*path.split(), "--help"]).stdout
    assert re.findall(r"<[a-z][a-z\[\] |.]*>", text) == []


#: Options on more than one command, and the words every one of their helps must contain.
SHARED_MEANINGS = {
    "--force": "more than 50 objects",
    "--repo": "GitOps repository",
    "--scenario": "Scenario",
    "-s": "Scenario",
    "--time-scale": "simulated controllers",
}


def test_one_meaning_per_option_name() -> None:
    """The same flag on two commands means one thing (``--force`` once meant both "allow
    a large plan" and "overwrite a file"; ``sim serve`` says ``--overwrite`` now)."""
    helps: dict[str, set[str]] = defaultdict(set)
    for command in LEAVES.values():
        for param in command.params:
            if param.param_type_name == "option":
                for opt in param.opts:
                    if opt not in ("-h", "--help"):
                        helps[opt].add(param.help or "")
    shared = {opt for opt, texts in helps.items() if len(texts) > 1}
    assert shared <= set(SHARED_MEANINGS)
    for opt in shared:
        assert all(SHARED_MEANINGS[opt] in text for text in helps[opt]), (opt, helps[opt])


@pytest.mark.parametrize("path", ["", *sorted(LEAVES), "runbook", "sim", "journal", "config"])
def test_help_does_not_import_pydantic_or_the_client(path: str) -> None:
    """typer converts option values with pydantic (~100 ms to import): help converts none.
    What is imported is asserted, not how long it takes (bench/bench_help.py times it)."""
    import subprocess
    import sys

    code = (
        "import sys, io, contextlib\n"
        "from glmctl.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    code = main({[*path.split(), '--help']!r})\n"
        "heavy = sorted(m for m in ('pydantic', 'kubernetes', 'rich') if m in sys.modules)\n"
        "print(code, heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.stdout.strip() == "0 []", done.stderr
