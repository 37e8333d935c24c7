"""Carry out a plan: confirm, journal, then change exactly what the plan shows, in order.

The order of events is the safety argument, so it lives in one path shared by every
mutating runbook step: the runbook engine calls :func:`gate` with the plan a step declared
(``@step(..., changes=...)``), which resumes, shows, and hands it to :func:`carry_out`:

1. an incomplete journal entry of the same command marks what an interrupted run already
   did; those items are reported "already done" and not repeated (:func:`resume_plan`);
2. a plan with nothing left to do ends here: "already done", exit 0, no journal entry;
3. the size bound (``--force``), then ``--dry-run``: the API's server-side dry run for
   every cluster change, nothing written;
4. the confirmation (unless ``--yes``);
5. the journal entry is written (and fsynced) before the first change, and each object's
   full manifest is recorded before it changes; each item is marked done as it completes.

A failure half-way leaves the entry incomplete and stops with one sentence naming the
item; running the same command again finishes the work. So does the run's deadline
(``--timeout``): it is checked before each item and bounds every wait for a deletion, and
when it passes the entry stays incomplete with the items done so far marked (exit 4).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from glmctl.errors import CheckFailed, Conflict, ExitCode, GlmctlError, NotFound, TimedOut
from glmctl.plan import FileEdit, Plan, PlanItem, check_bound

if TYPE_CHECKING:
    from glmctl.cluster.client import Cluster
    from glmctl.cluster.identity import ClusterIdentity
    from glmctl.journal import Journal, JournalEntry, PlannedChange
    from glmctl.repo.kustomize_edit import EditResult

log = logging.getLogger("glmctl.recovery")

__all__ = ["ChangeGate", "Execution", "FileEdit", "ItemOutcome", "carry_out", "gate"]

OutcomeKind = Literal["done", "already", "left-alone", "dry-run"]
FILE_RECORD_API_VERSION = "glmctl.io/v1"
POLL_SECONDS = 0.25
LAST_REQUEST_MARGIN = 0.2
"""No request is started with less than this left of the run's deadline: the connection's
own ``--timeout`` budget (the same deadline) would refuse it in vaguer words."""


@dataclass(frozen=True)
class ChangeGate:
    """What stands between a mutating step's plan and the change, injected into the runbook
    engine by the command that runs it: the journal, the command line it records, and who
    says yes (``confirm`` asks the operator; ``yes`` is ``--yes``; ``force`` lifts the
    size bound). ``confirm`` is called at most once per plan, never with ``yes``."""

    journal: Journal
    command: tuple[str, ...]
    confirm: Callable[[Plan], bool]
    yes: bool = False
    force: bool = False


@dataclass(frozen=True)
class ItemOutcome:
    """What happened to one plan item."""

    item: PlanItem
    result: OutcomeKind
    message: str


@dataclass(frozen=True)
class Execution:
    """A finished run: the plan as shown, each item's outcome, and the journal entry."""

    plan: Plan
    outcomes: tuple[ItemOutcome, ...]
    entry_id: str | None = None
    dry_run: bool = False
    declined: bool = False

    @property
    def left_alone(self) -> tuple[ItemOutcome, ...]:
        """Objects that changed after the plan and were therefore not touched."""
        return tuple(outcome for outcome in self.outcomes if outcome.result == "left-alone")

    @property
    def changed_anything(self) -> bool:
        return any(outcome.result == "done" for outcome in self.outcomes)


class StoppedHalfway(GlmctlError):
    """A change failed after others were made; the journal entry stays incomplete."""

    def __init__(self, message: str, *, hint: str, exit_code: ExitCode) -> None:
        super().__init__(message, hint=hint)
        self.exit_code = exit_code


