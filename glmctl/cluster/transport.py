"""The HTTP connection to an API server: TLS and credentials of one kubeconfig context.

glmctl used to borrow this from the ``kubernetes`` package (its ``Configuration``,
kubeconfig loader and ``ApiClient``), but it sent raw JSON through them and read the
kubeconfig itself (``kubeconfig.py``), and importing that package costs about 220 ms on
every cluster command (its ``__init__`` imports every model class, the dynamic client and
websockets) — a third of ``preflight``. What remains is small and lives here:

- :class:`Credentials`: what one context's cluster and user entries say (CA, client
  certificate, token, basic auth, ``insecure-skip-tls-verify``, ``tls-server-name``,
  ``proxy-url``), with file paths resolved against the kubeconfig that named them, as
  kubectl does, and secrets kept out of ``repr``;
- :class:`Transport`: a urllib3 pool with an ``ssl`` context built from them. It trusts
  only the kubeconfig's CA when one is given (client-go's rule), else the system's.

Client certificates given as data pass through a private temporary directory, because
``ssl`` loads keys only from files; the directory is removed before the first request.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glmctl.errors import KubeconfigError

if TYPE_CHECKING:
    import ssl

    import urllib3

POOL_SIZE = 16
"""Connections kept per host: runbook steps read concurrently through one Cluster."""

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")


@dataclass(frozen=True)
class Credentials:
    """How to reach and authenticate to one API server (one kubeconfig context)."""

    server: str
    ca_pem: bytes | None = None
    verify: bool = True
    tls_server_name: str | None = None
    proxy_url: str | None = None
    client_cert_pem: bytes | None = field(default=None, repr=False)
    client_key_pem: bytes | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)

    def auth_headers(self) -> dict[str, str]:
        """The ``Authorization`` header these credentials send (none for certificates)."""
        if self.token:
            return {"Authorization": f"Bearer {self.token}"}
        if self.basic_auth is not None:
            pair = ":".join(self.basic_auth).encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        return {}


def credentials_from_kubeconfig(
    server: str,
    cluster: dict[str, Any],
    user: dict[str, Any],
    *,
    cluster_base: Path,
    user_base: Path,
    user_name: str,
) -> Credentials:
    """The credentials of a context whose cluster and user entries are ``cluster`` and
    ``user`` (an exec plugin already replaced by what it printed). Relative paths resolve
    against the directory of the kubeconfig file that defined each entry, as kubectl's do."""
    token = _token(user, user_base, user_name)
    username, password = user.get("username"), user.get("password")
    return Credentials(
        server=server,
        ca_pem=_pem(cluster, "certificate-authority", cluster_base),
        verify=not bool(cluster.get("insecure-skip-tls-verify")),
        tls_server_name=_optional_str(cluster.get("tls-server-name")),
        proxy_url=_optional_str(cluster.get("proxy-url")),
        client_cert_pem=_pem(user, "client-certificate", user_base),
        client_key_pem=_pem(user, "client-key", user_base),
        token=token,
        basic_auth=(str(username), str(password)) if username and password else None,
    )


def in_cluster_credentials(server: str, directory: Path = SERVICE_ACCOUNT_DIR) -> Credentials:
    """A pod's own service account: its token and CA, read now (the token rotates)."""
    try:
        token = (directory / "token").read_text(encoding="utf-8").strip()
        ca_pem = (directory / "ca.crt").read_bytes()
    except OSError as error:
        raise KubeconfigError(
            f"could not read the pod's service account credentials: {error.strerror or error} "
            f"({directory}).",
            hint="Outside a pod, pass --kubeconfig PATH or set KUBECONFIG.",
        ) from error
    return Credentials(server=server, ca_pem=ca_pem, token=token)


def _token(user: dict[str, Any], base: Path, user_name: str) -> str | None:
    """client-go's order: a readable ``tokenFile`` wins over ``token``; a legacy
    ``auth-provider`` is honoured only for the token it already holds."""
    token_file = user.get("tokenFile")
    if isinstance(token_file, str) and token_file:
        path = _path(token_file, base)
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise KubeconfigError(
                f"could not read the token file {path} of user {user_name!r}: "
                f"{error.strerror or error}.",
                hint="Fix the user's tokenFile in the kubeconfig.",
            ) from error
    token = user.get("token")
    if isinstance(token, str) and token:
        return token
    provider = user.get("auth-provider")
    if isinstance(provider, dict):
        config = provider.get("config")
        held = (
            (config.get("id-token") or config.get("access-token"))
            if isinstance(config, dict)
            else None
        )
        if isinstance(held, str) and held:
            return held
        raise KubeconfigError(
            f"user {user_name!r} uses the auth-provider {provider.get('name')!r}, which holds "
            "no token, and glmctl does not run auth providers.",
            hint="Use the provider's exec credential plugin (e.g. kubelogin) in the kubeconfig.",
        )
    return None


