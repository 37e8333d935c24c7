"""The real kustomize-controller on the real engine, fed by a stand-in source-controller.

kustomize-controller is the real program (built by ``make real-cluster``). It needs a
source-controller to publish the GitOps repository as an artifact; source-controller
cannot be built here (its ``fluxcd/pkg/artifact`` dependency is not served), so
:class:`SourceStandIn` does that one job as source-controller does it: the repository,
packed as a gzipped tarball, is served over HTTP on 127.0.0.1, and every GitRepository's
``status.artifact`` (url, revision, sha256 digest, size) and Ready condition point at it.

The repository is the scenario's: every object labelled as applied by a Flux
Kustomization is written under that Kustomization's ``spec.path``, without the labels
kustomize-controller adds itself. So with the real kustomize-controller a scenario is a
repository state (plus what it says of HelmReleases, Jobs and pods), and a Kustomization's
conditions, inventory, health checks and dependsOn waits are the real controller's.
"""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import tarfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from glmctl.realcluster.api_store import ApiStore
from glmctl.sim.contracts import Obj, Scenario
from glmctl.sim.controllers.base import manifest_of

KS_LABEL_PREFIX = "kustomize.toolkit.fluxcd.io/"
GITREPOSITORIES = ("source.toolkit.fluxcd.io", "gitrepositories")
EMPTY_KUSTOMIZATION = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"


def repository_files(scenario: Scenario) -> dict[str, str]:
    """The GitOps repository a scenario implies: path -> file text."""
    paths = {
        str(obj["metadata"]["name"]): str(obj["spec"].get("path") or ".").strip("./") or "."
        for obj in scenario.objects
        if obj.get("kind") == "Kustomization"
    }
    by_dir: dict[str, list[Obj]] = {path: [] for path in paths.values()}
    for obj in scenario.objects:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        owner = labels.get(KS_LABEL_PREFIX + "name")
        if owner not in paths:
            continue
        manifest = manifest_of(obj)
        kept = {k: v for k, v in labels.items() if not k.startswith(KS_LABEL_PREFIX)}
        if kept:
            manifest["metadata"]["labels"] = kept
        else:
            manifest["metadata"].pop("labels", None)
        by_dir[paths[str(owner)]].append(manifest)
    files = {}
    for directory, objects in by_dir.items():
        if objects:
            text = "---\n".join(yaml.safe_dump(o, sort_keys=False) for o in objects)
            files[f"{directory}/manifests.yaml"] = text
        else:
            files[f"{directory}/kustomization.yaml"] = EMPTY_KUSTOMIZATION + "resources: []\n"
    return files


def tarball(files: dict[str, str]) -> bytes:
    """A deterministic gzipped tarball of ``files`` (as source-controller archives)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            data = files[name].encode()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class SourceStandIn:
    """Serves the scenario's repository and keeps every GitRepository pointing at it."""

    def __init__(self, scenario: Scenario) -> None:
        self.blob = tarball(repository_files(scenario))
        self.digest = "sha256:" + hashlib.sha256(self.blob).hexdigest()
        self.revision = "main@sha1:" + hashlib.sha1(self.blob).hexdigest()
        blob = self.blob

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/gzip")
                self.send_header("Content-Length", str(len(blob)))
                self.end_headers()
                self.wfile.write(blob)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="glmctl-source", daemon=True
        )
        self._published: set[tuple[str, int]] = set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def tick(self, store: ApiStore) -> None:
        """Publish the artifact on every GitRepository not yet pointing at it."""
        for repo in store.list(*GITREPOSITORIES):
            meta = repo["metadata"]
            key = (str(meta.get("uid")), int(meta.get("generation", 1)))
            if key in self._published:
                continue
            store.patch_status(
                *GITREPOSITORIES, meta["namespace"], meta["name"], self._status(repo)
            )
            self._published.add(key)

    def _status(self, repo: Obj) -> Obj:
        meta = repo["metadata"]
        generation = int(meta.get("generation", 1))
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        path = f"gitrepository/{meta['namespace']}/{meta['name']}/{self.digest[7:19]}.tar.gz"
        port = self._httpd.server_address[1]
        message = f"stored artifact for revision '{self.revision}'"
        return {
            "observedGeneration": generation,
            "artifact": {
                "digest": self.digest,
                "lastUpdateTime": now,
                "path": path,
                "revision": self.revision,
                "size": len(self.blob),
                "url": f"http://127.0.0.1:{port}/{path}",
            },
            "conditions": [
                {
                    "type": kind,
                    "status": "True",
                    "reason": "Succeeded",
                    "message": message,
                    "lastTransitionTime": now,
                    "observedGeneration": generation,
                }
                for kind in ("Ready", "ArtifactInStorage")
            ],
        }


def kustomize_controller_command(binary: Path) -> list[str]:
    """The real kustomize-controller, out of cluster, listening on loopback only."""
    return [
        str(binary),
        "--metrics-addr=127.0.0.1:0",
        "--health-addr=127.0.0.1:0",
        "--events-addr=",
        "--no-remote-bases",
        "--requeue-dependency=2s",
        "--log-level=info",
    ]


def kustomize_controller_env(kubeconfig: Path) -> dict[str, str]:
    """controller-runtime reads KUBECONFIG; Flux reads its namespace from RUNTIME_NAMESPACE."""
    return {**os.environ, "KUBECONFIG": str(kubeconfig), "RUNTIME_NAMESPACE": "flux-system"}
