"""The simulated cluster's HTTP API: discovery, CRUD, watch, logs, tables, access reviews.

A ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive over TLS, so kubectl and the
``kubernetes`` client reuse connections as they do with a real API server (kubectl sends
bearer tokens only over TLS). Every request passes the same gates as on a real server, in
the same order: fault injection (our addition), authentication by bearer token,
impersonation, RBAC, then the handler.

Known differences from a real API server, chosen to keep the simulator small:

- JSON only. Protobuf request bodies are refused with 415, except the
  SelfSubjectAccessReview kubectl's ``auth can-i`` posts (decoded here), so the typed
  ``kubectl create <kind> ...`` generators do not work; ``kubectl create -f`` and
  ``kubectl apply -f`` do.
- No schemas: OpenAPI v3 documents list operations only (enough for kubectl to choose
  server-side validation); ``fieldValidation`` is accepted and ignored; objects are not
  validated beyond names and namespaces. ``/openapi/v2`` is 404.
- No aggregated discovery (clients fall back to the legacy documents), no server-side
  apply, no SelfSubjectRulesReview (``auth can-i --list``), no events.k8s.io/v1.
- Namespace and foreground deletion complete synchronously; watch bookmarks are sent only
  when a watch with ``allowWatchBookmarks`` times out.
- ``/_sim/faults`` is an admin endpoint without authentication (the server listens on
  loopback only).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from glmctl.sim import rbac, tables
from glmctl.sim.faults import Fault, Faults
from glmctl.sim.patches import JSON_PATCH, MERGE, STRATEGIC
from glmctl.sim.resources import ResourceType
from glmctl.sim.selectors import (
    FieldSelector,
    LabelSelector,
    SelectorError,
    parse_field_selector,
    parse_label_selector,
)
from glmctl.sim.store import ApiError, Preconditions, Store, WatchEvent, bad_request

Obj = dict[str, Any]
log = logging.getLogger(__name__)

SERVER_VERSION = {
    "major": "1",
    "minor": "34",
    "gitVersion": "v1.34.0-glmctl-sim",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.24",
    "compiler": "gc",
    "platform": "linux/amd64",
}
DEFAULT_WATCH_SECONDS = 1800
PROTOBUF = "application/vnd.kubernetes.protobuf"


def _not_found() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource")


def _method_not_allowed() -> ApiError:
    return ApiError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


_VERB_FOR_METHOD = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


class _DropConnection(Exception):
    """Close the socket without answering (an injected fault)."""


@dataclass
class ApiState:
    """What the request handlers share: the store, fault rules, tokens, lifecycle."""

    store: Store
    faults: Faults
    users: dict[str, rbac.UserInfo]
    stopping: threading.Event = field(default_factory=threading.Event)

    def add_user(self, token: str, name: str, groups: tuple[str, ...] = ()) -> None:
        all_groups = tuple(dict.fromkeys([*groups, rbac.AUTHENTICATED]))
        self.users[token] = rbac.UserInfo(name, all_groups)

    def lister(self, group: str, plural: str) -> list[Obj]:
        rt = self.store.registry.get(group, plural)
        return self.store.select(rt, None)[0] if rt is not None else []


@dataclass(frozen=True)
class _Target:
    """A resource request's parsed path."""

    rt: ResourceType
    version: str
    namespace: str | None
    name: str | None
    subresource: str | None

    @property
    def api_version(self) -> str:
        return self.rt.api_version(self.version)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], state: ApiState) -> None:
        self.state = state
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that fails its TLS handshake or vanishes is not the server's failure:
        note it at debug level instead of printing a traceback."""
        log.debug("connection from %s failed", client_address, exc_info=True)


def _encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


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


def _in_version(obj: Obj, api_version: str) -> Obj:
    return obj if obj.get("apiVersion") == api_version else {**obj, "apiVersion": api_version}


def _encode_continue(rv: int, after: tuple[str, str]) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": list(after)})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode_continue(token: str) -> tuple[int, tuple[str, str]]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return int(data["rv"]), (str(data["start"][0]), str(data["start"][1]))
    except (ValueError, KeyError, IndexError, TypeError, binascii.Error) as err:
        raise bad_request(f"continue key is not valid: {err}") from err


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer
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

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

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
        self._send(code, _encode(body), headers=headers)

    def _send_error(self, err: ApiError) -> None:
        if self._streaming:  # a watch already answered 200: all we can do is hang up
            self._drop()
            return
        self._send_json(err.code, err.status(), headers=err.headers)

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
        if content_type == PROTOBUF and self.path.split("?")[0].endswith(
            "/selfsubjectaccessreviews"
        ):
            return _access_review_from_protobuf(raw)
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

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        self._raw_body = self._take_body()
        try:
            if path.startswith("/_sim/"):
                self._admin(method, path)
                return
            drop_after = self._apply_faults(method, path)
            user = self._authenticate()
            self._route(method, path, params, user, drop_after)
        except _DropConnection:
            self._drop()
        except ApiError as err:
            self._send_error(err)
        except SelectorError as err:
            self._send_error(bad_request(str(err)))
        except OSError:  # the client went away (reset, broken pipe, TLS EOF)
            self.close_connection = True
        except Exception as err:  # the API answers 500, it does not crash
            log.exception("simulator request failed")
            self._send_error(ApiError(500, "InternalError", f"Internal error occurred: {err}"))
        finally:
            self._streaming = False

    # --- admin endpoint ------------------------------------------------------------

    def _admin(self, method: str, path: str) -> None:
        if path != "/_sim/faults":
            raise _not_found()
        faults = self.state.faults
        if method == "POST":
            body = self._read_body()
            try:
                for item in body if isinstance(body, list) else [body]:
                    faults.add(Fault.from_dict(item))
            except (ValueError, KeyError, TypeError) as err:
                raise bad_request(f"invalid fault: {err}") from err
        elif method == "DELETE":
            faults.clear()
        elif method != "GET":
            raise _method_not_allowed()
        self._send_json(200, {"faults": [f.to_dict() for f in faults.active()]})

    # --- gates ---------------------------------------------------------------------

    def _apply_faults(self, method: str, path: str) -> float | None:
        """Apply matching faults; returns after how many seconds a watch is to be cut."""
        drop_after: float | None = None
        for fault in self.state.faults.take(method, path):
            if fault.kind == "latency":
                time.sleep(fault.seconds)
            elif fault.kind == "drop":
                if fault.seconds <= 0:
                    raise _DropConnection()
                drop_after = fault.seconds
            elif fault.kind == "429":
                raise ApiError(
                    429,
                    "TooManyRequests",
                    "Too many requests, please try again later.",
                    details={"retryAfterSeconds": fault.retry_after},
                    headers={"Retry-After": str(fault.retry_after)},
                )
            elif fault.kind == "500":
                raise ApiError(500, "InternalError", "Internal error occurred: injected fault")
            elif fault.kind == "401":
                raise ApiError(401, "Unauthorized", "Unauthorized")
        return drop_after

    def _authenticate(self) -> rbac.UserInfo:
        header = self.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        user = self.state.users.get(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        return self._impersonate(user)

    def _impersonate(self, user: rbac.UserInfo) -> rbac.UserInfo:
        as_user = self.headers.get("Impersonate-User")
        as_groups = self.headers.get_all("Impersonate-Group") or []
        if not as_user:
            if as_groups:
                raise bad_request("requested impersonation of groups without a user")
            return user
        target = rbac.UserInfo.impersonated(as_user, as_groups)
        checks = []
        parts = as_user.split(":")
        if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"]:
            checks.append(
                rbac.Attributes("impersonate", "", "serviceaccounts", "", parts[2], parts[3])
            )
        else:
            checks.append(rbac.Attributes("impersonate", "", "users", name=as_user))
        checks += [rbac.Attributes("impersonate", "", "groups", name=g) for g in as_groups]
        for attrs in checks:
            if not rbac.allowed(self.state.lister, user, attrs):
                raise ApiError(
                    403,
                    "Forbidden",
                    rbac.forbidden_message(user, attrs),
                    details={"name": attrs.name, "kind": attrs.resource},
                )
        return target

    def _authorize(self, user: rbac.UserInfo, attrs: rbac.Attributes) -> None:
        if rbac.allowed(self.state.lister, user, attrs):
            return
        details: Obj = {"name": attrs.name, "kind": attrs.resource}
        if attrs.group:
            details["group"] = attrs.group
        raise ApiError(403, "Forbidden", rbac.forbidden_message(user, attrs), details=details)

    # --- routing -------------------------------------------------------------------

    def _route(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        user: rbac.UserInfo,
        drop_after: float | None,
    ) -> None:
        parts = [p for p in path.split("/") if p]
        discovery = self._discovery(parts)
        if discovery is not None:
            if method != "GET":
                raise _method_not_allowed()
            self._authorize(user, rbac.Attributes("get", path=path))
            self._send_json(200, discovery)
            return
        target = self._target(parts)
        if target is None:
            raise _not_found()
        verb = self._verb(method, target, params)
        if verb not in target.rt.verbs:
            raise _method_not_allowed()
        if target.rt.group in ("authorization.k8s.io", "authentication.k8s.io"):
            self._authorize(user, rbac.Attributes("create", target.rt.group, target.rt.plural))
            if target.rt.plural == "selfsubjectreviews":
                self._who_am_i(user)
            else:
                self._access_review(user)
            return
        self._authorize(
            user,
            rbac.Attributes(
                verb,
                target.rt.group,
                target.rt.plural,
                target.subresource or "",
                target.namespace or "",
                target.name or "",
            ),
        )
        if verb == "watch":
            self._do_watch(target, params, drop_after)
        else:
            getattr(self, f"_do_{verb}")(target, params)

    @staticmethod
    def _verb(method: str, target: _Target, params: dict[str, str]) -> str:
        if method == "GET":
            if target.name is not None:
                return "get"
            return "watch" if params.get("watch") in ("1", "true") else "list"
        if method == "POST":
            if target.name is not None:
                raise _method_not_allowed()
            return "create"
        if method == "DELETE" and target.name is None:
            return "deletecollection"
        if target.name is None:
            raise _method_not_allowed()
        return _VERB_FOR_METHOD[method]

    def _target(self, parts: list[str]) -> _Target | None:
        if len(parts) >= 2 and parts[0] == "api":
            group, version, rest = "", parts[1], parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis":
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            return None
        namespace: str | None = None
        if (
            len(rest) >= 3
            and rest[0] == "namespaces"
            and not (len(rest) == 3 and rest[2] in ("status", "finalize"))
        ):
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            return None
        rt = self.state.store.registry.lookup(group, version, rest[0])
        if rt is None or (namespace is not None and not rt.namespaced):
            return None
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub is not None and sub not in rt.subresources:
            return None
        if rt.namespaced and name is not None and namespace is None:
            return None
        return _Target(rt, version, namespace, name, sub)

    # --- discovery -----------------------------------------------------------------

    def _discovery(self, parts: list[str]) -> Obj | None:
        registry = self.state.store.registry
        if parts == ["version"]:
            return SERVER_VERSION
        if parts == ["api"]:
            host = f"127.0.0.1:{self.server.server_address[1]}"
            return {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}],
            }
        if parts == ["api", "v1"]:
            return self._resource_list("", "v1")
        if parts[:2] == ["openapi", "v3"]:
            return self._openapi_v3(parts[2:])
        if parts == ["apis"]:
            groups = [self._group(g, vs) for g, vs in sorted(registry.group_versions().items())]
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        if len(parts) == 2 and parts[0] == "apis":
            versions = registry.group_versions().get(parts[1])
            return (
                {"kind": "APIGroup", "apiVersion": "v1", **self._group(parts[1], versions)}
                if versions
                else None
            )
        if (
            len(parts) == 3
            and parts[0] == "apis"
            and parts[2] in registry.group_versions().get(parts[1], [])
        ):
            return self._resource_list(parts[1], parts[2])
        return None

    def _openapi_v3(self, gv_parts: list[str]) -> Obj | None:
        """Just enough OpenAPI v3 for kubectl's validation to choose server-side field
        validation (each kind's PATCH operation lists ``fieldValidation``), so
        ``kubectl create -f``/``apply -f`` work without ``--validate=false``. No schemas:
        the simulator accepts any fields, as with ``x-kubernetes-preserve-unknown-fields``.
        """
        registry = self.state.store.registry
        gvs = [("", "v1")] + [(g, v) for g, vs in registry.group_versions().items() for v in vs]
        if not gv_parts:
            index: dict[str, Obj] = {}
            for group, version in gvs:
                key = f"apis/{group}/{version}" if group else f"api/{version}"
                index[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={self._rv_hash()}"}
            return {"paths": index}
        if gv_parts[0] == "api" and len(gv_parts) == 2:
            group, version = "", gv_parts[1]
        elif gv_parts[0] == "apis" and len(gv_parts) == 3:
            group, version = gv_parts[1], gv_parts[2]
        else:
            return None
        if (group, version) not in gvs:
            return None
        paths: Obj = {}
        for rt in registry.in_group_version(group, version):
            prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
            scope = "/namespaces/{namespace}" if rt.namespaced else ""
            operation: Obj = {
                "parameters": [
                    {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
                    {"name": "dryRun", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {"200": {"description": "OK"}},
                "x-kubernetes-group-version-kind": {
                    "group": group,
                    "version": version,
                    "kind": rt.kind,
                },
            }
            paths[f"{prefix}{scope}/{rt.plural}/{{name}}"] = {"patch": operation}
        return {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes (glmctl simulator)", "version": "v1.34.0"},
            "paths": paths,
            "components": {"schemas": {}},
        }

    def _rv_hash(self) -> str:
        """Changes whenever a CRD may have changed the documents (clients cache by it)."""
        return f"{self.state.store.resource_version:016X}"

    @staticmethod
    def _group(name: str, versions: list[str]) -> Obj:
        entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        return {"name": name, "versions": entries, "preferredVersion": entries[0]}

    def _resource_list(self, group: str, version: str) -> Obj:
        resources: list[Obj] = []
        for rt in sorted(
            self.state.store.registry.in_group_version(group, version), key=lambda r: r.plural
        ):
            entry: Obj = {
                "name": rt.plural,
                "singularName": rt.singular,
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": list(rt.verbs),
            }
            if rt.short_names:
                entry["shortNames"] = list(rt.short_names)
            if rt.categories:
                entry["categories"] = list(rt.categories)
            resources.append(entry)
            for sub in rt.subresources:
                verbs = ["get"] if sub == "log" else ["get", "patch", "update"]
                resources.append(
                    {
                        "name": f"{rt.plural}/{sub}",
                        "singularName": "",
                        "namespaced": rt.namespaced,
                        "kind": rt.kind,
                        "verbs": verbs,
                    }
                )
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": resources,
        }

    # --- reads ---------------------------------------------------------------------

    def _selectors(
        self, target: _Target, params: dict[str, str]
    ) -> tuple[LabelSelector, FieldSelector]:
        labels = parse_label_selector(params.get("labelSelector"))
        fields = parse_field_selector(
            params.get("fieldSelector"), target.rt.group, target.rt.plural
        )
        return labels, fields

    def _wants_table(self) -> bool:
        return _accepts_table(self.headers.get("Accept") or "")

    def _do_get(self, target: _Target, params: dict[str, str]) -> None:
        assert target.name is not None
        if target.subresource == "log":
            self._pod_log(target, params)
            return
        obj = _in_version(
            self.state.store.read(target.rt, target.namespace, target.name), target.api_version
        )
        if self._wants_table():
            self._send_json(
                200,
                tables.table(
                    target.rt,
                    [obj],
                    include_object=params.get("includeObject", "Metadata"),
                    resource_version=obj["metadata"].get("resourceVersion", ""),
                    now=self.state.store.now(),
                ),
            )
            return
        self._send_json(200, obj)

    def _do_list(self, target: _Target, params: dict[str, str]) -> None:
        labels, fields = self._selectors(target, params)
        after: tuple[str, str] | None = None
        token = params.get("continue")
        if token:
            token_rv, after = _decode_continue(token)
            self.state.store.check_not_compacted(token_rv, _CONTINUE_EXPIRED)
        items, rv = self.state.store.select(
            target.rt,
            target.namespace,
            _predicate(labels, fields),
            name=fields.exact_name(),
            after=after,
        )
        if token:
            rv = token_rv
        next_token, remaining = "", 0
        limit = int(_number(params, "limit", 0))
        if limit > 0 and len(items) > limit:
            remaining = len(items) - limit
            items = items[:limit]
            next_token = _encode_continue(rv, _sort_key(items[-1]))
        if self._wants_table():
            body = tables.table(
                target.rt,
                items,
                include_object=params.get("includeObject", "Metadata"),
                resource_version=str(rv),
                continue_token=next_token,
                now=self.state.store.now(),
            )
            self._send_json(200, body)
            return
        metadata: Obj = {"resourceVersion": str(rv)}
        if next_token:
            metadata["continue"] = next_token
            metadata["remainingItemCount"] = remaining
        api_version = target.api_version
        self._send_json(
            200,
            {
                "kind": target.rt.list_kind,
                "apiVersion": api_version,
                "metadata": metadata,
                "items": [_in_version(o, api_version) for o in items],
            },
        )

    def _pod_log(self, target: _Target, params: dict[str, str]) -> None:
        assert target.name is not None
        pod = self.state.store.read(target.rt, target.namespace, target.name)
        container = params.get("container")
        names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
        if container and names and container not in names:
            raise bad_request(f"container {container} is not valid for pod {target.name}")
        text = self.state.store.pod_log(target.namespace or "", target.name) or ""
        tail = params.get("tailLines")
        if tail is not None and tail.lstrip("-").isdigit():
            n = int(tail)
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-n:]) if n > 0 else ""
        self._send(200, text.encode(), content_type="text/plain")

    # --- watch ---------------------------------------------------------------------

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _watch_event(self, kind: str, obj: Obj, target: _Target, table: bool) -> None:
        if table and kind in ("ADDED", "MODIFIED", "DELETED"):
            obj = tables.table(
                target.rt,
                [obj],
                now=self.state.store.now(),
                resource_version=obj["metadata"].get("resourceVersion", ""),
            )
        self._chunk(_encode({"type": kind, "object": obj}) + b"\n")

    def _do_watch(self, target: _Target, params: dict[str, str], drop_after: float | None) -> None:
        labels, fields = self._selectors(target, params)
        store = self.state.store

        def matches(obj: Obj | None) -> bool:
            return (
                obj is not None
                and labels.matches((obj.get("metadata") or {}).get("labels"))
                and fields.matches(obj)
            )

        timeout = _number(params, "timeoutSeconds", DEFAULT_WATCH_SECONDS)
        started = time.monotonic()
        deadline = started + timeout
        cut_at = started + drop_after if drop_after else None
        rv_param = params.get("resourceVersion") or ""
        table = self._wants_table()
        initial = rv_param in ("", "0") or params.get("sendInitialEvents") == "true"
        rv = 0
        if not initial:
            try:
                rv = int(rv_param)
            except ValueError as err:
                raise bad_request(f"invalid resourceVersion {rv_param!r}") from err

        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self.wfile.flush()
        self._streaming = True
        api_version = target.api_version
        if initial:
            items, rv = store.select(target.rt, target.namespace, matches, fields.exact_name())
            for obj in items:
                self._watch_event("ADDED", _in_version(obj, api_version), target, table)
            if params.get("sendInitialEvents") == "true":
                bookmark = {
                    "kind": target.rt.kind,
                    "apiVersion": api_version,
                    "metadata": {
                        "resourceVersion": str(rv),
                        "annotations": {"k8s.io/initial-events-end": "true"},
                    },
                }
                self._watch_event("BOOKMARK", bookmark, target, table)
        try:
            while not self.state.stopping.is_set():
                now = time.monotonic()
                if cut_at is not None and now >= cut_at:
                    # Half an event, as when the network fails mid-transfer.
                    self.wfile.write(b'400\r\n{"type":"MODIFIED","object":{')
                    self.wfile.flush()
                    raise _DropConnection()
                remaining = min(deadline, cut_at or deadline) - now
                if remaining <= 0:
                    break
                for event in store.events_after(rv, min(remaining, 0.5)):
                    rv = event.rv
                    self._send_watch_event(event, target, matches, table)
            if params.get("allowWatchBookmarks") == "true" and not self.state.stopping.is_set():
                # As the real server does shortly before a watch times out: tell the client
                # how far it has seen, so its next watch need not start from an old version.
                bookmark = {
                    "kind": target.rt.kind,
                    "apiVersion": api_version,
                    "metadata": {"resourceVersion": str(rv)},
                }
                self._watch_event("BOOKMARK", bookmark, target, table=False)
        except ApiError as err:
            self._watch_event("ERROR", err.status(), target, table=False)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _send_watch_event(
        self, event: WatchEvent, target: _Target, matches: Any, table: bool
    ) -> None:
        if (event.group, event.plural) != (target.rt.group, target.rt.plural):
            return
        if target.namespace is not None and event.namespace != target.namespace:
            return
        now_match, before_match = matches(event.obj), matches(event.previous)
        kind = event.type
        if kind == "MODIFIED":
            if now_match and not before_match:
                kind = "ADDED"
            elif before_match and not now_match:
                kind = "DELETED"
            elif not now_match:
                return
        elif (kind == "ADDED" and not now_match) or (
            kind == "DELETED" and not (now_match or before_match)
        ):
            return
        self._watch_event(kind, _in_version(event.obj, target.api_version), target, table)

    # --- writes --------------------------------------------------------------------

    @staticmethod
    def _dry_run(params: dict[str, str], body: Any = None) -> bool:
        if params.get("dryRun") == "All":
            return True
        return isinstance(body, dict) and "All" in (body.get("dryRun") or [])

    def _respond_object(self, code: int, obj: Obj, target: _Target) -> None:
        self._send_json(code, _in_version(obj, target.api_version))

    def _do_create(self, target: _Target, params: dict[str, str]) -> None:
        body = self._read_body()
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        obj = self.state.store.create_object(
            target.rt,
            body,
            namespace=target.namespace,
            dry_run=self._dry_run(params),
            keep_status=False,
        )
        self._respond_object(201, obj, target)

    def _do_update(self, target: _Target, params: dict[str, str]) -> None:
        assert target.name is not None
        body = self._read_body()
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        obj = self.state.store.replace_object(
            target.rt,
            target.namespace,
            target.name,
            body,
            subresource=target.subresource,
            dry_run=self._dry_run(params),
        )
        self._respond_object(200, obj, target)

    def _do_patch(self, target: _Target, params: dict[str, str]) -> None:
        assert target.name is not None
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if content_type not in (MERGE, JSON_PATCH, STRATEGIC):
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types "
                f"include: {JSON_PATCH}, {MERGE}, application/apply-patch+yaml"
                + (f", {STRATEGIC}" if not target.rt.from_crd else ""),
            )
        body = self._read_body()
        obj = self.state.store.patch_object(
            target.rt,
            target.namespace,
            target.name,
            content_type,
            body,
            subresource=target.subresource,
            dry_run=self._dry_run(params),
        )
        self._respond_object(200, obj, target)

    def _delete_options(self, params: dict[str, str]) -> tuple[str | None, Preconditions, bool]:
        body = self._read_body()
        options = body if isinstance(body, dict) else {}
        pre = options.get("preconditions") or {}
        propagation = params.get("propagationPolicy") or options.get("propagationPolicy")
        if options.get("orphanDependents") is True and not propagation:
            propagation = "Orphan"
        return (
            propagation,
            Preconditions(pre.get("uid"), pre.get("resourceVersion")),
            self._dry_run(params, options),
        )

    def _do_delete(self, target: _Target, params: dict[str, str]) -> None:
        assert target.name is not None
        propagation, pre, dry_run = self._delete_options(params)
        obj, gone_now = self.state.store.delete_object(
            target.rt,
            target.namespace,
            target.name,
            propagation=propagation,
            preconditions=pre,
            dry_run=dry_run,
        )
        if gone_now and not dry_run:
            details: Obj = {
                "name": target.name,
                "kind": target.rt.plural,
                "uid": obj["metadata"].get("uid"),
            }
            if target.rt.group:
                details["group"] = target.rt.group
            self._send_json(
                200,
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Success",
                    "details": details,
                },
            )
            return
        self._respond_object(200, obj, target)

    def _do_deletecollection(self, target: _Target, params: dict[str, str]) -> None:
        labels, fields = self._selectors(target, params)
        propagation, _, dry_run = self._delete_options(params)
        items, rv = self.state.store.select(target.rt, target.namespace, _predicate(labels, fields))
        deleted = []
        for obj in items:
            meta = obj["metadata"]
            try:
                last, _ = self.state.store.delete_object(
                    target.rt,
                    meta.get("namespace"),
                    meta["name"],
                    propagation=propagation,
                    dry_run=dry_run,
                )
            except ApiError as err:
                if err.code != 404:
                    raise
                continue
            deleted.append(_in_version(last, target.api_version))
        self._send_json(
            200,
            {
                "kind": target.rt.list_kind,
                "apiVersion": target.api_version,
                "metadata": {"resourceVersion": str(rv)},
                "items": deleted,
            },
        )

    # --- access reviews ------------------------------------------------------------

    def _who_am_i(self, user: rbac.UserInfo) -> None:
        """SelfSubjectReview (``kubectl auth whoami``); its request body carries nothing."""
        review = {
            "kind": "SelfSubjectReview",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "status": {"userInfo": {"username": user.name, "groups": list(user.groups)}},
        }
        self._send_json(201, review)

    def _access_review(self, user: rbac.UserInfo) -> None:
        body = self._read_body()
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        spec = body.get("spec") or {}
        res, non_res = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
        if res:
            attrs = rbac.Attributes(
                verb=str(res.get("verb", "")),
                group=str(res.get("group", "")),
                resource=str(res.get("resource", "")),
                subresource=str(res.get("subresource", "")),
                namespace=str(res.get("namespace", "")),
                name=str(res.get("name", "")),
            )
        elif non_res:
            attrs = rbac.Attributes(
                verb=str(non_res.get("verb", "")), path=str(non_res.get("path", ""))
            )
        else:
            raise ApiError(
                422,
                "Invalid",
                'SelfSubjectAccessReview.authorization.k8s.io "" is '
                'invalid: spec.resourceAttributes: Invalid value: "null": exactly '
                "one of nonResourceAttributes or resourceAttributes must be specified",
            )
        allowed = rbac.allowed(self.state.lister, user, attrs)
        status: Obj = {"allowed": allowed}
        if allowed and rbac.MASTERS not in user.groups:
            status["reason"] = "RBAC: allowed by a binding in the simulated cluster"
        review = {
            "kind": "SelfSubjectAccessReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "spec": spec,
            "status": status,
        }
        self._send_json(201, review)


def _protobuf_fields(data: bytes) -> dict[int, list[bytes | int]]:
    """Decode one protobuf message's fields (varints and length-delimited only)."""
    fields: dict[int, list[bytes | int]] = {}
    pos = 0

    def varint() -> int:
        nonlocal pos
        shift = result = 0
        while True:
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    while pos < len(data):
        tag = varint()
        number, wire = tag >> 3, tag & 7
        value: bytes | int
        if wire == 0:
            value = varint()
        elif wire == 2:
            size = varint()
            value = data[pos : pos + size]
            pos += size
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        else:
            raise bad_request("the protobuf body could not be decoded")
        fields.setdefault(number, []).append(value)
    return fields


def _pb_strings(message: bytes, names: dict[int, str]) -> Obj:
    fields = _protobuf_fields(message)
    out: Obj = {}
    for number, name in names.items():
        values = fields.get(number)
        if values and isinstance(values[0], bytes):
            out[name] = values[0].decode()
    return out


def _pb_message(fields: dict[int, list[bytes | int]], number: int) -> bytes | None:
    values = fields.get(number)
    return values[0] if values and isinstance(values[0], bytes) else None


def _access_review_from_protobuf(raw: bytes) -> Obj:
    """The SelfSubjectAccessReview in kubectl's protobuf body (``auth can-i`` posts it
    with the typed client, which does not fall back to JSON)."""
    try:
        if not raw.startswith(b"k8s\x00"):
            raise ValueError("missing the k8s protobuf envelope")
        unknown = _protobuf_fields(raw[4:])
        review = _protobuf_fields(_pb_message(unknown, 2) or b"")
        spec = _protobuf_fields(_pb_message(review, 2) or b"")
        out: Obj = {}
        resource = _pb_message(spec, 1)
        if resource is not None:
            out["resourceAttributes"] = _pb_strings(
                resource,
                {
                    1: "namespace",
                    2: "verb",
                    3: "group",
                    4: "version",
                    5: "resource",
                    6: "subresource",
                    7: "name",
                },
            )
        non_resource = _pb_message(spec, 2)
        if non_resource is not None:
            out["nonResourceAttributes"] = _pb_strings(non_resource, {1: "path", 2: "verb"})
    except (ValueError, IndexError, UnicodeDecodeError) as err:
        raise bad_request(f"the protobuf body could not be decoded: {err}") from err
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": out}


_CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You "
    "can start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted "
    "between the time the first chunk was returned and now may show up in the list."
)


