"""Where the built control-plane programs are, and what to say when they are not there.

``make real-cluster`` (``harness/build.py``) builds each pinned program once into a cache
directory keyed by the hash of its pins, and points ``current.json`` at it; glmctl reads
only that manifest, so it never needs Go.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from glmctl.errors import UsageError

PROGRAMS = ("etcd", "kube-apiserver", "kube-controller-manager")
KUSTOMIZE_CONTROLLER = "kustomize-controller"  # optional: the real engine runs it when built
BUILD_HINT = "Run `make real-cluster` in a glmctl checkout (needs Go 1.26); it builds them once."


def cache_root() -> Path:
    """``$GLMCTL_REAL_CACHE``, else ``$XDG_CACHE_HOME/glmctl/real-cluster``."""
    override = os.environ.get("GLMCTL_REAL_CACHE")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "glmctl" / "real-cluster"


@dataclass(frozen=True)
class Binaries:
    """Paths of the built programs and the versions they were built at."""

    paths: dict[str, Path]
    versions: dict[str, str]
    crd_files: tuple[Path, ...] = ()

    def path(self, program: str) -> Path:
        return self.paths[program]

    def has(self, program: str) -> bool:
        """Whether ``program`` was built (and is executable)."""
        path = self.paths.get(program)
        return path is not None and os.access(path, os.X_OK)


def harness_program(name: str, root: Path | None = None) -> Path | None:
    """A program ``make real-cluster`` built (``helm`` for the chart tests), or None.

    For tests and benchmarks only: glmctl itself finds helm on PATH and never needs Go.
    """
    manifest = (root or cache_root()) / "current.json"
    try:
        path = json.loads(manifest.read_text(encoding="utf-8"))["programs"][name]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    program = Path(str(path))
    return program if os.access(program, os.X_OK) else None


def find_binaries(root: Path | None = None) -> Binaries:
    """The programs named in ``current.json``; a usage error saying how to build them."""
    manifest = (root or cache_root()) / "current.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
        paths = {str(name): Path(path) for name, path in data["programs"].items()}
        for name in PROGRAMS:
            paths[name]
        versions = {str(k): str(v) for k, v in (data.get("versions") or {}).items()}
        crd_files = tuple(Path(p) for p in data.get("crds") or [])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UsageError(
            "the real control plane is not built on this machine.", hint=BUILD_HINT
        ) from error
    missing = [name for name, path in paths.items() if not os.access(path, os.X_OK)]
    if missing:
        raise UsageError(
            f"the real control plane is incomplete: {', '.join(missing)} is missing.",
            hint=BUILD_HINT,
        )
    return Binaries(paths=paths, versions=versions, crd_files=crd_files)
