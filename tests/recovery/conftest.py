"""Fixtures for the recovery commands: a guide-shaped GitOps repository under git, an
isolated journal, simulated clusters, and a snapshot of a simulator's whole store."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from glmctl.sim.runner import SimHandle

OUTPOST_DIR = "infrastructure/authentik-outpost-config"
OUTPOST_KUSTOMIZATION = f"{OUTPOST_DIR}/kustomization.yaml"
FLUX_FILE = "clusters/home-ops/infrastructure/outpost-config.yaml"
REPLACED = (
    "enhanced-token-setup",
    "grafana-oidc-setup",
    "dashboard-oidc-setup",
    "cleanup-duplicate-tokens",
)

KUSTOMIZATION_TEXT = """\
---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: authentik
resources:
  # Replaced by the gitops-lifecycle-management chart (see the deployment guide):
  # - enhanced-token-setup-job.yaml
  # - grafana-oidc-setup-job.yaml
  #- dashboard-oidc-setup-job.yaml

  - "radius-outpost-config-job.yaml"  # stays
"""

FLUX_TEXT = """\
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: infrastructure-authentik-outpost-config
  namespace: flux-system
spec:
  interval: 30m
  path: ./infrastructure/authentik-outpost-config
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  healthChecks:
    - apiVersion: batch/v1
      kind: Job
      name: radius-outpost-config
      namespace: authentik
"""

JOB_TEXT = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: {name}
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: main
          image: busybox
"""


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own journal."""
    state = tmp_path / "state"
    monkeypatch.setenv("GLMCTL_STATE_DIR", str(state))
    return state


@pytest.fixture
def gitops_repo(tmp_path: Path) -> Path:
    """A GitOps repository laid out like the guide's, committed, with the four replaced
    jobs' files present (three commented out in resources, one not listed at all)."""
    repo = tmp_path / "gitops"
    outpost = repo / OUTPOST_DIR
    outpost.mkdir(parents=True)
    (repo / OUTPOST_KUSTOMIZATION).write_bytes(KUSTOMIZATION_TEXT.encode())
    for name in (*REPLACED, "radius-outpost-config"):
        (outpost / f"{name}-job.yaml").write_text(JOB_TEXT.format(name=name))
    flux_file = repo / FLUX_FILE
    flux_file.parent.mkdir(parents=True)
    flux_file.write_bytes(FLUX_TEXT.encode())
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "ops@example.org")
    git(repo, "config", "user.name", "Ops")
    git(repo, "config", "commit.gpgsign", "false")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "initial")
    return repo


@pytest.fixture
def healthy(start_sim: Callable[..., SimHandle]) -> SimHandle:
    """The healthy cluster with fast controllers."""
    from glmctl.sim.scenario import load_scenario, with_time_scale

    return start_sim(with_time_scale(load_scenario("healthy"), 0.02))


@pytest.fixture
def still_healthy(start_sim: Callable[..., SimHandle]) -> SimHandle:
    """The healthy cluster without controllers: nothing changes unless we change it."""
    from glmctl.sim.scenario import load_scenario

    return start_sim(load_scenario("healthy"), controllers=[])


def store_snapshot(handle: SimHandle) -> dict[str, Any]:
    """Every object in the simulator's store, keyed by kind/namespace/name."""
    snapshot: dict[str, Any] = {}
    for rt in handle.store.registry.all():
        for obj in handle.store.list(rt.group, rt.plural):
            meta = obj.get("metadata") or {}
            key = f"{rt.group}/{rt.kind}/{meta.get('namespace', '')}/{meta.get('name')}"
            snapshot[key] = json.loads(json.dumps(obj))
    return snapshot


@pytest.fixture
def kube_args() -> Callable[[SimHandle], list[str]]:
    def args(handle: SimHandle) -> list[str]:
        return ["--kubeconfig", str(handle.kubeconfig_path)]

    return args


@pytest.fixture
def in_repo(gitops_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Run from inside the repository, so rollback finds it upward."""
    monkeypatch.chdir(gitops_repo / OUTPOST_DIR)
    yield gitops_repo
