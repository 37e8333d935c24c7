"""Atomic file replacement: a reader (or a crash) sees the old file or the new, never half.

A rollback that dies mid-write must not leave a truncated ``kustomization.yaml`` for Flux
to apply. The new content goes to a temporary file in the same directory (so the rename
cannot cross filesystems), is flushed to disk, renamed over the original with
``os.replace``, and the directory itself is fsynced so the rename survives a power loss.
The original's permission bits are kept: a repository file that was 0644 stays 0644.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: Path, content: str | bytes, *, new_file_mode: int | None = None) -> None:
    """Replace ``path`` with ``content`` (str is written as UTF-8, byte for byte).

    An existing file keeps its mode; a new one gets ``new_file_mode`` (default: what the
    umask allows, as ``open`` would). A symlink is followed: the file it points to is
    replaced and the link stays. On any error the original is untouched and no temporary
    file is left behind.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    target = Path(os.path.realpath(path))
    directory = target.parent
    mode = _mode_for(target, new_file_mode)
    fd, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    _fsync_directory(directory)


def _mode_for(target: Path, new_file_mode: int | None) -> int:
    """The existing file's permission bits, or those a new file should get."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        if new_file_mode is not None:
            return new_file_mode
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; some filesystems refuse to fsync a directory, that is fine."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
