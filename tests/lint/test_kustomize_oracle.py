"""The real kustomize as the oracle for glmctl's own kustomize model.

For every kustomization directory in the lint fixtures (and, when ``GLMCTL_LINT_CORPUS``
names a folder of checked-out repositories, in each of those too), ``kubectl kustomize DIR``
is run (without load restrictions, as Flux builds) and the objects it outputs, as
(apiVersion, kind, namespace, name), must be the set glmctl computes for that directory.
Where kustomize fails, glmctl's model must find the problem too, and lint must report an
error when Flux builds that directory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from glmctl.lint.engine import lint_repository
from glmctl.lint.files import RepoFiles
from glmctl.lint.loader import KUSTOMIZATION_FILES, _Walker, is_skipped
from glmctl.lint.model import CLUSTER_SCOPED_KINDS, Severity
from glmctl.lint.yamlio import parse_documents

from .conftest import FIXTURES

KUBECTL = Path(sys.executable).parent / "kubectl"
Identity = tuple[str, str, str | None, str]
_HASH = re.compile(r"^(.+)-[a-z0-9]{10}$")  # kustomize's generator name suffix


def _repositories() -> list[Path]:
    repos = [p for p in (FIXTURES / "reality").iterdir() if p.is_dir()]
    repos.append(FIXTURES / "repo-guide")
    corpus = os.environ.get("GLMCTL_LINT_CORPUS")
    if corpus:
        repos.extend(p for p in Path(corpus).iterdir() if p.is_dir())
    return sorted(repos)


def _cases() -> list[tuple[Path, str]]:
    cases: list[tuple[Path, str]] = []
    for repo in _repositories():
        files = RepoFiles.scan(repo)
        charts = sorted(f.rpartition("/")[0] for f in files.files if f.endswith("/Chart.yaml"))
        for rel in sorted(files.files):
            directory, _, name = rel.rpartition("/")
            if name in KUSTOMIZATION_FILES and not is_skipped(rel, charts):
                cases.append((repo, directory))
    return cases


def _kustomize(directory: Path) -> tuple[bool, set[Identity], str]:
    done = subprocess.run(
        [str(KUBECTL), "kustomize", "--load-restrictor=LoadRestrictionsNone", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        return False, set(), done.stderr
    found: set[Identity] = set()
    for document in parse_documents(done.stdout).documents:  # YAML 1.1 as kustomize writes it
        doc = document.value
        if isinstance(doc, dict):
            meta = doc.get("metadata") or {}
            found.add((doc["apiVersion"], doc["kind"], meta.get("namespace"), meta["name"]))
    return True, found, ""


def _glmctl(repo: Path, directory: str) -> tuple[set[Identity], bool]:
    walker = _Walker(RepoFiles.scan(repo))
    walker.load_all()
    built = walker.build_directory(directory)
    return {
        (o.manifest.api_version, o.manifest.kind, o.namespace, o.name) for o in built.objects
    }, built.unknown


def _unhashed(real: set[Identity], ours: set[Identity]) -> set[Identity]:
    """kustomize names generated ConfigMaps/Secrets ``name-<hash>``; glmctl keeps ``name``.

    kustomize does not know which custom kinds are cluster-scoped and sets a namespace on
    them (a ClusterSecretStore); the API server ignores it, so it is dropped here too.
    """
    result: set[Identity] = set()
    for api, kind, namespace, name in real:
        if kind in CLUSTER_SCOPED_KINDS:
            namespace = None
        match = _HASH.match(name)
        if kind in ("ConfigMap", "Secret") and match and (api, kind, namespace, match[1]) in ours:
            name = match[1]
        result.add((api, kind, namespace, name))
    return result


def _assert_failure_found(repo: Path, directory: str, error: str) -> None:
    """glmctl's model finds a problem building the directory; where Flux builds it, lint
    reports an error (a directory only a commented-out entry names is never built)."""
    walker = _Walker(RepoFiles.scan(repo))
    walker.load_all()
    built = walker.build_directory(directory)
    problems = [p for p in walker.problems if p.kind != "remote"]
    broken = [rel for rel in built.files if rel in walker.parse_errors]
    assert problems or broken, f"kustomize fails ({error.strip()}) but glmctl builds {directory}"
    report = lint_repository(repo)
    if directory in _reached(repo):
        prefix = f"{directory}/" if directory else ""
        assert any(
            f.severity is Severity.ERROR and f.file.startswith(prefix) for f in report.findings
        ), f"kustomize fails ({error.strip()}) but lint reports no error in {directory}"


def _reached(repo: Path) -> set[str]:
    """Directories whose kustomization file some Flux Kustomization's build reads."""
    from glmctl.lint.loader import load_repository

    model = load_repository(repo)
    return {
        rel.rpartition("/")[0]
        for rel in model.reachable_files
        if rel.rpartition("/")[2] in KUSTOMIZATION_FILES
    }


CASES = _cases()


@pytest.mark.skipif(not KUBECTL.exists(), reason="kubectl not installed in the venv")
@pytest.mark.parametrize(
    ("repo", "directory"), CASES, ids=[f"{r.name}:{d or '.'}" for r, d in CASES]
)
def test_glmctl_builds_what_kustomize_builds(repo: Path, directory: str) -> None:
    ok, real, error = _kustomize(repo / directory)
    if not ok:
        _assert_failure_found(repo, directory, error)
        return
    ours, unknown = _glmctl(repo, directory)
    if unknown:
        pytest.skip("the build has parts glmctl does not model (remote base, helmCharts)")
    assert _unhashed(real, ours) == ours
