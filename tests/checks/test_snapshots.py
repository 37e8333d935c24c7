"""What an operator reads: preflight's plain-text and Markdown reports on one scenario.

Durations are replaced by ``N.Ns`` and the plain progress lines (printed in the order the
concurrent checks finish) are sorted, so the snapshots hold only what is deterministic.
Local tools are hidden (an empty PATH) so the snapshot does not depend on this machine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion

from tests.conftest import CliResult

Run = Callable[..., CliResult]
STATUS_WORDS = frozenset({"PASS", "FAIL", "WARN", "SKIP", "ERROR"})
DURATION = re.compile(r"\b\d+\.\d+s\b|\b\d+m\d\ds\b")


def stable(text: str) -> str:
    """Durations masked; the progress lines before the summary in a fixed order."""
    text = DURATION.sub("N.Ns", text)
    head, marker, tail = text.partition("\nRunbook preflight failed")
    if not marker:
        return text
    first, *progress = head.splitlines()
    entries: list[list[str]] = []
    for line in progress:  # a long entry wraps onto lines that do not start with a status
        if line.split(" ", 1)[0] in STATUS_WORDS or not entries:
            entries.append([line])
        else:
            entries[-1].append(line)
    ordered = [line for entry in sorted(entries) for line in entry]
    return "\n".join([first, *ordered]) + marker + tail


@pytest.fixture
def no_local_tools(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))


@pytest.mark.usefixtures("no_local_tools")
def test_preflight_plain_text(run_against: Run, snapshot: SnapshotAssertion) -> None:
    result = run_against("failed-pods", "--no-color", "preflight")

    assert result.exit_code == 1
    assert stable(result.stdout) == snapshot


@pytest.mark.usefixtures("no_local_tools")
def test_preflight_markdown(run_against: Run, snapshot: SnapshotAssertion) -> None:
    result = run_against("failed-pods", "preflight", "-o", "markdown")

    assert result.exit_code == 1
    assert stable(result.stdout) == snapshot
