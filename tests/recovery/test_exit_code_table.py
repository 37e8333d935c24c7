"""Exit codes and sentences of the recovery commands and the journal (issue 13, 6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from glmctl.journal import Journal, PlannedChange
from glmctl.sim.runner import SimHandle
from tests.conftest import CliResult
from tests.recovery.conftest import OUTPOST_KUSTOMIZATION, git
from tests.recovery.test_rollback import ENABLED_TEXT, LIFECYCLE, kustomization

Run = Callable[..., CliResult]
Args = Callable[[SimHandle], list[str]]


def _one_error(result: CliResult) -> str:
    errors = [line for line in result.stderr.splitlines() if line.startswith("glmctl: error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return errors[0]


def test_state_dir_that_is_a_file_is_one_sentence_and_changes_nothing(
    run_cli: Run,
    still_healthy: SimHandle,
    in_repo: Path,
    kube_args: Args,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("GLMCTL_STATE_DIR", str(blocker))
    before = (in_repo / OUTPOST_KUSTOMIZATION).read_bytes()

    result = run_cli(["rollback", "--yes", *kube_args(still_healthy)])

    assert result.exit_code == 2, result.stderr
    assert "journal directory" in _one_error(result)
    assert "GLMCTL_STATE_DIR" in result.stderr
    assert (in_repo / OUTPOST_KUSTOMIZATION).read_bytes() == before
    assert not kustomization(still_healthy, LIFECYCLE)["spec"].get("suspend")


def test_corrupt_journal_entry_is_one_sentence(
    run_cli: Run, state_dir: Path, tmp_path: Path
) -> None:
    journal = state_dir / "journal"
    journal.mkdir(parents=True)
    (journal / "20260101T000000.000000000Z-abcdef.json").write_text(
        '{"id": "x", "plan": 5}', encoding="utf-8"
    )
    result = run_cli(["journal", "show", "20260101T000000"])
    assert result.exit_code == 2, result.stderr
    line = _one_error(result)
    assert "is not a glmctl journal entry" in line
    assert "pydantic" not in result.stderr and "https://" not in result.stderr


def test_journal_list_without_a_terminal_never_cuts_ids(run_cli: Run, state_dir: Path) -> None:
    journal = Journal(state_dir / "journal")
    change = PlannedChange(id="c1", action="delete", kind="Job", name="x", namespace="n")
    ids = [
        journal.begin(
            "a-very-long-context-name-" + "x" * 60,
            ["redeploy", "--yes", *(["--reason", "y" * 80] * 2)],
            [change],
        ).id
        for _ in range(3)
    ]
    result = run_cli(["journal", "list"])
    assert result.exit_code == 0, result.stderr
    for entry_id in ids:
        assert entry_id in result.stdout


def test_commit_with_nothing_to_commit_says_so(
    run_cli: Run, still_healthy: SimHandle, in_repo: Path, kube_args: Args
) -> None:
    path = in_repo / OUTPOST_KUSTOMIZATION
    original = path.read_bytes()
    path.write_bytes(ENABLED_TEXT.encode())
    git(in_repo, "commit", "-q", "-am", "enabled by hand")
    path.write_bytes(original)  # the working copy differs from HEAD; rollback restores HEAD

    result = run_cli(["rollback", "--yes", "--commit", *kube_args(still_healthy)])

    assert result.exit_code == 0, result.stderr
    assert "Nothing to commit: the edited files already match the last commit." in result.stdout
    assert "git commit failed" not in result.stdout + result.stderr
    assert "commit the change" not in result.stdout
    assert git(in_repo, "log", "-1", "--format=%s").strip() == "enabled by hand"


def test_journal_json_stays_parseable(run_cli: Run, state_dir: Path) -> None:
    listed = run_cli(["-o", "json", "journal", "list"])
    assert listed.exit_code == 0
    assert json.loads(listed.stdout)["items"] == []