def resume_plan(
    plan: Plan,
    journal: Journal,
    command_name: str,
    context: str | None,
    identity: ClusterIdentity | None = None,
) -> tuple[Plan, JournalEntry | None]:
    """Mark items an interrupted run of the same command already did as "already".

    Only items still planned now are affected; what the interrupted run did not get to is
    planned afresh from the current state, so the re-run completes the work.
    """
    entry = journal.latest_incomplete(command_name, context=context, cluster=identity)
    if entry is None:
        return plan, None
    done = {change.id for change in entry.plan if entry.progress(change.id).done}
    items = tuple(
        replace(item, state="already", detail=f"done by the interrupted run {entry.id}")
        if item.state == "todo" and item.id in done
        else item
        for item in plan.items
    )
    note = (
        f"Journal entry {entry.id} of an interrupted `{command_name}` is incomplete: "
        f"{len(done)} of its {len(entry.plan)} changes were done; this run finishes the work."
    )
    return replace(plan, items=items, notes=(*plan.notes, note)), entry


def gate(
    plan: Plan,
    cluster: Cluster | None,
    change_gate: ChangeGate,
    *,
    dry_run: bool,
    shown: Callable[[Plan], None],
    deadline: float | None = None,
) -> Execution:
    """The whole gate for one plan: mark what an interrupted run already did, hand the plan
    to ``shown`` (the engine emits it, the command prints it), then :func:`carry_out`."""
    identity = None
    context = None
    if cluster is not None:
        from glmctl.cluster.identity import identify

        identity = identify(cluster)
        context = cluster.context_name
    plan, interrupted = resume_plan(plan, change_gate.journal, plan.journaled_as, context, identity)
    shown(plan)
    return carry_out(
        plan,
        cluster,
        journal=change_gate.journal,
        command=change_gate.command,
        command_name=plan.journaled_as,
        dry_run=dry_run,
        yes=change_gate.yes,
        force=change_gate.force,
        confirm=change_gate.confirm,
        interrupted=interrupted,
        identity=identity,
        deadline=deadline,
    )


def carry_out(
    plan: Plan,
    cluster: Cluster | None,
    *,
    journal: Journal,
    command: Sequence[str],
    command_name: str,
    dry_run: bool,
    yes: bool,
    force: bool,
    confirm: Callable[[Plan], bool],
    interrupted: JournalEntry | None = None,
    identity: ClusterIdentity | None = None,
    deadline: float | None = None,
) -> Execution:
    """Run ``plan`` (already shown) under the rules in the module docstring.

    ``confirm`` asks the operator and returns their answer; it is not called with
    ``yes``. Each ``edit-file`` item applies its pure edit from ``plan.edits``.
    ``identity`` is the cluster the entry is bound to (looked up here when not given).
    ``deadline`` (``time.monotonic()``) is the run's: checked before each item and the
    limit of every wait for a deletion; None waits without limit.
    """
    edits = dict(plan.edits)
    already = tuple(
        ItemOutcome(item, "already", item.detail) for item in plan.items if item.state == "already"
    )
    if plan.nothing_to_do:
        if interrupted is not None and not dry_run:
            interrupted.finish("succeeded (nothing was left to do on a re-run)")
        return Execution(plan, already, dry_run=dry_run)
    check_bound(plan, force=force)
    if dry_run:
        outcomes = [_dry_run_item(item, cluster) for item in plan.todo]
        return Execution(plan, (*already, *outcomes), dry_run=True)
    if not yes and not confirm(plan):
        return Execution(plan, already, declined=True)
    context = cluster.context_name if cluster is not None else None
    if identity is None and cluster is not None:
        from glmctl.cluster.identity import identify

        identity = identify(cluster)
    entry = journal.begin(
        context, command, _planned_changes(plan), command_name=command_name, cluster=identity
    )
    outcomes = list(already)
    versions: dict[str, str] = {}
    for item in plan.todo:
        try:
            _check_deadline(deadline)
            outcome = _execute_item(item, cluster, entry, edits, versions, deadline)
        except GlmctlError as error:
            raise _stopped(item, error, entry) from error
        entry.mark_done(item.id, outcome.result)
        outcomes.append(outcome)
    entry.finish("succeeded")
    if interrupted is not None:
        interrupted.finish(f"succeeded (completed by {entry.id})")
    return Execution(plan, tuple(outcomes), entry_id=entry.id)


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() >= deadline - LAST_REQUEST_MARGIN:
        raise TimedOut("the run's --timeout ran out")


def _planned_changes(plan: Plan) -> list[PlannedChange]:
    from glmctl.journal import PlannedChange

    return [
        PlannedChange(
            id=item.id,
            action=item.action,
            kind=item.kind,
            name=item.name,
            namespace=item.namespace,
            api_version=item.api_version,
            detail=item.detail,
        )
        for item in plan.todo
    ]


