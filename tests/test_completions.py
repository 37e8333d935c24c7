"""Shell completion: the shipped scripts are current, the app answers what they ask, and a
real bash (and zsh and fish, when installed) completes names from a kubeconfig, the runbook
search path and the simulated cluster."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from glmctl.cli.completions import FILES, SHELLS, answer, completion_script
from tests.conftest import CliResult

if TYPE_CHECKING:
    from glmctl.sim.runner import SimHandle

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RunCli = Callable[..., CliResult]


@pytest.mark.parametrize("shell", sorted(SHELLS))
def test_shipped_script_is_current_and_printed_by_the_command(shell: str, run_cli: RunCli) -> None:
    shipped = (REPO / "completions" / SHELLS[shell]).read_text(encoding="utf-8")
    assert shipped == completion_script(shell), "completions/ is stale: run `make completions`"
    printed = run_cli(["completion", shell])
    assert (printed.exit_code, printed.stdout) == (0, shipped)


def test_an_unknown_shell_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli(["completion", "tcsh"])
    assert result.exit_code == 2
    assert result.stderr.startswith("glmctl: error: no completion script for shell 'tcsh'.\n")


def test_commands_options_and_global_options_after_the_subcommand() -> None:
    assert answer(["st"]) == ["status"]
    assert answer(["runbook", ""]) == ["list", "show", "validate", "run", "steps"]
    after = answer(["status", "--"])
    assert {"--context", "--kubeconfig", "--output", "--timeout", "--help"} <= set(after)
    assert answer(["lint", "--li"]) == ["--list-rules"]
    assert answer(["status", "--context", "x", "-o", "y"]) == ["yaml"]
    assert answer(["-o", ""]) == ["rich", "json", "yaml", "junit", "markdown", "sarif", "github"]
    assert answer(["--kubeconfig", ""]) == [FILES]
    assert answer(["lint", ""]) == [FILES]


def test_values_topics_runbooks_scenarios_kinds_and_shells() -> None:
    assert answer(["troubleshoot", "o"]) == ["onepassword", "old-jobs"]
    assert answer(["smoke", "s"]) == ["service-discovery"]
    assert answer(["runbook", "show", "verif"]) == ["verify"]
    assert "preflight" in answer(["runbook", "validate", "verify", ""])
    assert answer(["sim", "serve", "--scenario", "pre"]) == ["predeploy"]
    assert answer(["demo", "-s", "heal"]) == ["healthy"]
    assert answer(["schema", "Status"]) == ["StatusReport"]
    assert answer(["completion", ""]) == ["bash", "zsh", "fish"]


def test_contexts_come_from_the_kubeconfig_given_on_the_line(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text(
        "apiVersion: v1\nkind: Config\ncontexts:\n"
        "- {name: home-ops, context: {cluster: a, user: u}}\n"
        "- {name: staging, context: {cluster: a, user: u}}\n",
        encoding="utf-8",
    )
    assert answer(["--kubeconfig", str(config), "status", "--context", ""]) == [
        "home-ops",
        "staging",
    ]
    assert answer(["status", f"--kubeconfig={config}", "--context", "st"]) == ["staging"]
    assert answer(["--kubeconfig", str(tmp_path / "missing"), "--context", ""]) == []


def test_journal_ids() -> None:
    from glmctl.journal import Journal

    entry = Journal().begin("home", ["redeploy"], [])
    assert answer(["journal", "show", ""]) == [entry.id]
    assert answer(["journal", "restore", entry.id[:4]]) == [entry.id]


def test_kustomization_names_from_the_cluster_and_silence_when_it_does_not_answer(
    start_sim: Callable[..., SimHandle], tmp_path: Path
) -> None:
    from glmctl.sim.scenario import load_scenario
    from tests.cluster.scripted_api import write_kubeconfig

    handle = start_sim(load_scenario("healthy"), controllers=[])
    names = answer(["--kubeconfig", str(handle.kubeconfig_path), "status", "infrastructure-s"])
    assert names == ["infrastructure-sources"]

    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        kubeconfig = write_kubeconfig(
            tmp_path / "hung", f"https://127.0.0.1:{silent.getsockname()[1]}"
        )
        started = time.monotonic()
        assert answer(["--kubeconfig", str(kubeconfig), "status", ""]) == []
        assert time.monotonic() - started < 5


# -- in real shells ----------------------------------------------------------------------


@pytest.fixture
def shell_env(start_sim: Callable[..., SimHandle], tmp_path: Path) -> Iterator[dict[str, str]]:
    """PATH with this venv's glmctl first, KUBECONFIG at a simulated cluster."""
    from glmctl.sim.scenario import load_scenario

    handle = start_sim(load_scenario("healthy"), controllers=[])
    yield {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "KUBECONFIG": str(handle.kubeconfig_path),
        "HOME": str(tmp_path),
        "TERM": "dumb",
        "NO_COLOR": "1",
    }


LINES = [
    ("glmctl --context glmctl-s", "glmctl --context glmctl-sim "),
    ("glmctl runbook show verif", "glmctl runbook show verify "),
    ("glmctl status infrastructure-sou", "glmctl status infrastructure-sources "),
]


def _tab_completes(child: object, typed: str, expected: str) -> None:
    """Type ``typed`` and TAB; the shell must add the rest of ``expected``."""
    import pexpect

    assert isinstance(child, pexpect.spawn)
    child.send(typed + "\t")
    child.expect_exact(expected.removeprefix(typed), timeout=20)
    child.sendcontrol("u")  # clear the line for the next case


def _zsh_setup(tmp_path: Path) -> str:
    functions = tmp_path / "zfunc"
    functions.mkdir()
    shutil.copy(REPO / "completions" / "_glmctl", functions / "_glmctl")
    return f"PS1='$ '; fpath=({functions} $fpath); autoload -Uz compinit; compinit -u"


SHELL_SETUPS: dict[str, tuple[list[str], Callable[[Path], str]]] = {
    "bash": (
        ["--norc", "--noprofile"],
        lambda _: f"PS1='$ '; source {REPO / 'completions' / 'glmctl.bash'}",
    ),
    "zsh": (["-f"], _zsh_setup),
    "fish": (["--no-config"], lambda _: f"source {REPO / 'completions' / 'glmctl.fish'}"),
}


@pytest.mark.parametrize("shell", sorted(SHELL_SETUPS))
def test_a_real_shell_completes_a_context_a_runbook_and_a_kustomization(
    shell: str, shell_env: dict[str, str], tmp_path: Path
) -> None:
    """bash always (it is the one the tests require); zsh and fish where installed."""
    import pexpect

    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed (apt-get install {shell})")
    arguments, setup = SHELL_SETUPS[shell]
    child = pexpect.spawn(shell, arguments, env=shell_env, encoding="utf-8", timeout=20)
    try:
        child.sendline(f"{setup(tmp_path)}; echo ready")
        child.expect_exact("ready\r\n")
        for typed, expected in LINES:
            _tab_completes(child, typed, expected)
    finally:
        child.close(force=True)
