"""Fixtures for lint: a fresh copy of the guide-shaped repository, and edits applied to it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
GUIDE = FIXTURES / "repo-guide"


@dataclass(frozen=True)
class Edit:
    """Replace ``old`` (which must occur exactly once) by ``new`` in ``file``; ``old=""``
    appends ``new`` (creating the file if needed)."""

    file: str
    old: str
    new: str


def apply_edits(root: Path, edits: tuple[Edit, ...] | list[Edit]) -> None:
    for edit in edits:
        path = root / edit.file
        if not edit.old:
            path.parent.mkdir(parents=True, exist_ok=True)
            existing = path.read_text() if path.exists() else ""
            path.write_text(existing + edit.new)
            continue
        text = path.read_text()
        assert text.count(edit.old) == 1, f"{edit.old!r} must occur once in {edit.file}"
        path.write_text(text.replace(edit.old, edit.new))


def line_of(root: Path, file: str, marker: str) -> int:
    """1-based line of the only line containing ``marker``."""
    lines = [
        i for i, text in enumerate((root / file).read_text().splitlines(), 1) if marker in text
    ]
    assert len(lines) == 1, f"{marker!r} must be on exactly one line of {file}: {lines}"
    return lines[0]


@pytest.fixture
def guide_repo(tmp_path: Path) -> Path:
    """A private copy of the guide-shaped repository (not a git work tree)."""
    target = tmp_path / "repo"
    shutil.copytree(GUIDE, target)
    return target


@pytest.fixture
def mutate(guide_repo: Path) -> Callable[..., Path]:
    """Apply edits to the private copy and return its root."""

    def apply(*edits: Edit) -> Path:
        apply_edits(guide_repo, edits)
        return guide_repo

    return apply
