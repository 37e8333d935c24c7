"""What a differential case runs against: an engine (the simulator or a real control plane)
reached only through its kubeconfig, with the real kubectl and the ``kubernetes`` client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

KUBECTL_TIMEOUT_SECONDS = 45


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status code and the decoded JSON body (None when not JSON)."""

    code: int
    body: Any
    text: str


@dataclass
class Engine:
    """A running API server: ``name`` ("sim" or "real"), its kubeconfig and context."""

    name: str
    kubeconfig: Path
    context: str
    home: Path
    _api: client.ApiClient | None = field(default=None, repr=False)

    def kubectl(self, *args: str, stdin: str = "") -> tuple[int, str, str]:
        """Run the real kubectl; returns (exit code, stdout, stderr)."""
        binary = Path(sys.executable).parent / "kubectl"
        done = subprocess.run(
            [
                str(binary),
                f"--kubeconfig={self.kubeconfig}",
                f"--context={self.context}",
                f"--cache-dir={self.home / 'kubectl-cache'}",
                *args,
            ],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=KUBECTL_TIMEOUT_SECONDS,
            check=False,
            env={**os.environ, "HOME": str(self.home), "KUBECONFIG": ""},
        )
        return done.returncode, done.stdout, done.stderr

    @property
    def api(self) -> client.ApiClient:
        if self._api is None:
            self._api = config.new_client_from_config(
                config_file=str(self.kubeconfig), context=self.context
            )
        return self._api

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Reply:
        """One raw request through the ``kubernetes`` client's transport (its kubeconfig
        loading, TLS and credentials); the body is sent as JSON."""
        api = self.api
        url = api.configuration.host + path + ("?" + urlencode(query) if query else "")
        headers = {"Accept": "application/json", "Content-Type": content_type}
        for auth in api.configuration.auth_settings().values():
            if auth.get("in") == "header" and auth.get("value"):
                headers[auth["key"]] = auth["value"]
        try:
            response = api.call_api(
                method, url, header_params=headers, body=body, _request_timeout=30
            )
            raw: Any = response.response.read()
            code = int(response.response.status)
        except ApiException as err:
            raw, code = err.body or b"", int(err.status)
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        try:
            decoded: Any = json.loads(text)
        except ValueError:
            decoded = None
        return Reply(code, decoded, text)

    def close(self) -> None:
        if self._api is not None:
            self._api.close()
