"""What people read in a terminal and in a pipe: colour by NO_COLOR / FORCE_COLOR / --no-color,
width by COLUMNS on a terminal, and piped output that is never padded, wrapped or cut."""

from __future__ import annotations

import io
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from syrupy.assertion import SnapshotAssertion

from glmctl.context import Terminal
from tests.conftest import CliResult

if TYPE_CHECKING:
    from glmctl.sim.runner import SimHandle

RunCli = Callable[..., CliResult]
GLMCTL = Path(sys.executable).parent / "glmctl"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class TtyStream(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("tty", "environ", "no_color", "color"),
    [
        (True, {}, False, True),
        (True, {"NO_COLOR": ""}, False, True),  # empty: not set (no-color.org)
        (True, {"NO_COLOR": "1"}, False, False),
        (False, {}, False, False),
        (False, {"FORCE_COLOR": "1"}, False, True),
        (False, {"FORCE_COLOR": ""}, False, False),
        (True, {"FORCE_COLOR": "1"}, True, False),  # --no-color is the last word
        (True, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False, False),
    ],
)
def test_colour_follows_no_color_force_color_and_the_flag(
    tty: bool, environ: dict[str, str], no_color: bool, color: bool
) -> None:
    stream = TtyStream() if tty else io.StringIO()
    terminal = Terminal(stdout=stream, no_color=no_color, environ=environ)
    assert terminal.color is color
    assert terminal.live is (tty and color)  # FORCE_COLOR in a CI log: colour, no redraws


def test_columns_sets_the_width_on_a_terminal_only() -> None:
    assert Terminal(stdout=TtyStream(), environ={"COLUMNS": "61"}).console().width == 61
    assert Terminal(stdout=TtyStream(), environ={"COLUMNS": "x"}).columns is None
    piped = Terminal(stdout=io.StringIO(), environ={"COLUMNS": "61"}).console()
    assert piped.width > 10_000  # nothing is wrapped in a pipe


@pytest.mark.parametrize(
    "args",
    [
        ["sim", "scenarios"],
        ["runbook", "list"],
        ["runbook", "steps"],
        ["config", "show"],
        ["troubleshoot", "--list"],
        ["lint", "--list-rules"],
    ],
)
def test_piped_tables_are_neither_padded_nor_cut(
    run_cli: RunCli, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "40")  # a pipe ignores it
    result = run_cli(args)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line for line in lines if line != line.rstrip()] == []
    assert "…" not in result.stdout
    assert max(len(line) for line in lines) > 40
    document = json.loads(run_cli([*args, "-o", "json"]).stdout)
    for row in document.get("items", []):
        for key in ("description", "summary"):
            if row.get(key):
                assert row[key] in result.stdout, row[key]


def test_piped_tables_read_the_same_tomorrow(run_cli: RunCli, snapshot: SnapshotAssertion) -> None:
    for args in (["sim", "scenarios"], ["troubleshoot", "--list"], ["lint", "--list-rules"]):
        result = run_cli(args)
        assert result.stdout == snapshot(name=" ".join(args))


def test_status_in_a_pipe_shows_the_whole_message(
    run_cli: RunCli, start_sim: Callable[..., SimHandle], monkeypatch: pytest.MonkeyPatch
) -> None:
    from glmctl.sim.scenario import load_scenario

    handle = start_sim(load_scenario("helmrelease-failed"), controllers=[])
    kube = ["--kubeconfig", str(handle.kubeconfig_path)]
    monkeypatch.setenv("COLUMNS", "60")
    document = json.loads(run_cli(["status", "-o", "json", *kube]).stdout)
    release = next(n for n in document["tree"]["children"] if n["kind"] == "HelmRelease")
    assert len(release["message"]) > 99
    for verbose in ([], ["-v"]):
        shown = run_cli(["status", *verbose, *kube])
        assert release["message"] in shown.stdout
        assert "…" not in shown.stdout


def _pty(args: list[str], environ: dict[str, str], columns: int = 200) -> str:
    import pexpect

    env = {**os.environ, "TERM": "xterm-256color", **environ}
    for name in ("NO_COLOR", "FORCE_COLOR", "COLUMNS"):
        if name not in environ:
            env.pop(name, None)
    child = pexpect.spawn(
        str(GLMCTL), args, env=env, encoding="utf-8", dimensions=(50, columns), timeout=30
    )
    output = child.read()
    child.close()
    assert child.exitstatus == 0, output
    return output.replace("\r\n", "\n")


def test_a_terminal_gets_colour_unless_no_color_is_set_and_not_empty() -> None:
    assert ANSI.search(_pty(["runbook", "list"], {}))
    assert ANSI.search(_pty(["runbook", "list"], {"NO_COLOR": ""}))
    assert not ANSI.search(_pty(["runbook", "list"], {"NO_COLOR": "1"}))


def test_force_color_colours_a_pipe(run_cli: RunCli, monkeypatch: pytest.MonkeyPatch) -> None:
    assert not ANSI.search(run_cli(["runbook", "list"]).stdout)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert ANSI.search(run_cli(["runbook", "list"]).stdout)
    assert not ANSI.search(run_cli(["--no-color", "runbook", "list"]).stdout)


def test_columns_wraps_a_terminal_table_at_that_width() -> None:
    wide = _pty(["runbook", "steps"], {"NO_COLOR": "1"}, columns=200)
    narrow = _pty(["runbook", "steps"], {"NO_COLOR": "1", "COLUMNS": "70"}, columns=200)
    assert max(len(line) for line in wide.splitlines()) > 70
    assert max(len(line) for line in narrow.splitlines()) <= 70
    assert not ANSI.search(narrow)
