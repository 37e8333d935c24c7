"""How clients reach a running simulator: its TLS certificate and a kubeconfig.

The server speaks HTTPS with a self-signed certificate for 127.0.0.1 because kubectl
(client-go) never sends a bearer token over plain HTTP; the kubeconfig carries that
certificate as its ``certificate-authority-data`` so both kubectl and the ``kubernetes``
client verify the connection instead of skipping verification.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

CONTEXT = "glmctl-sim"


@dataclass(frozen=True)
class ServingCert:
    """A PEM certificate (its own CA) and its private key."""

    cert_pem: bytes
    key_pem: bytes

    def server_context(self) -> ssl.SSLContext:
        """A TLS server context; ``ssl`` loads keys only from files, so they pass through
        a private temporary directory that is removed at once."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory(prefix="glmctl-sim-tls-") as tmp:
            cert, key = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
            cert.write_bytes(self.cert_pem)
            fd = os.open(key, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(self.key_pem)
            context.load_cert_chain(cert, key)
        return context


def self_signed_cert(
    host: str = "127.0.0.1", *, common_name: str = "glmctl-sim", client: bool = False
) -> ServingCert:
    """A fresh P-256 certificate valid for ``host`` and localhost, for one simulator run;
    with ``client`` a client certificate for user ``common_name`` (tests of mutual TLS)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return ServingCert(
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def kubeconfig_text(
    server: str,
    token: str,
    ca_pem: bytes,
    *,
    context: str = CONTEXT,
    namespace: str = "default",
) -> str:
    """YAML for one cluster, one token user and one current context."""
    q = json.dumps
    ca = base64.b64encode(ca_pem).decode()
    return (
        "apiVersion: v1\n"
        "kind: Config\n"
        "clusters:\n"
        f"- name: {q(context)}\n"
        "  cluster:\n"
        f"    server: {q(server)}\n"
        f"    certificate-authority-data: {q(ca)}\n"
        "users:\n"
        f"- name: {q(context)}\n"
        "  user:\n"
        f"    token: {q(token)}\n"
        "contexts:\n"
        f"- name: {q(context)}\n"
        "  context:\n"
        f"    cluster: {q(context)}\n"
        f"    user: {q(context)}\n"
        f"    namespace: {q(namespace)}\n"
        f"current-context: {q(context)}\n"
    )


def write_kubeconfig(
    path: Path, server: str, token: str, ca_pem: bytes, *, context: str = CONTEXT
) -> Path:
    """Write the kubeconfig readable only by its owner (it holds a token)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(kubeconfig_text(server, token, ca_pem, context=context))
    return path
