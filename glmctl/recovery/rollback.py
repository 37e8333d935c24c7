"""Rollback (the guide's "Rollback to Previous State") and its exact undo, as plans.

Rollback suspends the lifecycle Kustomization (recording who, when and why in
annotations), puts the replaced jobs' files back into the outpost-config
``kustomization.yaml`` and, with ``--health-checks``, their health checks into the Flux
Kustomization file. Every part is planned from what is there now, so a part already done is
"already" and a second run changes nothing.

The undo reverses each part, and only what a rollback did: a Kustomization suspended by
someone else (no glmctl annotation, no journal record) stays suspended. Where the journal
holds the rollback that made a file edit and the file is still exactly as that rollback
left it, the file's recorded original text is written back, byte for byte; otherwise the
edit is reversed line by line (``undo_enable`` with the recorded original comments).
Kustomizations are resumed in dependsOn order, their ``spec.suspend`` and annotations
restored to what the journal recorded before the suspend.
"""

from __future__ import annotations

import difflib
import os
import posixpath
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glmctl.cluster import flux, resources
from glmctl.errors import ConfigError, NotFound, UsageError
from glmctl.paths import inside_repo
from glmctl.plan import FileEdit, Plan, PlanItem, dependency_order, object_item
from glmctl.recovery.execute import FILE_RECORD_API_VERSION

if TYPE_CHECKING:
    from glmctl.advice import Advice
    from glmctl.cluster.client import Cluster
    from glmctl.cluster.identity import ClusterIdentity
    from glmctl.config import Profile
    from glmctl.journal import BeforeRecord, Journal
    from glmctl.repo.kustomize_edit import EditResult, HealthCheck

Obj = dict[str, Any]

SUSPENDED_BY = flux.SUSPENDED_BY_ANNOTATION
SUSPENDED_AT = flux.SUSPENDED_AT_ANNOTATION
SUSPEND_REASON = flux.SUSPEND_REASON_ANNOTATION
SUSPEND_ANNOTATIONS = (SUSPENDED_BY, SUSPENDED_AT, SUSPEND_REASON)
ROLLBACK_COMMAND = "rollback"
UNDO_COMMAND = "rollback --undo"


@dataclass(frozen=True)
class RollbackOptions:
    """What the operator asked for, beyond the profile."""

    repo: Path
    user: str
    reason: str = ""
    health_checks: bool = False
    skip_missing: bool = False
    dependents: bool = False


@dataclass(frozen=True)
class PlannedRollback:
    """The plan (its file items carry their pure edits) and the files it may edit."""

    plan: Plan
    files: tuple[Path, ...] = ()


def find_repo(start: Path, marker: str) -> Path:
    """The nearest directory at or above ``start`` holding ``marker`` (the outpost-config
    kustomization path from the profile): the GitOps repository's root."""
    here = start.resolve()
    for directory in (here, *here.parents):
        if (directory / marker).is_file():
            return directory
    raise UsageError(
        f"no GitOps repository found: no {marker} in {here} or any directory above it.",
        hint="Run glmctl from inside the repository, or pass --repo PATH.",
    )


def suspend_patch_with_note(user: str, reason: str, now: datetime) -> Obj:
    """``spec.suspend: true`` plus who, when and why, for ``glmctl status`` to show."""
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "spec": {"suspend": True},
        "metadata": {
            "annotations": {
                SUSPENDED_BY: user or "unknown",
                SUSPENDED_AT: stamp,
                SUSPEND_REASON: reason or "(no reason given)",
            }
        },
    }


def _kustomizations(cluster: Cluster, profile: Profile, dependents: bool) -> list[Obj]:
    """The lifecycle Kustomization (and its configured dependents); a missing one is an
    error, unlike ``flux suspend``, which reports success for a name that does not exist."""
    ref = profile.flux.lifecycle_kustomization
    names = [ref.name, *(profile.flux.dependents if dependents else ())]
    found: list[Obj] = []
    for name in names:
        obj = cluster.get_or_none(resources.KUSTOMIZATION, name, ref.namespace)
        if obj is None:
            raise NotFound(
                f"Kustomization {ref.namespace}/{name} does not exist; nothing was changed.",
                hint="Check flux.lifecycle_kustomization and flux.dependents in glmctl.yaml.",
            )
        found.append(obj)
    return found


