"""Regression (found by the health-check property test): a name such as ``e0`` is a
string in YAML 1.1 and 1.2, so it is written plain, as the file wrote it."""

from __future__ import annotations

import pytest

from glmctl.repo.kustomize_edit import add_health_checks, enable_resources


@pytest.mark.parametrize(("value", "written"), [("e0", "e0"), ("E5", "E5"), ("1e5", '"1e5"')])
def test_only_real_numbers_are_quoted(value: str, written: str) -> None:
    result = enable_resources("resources:\n- a.yaml\n", [value])
    assert result.new_text == f"resources:\n- a.yaml\n- {written}\n"


def test_a_health_check_named_e0_round_trips_plain() -> None:
    text = (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
        "  name: k\nspec:\n  interval: 10m\n"
    )
    added = add_health_checks(text, [("batch/v1", "Job", "e0", "authentik")])
    assert "    name: e0\n" in added.new_text
