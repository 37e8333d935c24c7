"""A tiny HTTP client for the simulated cluster: the tests speak the wire protocol directly.

Plain urllib with the simulator's CA and bearer token, JSON in and out, so what the tests
see is exactly what kubectl or the ``kubernetes`` client would receive.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

from glmctl.sim.runner import SimHandle

Obj = dict[str, Any]

KS = "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations"
HR = "/apis/helm.toolkit.fluxcd.io/v2/namespaces/flux-system/helmreleases"
LIFECYCLE_KS = f"{KS}/infrastructure-gitops-lifecycle-management"
LIFECYCLE_HR = f"{HR}/gitops-lifecycle-management"
CSS = "/apis/external-secrets.io/v1/clustersecretstores/onepassword-connect"
REQUESTED_AT = "reconcile.fluxcd.io/requestedAt"


class Api:
    """Requests against one simulator, as its admin user."""

    def __init__(self, handle: SimHandle) -> None:
        self._base = handle.url.rstrip("/")
        self._token = handle.token
        self._tls = ssl.create_default_context(cadata=handle.ca_pem.decode())

    def request(
        self, method: str, path: str, body: Obj | None = None, content_type: str = ""
    ) -> tuple[int, Obj]:
        """Send one request; returns the status code and the decoded JSON body."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        if data is not None:
            headers["Content-Type"] = content_type or "application/json"
        request = urllib.request.Request(
            self._base + path, data=data, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, context=self._tls, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def get(self, path: str) -> Obj | None:
        """The object, or None on 404."""
        code, body = self.request("GET", path)
        if code == 404:
            return None
        assert code == 200, (code, body)
        return body

    def items(self, path: str) -> list[Obj]:
        """The items of a list request."""
        code, body = self.request("GET", path)
        assert code == 200, (code, body)
        found: list[Obj] = body["items"]
        return found

    def create(self, path: str, body: Obj) -> Obj:
        code, created = self.request("POST", path, body)
        assert code == 201, (code, created)
        return created

    def merge_patch(self, path: str, body: Obj) -> Obj:
        code, patched = self.request(
            "PATCH", path, body, content_type="application/merge-patch+json"
        )
        assert code == 200, (code, patched)
        return patched

    def delete(self, path: str) -> None:
        code, body = self.request("DELETE", path)
        assert code in (200, 202), (code, body)

    def annotate_requested_at(self, path: str, value: str, **extra: str) -> None:
        """What ``flux reconcile`` does: set the requestedAt annotation (and maybe others)."""
        self.merge_patch(path, {"metadata": {"annotations": {REQUESTED_AT: value, **extra}}})


def condition(obj: Obj | None, kind: str) -> Obj:
    """The condition of that type (empty when absent)."""
    for item in (obj or {}).get("status", {}).get("conditions", []) or []:
        if item.get("type") == kind:
            found: Obj = item
            return found
    return {}
