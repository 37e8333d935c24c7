"""The differential suite's engine and its table.

``engine`` yields one running API server reached through its kubeconfig: the simulator,
and, when ``GLMCTL_REAL_KUBECONFIG`` names the kubeconfig of a running real control plane
(issue 9; ``GLMCTL_REAL_CONTEXT`` picks the context, else its current one), that engine
too, under the name "real".
``pytest tests/differential --diff-table`` prints every case's result per engine as a
markdown table (request | sim | real).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.differential.engine import Engine

REAL_KUBECONFIG = os.environ.get("GLMCTL_REAL_KUBECONFIG", "")
REAL_REQUIRED = os.environ.get("GLMCTL_REAL_TIER") == "required"


def _real_engine_available() -> bool:
    if REAL_KUBECONFIG or REAL_REQUIRED:
        return True
    from glmctl.errors import UsageError
    from glmctl.realcluster.binaries import find_binaries

    try:
        find_binaries()
    except UsageError:
        return False
    return True


ENGINES = ("sim", "real") if _real_engine_available() else ("sim",)
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

    home = tmp_path_factory.mktemp("engine-home")
    if request.param == "real" and not REAL_KUBECONFIG:
        from glmctl.realcluster.engine import start_real_engine

        started = start_real_engine(load_scenario("healthy"), kubeconfig_path=home / "kubeconfig")
        built = Engine(
            name="real", kubeconfig=started.kubeconfig_path, context=started.context, home=home
        )
        try:
            yield built
        finally:
            built.close()
            started.stop()
        return
    if request.param == "real":
        real = Engine(
            name="real",
            kubeconfig=Path(REAL_KUBECONFIG),
            context=os.environ.get("GLMCTL_REAL_CONTEXT") or _current_context(REAL_KUBECONFIG),
            home=home,
        )
        try:
            yield real
        finally:
            real.close()
        return
    handle = start_simulator(load_scenario("healthy"), kubeconfig_path=home / "kubeconfig")
    engine = Engine(name="sim", kubeconfig=Path(handle.kubeconfig_path), context=CONTEXT, home=home)
    try:
        yield engine
    finally:
        engine.close()
        handle.stop()


def _current_context(kubeconfig: str) -> str:
    import yaml

    loaded = yaml.safe_load(Path(kubeconfig).read_text()) or {}
    return str(loaded.get("current-context") or "")
