"""The mutation journal: what a command was about to change, written before it changes it.

Every mutating command opens one entry (a JSON file) before its first change and fsyncs
it, so that a crash, a lost connection or Ctrl-C half-way leaves a record of the plan, of
which changes were done, and of the full manifest of every object as it was before. An
entry that was never finished is "incomplete": running the command again finds it with
:meth:`Journal.latest_incomplete` and completes the work; ``glmctl journal restore`` (to
come) re-creates deleted objects from it.

Secret values never reach the journal: a Secret's ``data`` and ``stringData`` values (and
the ``last-applied-configuration`` annotation, which repeats them) are replaced by
``"<redacted N bytes>"`` before the entry is written. Such a Secret cannot be restored from
the journal, and the record says so (``redacted: true``).

Entries live in ``$GLMCTL_STATE_DIR/journal`` if that is set (tests use it), else in the
XDG state directory (``~/.local/state/glmctl/journal`` on Linux). Their ids start with the
UTC time to the nanosecond, so sorting ids sorts entries by time.
"""

from __future__ import annotations

import base64
import binascii
import builtins
import copy
import getpass
import logging
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from glmctl.cluster.identity import ClusterIdentity
from glmctl.errors import ConfigError, UsageError
from glmctl.userdirs import STATE_DIR_ENV, state_dir

FORMAT_VERSION = 1
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
SERVER_SET_METADATA = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "managedFields",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
)

log = logging.getLogger("glmctl.journal")

EntryStatus = Literal["incomplete", "finished"]


class PlannedChange(BaseModel):
    """One change a command announced in its plan, before doing it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    """Unique within the entry; ``mark_done`` refers to it."""
    action: str
    """What will happen: "delete", "patch", "create", "edit-file", ..."""
    kind: str
    name: str
    namespace: str | None = None
    api_version: str = ""
    detail: str = ""
    """One line for the operator: "spec.suspend: true", "uncomment 2 resources"..."""


class ChangeProgress(BaseModel):
    """Whether a planned change was done, and how it went."""

    model_config = ConfigDict(extra="forbid")

    done: bool = False
    outcome: str | None = None
    done_at: str | None = None


class BeforeRecord(BaseModel):
    """An object's full manifest as it was before a change (Secret values redacted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: str
    change_id: str | None = None
    recorded_at: str
    redacted: bool = False
    object: dict[str, Any]


class _EntryFile(BaseModel):
    """The on-disk format of one entry."""

    model_config = ConfigDict(extra="forbid")

    format: int = FORMAT_VERSION
    id: str
    started_at: str
    finished_at: str | None = None
    outcome: str | None = None
    context: str | None = None
    cluster: ClusterIdentity | None = None
    """The cluster changed (URL, CA, flux-system UID); None in entries written before it
    was recorded."""
    command: list[str]
    command_name: str
    user: str = ""
    plan: list[PlannedChange] = Field(default_factory=list)
    progress: dict[str, ChangeProgress] = Field(default_factory=dict)
    before: list[BeforeRecord] = Field(default_factory=list)


@dataclass(frozen=True)
class EntrySummary:
    """One line of ``glmctl journal list``."""

    id: str
    started_at: str
    finished_at: str | None
    status: EntryStatus
    outcome: str | None
    context: str | None
    command: tuple[str, ...]
    command_name: str
    planned: int
    done: int
    cluster: ClusterIdentity | None = None


class JournalEntry:
    """An open entry: each method records one fact and makes it durable before returning."""

    def __init__(self, path: Path, data: _EntryFile) -> None:
        self._path = path
        self._data = data

    @property
    def id(self) -> str:
        return self._data.id

    @property
    def path(self) -> Path:
        return self._path

    @property
    def status(self) -> EntryStatus:
        return "finished" if self._data.finished_at is not None else "incomplete"

    @property
    def outcome(self) -> str | None:
        return self._data.outcome

    @property
    def context(self) -> str | None:
        return self._data.context

    @property
    def cluster(self) -> ClusterIdentity | None:
        return self._data.cluster

    @property
    def command(self) -> tuple[str, ...]:
        return tuple(self._data.command)

    @property
    def command_name(self) -> str:
        return self._data.command_name

    @property
    def started_at(self) -> str:
        return self._data.started_at

    @property
    def finished_at(self) -> str | None:
        return self._data.finished_at

    @property
    def plan(self) -> tuple[PlannedChange, ...]:
        return tuple(self._data.plan)

    @property
    def before(self) -> tuple[BeforeRecord, ...]:
        return tuple(self._data.before)

    def progress(self, change_id: str) -> ChangeProgress:
        """A copy of one planned change's progress."""
        return self._data.progress[change_id].model_copy()

    def pending(self) -> list[PlannedChange]:
        """Planned changes not yet marked done: what a re-run still has to do."""
        return [change for change in self._data.plan if not self._data.progress[change.id].done]

    def record_before(
        self, obj: dict[str, Any], action: str, *, change_id: str | None = None
    ) -> BeforeRecord:
        """Keep ``obj``'s full manifest before ``action`` changes it; call before the change."""
        if change_id is not None:
            self._require_change(change_id)
        redacted_obj, redacted = redact_secret_values(obj)
        record = BeforeRecord(
            action=action,
            change_id=change_id,
            recorded_at=_now_iso(),
            redacted=redacted,
            object=redacted_obj,
        )
        self._data.before.append(record)
        self._save()
        return record

    def mark_done(self, change_id: str, outcome: str = "done") -> None:
        """Record that the planned change ``change_id`` happened (or how it ended)."""
        progress = self._require_change(change_id)
        progress.done = True
        progress.outcome = outcome
        progress.done_at = _now_iso()
        self._save()

    def finish(self, outcome: str) -> None:
        """Close the entry ("succeeded", "failed: ...", "aborted"); it is no longer incomplete."""
        self._data.finished_at = _now_iso()
        self._data.outcome = outcome
        self._save()

    def summary(self) -> EntrySummary:
        return EntrySummary(
            id=self.id,
            started_at=self.started_at,
            finished_at=self.finished_at,
            status=self.status,
            outcome=self.outcome,
            context=self.context,
            command=self.command,
            command_name=self.command_name,
            planned=len(self._data.plan),
            done=sum(1 for progress in self._data.progress.values() if progress.done),
            cluster=self.cluster,
        )

    def to_json_data(self) -> dict[str, Any]:
        """The entry as stored (Secret values already redacted)."""
        return self._data.model_dump(mode="json")

    def restorable_objects(self) -> list[dict[str, Any]]:
        """Deleted objects that can be re-created: stripped of server-set fields.

        This is what ``glmctl journal restore`` (cluster layer, not yet written) will
        plan, confirm and create; redacted Secrets are left out since their values are gone.
        """
        return [
            strip_server_fields(record.object)
            for record in self._data.before
            if record.action == "delete" and not record.redacted
        ]

    def _require_change(self, change_id: str) -> ChangeProgress:
        try:
            return self._data.progress[change_id]
        except KeyError:
            raise ValueError(f"change {change_id!r} is not in entry {self.id}'s plan") from None

    def _save(self) -> None:
        from glmctl.repo.atomic import write_atomic

        text = self._data.model_dump_json(indent=2) + "\n"
        try:
            write_atomic(self._path, text, new_file_mode=0o600)
        except OSError as error:
            raise UsageError(
                f"cannot write the journal entry {self._path}: {error.strerror or error}.",
                hint=_STATE_HINT,
            ) from None


class Journal:
    """The directory of entries; one JSON file per command run."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else default_journal_dir()

    def begin(
        self,
        context: str | None,
        command: Sequence[str],
        plan: Sequence[PlannedChange],
        *,
        command_name: str | None = None,
        cluster: ClusterIdentity | None = None,
    ) -> JournalEntry:
        """Open and durably write a new entry; do this before the first mutation.

        ``command`` is the argument list after the program name (global options may be
        anywhere); ``command_name`` defaults to its first word that is not an option.
        """
        ids = [change.id for change in plan]
        if len(set(ids)) != len(ids):
            raise ValueError("planned change ids must be unique")
        ensure_state_dir(self.root)
        entry_id = _new_id()
        data = _EntryFile(
            id=entry_id,
            started_at=_now_iso(),
            context=context,
            cluster=cluster,
            command=list(command),
            command_name=command_name or command_word(command),
            user=_user(),
            plan=list(plan),
            progress={change.id: ChangeProgress() for change in plan},
        )
        entry = JournalEntry(self.root / f"{entry_id}.json", data)
        entry._save()
        return entry

    def list(self) -> builtins.list[EntrySummary]:
        """Every readable entry, oldest first."""
        return [entry.summary() for entry in self._entries()]

    def get(self, entry_id: str) -> JournalEntry:
        """The entry with this id, or the only one whose id starts with it."""
        exact = self.root / f"{entry_id}.json"
        if entry_id and "/" not in entry_id and exact.is_file():
            return _read(exact)
        matches = [path for path in self._paths() if path.stem.startswith(entry_id)]
        if len(matches) == 1 and entry_id:
            return _read(matches[0])
        if not matches or not entry_id:
            raise UsageError(
                f"there is no journal entry {entry_id!r}.",
                hint="`glmctl journal list` shows the entries and their ids.",
            )
        raise UsageError(
            f"{len(matches)} journal entries start with {entry_id!r}.",
            hint="Give more of the id; `glmctl journal list` shows them.",
        )

    def latest_incomplete(
        self,
        command_name: str,
        *,
        context: str | None,
        cluster: ClusterIdentity | None = None,
    ) -> JournalEntry | None:
        """The newest unfinished entry of ``command_name`` against the same kubeconfig context
        (and, where both are recorded, the same cluster): work a re-run should complete. An
        interrupted run on another cluster says nothing about this one."""
        for entry in reversed(self._entries()):
            if (
                entry.status == "incomplete"
                and entry.command_name == command_name
                and entry.context == context
                and (
                    entry.cluster is None or cluster is None or entry.cluster.same_cluster(cluster)
                )
            ):
                return entry
        return None

    def _paths(self) -> builtins.list[Path]:
        if not self.root.is_dir():
            return []
        return sorted(path for path in self.root.glob("*.json") if not path.name.startswith("."))

    def _entries(self) -> builtins.list[JournalEntry]:
        entries: builtins.list[JournalEntry] = []
        for path in self._paths():
            try:
                entries.append(_read(path))
            except ConfigError as error:
                log.warning("skipping journal file: %s", error.message)
        return entries


FORCE_CLUSTER_OPTION = "--force-cluster"


def require_same_cluster(
    entry_id: str, recorded: ClusterIdentity | None, here: ClusterIdentity, *, force: bool
) -> None:
    """Refuse (exit 2, one sentence) to act here on an entry recorded for another cluster;
    an entry without a recorded cluster is accepted only with ``--force-cluster``."""
    if recorded is None:
        if force:
            return
        raise UsageError(
            f"journal entry {entry_id} does not record which cluster it changed (it is older "
            f"than glmctl's cluster identity), so it may not be this one ({here.describe()}).",
            hint=f"If you are sure it is, pass {FORCE_CLUSTER_OPTION}.",
        )
    if not recorded.same_cluster(here):
        raise UsageError(
            f"journal entry {entry_id} was recorded on another cluster, "
            f"{recorded.describe()}, not this one, {here.describe()}, "
            "even if the context name is the same.",
            hint="Run it against the cluster the entry names (--context / --kubeconfig).",
        )


_STATE_HINT = (
    f"Point {STATE_DIR_ENV} at a directory you can write (or unset it), "
    "then run the command again; nothing was changed."
)


def ensure_state_dir(directory: Path) -> None:
    """Create ``directory`` (private to the user) or say in one sentence why it cannot be."""
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    except FileExistsError:
        raise UsageError(
            f"the journal directory {directory} cannot be created: a file is in the way.",
            hint=_STATE_HINT,
        ) from None
    except OSError as error:
        raise UsageError(
            f"the journal directory {directory} cannot be created: {error.strerror or error}.",
            hint=_STATE_HINT,
        ) from None
    if not directory.is_dir():
        raise UsageError(f"the journal path {directory} is not a directory.", hint=_STATE_HINT)


def default_journal_dir() -> Path:
    """``$GLMCTL_STATE_DIR/journal``, else the XDG state directory's ``glmctl/journal``."""
    return state_dir() / "journal"


def command_word(command: Sequence[str]) -> str:
    """The subcommand in an argument list, skipping global options and their values."""
    from glmctl.context import VALUE_OPTIONS

    skip_next = False
    for token in command:
        if skip_next:
            skip_next = False
            continue
        if token.startswith("-"):
            skip_next = token in VALUE_OPTIONS
            continue
        return token
    return ""


def redact_secret_values(obj: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A deep copy of ``obj`` with every Secret value replaced by its size; and whether any was.

    Handles a ``List`` of objects too. Values are never logged, even on decode errors.
    """
    copied = copy.deepcopy(obj)
    return copied, _redact_in_place(copied)


def _redact_in_place(obj: dict[str, Any]) -> bool:
    redacted = False
    items = obj.get("items")
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict):
                redacted = _redact_in_place(item) or redacted
    if obj.get("kind") != "Secret":
        return redacted
    data = obj.get("data")
    if isinstance(data, dict):
        for key, value in data.items():
            data[key] = _redacted(_decoded_size(value))
    string_data = obj.get("stringData")
    if isinstance(string_data, dict):
        for key, value in string_data.items():
            data_size = len(value.encode("utf-8")) if isinstance(value, str) else 0
            string_data[key] = _redacted(data_size)
    annotations = (obj.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict) and LAST_APPLIED in annotations:
        value = annotations[LAST_APPLIED]
        annotations[LAST_APPLIED] = _redacted(len(str(value).encode("utf-8")))
    return True


def _decoded_size(value: Any) -> int:
    if not isinstance(value, str):
        return 0
    try:
        return len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        return len(value.encode("utf-8"))


def _redacted(size: int) -> str:
    return f"<redacted {size} bytes>"


def strip_server_fields(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``obj`` fit to create again: no status, no fields the API server sets.

    ``ownerReferences`` and ``finalizers`` are kept: they are the object's own intent.
    """
    stripped = copy.deepcopy(obj)
    stripped.pop("status", None)
    metadata = stripped.get("metadata")
    if isinstance(metadata, dict):
        for name in SERVER_SET_METADATA:
            metadata.pop(name, None)
    return stripped


JOURNAL_MAX_BYTES = 64 * 1024 * 1024
"""An entry holds the manifests it deleted; more than this is not one glmctl wrote."""


def _read(path: Path) -> JournalEntry:
    try:
        if path.stat().st_size > JOURNAL_MAX_BYTES:
            raise ConfigError(
                f"journal file {path} is larger than {JOURNAL_MAX_BYTES:,} bytes; "
                "glmctl did not write it."
            )
        data = _EntryFile.model_validate_json(path.read_bytes())
    except OSError as error:
        raise ConfigError(
            f"journal file {path} is unreadable: {error.strerror or error}."
        ) from None
    except ValidationError as error:
        raise ConfigError(
            f"journal file {path} is not a glmctl journal entry ({_first_problem(error)}).",
            hint="Move the file out of the journal directory, or restore it from a backup.",
        ) from None
    return JournalEntry(path, data)


def _first_problem(error: ValidationError) -> str:
    """pydantic's first complaint in a few words: where, and what (no URL, no dump)."""
    problems = error.errors(include_url=False, include_context=False, include_input=False)
    if not problems:
        return "invalid"
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"])
    more = f"; {len(problems) - 1} more" if len(problems) > 1 else ""
    return f"{where + ': ' if where else ''}{first['msg']}{more}"


_id_lock = threading.Lock()
_last_ns = 0


def _new_id() -> str:
    """UTC time to the nanosecond, strictly increasing in this process, plus a random tag."""
    global _last_ns
    with _id_lock:
        now = max(time.time_ns(), _last_ns + 1)
        _last_ns = now
    seconds, nanos = divmod(now, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}.{nanos:09d}Z-{secrets.token_hex(3)}"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
