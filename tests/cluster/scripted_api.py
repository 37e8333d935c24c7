"""A throwaway HTTP server answering from a script, for the cluster layer's error paths.

It is not a Kubernetes API: each test queues the exact responses (status, headers, body)
it wants for a path, and reads back the requests that arrived. Faithful API behaviour is
tested against the simulated cluster; this covers what a simulator does not do on its own
(a 401 then success, a Retry-After sequence, a 5xx burst) with nothing but the stdlib.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted response."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    hold: str = ""
    """"before": answer nothing until the server stops; "after-body": send the status,
    headers and body of an endless (chunked) response, then go silent."""


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, list[str]]
    body: bytes


class ScriptedApi:
    """Replies queued per (method, path-without-query); the last reply of a queue repeats."""

    def __init__(self) -> None:
        self.replies: dict[tuple[str, str], deque[Reply]] = defaultdict(deque)
        self.seen: list[Seen] = []
        self.released = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, method: str, path: str, *replies: Reply) -> None:
        self.replies[(method, path)].extend(replies)

    def requests_to(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path.split("?")[0] == path]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.released.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _next(self, method: str, path: str) -> Reply:
        with self._lock:
            queue = self.replies.get((method, path.split("?")[0]))
            if not queue:
                return Reply(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
            return queue.popleft() if len(queue) > 1 else queue[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else Nagle + delayed ACK add 40 ms a request

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers: dict[str, list[str]] = defaultdict(list)
                for key, value in self.headers.items():
                    headers[key.lower()].append(value)
                with api._lock:
                    api.seen.append(Seen(self.command, self.path, dict(headers), body))
                reply = api._next(self.command, self.path)
                if reply.hold == "before":
                    api.released.wait(timeout=30)
                    return
                payload = (
                    reply.body
                    if isinstance(reply.body, bytes)
                    else json.dumps(reply.body if reply.body is not None else {}).encode()
                )
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                if reply.hold == "after-body":
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(payload), payload))
                    self.wfile.flush()
                    api.released.wait(timeout=30)
                    return
                self.send_header("Content-Length", str(len(payload)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _serve

        return Handler


@contextmanager
def scripted_api() -> Iterator[ScriptedApi]:
    api = ScriptedApi()
    api.start()
    try:
        yield api
    finally:
        api.stop()


def write_kubeconfig(
    path: Path,
    server: str,
    *,
    contexts: tuple[str, ...] = ("sim",),
    current: str | None = "sim",
    token: str = "t0ken",
    user_extra: dict[str, Any] | None = None,
) -> Path:
    """A kubeconfig with one cluster and user and the given context names (JSON is YAML)."""
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": ({"token": token} if token else {}) | (user_extra or {})}],
        "contexts": [{"name": n, "context": {"cluster": "c", "user": "u"}} for n in contexts],
    }
    if current is not None:
        config["current-context"] = current
    path.write_text(json.dumps(config), encoding="utf-8")
    return path
