"""The differential suite's engine and its table.

``engine`` yields one running API server reached through its kubeconfig. Today that is
the simulator; the real control plane (issue 9) is added by parametrizing this fixture.
``pytest tests/differential --diff-table`` prints every case's result per engine as a
markdown table (request | sim | real).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.differential.engine import Engine

ENGINES = ("sim",)
_RESULTS: dict[str, dict[str, str]] = {}
_REQUESTS: dict[str, str] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--diff-table",
        action="store_true",
        default=False,
        help="print the differential results as a markdown table",
    )


def record(case_id: str, request: str, engine: str, result: str) -> None:
    """Note what ``engine`` answered to ``case_id`` for the table."""
    _REQUESTS[case_id] = request
    _RESULTS.setdefault(case_id, {})[engine] = result


def markdown_table(engines: tuple[str, ...] = ("sim", "real")) -> str:
    lines = [
        "| request | " + " | ".join(engines) + " |",
        "| --- | " + " | ".join("---" for _ in engines) + " |",
    ]
    for case_id, request in _REQUESTS.items():
        cells = [_RESULTS[case_id].get(e, "not run").replace("|", "\\|") for e in engines]
        lines.append(f"| `{request}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if config.getoption("--diff-table") and _REQUESTS:
        terminalreporter.write_line("")
        terminalreporter.write_line(markdown_table())


@pytest.fixture(scope="session", params=ENGINES)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A running engine with the Flux CRDs installed."""
    from glmctl.sim.kubeconfig import CONTEXT
    from glmctl.sim.runner import start_simulator
    from glmctl.sim.scenario import load_scenario

    assert request.param == "sim"
    home = tmp_path_factory.mktemp("engine-home")
    handle = start_simulator(load_scenario("healthy"), kubeconfig_path=home / "kubeconfig")
    engine = Engine(name="sim", kubeconfig=Path(handle.kubeconfig_path), context=CONTEXT, home=home)
    try:
        yield engine
    finally:
        engine.close()
        handle.stop()