def _job_files(profile: Profile, repo: Path, skip_missing: bool) -> tuple[list[str], list[str]]:
    """The replaced jobs' file entries, and the notes about missing files skipped.

    A file that does not exist stops everything (before any change) unless
    ``skip_missing``: Flux would fail to build a kustomization naming it.
    """
    directory = posixpath.dirname(profile.repo.outpost_kustomization)
    entries: list[str] = []
    notes: list[str] = []
    for job in profile.jobs.replaced:
        path = inside_repo(repo, posixpath.join(directory, job.file), what="job file")
        if path.is_file():
            entries.append(job.file)
            continue
        shown = posixpath.join(posixpath.dirname(profile.repo.outpost_kustomization), job.file)
        if not skip_missing:
            raise UsageError(
                f"the replaced job {job.name}'s file {shown} does not exist; nothing was changed.",
                hint="Restore the file from git history, or pass --skip-missing to go without it.",
            )
        notes.append(f"Skipped {job.name}: its file {shown} does not exist (--skip-missing).")
    return entries, notes


def _health_checks(profile: Profile, entries: list[str]) -> list[HealthCheck]:
    by_file = {job.file: job.name for job in profile.jobs.replaced}
    return [("batch/v1", "Job", by_file[entry], profile.namespaces.identity) for entry in entries]


@dataclass
class _FileEdits:
    """A plan's file changes: its items, the edits to apply, the diff, and the paths."""

    repo: Path
    items: list[PlanItem] = field(default_factory=list)
    edits: dict[str, FileEdit] = field(default_factory=dict)
    diffs: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def add(self, item_id: str, relative: str, edit: FileEdit, what: str) -> None:
        """Plan ``edit`` of ``relative``: read it now, show what would change, keep the edit."""
        path = inside_repo(self.repo, relative)
        before = _read(path)
        result = edit(before)
        self.items.append(_file_item(item_id, self.repo, relative, before, result, what))
        self.edits[item_id] = edit
        self.diffs.append(_unified_diff(relative, before, result.new_text))
        self.files.append(path)


def _file_item(
    item_id: str, repo: Path, relative: str, before: str, result: EditResult, what: str
) -> PlanItem:
    counts = Counter(action for _, action in result.changed if action != "already")
    done = [f"{count} {action}" for action, count in counts.items()]  # the diff has the lines
    return PlanItem(
        id=item_id,
        action="edit-file",
        kind="File",
        name=relative,
        detail=f"{what}: " + (", ".join(done) if done else "already so"),
        state="todo" if result.modified else "already",
        patch={"path": str(inside_repo(repo, relative))},
    )


def _unified_diff(relative: str, before: str, after: str) -> str:
    if before == after:
        return ""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{relative}",
        tofile=f"b/{relative}",
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def _read(path: Path) -> str:
    from glmctl.repo.kustomize_edit import read_exact

    if not path.is_file():
        raise ConfigError(f"{path} does not exist; nothing was changed.")
    return read_exact(path)


def plan_rollback(
    cluster: Cluster, profile: Profile, options: RollbackOptions, now: datetime | None = None
) -> PlannedRollback:
    """Suspend, re-enable the replaced jobs' files, optionally restore health checks."""
    from glmctl.repo.kustomize_edit import add_health_checks, enable_resources

    entries, notes = _job_files(profile, options.repo, options.skip_missing)
    moment = now or datetime.now(UTC)
    items: list[PlanItem] = []
    # Dependents first: nothing that needs the lifecycle keeps applying while it is held.
    for obj in reversed(dependency_order(_kustomizations(cluster, profile, options.dependents))):
        if flux.is_suspended(obj):
            items.append(object_item("suspend", obj, detail="already suspended", state="already"))
        else:
            items.append(
                object_item(
                    "suspend",
                    obj,
                    detail=f"spec.suspend: true, suspended by {options.user or 'unknown'}",
                    patch=suspend_patch_with_note(options.user, options.reason, moment),
                )
            )
    changes = _FileEdits(options.repo)
    relative = profile.repo.outpost_kustomization

    def enable(text: str) -> EditResult:
        return enable_resources(text, entries, label=relative)

    changes.add("enable-jobs", relative, enable, "re-enable replaced jobs")
    if options.health_checks:
        checks = _health_checks(profile, entries)
        flux_file = profile.repo.outpost_flux_kustomization

        def add_checks(text: str) -> EditResult:
            return add_health_checks(text, checks, label=flux_file)

        changes.add("add-health-checks", flux_file, add_checks, "add health checks")
    items.extend(changes.items)
    plan = Plan(ROLLBACK_COMMAND, tuple(items), tuple(notes), "".join(changes.diffs), changes.edits)
    return PlannedRollback(plan, tuple(changes.files))


