"""The journal: durable before any change, incomplete after a crash, never a Secret value."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from glmctl.errors import UsageError
from glmctl.journal import (
    Journal,
    PlannedChange,
    command_word,
    default_journal_dir,
    strip_server_fields,
)

PLAN = [
    PlannedChange(
        id="c1",
        action="delete",
        kind="HelmRelease",
        name="gitops-lifecycle-management",
        namespace="flux-system",
        api_version="helm.toolkit.fluxcd.io/v2",
    ),
    PlannedChange(id="c2", action="delete", kind="Job", name="hook", namespace="authentik"),
]

HELM_RELEASE: dict[str, Any] = {
    "apiVersion": "helm.toolkit.fluxcd.io/v2",
    "kind": "HelmRelease",
    "metadata": {
        "name": "gitops-lifecycle-management",
        "namespace": "flux-system",
        "uid": "1b2c",
        "resourceVersion": "42",
        "generation": 3,
        "creationTimestamp": "2026-11-26T10:00:00Z",
        "managedFields": [{"manager": "kustomize-controller"}],
        "labels": {"app.kubernetes.io/name": "gitops-lifecycle-management"},
        "ownerReferences": [{"kind": "Kustomization", "name": "x", "uid": "9"}],
        "finalizers": ["finalizers.fluxcd.io"],
    },
    "spec": {"interval": "5m"},
    "status": {"conditions": [{"type": "Ready", "status": "True"}]},
}

SECRET_VALUE = "hunter2-very-secret-token"


def _secret() -> dict[str, Any]:
    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "authentik-admin-token",
            "namespace": "authentik",
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                    {"data": {"token": encoded}, "stringData": {"password": SECRET_VALUE}}
                ),
                "note": "kept",
            },
        },
        "type": "Opaque",
        "data": {"token": encoded},
        "stringData": {"password": SECRET_VALUE},
    }


def test_entry_is_written_before_anything_happens(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    entry = journal.begin("home", ["redeploy", "--yes"], PLAN)
    stored = json.loads(entry.path.read_text())
    assert stored["command"] == ["redeploy", "--yes"]
    assert stored["command_name"] == "redeploy"
    assert stored["finished_at"] is None
    assert [change["id"] for change in stored["plan"]] == ["c1", "c2"]
    assert journal.list()[0].status == "incomplete"


def test_a_crashed_command_leaves_an_incomplete_entry(tmp_path: Path) -> None:
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from glmctl.journal import Journal, PlannedChange\n"
        "entry = Journal(Path(sys.argv[1])).begin('home', ['redeploy'], [\n"
        "    PlannedChange(id='c1', action='delete', kind='Job', name='a', namespace='x'),\n"
        "    PlannedChange(id='c2', action='delete', kind='Job', name='b', namespace='x')])\n"
        "entry.record_before({'kind': 'Job', 'metadata': {'name': 'a'}}, 'delete',"
        " change_id='c1')\n"
        "entry.mark_done('c1', 'deleted')\n"
        "os._exit(9)  # dies before the second change and before finish()\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, timeout=30
    )
    assert process.returncode == 9, process.stderr
    journal = Journal(tmp_path)
    (summary,) = journal.list()
    assert (summary.status, summary.done, summary.planned) == ("incomplete", 1, 2)
    resumed = journal.latest_incomplete("redeploy", context="home")
    assert resumed is not None
    assert [change.id for change in resumed.pending()] == ["c2"]
    resumed.mark_done("c2", "deleted")
    resumed.finish("succeeded")
    assert journal.latest_incomplete("redeploy", context="home") is None
    assert journal.get(summary.id).status == "finished"


def test_latest_incomplete_is_per_command_and_newest_first(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    older = journal.begin("home", ["redeploy"], [])
    newer = journal.begin("home", ["--context", "home", "redeploy"], [])
    other = journal.begin("home", ["rollback"], [])
    finished = journal.begin("home", ["redeploy"], [])
    finished.finish("succeeded")
    found = journal.latest_incomplete("redeploy", context="home")
    assert found is not None and found.id == newer.id != older.id
    rollback = journal.latest_incomplete("rollback", context="home")
    assert rollback is not None and rollback.id == other.id
    assert journal.latest_incomplete("lint", context="home") is None


def test_latest_incomplete_ignores_runs_against_another_context(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    elsewhere = journal.begin("lab", ["redeploy"], [])
    assert journal.latest_incomplete("redeploy", context="home") is None
    found = journal.latest_incomplete("redeploy", context="lab")
    assert found is not None and found.id == elsewhere.id


def test_secret_values_never_reach_the_file(tmp_path: Path) -> None:
    entry = Journal(tmp_path).begin("home", ["redeploy"], PLAN)
    record = entry.record_before(_secret(), "delete", change_id="c2")
    raw = entry.path.read_text()
    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    assert SECRET_VALUE not in raw
    assert encoded not in raw
    assert record.redacted
    stored = json.loads(raw)["before"][0]["object"]
    size = len(SECRET_VALUE)
    assert stored["data"] == {"token": f"<redacted {size} bytes>"}
    assert stored["stringData"] == {"password": f"<redacted {size} bytes>"}
    assert stored["metadata"]["annotations"]["note"] == "kept"
    assert entry.restorable_objects() == []


def test_secrets_inside_a_list_are_redacted_too(tmp_path: Path) -> None:
    entry = Journal(tmp_path).begin("home", ["redeploy"], [])
    entry.record_before({"kind": "List", "items": [_secret()]}, "delete")
    assert SECRET_VALUE not in entry.path.read_text()


def test_the_caller_s_object_is_not_modified(tmp_path: Path) -> None:
    secret = _secret()
    Journal(tmp_path).begin("home", ["x"], []).record_before(secret, "delete")
    assert secret == _secret()


def test_ids_sort_by_time(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    created = [journal.begin("home", ["redeploy"], []).id for _ in range(25)]
    assert created == sorted(created)
    assert [summary.id for summary in journal.list()] == created


def test_get_accepts_a_unique_prefix_and_refuses_unknown_ids(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    entry = journal.begin("home", ["redeploy"], [])
    assert journal.get(entry.id[:-3]).id == entry.id
    with pytest.raises(UsageError, match="no journal entry"):
        journal.get("19990101")
    journal.begin("home", ["redeploy"], [])
    with pytest.raises(UsageError, match="2 journal entries start with"):
        journal.get(entry.id[:8])


def test_unknown_change_id_is_a_programming_error(tmp_path: Path) -> None:
    entry = Journal(tmp_path).begin("home", ["redeploy"], PLAN)
    with pytest.raises(ValueError, match="not in entry"):
        entry.mark_done("c9", "done")


def test_restorable_objects_are_stripped_of_server_fields(tmp_path: Path) -> None:
    entry = Journal(tmp_path).begin("home", ["redeploy"], PLAN)
    entry.record_before(HELM_RELEASE, "delete", change_id="c1")
    entry.record_before({"kind": "Kustomization", "metadata": {"name": "k"}}, "patch")
    (restorable,) = entry.restorable_objects()
    assert restorable == strip_server_fields(HELM_RELEASE)


def test_strip_server_fields_keeps_intent_and_drops_server_state() -> None:
    stripped = strip_server_fields(HELM_RELEASE)
    assert "status" not in stripped
    assert set(stripped["metadata"]) == {
        "name",
        "namespace",
        "labels",
        "ownerReferences",
        "finalizers",
    }
    assert stripped["spec"] == HELM_RELEASE["spec"]
    assert HELM_RELEASE["metadata"]["uid"] == "1b2c"  # the input is left alone


def test_journal_files_are_private(tmp_path: Path) -> None:
    entry = Journal(tmp_path / "j").begin("home", ["redeploy"], [])
    assert entry.path.stat().st_mode & 0o077 == 0
    assert (tmp_path / "j").stat().st_mode & 0o077 == 0


def test_state_dir_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GLMCTL_STATE_DIR", str(tmp_path))
    assert default_journal_dir() == tmp_path / "journal"
    monkeypatch.delenv("GLMCTL_STATE_DIR")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert default_journal_dir() == tmp_path / "xdg" / "glmctl" / "journal"


def test_unreadable_files_are_skipped_by_list(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    entry = journal.begin("home", ["redeploy"], [])
    (tmp_path / "20000101T000000.000000000Z-broken.json").write_text("{not json")
    assert [summary.id for summary in journal.list()] == [entry.id]


def test_command_word_skips_global_options() -> None:
    assert command_word(["--context", "prod", "-o", "json", "--yes", "redeploy"]) == "redeploy"
    assert command_word(["-v", "rollback", "--undo"]) == "rollback"
    assert command_word([]) == ""


def test_no_temporary_files_are_left(tmp_path: Path) -> None:
    entry = Journal(tmp_path).begin("home", ["redeploy"], PLAN)
    entry.mark_done("c1")
    entry.finish("succeeded")
    assert os.listdir(tmp_path) == [entry.path.name]
