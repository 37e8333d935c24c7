"""The one "did you mean": one cutoff, names nearly as close as the best, best first."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import glmctl
from glmctl.suggest import closest, did_you_mean, ranked

PACKAGE = Path(glmctl.__file__).parent


@pytest.mark.parametrize(
    ("word", "choices", "expected"),
    [
        ("preflite", ["preflight", "verify"], ["preflight"]),
        (
            "helmrelease",
            ["helm-release", "helmreleases", "kustomization"],
            ["helm-release", "helmreleases"],
        ),
        ("zzz", ["preflight", "verify"], []),
        ("x", [], []),
        # siblings that share a long prefix are not all offered
        (
            "infrastructure-authentk",
            [
                "infrastructure-authentik",
                "infrastructure-sources",
                "infrastructure-external-secrets",
            ],
            ["infrastructure-authentik"],
        ),
    ],
)
def test_closest(word: str, choices: list[str], expected: list[str]) -> None:
    assert closest(word, choices) == expected


def test_phrasing_and_ranking() -> None:
    assert did_you_mean("retires", ["retries", "timeout"], quote="`") == "did you mean `retries`?"
    assert did_you_mean("zzz", ["retries"]) == ""
    assert ranked("tmeout", ["retries", "timeout", "when"])[0] == "timeout"


def test_nothing_else_calls_difflib_for_suggestions() -> None:
    """``get_close_matches`` with its own cutoff is how nine copies grew; the simulator is
    exempt (it shares no code with the client side, on purpose)."""
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "sim" not in path.relative_to(PACKAGE).parts
        and any(
            isinstance(node, ast.Attribute) and node.attr == "get_close_matches"
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        )
    ]
    assert offenders == []
