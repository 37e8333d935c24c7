"""1Password Connect's unauthenticated endpoints: ``/heartbeat`` and ``/health``.

``/heartbeat`` answers ``.`` (text/plain); ``/health`` answers
``{"name", "version", "dependencies": [{"service", "status", "message"}]}`` with a status of
ACTIVE, INACTIVE or ERROR per dependency. A scenario replaces the dependencies with
``apps.connect.dependencies``.
"""

from __future__ import annotations

from collections.abc import Mapping

from glmctl.sim.apps import AppWorld, Reply, json_reply

_DEPENDENCIES = (
    {"service": "sqlite", "status": "ACTIVE", "message": "Connected to ~/1password.sqlite"},
    {"service": "sync", "status": "ACTIVE", "message": "Synced with 1password.com"},
)


def handle(
    method: str, path: str, headers: Mapping[str, str], body: bytes, world: AppWorld
) -> Reply:
    """One request to the Connect API server."""
    del headers, body
    if method != "GET":
        return json_reply(405, {"status": 405, "message": "method not allowed"})
    route = path.split("?", 1)[0].rstrip("/") or "/"
    if route == "/heartbeat":
        return Reply(200, b".", "text/plain")
    if route == "/health":
        dependencies = world.behaviour.get("dependencies")
        listed = dependencies if isinstance(dependencies, list) else list(_DEPENDENCIES)
        return json_reply(
            200,
            {
                "name": "1Password Connect API",
                "version": str(world.behaviour.get("version", "1.7.3")),
                "dependencies": [dict(d) for d in listed],
            },
        )
    return json_reply(401, {"status": 401, "message": "Invalid bearer token"})
