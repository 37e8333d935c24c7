"""Benchmark ``glmctl lint`` on a generated repository: 5,000 manifests in 500 kustomizations.

Prints the median wall time of several runs, its ratio to ``python -c pass`` measured here
(so a slow machine is visible as such), and the peak RSS of the lint processes. Target:
under 2 s. Run with ``.venv/bin/python bench/bench_lint.py``.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KUSTOMIZATIONS = 500
MANIFESTS_PER_KUSTOMIZATION = 10
RUNS = 5
TARGET_SECONDS = 2.0

FLUX_KUSTOMIZATION = """---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: app-{i}
  namespace: flux-system
spec:
  interval: 30m
  path: ./apps/app-{i}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
{depends}  healthChecks:
    - apiVersion: apps/v1
      kind: Deployment
      name: app-{i}-0
      namespace: app-{i}
  postBuild:
    substitute:
      DOMAIN: example.com
"""

DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}-{j}
  labels:
    app.kubernetes.io/name: app-{i}-{j}
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: app-{i}-{j}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: app-{i}-{j}
    spec:
      containers:
        - name: app
          image: ghcr.io/example/app:1.0.{j}
          env:
            - name: HOST
              value: app-{i}.${{DOMAIN}}
            - name: PASSWORD
              valueFrom:
                secretKeyRef:
                  name: app-{i}-secret
                  key: password
"""

EXTERNAL_SECRET = """apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: app-{i}-secret
spec:
  secretStoreRef:
    kind: ClusterSecretStore
    name: onepassword-connect
  target:
    name: app-{i}-secret
  data:
    - secretKey: password
      remoteRef:
        key: app-{i}
        property: password
"""

BOOTSTRAP = """apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  url: https://example.com/repo
  ref:
    branch: main
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  path: ./clusters/bench
  sourceRef:
    kind: GitRepository
    name: flux-system
---
apiVersion: external-secrets.io/v1beta1
kind: ClusterSecretStore
metadata:
  name: onepassword-connect
spec:
  provider:
    onepassword:
      connectHost: http://onepassword-connect:8080
"""


def generate(root: Path) -> int:
    """Write the repository; returns the number of manifest documents."""
    (root / "clusters/bench/flux-system").mkdir(parents=True)
    (root / "clusters/bench/flux-system/gotk-sync.yaml").write_text(BOOTSTRAP)
    documents = 3
    for i in range(KUSTOMIZATIONS):
        depends = f"  dependsOn:\n    - name: app-{i - 1}\n" if i else ""
        (root / f"clusters/bench/app-{i}.yaml").write_text(
            FLUX_KUSTOMIZATION.format(i=i, depends=depends)
        )
        app = root / f"apps/app-{i}"
        app.mkdir(parents=True)
        names = ["namespace.yaml", "externalsecret.yaml"]
        (app / "namespace.yaml").write_text(
            f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app-{i}\n"
        )
        (app / "externalsecret.yaml").write_text(EXTERNAL_SECRET.format(i=i))
        for j in range(MANIFESTS_PER_KUSTOMIZATION - 2):
            (app / f"deployment-{j}.yaml").write_text(DEPLOYMENT.format(i=i, j=j))
            names.append(f"deployment-{j}.yaml")
        listing = "".join(f"  - {name}\n" for name in names)
        (app / "kustomization.yaml").write_text(f"namespace: app-{i}\nresources:\n{listing}")
        documents += 1 + MANIFESTS_PER_KUSTOMIZATION
    return documents


def timed(command: list[str]) -> tuple[float, int, float]:
    """Wall seconds, exit code, and CPU seconds (user + system) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, completed.returncode, cpu


def main() -> int:
    glmctl = Path(sys.executable).with_name("glmctl")
    with tempfile.TemporaryDirectory(prefix="glmctl-bench-lint-") as tmp:
        root = Path(tmp)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        documents = generate(root)
        baseline = statistics.median(timed([sys.executable, "-c", "pass"])[0] for _ in range(RUNS))
        runs = [timed([str(glmctl), "lint", str(root), "-o", "json"]) for _ in range(RUNS)]
    codes = {code for _, code, _ in runs}
    median = statistics.median(seconds for seconds, _, _ in runs)
    cpu = statistics.median(seconds for _, _, seconds in runs)
    load = os.getloadavg()[0]
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"glmctl lint: {documents} manifests in {KUSTOMIZATIONS} kustomizations")
    print(f"  runs: {', '.join(f'{s:.2f}s' for s, _, _ in runs)} (exit codes {sorted(codes)})")
    print(f"  median wall time: {median:.2f}s (target < {TARGET_SECONDS:.1f}s)")
    print(f"  median CPU time:  {cpu:.2f}s (load average {load:.1f} on {os.cpu_count()} CPUs)")
    print(f"  python -c pass:   {baseline:.3f}s  ratio: {median / baseline:.0f}x")
    print(f"  peak RSS:         {peak_kib / 1024:.0f} MiB")
    return 0 if codes == {0} else 1


if __name__ == "__main__":
    raise SystemExit(main())