def _number(params: dict[str, str], name: str, default: float) -> float:
    text = params.get(name)
    if not text:
        return default
    try:
        return float(int(text))
    except ValueError as err:
        raise bad_request(f"invalid value for {name}: {text!r}: must be an integer") from err


def _predicate(labels: LabelSelector, fields: FieldSelector) -> Callable[[Obj], bool] | None:
    """The filter a list or watch applies; None when both selectors are empty."""
    if labels.empty and fields.empty:
        return None
    if fields.empty:
        return lambda o: labels.matches((o.get("metadata") or {}).get("labels"))
    if labels.empty:
        return fields.matches
    return lambda o: labels.matches((o.get("metadata") or {}).get("labels")) and fields.matches(o)


def _sort_key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""))


class ApiServer:
    """The HTTP server on loopback, run in a daemon thread."""

    def __init__(
        self,
        state: ApiState,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.state = state
        self._httpd = _HttpServer((host, port), state)
        if tls is not None:
            # The handshake happens lazily in each connection's own thread, so one slow
            # client cannot stall the accept loop.
            self._httpd.socket = tls.wrap_socket(
                self._httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self.scheme = "https" if tls is not None else "http"
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"glmctl-sim-api-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def serve_forever(self) -> None:
        """Serve in the calling thread (``glmctl sim serve``) until :meth:`stop`."""
        self._httpd.serve_forever(poll_interval=0.1)

    def stop(self) -> None:
        self.state.stopping.set()
        self.state.store.wake_watchers()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