def _stopped(item: PlanItem, error: GlmctlError, entry: JournalEntry) -> StoppedHalfway:
    reason = error.message.rstrip(".")
    return StoppedHalfway(
        f"stopped at {item.action} {item.target}: {reason}; journal entry {entry.id} is "
        "incomplete.",
        hint=(
            "Run the same command again to finish the work; "
            f"`glmctl journal show {entry.id}` shows what was done."
        ),
        exit_code=error.exit_code,
    )


# --------------------------------------------------------------------------- items


def _rt(item: PlanItem) -> Any:
    from glmctl.cluster import resources

    return resources.for_kind(item.api_version, item.kind)


def _patch_for(item: PlanItem) -> dict[str, Any]:
    """The item's merge patch; a reconcile request planned without one is stamped now."""
    if item.patch is None and item.action == "reconcile":
        from glmctl.cluster.flux import reconcile_request_patch

        return reconcile_request_patch(datetime.now(UTC))
    return dict(item.patch or {})


def _dry_run_item(item: PlanItem, cluster: Cluster | None) -> ItemOutcome:
    """Ask the API server to validate the change without persisting it (``dryRun=All``)."""
    if not item.is_object or cluster is None:
        return ItemOutcome(item, "dry-run", "not written")
    try:
        if item.action == "delete":
            cluster.delete(
                _rt(item),
                item.name,
                item.namespace,
                uid=item.uid,
                resource_version=item.resource_version,
                dry_run=True,
            )
        elif item.action == "create":
            cluster.create(item.object or {}, dry_run=True)
        else:
            cluster.patch_merge(
                _rt(item), item.name, item.namespace, _patch_for(item), dry_run=True
            )
    except NotFound:
        return ItemOutcome(item, "dry-run", "the server says it no longer exists")
    except Conflict as error:
        return ItemOutcome(item, "dry-run", f"the server refused: {error.message}")
    return ItemOutcome(item, "dry-run", "server dry run: accepted")


def _execute_item(
    item: PlanItem,
    cluster: Cluster | None,
    entry: JournalEntry,
    edits: Mapping[str, FileEdit],
    versions: dict[str, str],
    deadline: float | None = None,
) -> ItemOutcome:
    if item.action == "edit-file":
        return _edit_file(item, entry, edits[item.id])
    if cluster is None:  # pragma: no cover - plans with objects always come with a cluster
        raise AssertionError("a cluster change needs a cluster")
    if item.action == "delete":
        return _delete(item, cluster, entry, versions, deadline)
    if item.action == "create":
        return _create(item, cluster, entry)
    if item.object is not None:
        entry.record_before(item.object, item.action, change_id=item.id)
    try:
        updated = cluster.patch_merge(_rt(item), item.name, item.namespace, _patch_for(item))
    except NotFound:
        raise NotFound(f"{item.target} no longer exists") from None
    new_version = (updated.get("metadata") or {}).get("resourceVersion")
    if new_version:
        versions[item.target] = str(new_version)
    return ItemOutcome(item, "done", item.detail)


def _delete(
    item: PlanItem,
    cluster: Cluster,
    entry: JournalEntry,
    versions: Mapping[str, str],
    deadline: float | None = None,
) -> ItemOutcome:
    """Delete by name with the plan's uid and resourceVersion (or the version our own
    earlier patch produced): a replaced or changed object is refused by the server.

    A running Job's controller rewrites its status every few seconds, which moves the
    resourceVersion without changing the object the plan showed. So a refused delete
    re-reads the object once: same uid and same manifest (labels, annotations, owners,
    spec) → delete again with the new version; anything else → left alone.
    """
    if item.object is not None:
        entry.record_before(item.object, "delete", change_id=item.id)
    version = versions.get(item.target, item.resource_version)
    for attempt in range(2):
        try:
            cluster.delete(
                _rt(item),
                item.name,
                item.namespace,
                propagation="Background",
                uid=item.uid,
                resource_version=version,
            )
            break
        except NotFound:
            return ItemOutcome(item, "already", "already gone")
        except Conflict:
            current = cluster.get_or_none(_rt(item), item.name, item.namespace)
            if current is None:
                return ItemOutcome(item, "already", "already gone")
            if attempt or not _same_manifest(item, current, versions):
                return ItemOutcome(
                    item, "left-alone", "changed or replaced since the plan was made; left alone"
                )
            version = str((current.get("metadata") or {}).get("resourceVersion") or "")
    if item.wait_gone:
        wait_until_gone(cluster, _rt(item), item.name, item.namespace, deadline=deadline)
    return ItemOutcome(item, "done", item.detail)


