"""The one "did you mean ...?": which known names look like a name that is not known.

Every place that suggests a name (runbook keys and step names, profile keys, topics,
runbooks, lint rule ids and references, cluster objects in checks) asks here, so the same
typo gets the same suggestion everywhere, with one cutoff.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

CUTOFF = 0.6
"""How alike (difflib's ratio) a name must be to be suggested at all."""
SPREAD = 0.1
"""Only names nearly as close as the best are suggested: cluster names share long prefixes
(``infrastructure-``), so a plain cutoff would offer every sibling."""


def _scored(word: str, choices: Iterable[str]) -> list[tuple[float, str]]:
    return sorted(
        ((difflib.SequenceMatcher(None, word, other).ratio(), other) for other in set(choices)),
        key=lambda pair: (-pair[0], pair[1]),
    )


def closest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``choices`` that look like ``word``, best first; [] when none does."""
    scored = _scored(word, choices)
    if not scored or scored[0][0] < CUTOFF:
        return []
    best = scored[0][0]
    return [other for score, other in scored[:n] if score >= best - SPREAD]


def ranked(word: str, choices: Iterable[str]) -> list[str]:
    """All of ``choices``, the most alike first (for "valid keys (closest first): ...")."""
    return [other for _score, other in _scored(word, choices)]


def did_you_mean(word: str, choices: Iterable[str], *, n: int = 3, quote: str = "") -> str:
    """``did you mean a or b?`` (each name between ``quote``), or "" when nothing is close."""
    close = closest(word, choices, n)
    if not close:
        return ""
    return "did you mean " + " or ".join(f"{quote}{name}{quote}" for name in close) + "?"
