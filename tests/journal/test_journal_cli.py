"""``glmctl journal list|show`` over a journal in a temporary state directory."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from glmctl.journal import Journal, PlannedChange
from tests.conftest import CliResult

Run = Callable[..., CliResult]


@pytest.fixture
def journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Journal:
    monkeypatch.setenv("GLMCTL_STATE_DIR", str(tmp_path))
    return Journal()


def test_list_is_empty_at_first(run_cli: Run, journal: Journal) -> None:
    result = run_cli(["journal", "list"])
    assert (result.exit_code, result.stdout) == (0, "No journal entries yet.\n")
    assert json.loads(run_cli(["journal", "list", "-o", "json"]).stdout)["items"] == []


def test_list_shows_incomplete_and_finished_entries(run_cli: Run, journal: Journal) -> None:
    done = journal.begin("home", ["rollback", "--yes"], [])
    done.finish("succeeded")
    crashed = journal.begin("home", ["redeploy"], [])
    result = run_cli(["journal", "list"])
    assert result.exit_code == 0
    rows = [line for line in result.stdout.splitlines() if line.strip().startswith("20")]
    assert rows[0].split()[:3] == [done.id, "succeeded", "rollback"]
    assert rows[1].split()[:3] == [crashed.id, "incomplete", "redeploy"]
    document = json.loads(run_cli(["journal", "list", "-o", "json"]).stdout)
    assert [(item["id"], item["status"]) for item in document["items"]] == [
        (done.id, "finished"),
        (crashed.id, "incomplete"),
    ]


def test_show_prints_plan_progress_and_records_without_secret_values(
    run_cli: Run, journal: Journal
) -> None:
    plan = [
        PlannedChange(id="c1", action="delete", kind="Secret", name="s", namespace="authentik"),
        PlannedChange(id="c2", action="patch", kind="Kustomization", name="k", detail="suspend"),
    ]
    entry = journal.begin("home", ["redeploy"], plan)
    value = base64.b64encode(b"super-secret-value").decode()
    entry.record_before(
        {
            "kind": "Secret",
            "metadata": {"name": "s", "namespace": "authentik"},
            "data": {"k": value},
        },
        "delete",
        change_id="c1",
    )
    entry.mark_done("c1", "deleted")
    result = run_cli(["journal", "show", entry.id[:20]])
    assert result.exit_code == 0, result.stderr
    assert "incomplete" in result.stdout
    assert "Secret/authentik/s" in result.stdout
    assert "deleted" in result.stdout
    assert "pending" in result.stdout
    assert "values redacted" in result.stdout
    shown = run_cli(["journal", "show", entry.id, "-o", "json"])
    assert value not in shown.stdout and "super-secret-value" not in shown.stdout
    document = json.loads(shown.stdout)
    assert document["before"][0]["object"]["data"] == {"k": "<redacted 18 bytes>"}
    assert [(change["id"], change["done"]) for change in document["plan"]] == [
        ("c1", True),
        ("c2", False),
    ]


def test_show_unknown_id_exits_2(run_cli: Run, journal: Journal) -> None:
    result = run_cli(["journal", "show", "nope"])
    assert result.exit_code == 2
    assert "no journal entry 'nope'" in result.stderr
    assert "glmctl journal list" in result.stderr