_VOLATILE_METADATA = ("resourceVersion", "managedFields", "generation")


def _same_manifest(item: PlanItem, current: dict[str, Any], versions: Mapping[str, str]) -> bool:
    """The object the plan showed, apart from its status and version bookkeeping.

    An object glmctl itself patched earlier in the plan is compared by uid only: its
    manifest moved on by our own hand.
    """
    planned = item.object or {}
    metadata = current.get("metadata") or {}
    if metadata.get("uid") != item.uid or metadata.get("deletionTimestamp"):
        return False
    if item.target in versions:
        return True

    def manifest(obj: dict[str, Any]) -> dict[str, Any]:
        meta = {
            key: value
            for key, value in (obj.get("metadata") or {}).items()
            if key not in _VOLATILE_METADATA
        }
        return {"metadata": meta, "spec": obj.get("spec")}

    return manifest(planned) == manifest(current)


def _create(item: PlanItem, cluster: Cluster, entry: JournalEntry) -> ItemOutcome:
    try:
        cluster.create(item.object or {})
    except Conflict:
        return ItemOutcome(item, "already", "already exists; left alone")
    return ItemOutcome(item, "done", item.detail)


def _edit_file(item: PlanItem, entry: JournalEntry, edit: FileEdit) -> ItemOutcome:
    """Re-read the file, apply the edit, journal the exact text before, write atomically."""
    from glmctl.repo.atomic import write_atomic
    from glmctl.repo.kustomize_edit import read_exact

    path = Path(str((item.patch or {})["path"]))
    if path.is_symlink():  # the plan resolved every link; one now is a swap since then
        raise CheckFailed(f"{path} became a symlink after the plan was made; not written.")
    before = read_exact(path)
    result = edit(before)
    if not result.modified:
        return ItemOutcome(item, "already", "already so; file not written")
    entry.record_before(file_record(path, before, result), "edit-file", change_id=item.id)
    try:
        write_atomic(path, result.new_text)
    except OSError as error:
        raise CheckFailed(f"cannot write {path}: {error.strerror or error}") from None
    return ItemOutcome(item, "done", item.detail)


def file_record(path: Path, before: str, result: EditResult) -> dict[str, Any]:
    """A journal record of a file edit: the exact text before and after, and what the edit
    did per entry (``undo_enable`` needs the original commented lines)."""
    return {
        "apiVersion": FILE_RECORD_API_VERSION,
        "kind": "File",
        "metadata": {"name": str(path)},
        "text": before,
        "after": result.new_text,
        "edit": {
            "changed": [[change.entry, change.action] for change in result.changed],
            "originals": [list(pair) for pair in result.originals],
        },
    }


def wait_until_gone(
    cluster: Cluster,
    rt: Any,
    name: str,
    namespace: str | None,
    *,
    deadline: float | None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Wait for a deleted object (finalizers, Helm uninstall) to disappear, so a reconcile
    that follows re-creates it instead of meeting it half-deleted; until ``deadline`` (the
    run's, on ``clock``), or without limit when it is None."""
    started = clock()
    limit = math.inf if deadline is None else deadline - LAST_REQUEST_MARGIN
    while True:
        now = clock()
        if now >= limit:
            raise TimedOut(
                f"{rt.kind} {namespace}/{name} was still being deleted when the run's "
                f"--timeout ran out ({now - started:.0f} seconds later)",
                hint=f"kubectl get {rt.plural} -n {namespace} {name} -o yaml shows its finalizers.",
            )
        if cluster.get_or_none(rt, name, namespace) is None:
            return
        sleep(min(POLL_SECONDS, max(0.0, limit - clock())))
