"""The simulated cluster's HTTP API: discovery, CRUD, watch, logs, tables, access reviews.

A ``ThreadingHTTPServer`` speaking HTTP/1.1 with keep-alive over TLS, so kubectl and the
``kubernetes`` client reuse connections as they do with a real API server (kubectl sends
bearer tokens only over TLS). Every request passes the same gates as on a real server, in
the same order: fault injection (our addition), authentication by bearer token,
impersonation, RBAC, then the handler.

Known differences from a real API server are listed, with their reasons, in
docs/simulator.md; the differential suite (tests/differential/) holds the simulator to a
real one.
"""

from __future__ import annotations

import logging
import ssl
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

from glmctl.sim import events, rbac
from glmctl.sim.api.auth import AuthMixin
from glmctl.sim.api.base import (
    ApiState,
    DropConnection,
    StateServer,
    Target,
    method_not_allowed,
    not_found,
)
from glmctl.sim.api.crud import CrudMixin
from glmctl.sim.api.discovery import DiscoveryMixin
from glmctl.sim.api.faults import FaultsMixin
from glmctl.sim.api.logs import LogsMixin
from glmctl.sim.api.watch import WatchMixin
from glmctl.sim.selectors import SelectorError
from glmctl.sim.store import ApiError, bad_request

__all__ = ["ApiServer", "ApiState"]

Obj = dict[str, Any]
log = logging.getLogger(__name__)

HEALTH_PATHS = ("healthz", "livez", "readyz")

_VERB_FOR_METHOD = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


def _is_service_proxy(parts: list[str]) -> bool:
    return (
        len(parts) >= 7
        and parts[:3] == ["api", "v1", "namespaces"]
        and parts[4] == "services"
        and parts[6] == "proxy"
    )


class _Handler(FaultsMixin, AuthMixin, DiscoveryMixin, CrudMixin, LogsMixin, WatchMixin):
    """Every request: faults, authentication, impersonation, RBAC, then the concern's
    handler (one mixin per concern, in ``glmctl/sim/api/``)."""

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
        except DropConnection:
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
        if len(parts) == 1 and parts[0] in HEALTH_PATHS:
            self._authorize(user, rbac.Attributes("get", path=path))
            self._send(200, b"ok", content_type="text/plain; charset=utf-8")
            return
        if _is_service_proxy(parts):
            self._service_proxy(user, parts)
            return
        discovery = self._discovery(parts)
        if discovery is not None:
            if method != "GET":
                raise method_not_allowed()
            self._authorize(user, rbac.Attributes("get", path=path))
            self._send_json(200, discovery)
            return
        target = self._target(parts)
        if target is None:
            raise not_found()
        verb = self._verb(method, target, params)
        if verb not in target.rt.verbs:
            raise method_not_allowed()
        if target.rt.group in ("authorization.k8s.io", "authentication.k8s.io"):
            self._authorize(user, rbac.Attributes("create", target.rt.group, target.rt.plural))
            if target.rt.plural == "selfsubjectreviews":
                self._who_am_i(user)
            elif target.rt.plural == "selfsubjectrulesreviews":
                self._rules_review(user)
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
        elif verb == "get" and target.subresource == "log":
            self._pod_log(target, params)
        else:
            getattr(self, f"_do_{verb}")(target, params)

    def _service_proxy(self, user: rbac.UserInfo, parts: list[str]) -> None:
        """``/api/v1/namespaces/NS/services/NAME[:PORT]/proxy/...``: routed and authorized
        as the real server does, then answered by the simulated application behind the
        Service (``glmctl/sim/apps/``); a Service with none, or none Ready, answers 503 as a
        real one without ready endpoints does.

        Like kube-apiserver, the credentials the request authenticated with
        (``Authorization``, ``Impersonate-*``) are not passed on. A real API server has no
        way to pass a bearer token of the application's own; the simulator accepts one in
        ``X-Glmctl-Upstream-Authorization`` and gives it to the app as ``Authorization``
        (a documented difference: docs/simulator.md)."""
        namespace = parts[3]
        name, _, port = parts[5].partition(":")
        self._authorize(user, rbac.Attributes("get", "", "services", "proxy", namespace, name))
        rt = self.state.store.registry.lookup("", "v1", "services")
        assert rt is not None
        self.state.store.read(rt, namespace, name)
        reply = None
        if self.state.apps is not None:
            query = urlsplit(self.path).query
            rest = "/" + "/".join(parts[7:])
            if self.path.split("?", 1)[0].endswith("/") and rest != "/":
                rest += "/"
            headers = {
                key.lower(): value
                for key, value in self.headers.items()
                if key.lower() != "authorization" and not key.lower().startswith("impersonate-")
            }
            upstream = headers.pop("x-glmctl-upstream-authorization", None)
            if upstream:
                headers["authorization"] = upstream
            reply = self.state.apps.answer(
                self.command,
                namespace,
                name,
                port,
                rest + (f"?{query}" if query else ""),
                headers,
                self._raw_body or b"",
            )
        if reply is None:
            raise ApiError(
                503,
                "ServiceUnavailable",
                f'no endpoints available for service "{name}"',
            )
        self._send(reply.status, reply.body, reply.content_type)

    @staticmethod
    def _verb(method: str, target: Target, params: dict[str, str]) -> str:
        if method == "GET":
            if target.name is not None:
                return "get"
            return "watch" if params.get("watch") in ("1", "true") else "list"
        if method == "POST":
            if target.name is not None:
                raise method_not_allowed()
            return "create"
        if method == "DELETE" and target.name is None:
            return "deletecollection"
        if target.name is None:
            raise method_not_allowed()
        return _VERB_FOR_METHOD[method]

    def _target(self, parts: list[str]) -> Target | None:
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
        storage = None
        if rt.group == events.GROUP and rt.plural == "events":
            storage = self.state.store.registry.get("", "events")
        return Target(rt, version, namespace, name, sub, storage)

    # --- discovery -----------------------------------------------------------------


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
        self._httpd = StateServer((host, port), state, _Handler)
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
