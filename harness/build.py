#!/usr/bin/env python3
"""Build the real control plane for the conformance tier, once per pin.

Each Go module under ``harness/`` pins real programs (``tools.go`` lists them). The
programs are built into ``<cache>/<module>-<key>/bin`` where ``key`` hashes the module's
go.mod, go.sum and tools.go, the Go version and the exact ``go build`` commands (programs,
flags, version stamps), and nothing else: editing this script rebuilds only the modules
whose build it changes. ``current.json`` in the cache root then names them for glmctl
(``glmctl/realcluster/binaries.py``). Go's own caches (GOCACHE, GOMODCACHE) make even a
changed pin cheap to rebuild.

Usage: python harness/build.py [--force]    (what `make real-cluster` runs)
Prints what it built or reused, with the time and disk used.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HARNESS = Path(__file__).resolve().parent
sys.path.insert(0, str(HARNESS.parent))

from glmctl.realcluster.binaries import cache_root  # noqa: E402

# harness module -> {Go package: the program name glmctl starts}.
MODULES = {
    "kube": {
        "go.etcd.io/etcd/server/v3": "etcd",
        "k8s.io/kubernetes/cmd/kube-apiserver": "kube-apiserver",
        "k8s.io/kubernetes/cmd/kube-controller-manager": "kube-controller-manager",
    },
    "flux": {"github.com/fluxcd/kustomize-controller": "kustomize-controller"},
    # The tests of `glmctl lint --render-charts` (glmctl itself only looks on PATH).
    "helm": {"helm.sh/helm/v4/cmd/helm": "helm"},
}
# CRDs from the pinned modules' own files: module@version -> files under the module.
MODULE_CRDS = {
    "github.com/fluxcd/source-controller@v1.9.5": [
        "config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml",
        "config/crd/bases/source.toolkit.fluxcd.io_helmrepositories.yaml",
        "config/crd/bases/source.toolkit.fluxcd.io_helmcharts.yaml",
        "config/crd/bases/source.toolkit.fluxcd.io_ocirepositories.yaml",
        "config/crd/bases/source.toolkit.fluxcd.io_buckets.yaml",
        "config/crd/bases/source.toolkit.fluxcd.io_externalartifacts.yaml",
    ],
    "github.com/fluxcd/kustomize-controller@v1.9.5": [
        "config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml",
    ],
    "github.com/external-secrets/external-secrets@v1.3.2": [
        "config/crds/bases/external-secrets.io_externalsecrets.yaml",
        "config/crds/bases/external-secrets.io_secretstores.yaml",
        "config/crds/bases/external-secrets.io_clustersecretstores.yaml",
    ],
    "github.com/prometheus-operator/prometheus-operator@v0.85.0": [
        "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml",
    ],
}
# helm-controller's module is not served by the proxy; its API module is, and controller-gen
# (pinned in harness/crds/go.mod) generates the HelmRelease CRD from those Go types.
HELM_API_PACKAGE = "github.com/fluxcd/helm-controller/api/v2"
VERSIONED = {
    "kube": {"etcd": "go.etcd.io/etcd/server/v3", "kubernetes": "k8s.io/kubernetes"},
    "flux": {"kustomize-controller": "github.com/fluxcd/kustomize-controller"},
    "helm": {"helm": "helm.sh/helm/v4"},
}


def go(*args: str, cwd: Path) -> str:
    """Run go; its output on failure, so a missing module or a compile error is visible."""
    done = subprocess.run(["go", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"harness/build.py: `go {' '.join(args)}` failed in {cwd}")
    return done.stdout


def module_key(module_dir: Path, commands: list[list[str]]) -> str:
    """The pins, the Go version and the build commands: what decides the programs' bytes."""
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum", "tools.go"):
        digest.update((module_dir / name).read_bytes())
    digest.update(go("env", "GOVERSION", cwd=module_dir).encode())
    digest.update(json.dumps(commands).encode())
    return digest.hexdigest()[:16]


def pinned_versions(module_dir: Path) -> dict[str, str]:
    found = {}
    for label, path in VERSIONED[module_dir.name].items():
        found[label] = go("list", "-m", "-f", "{{.Version}}", path, cwd=module_dir).strip()
    return found


def version_flags(versions: dict[str, str]) -> str:
    """The -X flags the projects' own release builds set, so the programs report the pin."""
    flags = []
    if "kubernetes" in versions:
        flags.append(kubernetes_flags(versions["kubernetes"]))
    if "helm" in versions:
        # helm's Makefile: without it `helm version` says "v4.3+unreleased".
        flags += [
            f"-X helm.sh/helm/v4/internal/version.version={versions['helm']}",
            "-X helm.sh/helm/v4/internal/version.gitTreeState=clean",
        ]
    return " ".join(flags)


def kubernetes_flags(version: str) -> str:
    """The -X flags Kubernetes' own release build sets, so /version answers the pin."""
    major, minor = version.lstrip("v").split(".")[:2]
    flags = []
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version"):
        flags += [
            f"-X {pkg}.gitVersion={version}",
            f"-X {pkg}.gitMajor={major}",
            f"-X {pkg}.gitMinor={minor}",
            f"-X {pkg}.gitTreeState=clean",
        ]
    return " ".join(flags)


