"""Every case of the table against the engine: status codes and the fields clients read
must be what Kubernetes answers."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.differential.cases import CASES, Case, Observed
from tests.differential.conftest import record
from tests.differential.engine import Engine

_counter = itertools.count()


@pytest.fixture
def namespace(engine: Engine) -> Iterator[str]:
    name = f"diff-{next(_counter)}"
    engine.request(
        "POST",
        "/api/v1/namespaces",
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
    )
    yield name
    engine.request("DELETE", f"/api/v1/namespaces/{name}")


def _summary(observed: Observed, expect: Observed) -> str:
    shown = ", ".join(f"{k}={observed.get(k)!r}" for k in expect)
    wrong = [k for k in expect if observed.get(k) != expect[k]]
    return ("ok: " if not wrong else "DIFFERS: ") + shown


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case, engine: Engine, namespace: str, request: pytest.FixtureRequest) -> None:
    if engine.name == "sim" and case.sim_gap:
        request.applymarker(pytest.mark.xfail(reason=case.sim_gap, strict=True))
    if engine.name == "real" and case.real_gap:
        request.applymarker(pytest.mark.xfail(reason=case.real_gap, strict=True))
    observed = case.run(engine, namespace)
    record(case.id, case.request, engine.name, _summary(observed, case.expect))
    assert {k: observed.get(k) for k in case.expect} == case.expect, observed
