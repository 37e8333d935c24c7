"""The connection a kubeconfig describes, over real TLS: CA files relative to the kubeconfig,
client certificates (mutual TLS), basic auth, ``insecure-skip-tls-verify``, ``tls-server-name``
and token files, each against a small HTTPS server that checks what it receives."""

from __future__ import annotations

import base64
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from glmctl.cluster.client import Cluster
from glmctl.errors import ClusterUnreachable, KubeconfigError
from glmctl.sim.kubeconfig import ServingCert, self_signed_cert


@dataclass
class Seen:
    """What the server saw of the last request."""

    authorization: str | None = None
    client_subject: str | None = None
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Api:
    """An HTTPS server answering ``/version``; optionally requiring a client certificate."""

    def __init__(self, serving: ServingCert, client_ca: bytes | None) -> None:
        self.seen = Seen()
        seen = self.seen

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                peer: Any = self.connection.getpeercert()  # type: ignore[attr-defined]
                with seen.lock:
                    seen.requests += 1
                    seen.authorization = self.headers.get("Authorization")
                    seen.client_subject = (
                        dict(item[0] for item in peer["subject"])["commonName"] if peer else None
                    )
                body = json.dumps({"gitVersion": "v1.36.0"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        context = serving.server_context()
        if client_ca is not None:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(cadata=client_ca.decode())
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def serving() -> ServingCert:
    return self_signed_cert()


@pytest.fixture
def client() -> ServingCert:
    return self_signed_cert(common_name="alice", client=True)


@pytest.fixture
def api(serving: ServingCert) -> Iterator[_Api]:
    server = _Api(serving, client_ca=None)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mtls_api(serving: ServingCert, client: ServingCert) -> Iterator[_Api]:
    server = _Api(serving, client_ca=client.cert_pem)
    try:
        yield server
    finally:
        server.stop()


def _kubeconfig(path: Path, server: str, cluster: dict[str, Any], user: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server, **cluster}}],
        "users": [{"name": "u", "user": user}],
        "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "ctx",
    }
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _version(kubeconfig: Path) -> str:
    with Cluster.connect(kubeconfig) as cluster:
        return cluster.server_version()


def test_client_certificate_files_relative_to_the_kubeconfig_authenticate_over_mtls(
    mtls_api: _Api, serving: ServingCert, client: ServingCert, tmp_path: Path
) -> None:
    certs = tmp_path / "kube" / "certs"
    certs.mkdir(parents=True)
    (certs / "ca.crt").write_bytes(serving.cert_pem)
    (certs / "alice.crt").write_bytes(client.cert_pem)
    (certs / "alice.key").write_bytes(client.key_pem)
    kubeconfig = _kubeconfig(
        tmp_path / "kube" / "config",
        mtls_api.url,
        {"certificate-authority": "certs/ca.crt"},
        {"client-certificate": "certs/alice.crt", "client-key": "certs/alice.key"},
    )
    assert _version(kubeconfig) == "v1.36.0"
    assert mtls_api.seen.client_subject == "alice"
    assert mtls_api.seen.authorization is None