def children_cpu() -> float:
    """User and system CPU seconds of the finished child processes (go and its tools)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def disk_use(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def build_module(name: str, force: bool) -> dict[str, object]:
    """Build every program the harness module ``name`` pins, unless its build is cached."""
    module_dir = HARNESS / name
    if shutil.which("go") is None:
        raise SystemExit("harness/build.py: Go is not on PATH; the real tier needs Go 1.26.")
    versions = pinned_versions(module_dir)
    ldflags = " ".join(filter(None, ["-s -w", version_flags(versions)]))
    commands = [
        ["build", "-trimpath", f"-ldflags={ldflags}", "-o", prog, package]
        for package, prog in MODULES[name].items()
    ]
    key = module_key(module_dir, commands)
    out = cache_root() / f"{name}-{key}"
    bin_dir = out / "bin"
    programs = {prog: str(bin_dir / prog) for prog in MODULES[name].values()}
    record = out / "build.json"
    if not force and record.exists() and all(Path(p).exists() for p in programs.values()):
        built = json.loads(record.read_text())
        print(f"{name}: up to date ({key}, built in {built['seconds']:.0f} s)")
        return built  # type: ignore[no-any-return]
    bin_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    cpu_started = children_cpu()
    for command in commands:
        t0, cpu0 = time.monotonic(), children_cpu()
        prog = command[-2]
        go(*command[:-2], str(bin_dir / prog), command[-1], cwd=module_dir)
        print(
            f"  built {prog} in {time.monotonic() - t0:.0f} s ({children_cpu() - cpu0:.0f} CPU s)",
            flush=True,
        )
    built = {
        "key": key,
        "seconds": round(time.monotonic() - started, 1),
        "cpu_seconds": round(children_cpu() - cpu_started, 1),
        "programs": programs,
        "versions": versions,
        "bytes": disk_use(bin_dir),
    }
    record.write_text(json.dumps(built, indent=2) + "\n")
    print(f"{name}: built ({key}) in {built['seconds']} s", flush=True)
    return built


def collect_crds(force: bool) -> dict[str, object]:
    """Copy the pinned CRDs into the cache; generate the HelmRelease CRD with controller-gen."""
    module_dir = HARNESS / "crds"
    digest = hashlib.sha256(json.dumps(MODULE_CRDS, sort_keys=True).encode())
    generate = [
        ["build", "-o", "controller-gen", "sigs.k8s.io/controller-tools/cmd/controller-gen"],
        ["controller-gen", "crd", f"paths={HELM_API_PACKAGE}", "output:crd:dir=<out>"],
    ]
    digest.update(module_key(module_dir, generate).encode())
    key = digest.hexdigest()[:16]
    out = cache_root() / f"crds-{key}"
    record = out / "crds.json"
    if not force and record.exists():
        collected = json.loads(record.read_text())
        print(f"CRDs: up to date ({key}, {len(collected['crds'])} files)")
        return collected  # type: ignore[no-any-return]
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    files = []
    versions = {}
    for module, paths in MODULE_CRDS.items():
        info = json.loads(go("mod", "download", "-json", module, cwd=module_dir))
        versions[module.split("@")[0]] = module.split("@")[1]
        for rel in paths:
            target = out / Path(rel).name
            shutil.copyfile(Path(info["Dir"]) / rel, target)
            files.append(str(target))
    gen = out / "controller-gen"
    go(*generate[0][:-2], str(gen), generate[0][-1], cwd=module_dir)
    done = subprocess.run(
        [str(gen), *generate[1][1:-1], f"output:crd:dir={out}"],
        cwd=module_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit("harness/build.py: controller-gen could not generate the HelmRelease CRD")
    gen.unlink()
    files.append(str(out / "helm.toolkit.fluxcd.io_helmreleases.yaml"))
    versions["github.com/fluxcd/helm-controller/api"] = go(
        "list", "-m", "-f", "{{.Version}}", "github.com/fluxcd/helm-controller/api", cwd=module_dir
    ).strip()
    collected = {"crds": files, "versions": versions}
    record.write_text(json.dumps(collected, indent=2) + "\n")
    print(f"CRDs: collected {len(files)} in {time.monotonic() - started:.0f} s", flush=True)
    return collected


def prune(keep: set[str]) -> None:
    """Remove builds of older pins, so the cache holds one build per module."""
    root = cache_root()
    for entry in root.iterdir():
        if entry.is_dir() and entry.name not in keep:
            shutil.rmtree(entry, ignore_errors=True)


def main() -> int:
    force = "--force" in sys.argv[1:]
    os.environ.setdefault("GOFLAGS", "-mod=readonly")
    started = time.monotonic()
    programs: dict[str, str] = {}
    versions: dict[str, str] = {}
    size = 0
    keep = set()
    for name in MODULES:
        built = build_module(name, force)
        programs.update(built["programs"])  # type: ignore[arg-type]
        versions.update(built["versions"])  # type: ignore[arg-type]
        size += int(built.get("bytes", 0))  # type: ignore[call-overload]
        keep.add(f"{name}-{built['key']}")
    crds = collect_crds(force)
    versions.update(crds["versions"])  # type: ignore[arg-type]
    keep.add(Path(str(crds["crds"][0])).parent.name)  # type: ignore[index]
    current = {"programs": programs, "versions": versions, "crds": crds["crds"]}
    root = cache_root()
    tmp = root / "current.json.tmp"
    tmp.write_text(json.dumps(current, indent=2) + "\n")
    tmp.replace(root / "current.json")
    prune(keep)
    print(
        f"real tier ready in {time.monotonic() - started:.0f} s: {len(programs)} programs "
        f"({size / 2**20:.0f} MiB) in {root}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
