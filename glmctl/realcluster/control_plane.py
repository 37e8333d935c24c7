"""Start and stop a real etcd, kube-apiserver and kube-controller-manager on loopback.

Everything lives in one private temporary directory (data, certificates, tokens,
kubeconfigs) that :meth:`ControlPlane.stop` removes. Every child is started in its own
process group with ``PR_SET_PDEATHSIG``: if the Python process that started it dies, even
by SIGKILL, the kernel ends the child too, so no orphan etcd outlives a killed test.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from glmctl.errors import GlmctlError
from glmctl.realcluster.binaries import Binaries
from glmctl.sim.kubeconfig import self_signed_cert, write_kubeconfig

log = logging.getLogger(__name__)

SERVICE_RANGE = "10.96.0.0/24"  # an address allocator's range: nothing ever connects to it
READY_TIMEOUT = 90.0
STOP_GRACE = 2.0
_PR_SET_PDEATHSIG = 1


_REAPER = """
import os, shutil, signal, sys
def reap(*_):
    for path in sys.argv[1:]:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        elif os.path.exists(path):
            os.unlink(path)
    sys.exit(0)
signal.signal(signal.SIGTERM, reap)
signal.signal(signal.SIGINT, signal.SIG_IGN)
if os.getppid() == 1:
    reap()
signal.pause()
"""


class ControlPlaneFailed(GlmctlError):
    """A real control-plane program would not start; the message names it."""


def _die_with_parent() -> None:
    """In the child, before exec: be killed when the parent dies. SIGKILL: a throwaway
    etcd or API server has nothing to save, and their graceful shutdown takes seconds."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _reap_with_parent() -> None:
    """In the reaper, before exec: SIGTERM when the parent dies, so it can clean up."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _private_file(path: Path, data: bytes) -> Path:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return path


def _service_account_key() -> tuple[bytes, bytes]:
    """An EC P-256 key pair (PEM private, PEM public) for signing service-account tokens."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


@dataclass
class _Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path


