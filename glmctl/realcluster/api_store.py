"""The simulator's controller contract (:class:`glmctl.sim.contracts.SimStore`) over a real
API server's HTTP API.

With it the same Kustomization, HelmRelease and ExternalSecret controllers that give the
simulator life act on a real kube-apiserver, as real controllers do: through requests that
the server validates, versions and admits. This is the world's own small client (it shares
no code with glmctl's ``cluster/`` gateway, so a misunderstanding of the API on one side
is not hidden by the other).
"""

from __future__ import annotations

import json
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from typing import Any

from glmctl.sim.contracts import Obj
from glmctl.sim.store import ApiError, event_for

_TIMEOUT = 15.0


class ApiStore:
    """A thread-safe, admin-credentialed client with the controllers' store methods."""

    def __init__(self, url: str, token: str, ca_pem: bytes) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self._tls = ssl.create_default_context(cadata=ca_pem.decode())
        self._tls.check_hostname = False  # the certificate names 127.0.0.1, checked by CA
        self._lock = threading.Lock()
        self._resources: dict[tuple[str, str], tuple[str, bool, str]] = {}
        self._by_kind: dict[tuple[str, str], tuple[str, str]] = {}
        self.logs: dict[tuple[str, str], str] = {}

    # ------------------------------------------------------------------ transport

    def request(
        self,
        method: str,
        path: str,
        body: Obj | None = None,
        *,
        query: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        """One request; the decoded JSON answer, or :class:`ApiError` with its Status."""
        target = self.url + path
        if query:
            target += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(target, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self._token}")
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT, context=self._tls) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as error:
            raw = error.read()
            try:
                status = json.loads(raw)
            except ValueError:
                status = {}
            raise ApiError(
                error.code, str(status.get("reason", "")), str(status.get("message", raw[:200]))
            ) from None
        return json.loads(raw) if raw else None

    # ------------------------------------------------------------------ discovery

    def _discover(self) -> None:
        found: dict[tuple[str, str], tuple[str, bool, str]] = {}
        kinds: dict[tuple[str, str], tuple[str, str]] = {}
        versions = [("", "v1", "/api/v1")]
        for group in self.request("GET", "/apis").get("groups", []):
            preferred = group["preferredVersion"]["version"]
            versions.append((group["name"], preferred, f"/apis/{group['name']}/{preferred}"))
        for group, version, path in versions:
            try:
                listing = self.request("GET", path)
            except ApiError:
                continue  # an aggregated API that is not available yet
            for res in listing.get("resources", []):
                if "/" in res["name"]:
                    continue
                found[(group, res["name"])] = (version, bool(res["namespaced"]), res["kind"])
                api_version = f"{group}/{version}" if group else version
                kinds[(api_version, res["kind"])] = (group, res["name"])
                kinds.setdefault(("*" + group, res["kind"]), (group, res["name"]))
        with self._lock:
            self._resources, self._by_kind = found, kinds

    def resource(self, group: str, plural: str) -> tuple[str, bool, str]:
        """(version, namespaced, kind) of a served resource; discovery is refreshed once."""
        key = (group, plural)
        if key not in self._resources:
            self._discover()
        if key not in self._resources:
            raise ApiError(404, "NotFound", f"the server does not serve {plural}.{group}")
        return self._resources[key]

    def resource_of(self, obj: Obj) -> tuple[str, str]:
        api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
        group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
        for key in ((api_version, kind), ("*" + group, kind)):
            if key in self._by_kind:
                return self._by_kind[key]
        self._discover()
        for key in ((api_version, kind), ("*" + group, kind)):
            if key in self._by_kind:
                return self._by_kind[key]
        raise ApiError(404, "NotFound", f"no resource serves {kind} in {api_version}")

    def path(self, group: str, plural: str, namespace: str | None, name: str | None = None) -> str:
        version, namespaced, _ = self.resource(group, plural)
        base = f"/apis/{group}/{version}" if group else f"/api/{version}"
        if namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{plural}"
        return base + (f"/{name}" if name else "")

    # ------------------------------------------------------------------ SimStore

    def now(self) -> datetime:
        return datetime.now(UTC)

    def list(self, group: str, plural: str, namespace: str | None = None) -> list[Obj]:
        version, _, kind = self.resource(group, plural)
        answer = self.request("GET", self.path(group, plural, namespace))
        api_version = f"{group}/{version}" if group else version
        items = answer.get("items") or []
        for item in items:  # list items carry no kind; controllers expect whole objects
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
        return list(items)

    def get(self, group: str, plural: str, namespace: str | None, name: str) -> Obj | None:
        try:
            found: Obj = self.request("GET", self.path(group, plural, namespace, name))
        except ApiError as error:
            if error.code == 404:
                return None
            raise
        return found

    def create(self, obj: Obj) -> Obj:
        group, plural = self.resource_of(obj)
        namespace = (obj.get("metadata") or {}).get("namespace")
        created: Obj = self.request("POST", self.path(group, plural, namespace), obj)
        return created

    def _with_version(self, obj: Obj, group: str, plural: str) -> Obj:
        """Controllers write unconditionally (no resourceVersion); custom resources demand
        one, so take the current one: a conflict then means someone wrote in between."""
        meta = obj.get("metadata") or {}
        if meta.get("resourceVersion"):
            return obj
        current = self.get(group, plural, meta.get("namespace"), str(meta.get("name")))
        if current is None:
            raise ApiError(404, "NotFound", f"{plural} {meta.get('name')!r} not found")
        return {
            **obj,
            "metadata": {**meta, "resourceVersion": current["metadata"]["resourceVersion"]},
        }

    def update(self, obj: Obj) -> Obj:
        group, plural = self.resource_of(obj)
        obj = self._with_version(obj, group, plural)
        meta = obj["metadata"]
        updated: Obj = self.request(
            "PUT", self.path(group, plural, meta.get("namespace"), meta["name"]), obj
        )
        return updated

    def update_status(self, obj: Obj) -> Obj:
        group, plural = self.resource_of(obj)
        obj = self._with_version(obj, group, plural)
        meta = obj["metadata"]
        path = self.path(group, plural, meta.get("namespace"), meta["name"]) + "/status"
        updated: Obj = self.request("PUT", path, obj)
        return updated

    def patch_status(
        self, group: str, plural: str, namespace: str | None, name: str, status: Obj
    ) -> Obj:
        """Merge ``status`` in without a resourceVersion: for writers that own the fields."""
        path = self.path(group, plural, namespace, name) + "/status"
        patched: Obj = self.request(
            "PATCH", path, {"status": status}, content_type="application/merge-patch+json"
        )
        return patched

    def delete(
        self,
        group: str,
        plural: str,
        namespace: str | None,
        name: str,
        propagation: str = "Background",
    ) -> None:
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
        try:
            self.request("DELETE", self.path(group, plural, namespace, name), body)
        except ApiError as error:
            if error.code != 404:
                raise

    def record_event(
        self, involved: Obj, reason: str, message: str, event_type: str = "Normal"
    ) -> None:
        moment = self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        event = event_for(involved, reason, message, event_type, moment)
        self.create(event)

    def set_pod_log(self, namespace: str, name: str, text: str) -> None:
        """Logs live with the simulated kubelet, which serves them to the API server."""
        with self._lock:
            self.logs[(namespace, name)] = text

    def pod_log(self, namespace: str, name: str) -> str | None:
        with self._lock:
            return self.logs.get((namespace, name))