def next_after_rollback(cluster: Cluster, profile: Profile) -> Advice:
    """The next step once the rollback's edit is pushed (:func:`glmctl.advice.after_rollback`),
    from one list of the Kustomizations: the one whose ``spec.path`` is the outpost-config
    directory (it applies the re-enabled jobs) and which are suspended now."""
    from glmctl.advice import after_rollback

    directory = posixpath.normpath(posixpath.dirname(profile.repo.outpost_kustomization))
    found = cluster.list(resources.KUSTOMIZATION, profile.flux.lifecycle_kustomization.namespace)
    outpost = next(
        (
            obj
            for obj in found
            if (path := str((obj.get("spec") or {}).get("path") or ""))
            and posixpath.normpath(path).lstrip("/") == directory
        ),
        None,
    )
    suspended = {
        str((obj.get("metadata") or {}).get("name")) for obj in found if flux.is_suspended(obj)
    }
    return after_rollback(outpost, suspended)


# --------------------------------------------------------------------------- undo


def rollback_records(
    journal: Journal,
    context: str | None,
    here: ClusterIdentity,
    *,
    force_cluster: bool = False,
    annotated_here: bool = False,
) -> list[BeforeRecord]:
    """Every before-record of past rollbacks of this cluster, newest entry first.

    An entry counts when it recorded this cluster (whatever its context name). Entries of
    the same context name that recorded another cluster are never used: when they are all
    there is, this refuses (exit 2) rather than undo what glmctl never did here, unless a
    Kustomization here carries glmctl's suspended-by annotation (``annotated_here``: the
    undo then acts on that, from no entry). Entries older than the cluster identity are
    refused unless ``force_cluster``.
    """
    from glmctl.journal import require_same_cluster

    ours: list[str] = []
    foreign: list[tuple[str, ClusterIdentity | None]] = []
    for summary in reversed(journal.list()):
        if summary.command_name != ROLLBACK_COMMAND:
            continue
        if summary.cluster is not None and summary.cluster.same_cluster(here):
            ours.append(summary.id)
        elif summary.context == context:
            if summary.cluster is None and force_cluster:
                ours.append(summary.id)
            else:
                foreign.append((summary.id, summary.cluster))
    unknown = [entry for entry in foreign if entry[1] is None]
    if unknown:
        require_same_cluster(unknown[0][0], None, here, force=force_cluster)
    if foreign and not ours and not annotated_here:
        require_same_cluster(foreign[0][0], foreign[0][1], here, force=False)
    records: list[BeforeRecord] = []
    for entry_id in ours:
        records.extend(reversed(journal.get(entry_id).before))
    return records


def _file_record(records: list[BeforeRecord], path: Path) -> Obj | None:
    for record in records:
        obj = record.object
        if (
            obj.get("apiVersion") == FILE_RECORD_API_VERSION
            and obj.get("kind") == "File"
            and Path(os.path.realpath(str((obj.get("metadata") or {}).get("name")))) == path
        ):
            return obj
    return None


def _object_record(records: list[BeforeRecord], obj: Obj) -> Obj | None:
    metadata = obj.get("metadata") or {}
    for record in records:
        recorded = record.object
        meta = recorded.get("metadata") or {}
        if (
            record.action == "suspend"
            and recorded.get("kind") == obj.get("kind")
            and meta.get("name") == metadata.get("name")
            and meta.get("namespace") == metadata.get("namespace")
        ):
            return recorded
    return None


