"""The runbook loader's fast pass reads YAML exactly as its ruamel pass does.

The loader checks a runbook on libyaml's reading (``safeyaml.load_core``) and turns to
ruamel only for positions; if the two read a value differently, a runbook would mean one
thing when valid and another when it is reported. Held here on every shipped runbook and
on the scalars where YAML versions disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from glmctl.runbook.loader import _plain
from glmctl.safeyaml import NotPlainEnough, load_core

SHIPPED = sorted((Path(__file__).parents[2] / "runbooks").glob("*.yaml"))


def _ruamel(text: str) -> Any:
    from ruamel.yaml import YAML

    return _plain(YAML(typ="rt").load(text))


@pytest.mark.parametrize("path", SHIPPED, ids=[path.name for path in SHIPPED])
def test_every_shipped_runbook_reads_the_same_both_ways(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert load_core(text) == _ruamel(text)


@pytest.mark.parametrize(
    "scalar",
    [
        "yes",
        "no",
        "on",
        "off",
        "y",
        "true",
        "False",
        "~",
        "null",
        "",
        "12",
        "-3",
        "+4",
        "0",
        "1.5",
        ".5",
        "3.",
        "1e3",
        "-2.5E-2",
        ".inf",
        "-.Inf",
        "5m",
        "1h30m",
        "v1.2.3",
        "'017'",
        '"true"',
    ],
)
def test_plain_scalars_read_as_ruamel_reads_them(scalar: str) -> None:
    text = f"value: {scalar}\n"
    assert load_core(text) == _ruamel(text)


@pytest.mark.parametrize("scalar", ["017", "0o17", "0x1F", "0b101", "1_000", "2024-01-01", "="])
def test_scalars_the_versions_disagree_on_are_left_to_ruamel(scalar: str) -> None:
    with pytest.raises(NotPlainEnough):
        load_core(f"value: {scalar}\n")


def test_a_runbook_with_such_a_scalar_still_loads(tmp_path: Path) -> None:
    from glmctl.runbook.loader import parse_runbook

    text = (
        "name: octal\ndescription: d\nparameters:\n"
        "  - {name: mode, type: integer, default: 0o17}\n"
        "steps:\n  - id: say\n    uses: core.note\n    with: {message: hello}\n"
    )
    runbook = parse_runbook(text, "octal.yaml")
    assert runbook.parameters[0].default == 15