def _pem(entry: dict[str, Any], key: str, base: Path) -> bytes | None:
    """``<key>-data`` (base64) or the file ``<key>`` names."""
    data = entry.get(f"{key}-data")
    if isinstance(data, str) and data:
        try:
            return base64.b64decode(data, validate=False)
        except ValueError as error:
            raise KubeconfigError(f"the kubeconfig's {key}-data is not base64.") from error
    path = entry.get(key)
    if isinstance(path, str) and path:
        resolved = _path(path, base)
        try:
            return resolved.read_bytes()
        except OSError as error:
            raise KubeconfigError(
                f"could not read the kubeconfig's {key} {resolved}: {error.strerror or error}.",
                hint="Fix the path in the kubeconfig (relative paths are relative to its file).",
            ) from error
    return None


def _path(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class Transport:
    """A pool of connections to one API server; thread-safe for requests."""

    def __init__(self, credentials: Credentials) -> None:
        import urllib3

        self.credentials = credentials
        options: dict[str, Any] = {"maxsize": POOL_SIZE, "retries": False}
        if credentials.server.startswith("https:"):
            options["ssl_context"] = _ssl_context(credentials)
            if credentials.tls_server_name:
                options["server_hostname"] = credentials.tls_server_name
            if not credentials.verify:  # asked for in the kubeconfig: no warning per request
                options["cert_reqs"] = "CERT_NONE"
                options["assert_hostname"] = False
                urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._pool: urllib3.PoolManager = (
            _proxy_manager(credentials.proxy_url, options)
            if credentials.proxy_url
            else urllib3.PoolManager(**options)
        )
        self._auth = credentials.auth_headers()

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: list[tuple[str, str]],
        body: object | None,
        timeout: tuple[float, float],
    ) -> urllib3.BaseHTTPResponse:
        """Send one request; the response is unread (the caller reads or streams it).

        urllib3's own retries and redirects are off: the retry policy is the gateway's.
        """
        import urllib3

        merged = urllib3.HTTPHeaderDict(self._auth)
        for key, value in headers:
            merged.add(key, value)
        payload = _encode(body)
        return self._pool.request(
            method,
            url,
            body=payload,
            headers=merged,
            timeout=urllib3.Timeout(connect=timeout[0], read=timeout[1]),
            preload_content=False,
            redirect=False,
            retries=False,
        )

    def close(self) -> None:
        """Close every pooled connection."""
        self._pool.clear()


def _encode(body: object | None) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body).encode()


def _ssl_context(credentials: Credentials) -> ssl.SSLContext:
    """Trust the kubeconfig's CA only (or the system's without one); present the client
    certificate when there is one."""
    import ssl

    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if not credentials.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif credentials.ca_pem is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            context.load_verify_locations(cadata=credentials.ca_pem.decode("ascii", "replace"))
        except (ssl.SSLError, ValueError) as error:
            raise KubeconfigError(
                "the kubeconfig's certificate authority is not a PEM certificate.",
                hint="Fix certificate-authority(-data) of the cluster entry.",
            ) from error
    if credentials.client_cert_pem is not None or credentials.client_key_pem is not None:
        _load_client_certificate(context, credentials)
    return context


def _load_client_certificate(context: ssl.SSLContext, credentials: Credentials) -> None:
    import ssl

    if credentials.client_cert_pem is None or credentials.client_key_pem is None:
        raise KubeconfigError(
            "the kubeconfig's user has a client certificate or key, but not both.",
            hint="Set both client-certificate(-data) and client-key(-data).",
        )
    with tempfile.TemporaryDirectory(prefix="glmctl-tls-") as tmp:
        cert, key = Path(tmp) / "tls.crt", Path(tmp) / "tls.key"
        cert.write_bytes(credentials.client_cert_pem)
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(credentials.client_key_pem)
        try:
            context.load_cert_chain(cert, key)
        except ssl.SSLError as error:
            raise KubeconfigError(
                "the kubeconfig's client certificate and key do not load: "
                f"{error.reason or error}.",
                hint="Check that client-certificate and client-key are a PEM pair.",
            ) from error


def _proxy_manager(proxy_url: str, options: dict[str, Any]) -> urllib3.PoolManager:
    import urllib3

    if proxy_url.startswith(("socks5://", "socks5h://", "socks4://")):
        try:
            from urllib3.contrib.socks import SOCKSProxyManager
        except ImportError as error:
            raise KubeconfigError(
                f"the kubeconfig's proxy-url {proxy_url} is a SOCKS proxy, which needs PySocks.",
                hint="pip install 'urllib3[socks]' beside glmctl, or use an HTTP proxy.",
            ) from error
        return SOCKSProxyManager(proxy_url, **options)
    return urllib3.ProxyManager(proxy_url, **options)