def undo_file_edit(record: Obj | None, fallback: FileEdit, label: str) -> FileEdit:
    """The edit that reverses a recorded rollback edit of one file.

    Unchanged since the rollback → the recorded original text, exactly. Edited since →
    ``undo_enable`` (or ``fallback`` for health checks) on the current text, so the other
    edits stay. No record → ``fallback``.
    """
    from glmctl.repo.kustomize_edit import Change, EditResult, undo_enable

    def edit(text: str) -> EditResult:
        if record is None:
            return fallback(text)
        if text == record.get("after"):
            original = str(record.get("text", ""))
            if original == text:
                return EditResult(text, ())
            restored = tuple(
                Change(str(entry), "commented" if action == "uncommented" else "removed")
                for entry, action in record["edit"]["changed"]
                if action != "already"
            )
            return EditResult(original, restored or (Change(label, "removed"),))
        if record.get("edit", {}).get("originals") is not None and _is_resources_edit(record):
            recorded = EditResult(
                str(record.get("after", "")),
                tuple(Change(str(entry), action) for entry, action in record["edit"]["changed"]),
                tuple((str(entry), str(line)) for entry, line in record["edit"]["originals"]),
            )
            return undo_enable(text, recorded, label=label)
        return fallback(text)

    return edit


def _is_resources_edit(record: Obj) -> bool:
    changed = record.get("edit", {}).get("changed") or []
    return all(action in ("uncommented", "added", "already") for _, action in changed)


def resume_patch(current: Obj, recorded: Obj | None) -> Obj:
    """Back to how the object was before glmctl suspended it: ``spec.suspend`` as it was
    (absent stays absent) and glmctl's annotations gone (the map too, if it was empty)."""
    before_spec = (recorded or {}).get("spec") or {}
    suspend: bool | None = before_spec.get("suspend") if "suspend" in before_spec else None
    if recorded is None:
        suspend = False
    before_annotations = ((recorded or {}).get("metadata") or {}).get("annotations")
    current_annotations = (current.get("metadata") or {}).get("annotations") or {}
    ours = {key: None for key in SUSPEND_ANNOTATIONS if key in current_annotations}
    annotations: Obj | None = dict(ours)
    if recorded is not None and not before_annotations and set(current_annotations) <= set(ours):
        annotations = None
    patch: Obj = {"spec": {"suspend": suspend}}
    if ours:
        patch["metadata"] = {"annotations": annotations}
    return patch