def test_client_certificate_data_leaves_no_key_file_behind(
    mtls_api: _Api,
    serving: ServingCert,
    client: ServingCert,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    kubeconfig = _kubeconfig(
        tmp_path / "config",
        mtls_api.url,
        {"certificate-authority-data": _b64(serving.cert_pem)},
        {
            "client-certificate-data": _b64(client.cert_pem),
            "client-key-data": _b64(client.key_pem),
        },
    )
    assert _version(kubeconfig) == "v1.36.0"
    assert mtls_api.seen.client_subject == "alice"
    assert list(scratch.iterdir()) == []


def test_without_the_client_certificate_the_mtls_server_refuses(
    mtls_api: _Api, serving: ServingCert, tmp_path: Path
) -> None:
    kubeconfig = _kubeconfig(
        tmp_path / "config",
        mtls_api.url,
        {"certificate-authority-data": _b64(serving.cert_pem)},
        {"token": "abc"},
    )
    with pytest.raises(ClusterUnreachable):
        _version(kubeconfig)


def test_a_certificate_without_its_key_is_one_sentence(
    api: _Api, serving: ServingCert, client: ServingCert, tmp_path: Path
) -> None:
    kubeconfig = _kubeconfig(
        tmp_path / "config",
        api.url,
        {"certificate-authority-data": _b64(serving.cert_pem)},
        {"client-certificate-data": _b64(client.cert_pem)},
    )
    with pytest.raises(KubeconfigError, match="not both"):
        _version(kubeconfig)


def test_the_kubeconfig_ca_is_the_only_one_trusted(
    api: _Api, client: ServingCert, tmp_path: Path
) -> None:
    kubeconfig = _kubeconfig(
        tmp_path / "config",
        api.url,
        {"certificate-authority-data": _b64(client.cert_pem)},  # not the server's CA
        {"token": "abc"},
    )
    with pytest.raises(ClusterUnreachable, match="certificate"):
        _version(kubeconfig)
    assert api.seen.requests == 0


def test_insecure_skip_tls_verify_connects_without_a_ca(api: _Api, tmp_path: Path) -> None:
    kubeconfig = _kubeconfig(
        tmp_path / "config", api.url, {"insecure-skip-tls-verify": True}, {"token": "abc"}
    )
    assert _version(kubeconfig) == "v1.36.0"
    assert api.seen.authorization == "Bearer abc"


def test_tls_server_name_verifies_the_certificate_under_that_name(
    api: _Api, serving: ServingCert, tmp_path: Path
) -> None:
    ca = {"certificate-authority-data": _b64(serving.cert_pem)}
    good = _kubeconfig(
        tmp_path / "good", api.url, {**ca, "tls-server-name": "localhost"}, {"token": "t"}
    )
    assert _version(good) == "v1.36.0"
    bad = _kubeconfig(
        tmp_path / "bad", api.url, {**ca, "tls-server-name": "elsewhere.example"}, {"token": "t"}
    )
    with pytest.raises(ClusterUnreachable):
        _version(bad)


def test_basic_auth_is_sent_as_kubectl_sends_it(
    api: _Api, serving: ServingCert, tmp_path: Path
) -> None:
    kubeconfig = _kubeconfig(
        tmp_path / "config",
        api.url,
        {"certificate-authority-data": _b64(serving.cert_pem)},
        {"username": "admin", "password": "s3cret"},
    )
    assert _version(kubeconfig) == "v1.36.0"
    assert api.seen.authorization == "Basic " + _b64(b"admin:s3cret")


def test_a_token_file_wins_over_the_token_and_resolves_beside_the_kubeconfig(
    api: _Api, serving: ServingCert, tmp_path: Path
) -> None:
    (tmp_path / "kube").mkdir()
    (tmp_path / "kube" / "token").write_text("from-file\n", encoding="utf-8")
    kubeconfig = _kubeconfig(
        tmp_path / "kube" / "config",
        api.url,
        {"certificate-authority-data": _b64(serving.cert_pem)},
        {"token": "inline", "tokenFile": "token"},
    )
    assert _version(kubeconfig) == "v1.36.0"
    assert api.seen.authorization == "Bearer from-file"


def test_an_auth_provider_without_a_token_points_at_exec_plugins(api: _Api, tmp_path: Path) -> None:
    kubeconfig = _kubeconfig(
        tmp_path / "config",
        api.url,
        {"insecure-skip-tls-verify": True},
        {"auth-provider": {"name": "oidc", "config": {"idp-issuer-url": "https://idp"}}},
    )
    with pytest.raises(KubeconfigError, match="auth-provider 'oidc'") as raised:
        _version(kubeconfig)
    assert "exec credential plugin" in str(raised.value.hint)


def test_an_unreadable_ca_file_names_the_path(api: _Api, tmp_path: Path) -> None:
    kubeconfig = _kubeconfig(
        tmp_path / "config", api.url, {"certificate-authority": "missing/ca.crt"}, {"token": "t"}
    )
    with pytest.raises(KubeconfigError, match=r"missing/ca\.crt"):
        _version(kubeconfig)


def test_the_ca_fingerprint_is_of_the_kubeconfig_ca(
    api: _Api, serving: ServingCert, tmp_path: Path
) -> None:
    import hashlib

    kubeconfig = _kubeconfig(
        tmp_path / "config",
        api.url,
        {"certificate-authority-data": _b64(serving.cert_pem)},
        {"token": "t"},
    )
    with Cluster.connect(kubeconfig) as cluster:
        der = ssl.PEM_cert_to_DER_cert(serving.cert_pem.decode())
        assert cluster.ca_fingerprint() == hashlib.sha256(der).hexdigest()