@dataclass
class ControlPlane:
    """A running control plane; :meth:`stop` ends every program and removes every file."""

    binaries: Binaries
    url: str = ""
    admin_token: str = field(default="", repr=False)
    ca_pem: bytes = b""
    workdir: Path = field(default_factory=Path)
    users: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict, repr=False)
    _children: list[_Child] = field(default_factory=list)
    _tempdir: tempfile.TemporaryDirectory[str] | None = None

    def start(self, *, controllers: str = "*", also_remove: tuple[Path, ...] = ()) -> None:
        """etcd, then the API server (waits for /readyz), then the controller manager.

        ``also_remove`` are files outside the work directory (a kubeconfig) that the reaper
        removes with it if this process dies without calling :meth:`stop`.
        """
        self._tempdir = tempfile.TemporaryDirectory(prefix="glmctl-real-")
        self.workdir = Path(self._tempdir.name)
        try:
            self._start_reaper([self.workdir, *also_remove])
            self._start_etcd()
            self._start_apiserver()
            self._start_controller_manager(controllers)
        except BaseException:
            self.stop()
            raise

    def add_user(self, token: str, name: str, groups: tuple[str, ...] = ()) -> None:
        """Users must be known before :meth:`start`: the token file is read once."""
        self.users[token] = (name, groups)

    # ------------------------------------------------------------------ programs

    def _start_reaper(self, paths: list[Path]) -> None:
        """A tiny child that waits; when this process dies (even by SIGKILL) the kernel
        sends it SIGTERM, and it removes ``paths``: no kubeconfig with a live token, no
        etcd data, is left behind by a killed test or a killed ``sim serve``."""
        self._reaper = subprocess.Popen(
            [sys.executable, "-c", _REAPER, *map(str, paths)],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_reap_with_parent,
        )

    def start_program(self, name: str, args: list[str], env: dict[str, str]) -> None:
        """Start another built program beside the control plane (a Flux controller): it
        dies with this process and stops with :meth:`stop`, like the others."""
        self._spawn(name, args, env)

    def _spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> _Child:
        log_path = self.workdir / f"{name}.log"
        with open(log_path, "wb") as out:
            process = subprocess.Popen(
                [str(self.binaries.path(name)), *args],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        child = _Child(name, process, log_path)
        self._children.append(child)
        return child

    def _start_etcd(self) -> None:
        client, peer = free_port(), free_port()
        self._etcd_url = f"http://127.0.0.1:{client}"
        child = self._spawn(
            "etcd",
            [
                "--name=glmctl",
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls={self._etcd_url}",
                f"--advertise-client-urls={self._etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=glmctl=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
        )
        self._wait_http(child, f"{self._etcd_url}/health", None)

    def _start_apiserver(self) -> None:
        cert = self_signed_cert()
        self.ca_pem = cert.cert_pem
        tls_crt = _private_file(self.workdir / "apiserver.crt", cert.cert_pem)
        tls_key = _private_file(self.workdir / "apiserver.key", cert.key_pem)
        sa_private, sa_public = _service_account_key()
        self._sa_key = _private_file(self.workdir / "sa.key", sa_private)
        sa_pub = _private_file(self.workdir / "sa.pub", sa_public)
        self.admin_token = secrets.token_urlsafe(24)
        self._manager_token = secrets.token_urlsafe(24)
        rows = [f'{self.admin_token},glmctl-admin,glmctl-admin,"system:masters"']
        rows.append(f'{self._manager_token},system:kube-controller-manager,kcm,"system:masters"')
        for token, (name, groups) in self.users.items():
            rows.append(f'{token},{name},{name},"{",".join(groups)}"')
        tokens = _private_file(self.workdir / "tokens.csv", ("\n".join(rows) + "\n").encode())
        port = free_port()
        self.url = f"https://127.0.0.1:{port}"
        child = self._spawn(
            "kube-apiserver",
            [
                f"--etcd-servers={self._etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={port}",
                f"--tls-cert-file={tls_crt}",
                f"--tls-private-key-file={tls_key}",
                f"--token-auth-file={tokens}",
                "--authorization-mode=RBAC",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={sa_pub}",
                f"--service-account-signing-key-file={self._sa_key}",
                f"--service-cluster-ip-range={SERVICE_RANGE}",
                "--endpoint-reconciler-type=none",
                "--kubelet-preferred-address-types=InternalIP",
                "--allow-privileged=true",
                "--profiling=false",
                "--enable-priority-and-fairness=false",
                f"--cert-dir={self.workdir / 'certs'}",
                "--v=1",
            ],
        )
        self._wait_http(child, f"{self.url}/readyz", self.admin_token)

    def _start_controller_manager(self, controllers: str) -> None:
        kubeconfig = write_kubeconfig(
            self.workdir / "controller-manager.kubeconfig",
            self.url,
            self._manager_token,
            self.ca_pem,
            context="controller-manager",
        )
        ca = _private_file(self.workdir / "ca.crt", self.ca_pem)
        self._spawn(
            "kube-controller-manager",
            [
                f"--kubeconfig={kubeconfig}",
                "--bind-address=127.0.0.1",
                "--secure-port=0",
                "--leader-elect=false",
                f"--controllers={controllers}",
                f"--service-account-private-key-file={self._sa_key}",
                f"--root-ca-file={ca}",
                "--use-service-account-credentials=false",
                "--concurrent-job-syncs=5",
                "--v=1",
            ],
        )

    def _wait_http(self, child: _Child, url: str, token: str | None) -> None:
        """Poll ``url`` until 200, the program exits, or READY_TIMEOUT passes."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # our own fresh certificate, on loopback
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if child.process.poll() is not None:
                raise ControlPlaneFailed(
                    f"{child.name} exited with {child.process.returncode} while starting.",
                    hint=self._tail(child),
                )
            request = urllib.request.Request(url)
            if token:
                request.add_header("Authorization", f"Bearer {token}")
            try:
                with urllib.request.urlopen(request, timeout=2, context=context) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise ControlPlaneFailed(
            f"{child.name} did not become ready in {READY_TIMEOUT:.0f} s.", hint=self._tail(child)
        )

    @staticmethod
    def _tail(child: _Child) -> str:
        try:
            lines = child.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "last lines of its log: " + " | ".join(lines[-3:])

    def logs(self) -> dict[str, str]:
        """Each program's log so far (for a failing test's report)."""
        found = {}
        for child in self._children:
            try:
                found[child.name] = child.log_path.read_text(errors="replace")
            except OSError:
                continue
        return found

    # ------------------------------------------------------------------ stop

    def stop(self) -> None:
        """SIGTERM every program (newest first), SIGKILL what is left after a grace of
        STOP_GRACE seconds (nothing here has state worth a slow drain); remove the files."""
        for child in reversed(self._children):
            if child.process.poll() is None:
                try:
                    os.killpg(child.process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.monotonic() + STOP_GRACE
        for child in reversed(self._children):
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait(timeout=5)
        self._children.clear()
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir.name, ignore_errors=True)
            self._tempdir = None
        reaper = getattr(self, "_reaper", None)
        if reaper is not None and reaper.poll() is None:
            reaper.terminate()  # it removes what is already gone
            reaper.wait(timeout=5)
