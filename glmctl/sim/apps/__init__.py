"""Simulated in-cluster applications behind the service proxy.

A real API server forwards ``/api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH`` to a
ready endpoint of the Service. The simulator has no pods that listen, so the Services
glmctl's smoke tests talk to are answered here instead: one module per application, each a
pure function of the request and the cluster's state (``(method, path, headers, body,
AppWorld) -> Reply``). A Service with no application behind it, or whose application has
no Ready pod, keeps the real server's 503.

Apps read the cluster only through :class:`glmctl.sim.contracts.SimStore` (never the HTTP
server), and their behaviour from the scenario's ``behaviours.apps`` section, so a failure
scenario says only what differs (``apps: {authentik: {adminToken: ...}}``).
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from glmctl.sim.contracts import Obj, SimStore
from glmctl.sim.scenario import parse_duration


@dataclass(frozen=True)
class Reply:
    """What an application answers: status, content type and body bytes."""

    status: int
    body: bytes
    content_type: str = "application/json"


@dataclass
class AppWorld:
    """What an application may see: the store (read only), its behaviour, and a small
    memory of its own (the service-discovery controller's providers)."""

    store: SimStore
    behaviour: Mapping[str, Any]
    time_scale: float = 1.0
    memory: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def scaled(self, text: str | int | float, default: float) -> timedelta:
        seconds = parse_duration(text) if text not in (None, "") else default
        return timedelta(seconds=seconds * self.time_scale)

    def now(self) -> datetime:
        return self.store.now()

    def secret_value(self, namespace: str, name: str, key: str) -> str | None:
        """One decoded value of a Secret in the cluster, or None."""
        secret = self.store.get("", "secrets", namespace, name)
        if secret is None:
            return None
        raw = (secret.get("data") or {}).get(key)
        if raw is None:
            text = (secret.get("stringData") or {}).get(key)
            return None if text is None else str(text)
        try:
            return base64.b64decode(str(raw)).decode("utf-8", errors="replace")
        except (binascii.Error, ValueError):
            return None


Handler = Callable[[str, str, Mapping[str, str], bytes, AppWorld], Reply]


@dataclass(frozen=True)
class App:
    """An application behind one Service (``namespace/name``), on one port."""

    name: str
    service: str
    port: int
    handler: Handler


def default_apps() -> list[App]:
    """The applications of the guide's cluster, at the Services the scenarios declare."""
    from glmctl.sim.apps import authentik, connect

    return [
        App("authentik", "authentik/authentik-server", 9000, authentik.handle),
        App("connect", "onepassword-connect/onepassword-connect", 8080, connect.handle),
    ]


class AppRouter:
    """Routes a service-proxy request to the application behind the Service, if any."""

    def __init__(self, store: SimStore, behaviours: Mapping[str, Any]) -> None:
        section = behaviours.get("apps") or {}
        scale = float(behaviours.get("timeScale", 1.0) or 1.0)
        self._apps: dict[str, tuple[App, AppWorld]] = {}
        for app in default_apps():
            settings = dict(section.get(app.name) or {})
            service = str(settings.pop("service", app.service))
            self._apps[service] = (app, AppWorld(store, settings, scale))
        self._store = store

    def answer(
        self,
        method: str,
        namespace: str,
        service: str,
        port: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> Reply | None:
        """The application's reply, or None when nothing answers (the server says 503)."""
        found = self._apps.get(f"{namespace}/{service}")
        if found is None:
            return None
        app, world = found
        if port and port not in (str(app.port), ""):
            svc = self._store.get("", "services", namespace, service) or {}
            named = [
                p
                for p in (svc.get("spec") or {}).get("ports") or []
                if str(p.get("name")) == port and int(p.get("port", 0)) == app.port
            ]
            if not named:
                return None
        if not _has_ready_endpoint(self._store, namespace, service):
            return None
        return app.handler(method, path, headers, body, world)


def _has_ready_endpoint(store: SimStore, namespace: str, service: str) -> bool:
    """A Ready pod matches the Service's selector (what the endpoints controller needs)."""
    svc = store.get("", "services", namespace, service)
    if svc is None:
        return False
    selector = (svc.get("spec") or {}).get("selector") or {}
    if not selector:
        return False
    for pod in store.list("", "pods", namespace):
        labels = (pod.get("metadata") or {}).get("labels") or {}
        if any(labels.get(k) != v for k, v in selector.items()):
            continue
        conditions = (pod.get("status") or {}).get("conditions") or []
        if any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions):
            return True
    return False


def json_reply(status: int, document: Obj | list[Any]) -> Reply:
    import json

    return Reply(status, json.dumps(document, separators=(",", ":")).encode())


def paginated(results: list[Obj]) -> Obj:
    """Authentik's list envelope (django-rest-framework with its own pagination block)."""
    count = len(results)
    return {
        "pagination": {
            "next": 0,
            "previous": 0,
            "count": count,
            "current": 1,
            "total_pages": 1,
            "start_index": 1 if count else 0,
            "end_index": count,
        },
        "results": results,
    }