def plan_undo(
    cluster: Cluster,
    profile: Profile,
    options: RollbackOptions,
    journal: Journal,
    *,
    force_cluster: bool = False,
) -> PlannedRollback:
    """Reverse every part of this cluster's rollback: files first, then resume in dependsOn
    order. Journal entries recorded on another cluster are refused (``rollback_records``)."""
    from glmctl.cluster.identity import identify
    from glmctl.repo.kustomize_edit import disable_resources, remove_health_checks

    ref = profile.flux.lifecycle_kustomization
    candidates = _kustomizations(cluster, profile, dependents=False)
    for name in profile.flux.dependents:
        obj = cluster.get_or_none(resources.KUSTOMIZATION, name, ref.namespace)
        annotations = ((obj or {}).get("metadata") or {}).get("annotations") or {}
        if obj is not None and SUSPENDED_BY in annotations:
            candidates.append(obj)
    records = rollback_records(
        journal,
        cluster.context_name,
        identify(cluster),
        force_cluster=force_cluster,
        annotated_here=any(
            flux.is_suspended(obj)
            and SUSPENDED_BY in ((obj.get("metadata") or {}).get("annotations") or {})
            for obj in candidates
        ),
    )
    changes = _FileEdits(options.repo)
    entries = [job.file for job in profile.jobs.replaced]

    relative = profile.repo.outpost_kustomization

    def comment_out(text: str) -> EditResult:
        return disable_resources(text, entries, label=relative)

    undo = undo_file_edit(
        _file_record(records, inside_repo(options.repo, relative)), comment_out, relative
    )
    changes.add("disable-jobs", relative, undo, "disable replaced jobs again")

    flux_file = profile.repo.outpost_flux_kustomization
    flux_record = _file_record(records, inside_repo(options.repo, flux_file))
    if options.health_checks or flux_record is not None:
        checks = _health_checks(profile, entries)

        def remove_checks(text: str) -> EditResult:
            return remove_health_checks(text, checks, label=flux_file)

        undo_checks = undo_file_edit(flux_record, remove_checks, flux_file)
        changes.add("remove-health-checks", flux_file, undo_checks, "remove health checks")

    items = list(changes.items)
    notes: list[str] = []
    for obj in dependency_order(candidates):
        if not flux.is_suspended(obj):
            items.append(object_item("resume", obj, detail="already resumed", state="already"))
            continue
        recorded = _object_record(records, obj)
        annotations = (obj.get("metadata") or {}).get("annotations") or {}
        if recorded is None and SUSPENDED_BY not in annotations:
            ks_name = str((obj.get("metadata") or {}).get("name"))
            notes.append(
                f"Kustomization {ref.namespace}/{ks_name} is suspended, but not by glmctl "
                f"rollback: left suspended (`flux resume kustomization {ks_name}` resumes it)."
            )
            continue
        items.append(
            object_item(
                "resume",
                obj,
                detail="spec.suspend as before the rollback; glmctl's annotations removed",
                patch=resume_patch(obj, recorded),
            )
        )
    plan = Plan(UNDO_COMMAND, tuple(items), tuple(notes), "".join(changes.diffs), changes.edits)
    return PlannedRollback(plan, tuple(changes.files))


# --------------------------------------------------------------------------- git


def git_diff(repo: Path, files: tuple[Path, ...]) -> str | None:
    """``git diff`` of the edited files, or None when git or a repository is not there."""
    from glmctl.execs import run_tool

    result = run_tool("git", "-C", str(repo), "diff", "--", *(str(path) for path in files))
    return result.stdout if result.ok else None


def git_commit(repo: Path, files: tuple[Path, ...], message: str) -> str | None:
    """Commit exactly ``files`` with ``message`` (never pushes); returns the short hash, or
    None when there is nothing to commit (the files already match the last commit)."""
    from glmctl.errors import CheckFailed
    from glmctl.execs import run_tool

    paths = [str(path) for path in files]
    added = run_tool("git", "-C", str(repo), "add", "--", *paths)
    if not added.ok:
        raise CheckFailed(f"git add failed: {added.stderr.strip()}", hint="Commit by hand.")
    staged = run_tool("git", "-C", str(repo), "diff", "--cached", "--quiet", "--", *paths)
    if staged.exit_code == 0:
        return None
    committed = run_tool("git", "-C", str(repo), "commit", "-m", message, "--", *paths)
    if not committed.ok:
        detail = (committed.stderr or committed.stdout).strip().splitlines()
        raise CheckFailed(
            f"git commit failed: {detail[0] if detail else 'no output'}",
            hint="The files are edited; commit them by hand.",
        )
    head = run_tool("git", "-C", str(repo), "rev-parse", "--short", "HEAD")
    return head.stdout.strip()


def commit_message(undo: bool, profile: Profile, reason: str) -> str:
    """A message that says what changed and why, for ``git log`` at 3 a.m."""
    names = ", ".join(job.name for job in profile.jobs.replaced)
    if undo:
        subject = "Undo rollback: disable the replaced jobs again"
        body = f"Takes {names} out of {profile.repo.outpost_kustomization} again."
    else:
        subject = f"Rollback: re-enable the jobs replaced by {profile.flux.helm_release.name}"
        body = (
            f"Puts {names} back into {profile.repo.outpost_kustomization}; the "
            f"Kustomization {profile.flux.lifecycle_kustomization.name} is suspended."
        )
    why = f"\n\nReason: {reason}" if reason else ""
    return f"{subject}\n\n{body}{why}\n\nMade by glmctl rollback{' --undo' if undo else ''}."
