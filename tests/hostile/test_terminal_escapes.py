"""Escape sequences from the cluster or a repository are shown, never interpreted (issue 13, 4).

The helmrelease-failed cluster, with ESC sequences planted in a HelmRelease condition
message, an Event, a pod log and an annotation, is read by status, monitor, verify and
troubleshoot in every human format; a repository with one in a resource name is linted.
No raw ESC (or BEL, CR) reaches stdout or stderr, and each planted text is shown escaped.
``-o json`` stays exact.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from glmctl.context import Terminal
from glmctl.sanitize import escape_text
from glmctl.sim.contracts import Scenario
from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario
from tests.conftest import CliResult

Run = Callable[..., CliResult]

CLEAR = "\x1b[2J\x1b[H"
TITLE = "\x1b]0;pwned\x07"
PLANTED = {
    "condition": f"HR{CLEAR}install failed{TITLE}",
    "event": f"EV{CLEAR}hook failed\rOVERWRITE",
    "log": f"LOG{CLEAR}ERROR authentication setup failed{TITLE}",
    "annotation": f"ANN{CLEAR}ops\u202eTIXE",
}


def _hostile_scenario() -> Scenario:
    scenario = copy.deepcopy(load_scenario("helmrelease-failed"))
    for obj in scenario.objects:
        meta = obj.get("metadata") or {}
        if obj.get("kind") == "HelmRelease":
            for condition in (obj.get("status") or {}).get("conditions") or []:
                condition["message"] = PLANTED["condition"]
        if obj.get("kind") == "Kustomization" and meta.get("name") == (
            "infrastructure-gitops-lifecycle-management"
        ):
            obj["spec"]["suspend"] = True
            meta.setdefault("annotations", {}).update(
                {
                    "glmctl.io/suspended-by": PLANTED["annotation"],
                    "glmctl.io/suspend-reason": PLANTED["annotation"],
                }
            )
    scenario.objects.append(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": "hr.evil", "namespace": "flux-system"},
            "involvedObject": {
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "kind": "HelmRelease",
                "name": "gitops-lifecycle-management",
                "namespace": "flux-system",
            },
            "type": "Warning",
            "reason": "InstallFailed",
            "message": PLANTED["event"],
            "count": 1,
            "lastTimestamp": "2026-01-01T00:00:00Z",
            "source": {"component": "helm-controller"},
        }
    )
    for key in list(scenario.logs):
        scenario.logs[key] = scenario.logs[key] + PLANTED["log"] + "\n"
    return scenario


@pytest.fixture(scope="module")
def hostile(request: pytest.FixtureRequest) -> Any:
    from glmctl.sim.runner import start_simulator

    handle = start_simulator(_hostile_scenario(), controllers=[])
    request.addfinalizer(handle.stop)
    return handle


COMMANDS = {
    "status": ["status"],
    "monitor": ["monitor", "--timeout", "0"],
    "verify": ["verify"],
    "troubleshoot": ["troubleshoot", "helmrelease"],
}
FORMATS = {
    "status": [[], ["--no-color"]],
    "monitor": [[], ["--no-color"]],
    "verify": [[], ["--no-color"], ["-o", "junit"], ["-o", "markdown"]],
    "troubleshoot": [[], ["--no-color"], ["-o", "junit"], ["-o", "markdown"]],
}
CASES = [(command, fmt) for command, formats in FORMATS.items() for fmt in formats]


def _assert_nothing_raw(text: str) -> None:
    for char in ("\x1b", "\x07", "\r", "\u202e"):
        assert char not in text, f"raw {char!r} in output:\n{text!r}"


SEEN: dict[str, set[str]] = {}


@pytest.mark.parametrize(("command", "fmt"), CASES, ids=[f"{c}{''.join(f)}" for c, f in CASES])
def test_human_formats_show_escapes_never_interpret_them(
    command: str, fmt: list[str], hostile: SimHandle, run_cli: Run
) -> None:
    result = run_cli([*fmt, *COMMANDS[command], "--kubeconfig", str(hostile.kubeconfig_path)])
    assert result.exit_code in (0, 1, 4), result.stderr
    _assert_nothing_raw(result.stdout)
    _assert_nothing_raw(result.stderr)
    shown = {name for name, text in PLANTED.items() if escape_text(text) in result.stdout}
    SEEN.setdefault(command, set()).update(shown)


def test_every_planted_text_was_shown_escaped_somewhere() -> None:
    if not SEEN:
        pytest.skip("run with the parametrized cases")
    everywhere = set().union(*SEEN.values())
    assert everywhere >= {"condition", "event", "annotation", "log"}, SEEN
    assert "annotation" in SEEN.get("status", set()), SEEN
    assert "condition" in SEEN.get("verify", set()), SEEN


def test_json_stays_exact(hostile: SimHandle, run_cli: Run) -> None:
    result = run_cli(["-o", "json", "status", "--kubeconfig", str(hostile.kubeconfig_path)])
    assert any(PLANTED["annotation"] in text for text in _strings(json.loads(result.stdout)))


def test_colour_terminal_escapes_text_but_keeps_its_own_colours() -> None:
    from rich.text import Text

    stream = io.StringIO()
    stream.isatty = lambda: True  # type: ignore[method-assign]
    console = Terminal(stdout=stream).console()
    console.print(Text(PLANTED["condition"], style="red"))
    written = stream.getvalue()
    assert "\x1b[31m" in written  # rich's own colour codes pass
    assert "\\x1b[2J" in written and "\x1b[2J" not in written
    assert "\x1b]0;" not in written


def test_lint_resource_name_with_escapes(tmp_path: Path, run_cli: Run) -> None:
    repo = tmp_path / "repo"
    (repo / "apps").mkdir(parents=True)
    (repo / "root.yaml").write_text(
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n"
        "  name: flux-system\n  namespace: flux-system\nspec:\n  url: https://e.org/r\n"
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
        "  name: apps\n  namespace: flux-system\nspec:\n  path: ./apps\n  sourceRef:\n"
        "    kind: GitRepository\n    name: flux-system\n",
        encoding="utf-8",
    )
    (repo / "apps" / "kustomization.yaml").write_text(
        'resources:\n  - "missing\\e[2J\\e]0;pwned\\a.yaml"\n', encoding="utf-8"
    )
    for fmt in ([], ["--no-color"], ["-o", "junit"], ["-o", "markdown"], ["-o", "github"]):
        result = run_cli([*fmt, "lint", str(repo)])
        assert result.exit_code == 1, result.stderr
        _assert_nothing_raw(result.stdout + result.stderr)
        assert "\\x1b[2J" in result.stdout, fmt
    sarif = run_cli(["-o", "sarif", "lint", str(repo)])
    assert "\\u001b" not in sarif.stdout and "\x1b" not in sarif.stdout
    assert "\\\\x1b[2J" in sarif.stdout  # the JSON string holds the visible escape
    exact = run_cli(["-o", "json", "lint", str(repo)])
    assert any("\x1b[2J\x1b]0;pwned\x07" in text for text in _strings(json.loads(exact.stdout)))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []
