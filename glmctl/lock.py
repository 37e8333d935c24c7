"""One mutating run at a time per repository, cluster lifecycle or journal entry.

``rollback``, ``redeploy`` and ``journal restore`` each take a lock (:func:`hold`) before
they plan and keep it until they are done, so two runs cannot interleave their edits of the
same files or their deletes of the same objects.

The lock is an ``flock`` on a file under the state directory (``locks/``): the kernel
releases it when its holder exits, however it exits, so a run killed with ``kill -9``
never leaves a lock that blocks the next one. The file also holds who took it (pid,
host, command, since), which a second run prints when it gives up waiting, and which a
later run finds still written when the holder died without releasing: that stale record
is reported (one note) and replaced.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from glmctl.errors import UsageError

DEFAULT_WAIT = 10.0
"""Seconds a second run waits for the first to finish before giving up."""
_POLL = 0.1


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) a lock."""

    pid: int
    host: str
    command: str
    since: str

    def describe(self) -> str:
        return f"{self.command or 'glmctl'} (pid {self.pid} on {self.host}, since {self.since})"


class LockBusy(UsageError):
    """Another run holds the lock and did not let go within the wait."""


def lock_path(state_dir: Path, kind: str, key: str) -> Path:
    """The lock file for ``key`` (a repository path, a context, an entry id) of ``kind``."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return state_dir / "locks" / f"{kind}-{digest}.lock"


@contextlib.contextmanager
def hold(
    path: Path,
    *,
    what: str,
    command: str,
    wait: float = DEFAULT_WAIT,
    note: Callable[[str], None] | None = None,
) -> Iterator[Holder]:
    """Hold the lock at ``path`` for the ``with`` block; ``what`` names what it protects
    ("the repository /srv/gitops") in the sentence a second run prints."""
    from glmctl.journal import ensure_state_dir

    ensure_state_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _acquire(fd, path, what, wait)
        stale = _read(fd)
        if stale is not None and note is not None:
            note(f"cleared a stale lock on {what} left by {stale.describe()}.")
        me = Holder(os.getpid(), socket.gethostname(), command, _now())
        _write(fd, json.dumps(asdict(me)))
        try:
            yield me
        finally:
            _write(fd, "")  # released cleanly: nothing stale left behind
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _acquire(fd: int, path: Path, what: str, wait: float) -> None:
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                break
            time.sleep(_POLL)
    holder = _read(fd)
    who = holder.describe() if holder else "another glmctl run"
    raise LockBusy(
        f"{who} is changing {what}; waited {wait:g} seconds for it to finish.",
        hint="Let it finish (or stop it), then run this again. "
        f"The lock is {path}; it goes away by itself when that process ends.",
    )


def _read(fd: int) -> Holder | None:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    if not raw.strip():
        return None
    try:
        data = json.loads(raw)
        return Holder(
            pid=int(data["pid"]),
            host=str(data["host"]),
            command=str(data.get("command", "")),
            since=str(data.get("since", "?")),
        )
    except (ValueError, KeyError, TypeError):
        return Holder(0, "?", "an unknown process", "?")


def _write(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text.encode("utf-8"))
    os.fsync(fd)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
