"""The handler's shared plumbing: state, parsed targets, sending and reading bodies."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from glmctl.sim import events, rbac
from glmctl.sim.api.protobuf import object_from_protobuf
from glmctl.sim.faults import Faults
from glmctl.sim.resources import ResourceType
from glmctl.sim.selectors import (
    FieldSelector,
    LabelSelector,
    parse_field_selector,
    parse_label_selector,
)
from glmctl.sim.store import ApiError, Store, bad_request

if TYPE_CHECKING:
    from glmctl.sim.apps import AppRouter

Obj = dict[str, Any]
log = logging.getLogger("glmctl.sim.server")

DEFAULT_WATCH_SECONDS = 1800
PROTOBUF = "application/vnd.kubernetes.protobuf"


def not_found() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def method_not_allowed() -> ApiError:
    return ApiError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


_VERB_FOR_METHOD = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


class DropConnection(Exception):
    """Close the socket without answering (an injected fault)."""


@dataclass
class ApiState:
    """What the request handlers share: the store, fault rules, tokens, lifecycle."""

    store: Store
    faults: Faults
    users: dict[str, rbac.UserInfo]
    stopping: threading.Event = field(default_factory=threading.Event)
    apps: AppRouter | None = None  # what answers behind the service proxy

    def add_user(self, token: str, name: str, groups: tuple[str, ...] = ()) -> None:
        all_groups = tuple(dict.fromkeys([*groups, rbac.AUTHENTICATED]))
        self.users[token] = rbac.UserInfo(name, all_groups)

    def lister(self, group: str, plural: str) -> list[Obj]:
        rt = self.store.registry.get(group, plural)
        return self.store.select(rt, None)[0] if rt is not None else []


@dataclass(frozen=True)
class Target:
    """A resource request's parsed path."""

    rt: ResourceType
    version: str
    namespace: str | None
    name: str | None
    subresource: str | None
    storage: ResourceType | None = None  # where another resource's objects are kept

    @property
    def api_version(self) -> str:
        return self.rt.api_version(self.version)

    @property
    def stored(self) -> ResourceType:
        """The resource the store keeps these objects under."""
        return self.storage or self.rt

    def view(self, obj: Obj) -> Obj:
        """A stored object as this request's resource and version show it."""
        if self.storage is not None and self.rt.group == events.GROUP:
            return events.from_core(obj, self.api_version)
        return in_version(obj, self.api_version)


def encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def in_version(obj: Obj, api_version: str) -> Obj:
    return obj if obj.get("apiVersion") == api_version else {**obj, "apiVersion": api_version}


def number(params: dict[str, str], name: str, default: float) -> float:
    text = params.get(name)
    if not text:
        return default
    try:
        return float(int(text))
    except ValueError as err:
        raise bad_request(f"invalid value for {name}: {text!r}: must be an integer") from err


class StateServer(ThreadingHTTPServer):
    """The threaded HTTP server, carrying the state its handlers share."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    # socketserver's default backlog of 5 overflows when a runbook's steps connect at once:
    # the kernel then drops the SYN and the client waits a whole second to send it again.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        state: ApiState,
        handler: type[BaseHTTPRequestHandler],
    ) -> None:
        self.state = state
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that fails its TLS handshake or vanishes is not the server's failure:
        note it at debug level instead of printing a traceback."""
        log.debug("connection from %s failed", client_address, exc_info=True)


class HandlerBase(BaseHTTPRequestHandler):
    """The plumbing every concern of the handler uses: the shared state, sending and
    reading bodies."""

    protocol_version = "HTTP/1.1"
    server: StateServer
    _raw_body: bytes = b""
    _streaming = False
    server_version = "glmctl-sim"
    # Keep-alive clients (kubectl, the python client) wait ~40 ms for a delayed ACK on every
    # small response unless Nagle's algorithm is off, as it is on a real API server.
    disable_nagle_algorithm = True

    # --- plumbing ------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    @property
    def state(self) -> ApiState:
        return self.server.state

    def _send(
        self,
        code: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send(code, encode(body), headers=headers)

    def _send_error(self, err: ApiError) -> None:
        if self._streaming:  # a watch already answered 200: all we can do is hang up
            self._drop()
            return
        self._send_json(err.code, err.status(), headers=err.headers)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        """Close the connection without (the rest of) a response."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _take_body(self) -> bytes:
        """Read the whole request body up front: a request answered with an error before
        its body was parsed must not leave the body to be read as the next request on
        this keep-alive connection."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        return self.rfile.read(length) if length > 0 else b""

    def _read_body(self) -> Any:
        raw = self._raw_body
        if not raw:
            return None
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type == PROTOBUF:
            decoded = object_from_protobuf(raw)
            if decoded is not None:
                return decoded
        if content_type in (PROTOBUF, "application/cbor"):
            # Like a server built without that codec; client-go then falls back to JSON.
            raise ApiError(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types "
                "include: application/json, application/yaml",
            )
        try:
            return json.loads(raw)
        except ValueError as err:
            raise bad_request(
                f"the body of the request could not be decoded as JSON: {err}"
            ) from err

    def _selectors(
        self, target: Target, params: dict[str, str]
    ) -> tuple[LabelSelector, FieldSelector]:
        labels = parse_label_selector(params.get("labelSelector"))
        fields = parse_field_selector(
            params.get("fieldSelector"), target.rt.group, target.rt.plural
        )
        return labels, fields

    def _wants_table(self) -> bool:
        return _accepts_table(self.headers.get("Accept") or "")


def _accepts_table(accept: str) -> bool:
    for part in accept.split(","):
        params = {
            p.strip().split("=", 1)[0]: p.strip().split("=", 1)[-1]
            for p in part.split(";")[1:]
            if "=" in p
        }
        if params.get("as") == "Table":
            return True
    return False
