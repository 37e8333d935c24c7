"""Every file glmctl reads or writes on behalf of a repository stays inside it.

A path from ``glmctl.yaml`` is relative, POSIX, without ``..``: :func:`check_relative` says
so at load time. At use time :func:`inside_repo` resolves it component by component; a
symlink whose target leaves the repository root is refused in one sentence naming the
link (Flux refuses such links too), so ``rollback`` can never rewrite ``/etc/...`` through a
committed ``kustomization.yaml -> /etc/...``. Links that stay inside are followed: the
real path is returned, so writes go to the file the link names and not over the link.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path, PurePosixPath

from glmctl.errors import UsageError

_HINT = "Paths glmctl reads and writes in a repository must stay inside it."


def check_relative(value: str) -> str:
    """``value`` if it is a relative POSIX path with no ``..`` part; else ValueError."""
    if not value:
        raise ValueError("the path is empty")
    if value.startswith(("/", "\\")) or PurePosixPath(value).is_absolute() or ":" in value[:3]:
        raise ValueError(f"{value!r} is absolute; give a path relative to the repository root")
    if ".." in PurePosixPath(value).parts or "\\" in value:
        raise ValueError(f"{value!r} leaves the repository ('..' or '\\' in it)")
    return value


def escaping_link(root: Path, relative: str) -> tuple[Path, Path] | None:
    """(the first symlink on the way to ``relative``, its resolved target) if that target is
    outside ``root``; None if every link on the way stays inside. Nothing is read."""
    real_root = Path(os.path.realpath(root))
    current = Path(root)
    for part in PurePosixPath(relative).parts:
        current = current / part
        if current.is_symlink():
            target = Path(os.path.realpath(current))
            if not _within(target, real_root):
                return current, target
    return None


def inside_repo(root: Path, relative: str, *, what: str = "file") -> Path:
    """The real path of ``root/relative``, refused (exit 2) if it would leave ``root``."""
    try:
        check_relative(relative)
    except ValueError as error:
        raise UsageError(f"the {what} path {error}; nothing was changed.", hint=_HINT) from None
    escape = escaping_link(root, relative)
    if escape is not None:
        link, target = escape
        raise UsageError(
            f"{link} is a symlink to {target}, outside the repository {root}; "
            "glmctl does not read or write through it, and nothing was changed.",
            hint=_HINT + " Replace the link with the file itself.",
        )
    real = Path(os.path.realpath(Path(root) / relative))
    if not _within(real, Path(os.path.realpath(root))):  # pragma: no cover - links checked
        raise UsageError(f"the {what} {relative} resolves outside the repository {root}.")
    return real


def _within(path: Path, root: Path) -> bool:
    return path == root or posixpath.commonpath([str(path), str(root)]) == str(root)
