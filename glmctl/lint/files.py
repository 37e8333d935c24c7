"""The repository's files as git has them, each read and parsed at most once.

Flux clones the repository, so a file git ignores does not exist for it even when it is on
disk here. The listing comes from ``git ls-files`` (tracked plus untracked-but-not-ignored);
outside a git work tree every file on disk counts.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from glmctl.execs import git_ls_files
from glmctl.lint.yamlio import Parsed, parse_documents

log = logging.getLogger(__name__)


def _walk_disk(root: Path) -> list[str]:
    """Every file below ``root``, and every symlink to a directory (not followed)."""
    found: list[str] = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = [name for name in dirnames if name != ".git"]
        rel = os.path.relpath(directory, root)
        links = [name for name in dirnames if os.path.islink(os.path.join(directory, name))]
        for name in [*filenames, *links]:
            found.append(name if rel == "." else f"{rel}/{name}".replace(os.sep, "/"))
    return found


def _escaping_links(root: Path, names: list[str]) -> dict[str, str]:
    """The listed names that are symlinks resolving outside ``root``: rel → target.

    Flux refuses such links, and lint must not read through one (``/etc/passwd``)."""
    base = f"{root}{os.sep}"
    prefix = f"{root}{os.sep}"
    escaping: dict[str, str] = {}
    for name in names:
        if os.path.islink(base + name):
            target = os.path.realpath(base + name)
            if target != str(root) and not target.startswith(prefix):
                escaping[name] = target
    return escaping


@dataclass
class RepoFiles:
    """File access for lint: existence as git sees it, text and parsed YAML cached."""

    root: Path
    files: frozenset[str]
    directories: frozenset[str]
    in_git: bool
    by_dir: dict[str, list[str]] = field(default_factory=dict)
    _text: dict[str, str] = field(default_factory=dict)
    _parsed: dict[str, Parsed] = field(default_factory=dict)
    reads: int = 0
    escaping: dict[str, str] = field(default_factory=dict)
    """Symlinks that point outside the repository: never read, reported by a rule."""

    @classmethod
    def scan(cls, root: Path) -> RepoFiles:
        """List the files of ``root`` (git's view when it is a work tree)."""
        root = root.resolve()
        listing = git_ls_files(root)
        in_git = listing is not None
        names = listing if listing is not None else _walk_disk(root)
        base = f"{root}{os.sep}"
        escaping = _escaping_links(root, names)
        files = frozenset(
            name for name in names if name not in escaping and os.path.isfile(base + name)
        )
        directories = {""}
        by_dir: dict[str, list[str]] = {}
        for name in sorted(files):
            folder = parent_dir(name)
            by_dir.setdefault(folder, []).append(name)
            while folder and folder not in directories:
                directories.add(folder)
                folder = parent_dir(folder)
        return cls(root, files, frozenset(directories), in_git, by_dir, escaping=escaping)

    def is_file(self, rel: str) -> bool:
        return rel in self.files

    def is_dir(self, rel: str) -> bool:
        return rel in self.directories

    def on_disk(self, rel: str) -> bool:
        """Exists here, whether or not git would commit it (a link leaving the repo does not)."""
        if self.escaping and any(
            rel == link or rel.startswith(f"{link}/") for link in self.escaping
        ):
            return False
        return (self.root / rel).exists()

    def text(self, rel: str) -> str:
        """The file's text, read once; undecodable bytes are replaced, never fatal."""
        cached = self._text.get(rel)
        if cached is None:
            self.reads += 1
            try:
                with open(f"{self.root}{os.sep}{rel}", "rb") as handle:
                    cached = handle.read().decode("utf-8", errors="replace")
            except OSError as error:
                cached = ""
                log.debug("cannot read %s: %s", rel, error)
            self._text[rel] = cached
        return cached

    def lines(self, rel: str) -> list[str]:
        return self.text(rel).splitlines()

    def parsed(self, rel: str) -> Parsed:
        """The file's YAML documents, parsed once."""
        cached = self._parsed.get(rel)
        if cached is None:
            cached = parse_documents(self.text(rel))
            self._parsed[rel] = cached
        return cached

    def children(self, directory: str) -> list[str]:
        """Files directly in ``directory`` (repo-relative, "" for the root), sorted."""
        return list(self.by_dir.get(directory, ()))

    def files_under(self, directory: str) -> list[str]:
        """Every file below ``directory``, sorted."""
        prefix = f"{directory}/" if directory else ""
        return sorted(name for name in self.files if name.startswith(prefix))

    def subdirectories(self, directory: str) -> list[str]:
        """Directories directly in ``directory``, sorted."""
        prefix = f"{directory}/" if directory else ""
        return sorted(
            name
            for name in self.directories
            if name and name.startswith(prefix) and "/" not in name[len(prefix) :]
        )


def parent_dir(rel: str) -> str:
    """``a/b/c.yaml`` → ``a/b``; a top-level name → "" (string work: this runs per file)."""
    return rel.rpartition("/")[0]


def base_name(rel: str) -> str:
    """``a/b/c.yaml`` → ``c.yaml``."""
    return rel.rpartition("/")[2]


def normalize(base: str, entry: str) -> str | None:
    """``entry`` relative to directory ``base`` as a repo-relative path; None if it escapes."""
    parts: list[str] = [part for part in base.split("/") if part and part != "."]
    for part in entry.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)
