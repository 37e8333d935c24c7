"""The one gateway to the Kubernetes API: plain dicts in and out, one request policy.

Every HTTP request goes through :meth:`Cluster._send`, which owns the whole policy:

* reads (GET, and requests declared safe such as SelfSubjectAccessReview) retry with
  exponential backoff and full jitter on 429 (honouring ``Retry-After``), 5xx and
  connection errors, a bounded number of times; writes are sent again only when the
  server cannot have acted on them (the connection never opened, a 401 answered by
  reloading credentials, a 404 for a kind discovery finds at another version), never
  after a 429, a 5xx or a broken connection;
* a timeout is never retried: a server that did not answer within the connect or read
  timeout is hung or overloaded, and asking again would multiply the operator's wait
  (five attempts of 10 s each once made a hung server cost 52 s) for an answer that
  rarely comes. It raises :class:`ServerTimedOut` (exit 4) at once;
* an optional budget for the whole connection (``Timeouts.total``, the global
  ``--timeout``, set by :meth:`Cluster.from_options`): every socket timeout is cut to
  what is left of it, and no retry starts after it ran out;
* urllib3's own ``Retry`` is switched off (``retries=False``, in ``transport.py``), so the
  retries above are the only ones: the default would re-send GET/DELETE on 429/503 by itself;
* every request has a client-side connect and read timeout; a watch's read timeout is
  longer than its server-side ``timeoutSeconds`` so a dropped network ends it;
* a 401 reloads the credentials once (exec plugins run again) and retries;
* failures become ``glmctl.errors`` exceptions with one sentence for the operator.

Responses are decoded with ``json.loads`` into dicts: the ``kubernetes`` package's model
classes are far too slow to import and to deserialize for a CLI (see issue 2), and the
package itself is not used at all (``transport.py`` says why). urllib3's logger is held at
WARNING because at DEBUG it would print request lines with Secret names and bodies.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from glmctl.cluster import resources
from glmctl.cluster.kubeconfig import CredentialSource, resolve
from glmctl.cluster.resources import ResourceType
from glmctl.cluster.transport import Transport
from glmctl.errors import (
    ApiError,
    ClusterUnreachable,
    Conflict,
    CrdNotInstalled,
    Forbidden,
    NotFound,
    ServerFailed,
    TimedOut,
    Unauthorized,
)

if TYPE_CHECKING:
    from glmctl.context import GlobalOptions

Obj = dict[str, Any]
Objs = list[Obj]
Headers = list[tuple[str, str]]
GroupVersions = list[tuple[str, str]]
log = logging.getLogger("glmctl.cluster")

_READ_METHODS = frozenset({"GET", "HEAD"})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_URLLIB3_PREFIX = re.compile(r"^(?:\w*ConnectionPool\([^)]*\):\s*|<[^>]*>:\s*)+")
_TRAILING_NOTE = re.compile(r"\s*\((?:connect timeout=|read timeout=|_ssl\.c:)[^)]*\)?\s*$")
"""urllib3's "(read timeout=10.0)" and OpenSSL's "(_ssl.c:1006)": noise for an operator."""
_SPENT = 0.1
"""Seconds: a budget with less than this left counts as spent (socket timers are coarse)."""


class ResourceExpired(ApiError):
    """HTTP 410: a resourceVersion or ``continue`` token is too old; list again."""


class WatchExpired(ResourceExpired):
    """A watch's resourceVersion is gone (410); relist, then watch from the new version."""


class ServerTimedOut(TimedOut, ClusterUnreachable):
    """The API server did not answer in time (exit 4, the documented code for a timeout).

    Also a :class:`ClusterUnreachable`, because that is what it means to a caller: no
    answer came, so code that reconnects or stops on an unreachable cluster handles it too.
    """


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries for reads: ``attempts`` tries in all, backoff ``base * 2**n`` capped."""

    attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 5.0
    max_retry_after: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before try ``attempt + 1``: Retry-After if given, else jitter."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return random.uniform(0.0, ceiling)


@dataclass(frozen=True)
class Timeouts:
    """Client-side socket timeouts, in seconds."""

    connect: float = 10.0
    read: float = 30.0
    watch_margin: float = 15.0
    """A watch's read timeout is its server-side ``timeoutSeconds`` plus this."""
    total: float | None = None
    """The budget of the whole connection, counted from :meth:`Cluster.connect`: no
    request waits past it, retries included (the global ``--timeout``). None: no budget."""


@dataclass(frozen=True)
class Impersonation:
    """``--as``/``--as-group``: the user (and groups) every request acts as."""

    user: str
    groups: tuple[str, ...] = ()

    def headers(self) -> Headers:
        return [("Impersonate-User", self.user)] + [
            ("Impersonate-Group", group) for group in self.groups
        ]


@dataclass(frozen=True)
class WatchEvent:
    """One event of a watch stream: ADDED, MODIFIED, DELETED or BOOKMARK."""

    type: str
    object: Obj

    @property
    def resource_version(self) -> str:
        """The object's resourceVersion: where to resume watching after this event."""
        return str((self.object.get("metadata") or {}).get("resourceVersion", ""))


@dataclass(frozen=True)
class ListResult:
    """A list's items and the list's resourceVersion (start a watch from there)."""

    items: list[Obj]
    resource_version: str


@dataclass(frozen=True)
class AccessReview:
    """The answer of a SelfSubjectAccessReview (``kubectl auth can-i``)."""

    allowed: bool
    reason: str = ""
    denied: bool = False


@dataclass(frozen=True)
class _Target:
    """What a request is about, to write error sentences and to decide CRD-missing vs 404."""

    verb: str
    rt: ResourceType | None = None
    namespace: str | None = None
    name: str | None = None

    def describe(self) -> str:
        kind = self.rt.kind if self.rt else "object"
        where = f"{self.namespace}/{self.name}" if self.namespace else str(self.name)
        return f"{kind} {where}" if self.name else f"{kind} list"


@dataclass(frozen=True)
class ProxyResponse:
    """What an in-cluster service answered through the API server's service proxy."""

    status: int
    content_type: str
    body: bytes = field(repr=False)

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body) if self.body else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None

    @property
    def no_endpoints(self) -> bool:
        """The API server itself answered 503: the Service has no ready endpoint."""
        document = self.json()
        return (
            self.status == 503
            and isinstance(document, dict)
            and document.get("kind") == "Status"
            and document.get("reason") == "ServiceUnavailable"
        )


@dataclass
class _Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    raw: Any = field(default=None, repr=False)  # the open urllib3 response when streaming


class Cluster:
    """A connection to one cluster (one kubeconfig context). Thread-safe for requests.

    Build with :meth:`connect`. All reads return plain dicts as the API sent them.
    """

    def __init__(
        self,
        source: CredentialSource,
        *,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        impersonate: Impersonation | None = None,
    ) -> None:
        self._source = source
        self._impersonation: Headers = impersonate.headers() if impersonate else []
        self._timeouts = timeouts
        self._retry = retry
        self._sleep = sleep
        self._deadline = None if timeouts.total is None else time.monotonic() + timeouts.total
        self._lock = threading.Lock()
        self._request_count = 0
        self._transport: Transport | None = None
        self._group_versions: dict[tuple[str, str], frozenset[str] | None] = {}
        self._version_overrides: dict[tuple[str, str], str] = {}
        self._open_client()

    # -- construction -------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        kubeconfig: Path | None = None,
        context: str | None = None,
        *,
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        sleep: Callable[[float], None] = time.sleep,
        impersonate: Impersonation | None = None,
    ) -> Cluster:
        """Load credentials the way kubectl does and return a ready client (no request yet).

        Raises KubeconfigError for a missing file or an unknown context (naming the
        contexts that exist). Commands connect with :meth:`from_options` instead.
        """
        quiet_client_loggers()
        return cls(
            resolve(kubeconfig, context),
            timeouts=timeouts,
            retry=retry,
            sleep=sleep,
            impersonate=impersonate,
        )

    @classmethod
    def from_options(cls, options: GlobalOptions) -> Cluster:
        """Connect the way the global options say: the one path every command takes.

        Applies ``--kubeconfig``, ``--context``, ``--as``/``--as-group`` (sent as
        ``Impersonate-User``/``Impersonate-Group`` on every request, as kubectl does) and
        ``--timeout`` as the budget of every request made through this connection, so
        every command stops after about that long when the API server hangs
        (ServerTimedOut, exit 4). ``--timeout 0`` means no limit, like kubectl's
        ``--request-timeout=0``; each request keeps its socket timeouts then.
        """
        if options.as_groups and not options.as_user:
            from glmctl.errors import UsageError

            raise UsageError(
                "--as-group needs --as: Kubernetes impersonates groups only with a user",
                hint="Add --as USER (a user or system:serviceaccount:NAMESPACE:NAME).",
            )
        impersonate = Impersonation(options.as_user, options.as_groups) if options.as_user else None
        return cls.connect(
            options.kubeconfig,
            options.context,
            timeouts=Timeouts(total=options.budget),
            impersonate=impersonate,
        )

    def _open_client(self) -> None:
        """(Re)build the transport from freshly loaded credentials."""
        transport = Transport(self._source.credentials(timeout=self.remaining()))
        old, self._transport = self._transport, transport
        if old is not None:
            old.close()

    def close(self) -> None:
        """Release pooled connections."""
        if self._transport is not None:
            self._transport.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- identity -----------------------------------------------------------------------

    @property
    def context_name(self) -> str:
        """The kubeconfig context in use (``in-cluster`` inside a pod)."""
        return self._source.context

    @property
    def user_name(self) -> str:
        """The kubeconfig user of that context."""
        return self._source.user

    @property
    def server(self) -> str:
        """The API server URL."""
        return self._source.server

    def ca_fingerprint(self) -> str | None:
        """SHA-256 (hex) of the first CA certificate this connection trusts, None without
        one (plain HTTP, or the system's CAs)."""
        import hashlib
        import ssl

        assert self._transport is not None
        pem = self._transport.credentials.ca_pem
        if not pem:
            return None
        text = pem.decode("ascii", errors="replace")
        end = "-----END CERTIFICATE-----"
        first = text.split(end, 1)[0]
        if "-----BEGIN CERTIFICATE-----" not in first:
            return None
        try:
            der = ssl.PEM_cert_to_DER_cert(first[first.index("-----BEGIN") :] + end + "\n")
        except ValueError:
            return None
        return hashlib.sha256(der).hexdigest()

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far (retries included): benchmarks report it."""
        return self._request_count

    def remaining(self) -> float | None:
        """Seconds left of ``Timeouts.total`` (never negative), None without a budget.

        Waiting loops above this layer (``monitor``) end their own wait by then, so the
        budget running out mid-request is the same moment as their own timeout.
        """
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.monotonic())

    # -- reads ---------------------------------------------------------------------------

    def server_version(self) -> str:
        """The server's ``gitVersion`` (e.g. ``v1.30.2``)."""
        body = self._json("GET", "/version", target=_Target("get"))
        return str(body.get("gitVersion", ""))

    def proxy(
        self,
        namespace: str,
        service: str,
        port: int | str,
        path: str,
        *,
        method: str = "GET",
        upstream_authorization: str | None = None,
    ) -> ProxyResponse:
        """One request to an in-cluster Service through the API server's service proxy
        (``/api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH``), with this connection's
        credentials. The service's own answer is returned whatever its status; the API
        server's refusals (403, 404 for the Service) raise as every other request's do.

        ``upstream_authorization`` is a credential for the service itself. kube-apiserver
        consumes the request's ``Authorization`` header and does not pass it on, so it is
        sent as ``X-Glmctl-Upstream-Authorization``, which only the simulator maps back
        (docs/smoke.md); on a real cluster give the service's URL instead
        (``--authentik-url``).
        """
        target = _Target("get", resources.SERVICE, namespace, service)
        full = (
            f"/api/v1/namespaces/{quote(namespace, safe='')}/services/"
            f"{quote(service, safe='')}:{port}/proxy/{path.lstrip('/')}"
        )
        extra: Headers = []
        if upstream_authorization is not None:
            extra.append(("X-Glmctl-Upstream-Authorization", upstream_authorization))
        response = self._send(method, full, target=target, extra_headers=extra, any_status=True)
        proxied = ProxyResponse(
            response.status,
            str(response.headers.get("Content-Type", "")),
            response.body,
        )
        document = proxied.json()
        is_status = isinstance(document, dict) and document.get("kind") == "Status"
        if response.status in (401, 403, 404) and is_status:
            raise self._error(response, target, False)
        return proxied

    def get(self, rt: ResourceType, name: str, namespace: str | None = None) -> Obj:
        """One object; NotFound if it does not exist, CrdNotInstalled if its kind is not served."""
        target = _Target("get", rt, namespace, name)
        return self._json("GET", self._path(rt, namespace, name), target=target)

    def get_or_none(self, rt: ResourceType, name: str, namespace: str | None = None) -> Obj | None:
        """One object, or None when it does not exist (its kind must still be served)."""
        try:
            return self.get(rt, name, namespace)
        except NotFound:
            return None

    def list(
        self,
        rt: ResourceType,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int = 500,
    ) -> Objs:
        """Every matching object (all namespaces when ``namespace`` is None), all pages."""
        return self.list_with_version(
            rt,
            namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            page_size=page_size,
        ).items

    def list_with_version(
        self,
        rt: ResourceType,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int = 500,
    ) -> ListResult:
        """Like :meth:`list`, plus the list's resourceVersion for a following :meth:`watch`.

        Follows ``continue`` tokens; if a token expires mid-way (410) the list restarts
        once from the beginning, as kubectl does.
        """
        for restart in range(2):
            try:
                return self._list_pages(rt, namespace, label_selector, field_selector, page_size)
            except ResourceExpired:
                if restart:
                    raise
                log.debug("continue token expired while listing %s; listing again", rt.display)
        raise AssertionError("unreachable")  # pragma: no cover

    def _list_pages(
        self,
        rt: ResourceType,
        namespace: str | None,
        label_selector: str | None,
        field_selector: str | None,
        page_size: int,
    ) -> ListResult:
        target = _Target("list", rt, namespace)
        items: Objs = []
        token: str | None = None
        version = ""
        while True:
            query = _query(
                labelSelector=label_selector,
                fieldSelector=field_selector,
                limit=page_size if page_size > 0 else None,
            )
            if token:
                query["continue"] = token
            page = self._json("GET", self._path(rt, namespace), query=query, target=target)
            items.extend(_with_type(item, page) for item in page.get("items") or [])
            metadata = page.get("metadata") or {}
            version = str(metadata.get("resourceVersion", version))
            token = metadata.get("continue") or None
            if not token:
                return ListResult(items=items, resource_version=version)

    def watch(
        self,
        rt: ResourceType,
        namespace: str | None = None,
        *,
        label_selector: str | None = None,
        field_selector: str | None = None,
        resource_version: str | None = None,
        timeout_seconds: int = 60,
    ) -> Iterator[WatchEvent]:
        """Events after ``resource_version`` until the server ends the watch.

        Ends normally after ``timeout_seconds`` (server side). Raises :class:`WatchExpired`
        when the version is too old (HTTP 410 or an ERROR event with code 410): list
        again and watch from the list's version. A silent network raises
        ClusterUnreachable after ``timeout_seconds`` plus a margin.
        """
        target = _Target("watch", rt, namespace)
        query = _query(
            watch="true",
            labelSelector=label_selector,
            fieldSelector=field_selector,
            resourceVersion=resource_version,
            timeoutSeconds=timeout_seconds,
            allowWatchBookmarks="true",
        )
        read_timeout = timeout_seconds + self._timeouts.watch_margin
        response = self._send(
            "GET",
            self._path(rt, namespace),
            query=query,
            target=target,
            stream=True,
            read_timeout=read_timeout,
        )
        return self._watch_events(response, target)

    def _watch_events(self, response: _Response, target: _Target) -> Iterator[WatchEvent]:
        import urllib3

        raw = response.raw
        buffer = b""
        finished = False
        try:
            try:
                for chunk in raw.stream(65536, decode_content=True):
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    for line in lines:
                        event = _decode_watch_line(line)
                        if event is not None:
                            yield event
            except (urllib3.exceptions.HTTPError, OSError) as error:
                raise ClusterUnreachable(
                    f"the watch on {target.describe()} at {self.server} stopped: {_short(error)}.",
                    hint="The network or the API server dropped the stream; watch again.",
                ) from error
            finished = True
            event = _decode_watch_line(buffer)
            if event is not None:
                yield event
        finally:
            if not finished:
                # Left early (caller stopped, 410, network): the stream still has unread
                # data, so the socket must not go back to the pool for the next request.
                raw.close()
            raw.release_conn()

    def pod_logs(
        self,
        name: str,
        namespace: str,
        *,
        tail_lines: int | None = None,
        container: str | None = None,
    ) -> str:
        """The pod's log text (``kubectl logs``), optionally only the last ``tail_lines``."""
        target = _Target("get", resources.POD, namespace, name)
        query = _query(tailLines=tail_lines, container=container)
        path = resources.POD.path(namespace, name) + "/log"
        response = self._send("GET", path, query=query, target=target)
        return response.body.decode("utf-8", errors="replace")

    def can_i(
        self,
        verb: str,
        resource: str,
        *,
        group: str = "",
        namespace: str | None = None,
        name: str | None = None,
        subresource: str | None = None,
        as_user: str | None = None,
        as_groups: Sequence[str] | None = None,
    ) -> AccessReview:
        """``kubectl auth can-i VERB RESOURCE [--as USER]`` via a SelfSubjectAccessReview.

        With ``as_user`` the review is sent with impersonation headers, so it answers for
        that user (the caller needs the ``impersonate`` permission, as with kubectl).
        """
        attributes = {
            "verb": verb,
            "resource": resource,
            "group": group,
            "namespace": namespace,
            "name": name,
            "subresource": subresource,
        }
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": {k: v for k, v in attributes.items() if v}},
        }
        headers: Headers = []
        if as_user:
            headers.append(("Impersonate-User", as_user))
        for impersonated_group in as_groups or ():
            headers.append(("Impersonate-Group", impersonated_group))
        review = self._json(
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            body=body,
            extra_headers=headers,
            target=_Target("create", None, None, "selfsubjectaccessreviews"),
            retry_safe=True,  # a review changes nothing; retrying it is a read
        )
        status = review.get("status") or {}
        return AccessReview(
            allowed=bool(status.get("allowed")),
            reason=str(status.get("reason") or status.get("evaluationError") or ""),
            denied=bool(status.get("denied")),
        )

    # -- discovery -----------------------------------------------------------------------

    def is_served(self, rt: ResourceType) -> bool:
        """True when the server serves ``rt``'s plural at its group/version (or another)."""
        return self._served_version(rt) is not None

    def resolve(self, rt: ResourceType) -> ResourceType:
        """``rt`` at a version the server serves; CrdNotInstalled when none does.

        External Secrets moved from ``v1beta1`` to ``v1``: asking for one finds the other.
        """
        version = self._served_version(rt)
        if version is None:
            raise _crd_missing(rt)
        return rt if version == rt.version else rt.with_version(version)

    def served_resources(self) -> set[tuple[str, str]]:
        """Every (group, plural) the server serves, from ``/api`` and ``/apis`` discovery."""
        served: set[tuple[str, str]] = set()
        for group, version in self._all_group_versions():
            plurals = self._plurals(group, version)
            served.update((group, plural) for plural in plurals or ())
        return served

    def _all_group_versions(self) -> GroupVersions:
        core = self._json("GET", "/api", target=_Target("get"))
        pairs = [("", str(v)) for v in core.get("versions") or []]
        groups = self._json("GET", "/apis", target=_Target("get"))
        for group in groups.get("groups") or []:
            for version in group.get("versions") or []:
                pairs.append((str(group.get("name", "")), str(version.get("version", ""))))
        return pairs

    def _plurals(self, group: str, version: str) -> frozenset[str] | None:
        """Plural names served at group/version (cached); None when it is not served."""
        key = (group, version)
        if key not in self._group_versions:
            path = f"/apis/{group}/{version}" if group else f"/api/{version}"
            try:
                body = self._json("GET", path, target=_Target("get"), discovery=True)
            except NotFound:
                self._group_versions[key] = None
            else:
                names = {str(r.get("name", "")).split("/")[0] for r in body.get("resources") or []}
                self._group_versions[key] = frozenset(names)
        return self._group_versions[key]

    def _served_version(self, rt: ResourceType) -> str | None:
        override = self._version_overrides.get((rt.group, rt.plural))
        if override is not None:
            return override
        plurals = self._plurals(rt.group, rt.version)
        if plurals is not None and rt.plural in plurals:
            return rt.version
        if not rt.group:
            return None
        try:
            group = self._json("GET", f"/apis/{rt.group}", target=_Target("get"), discovery=True)
        except NotFound:
            return None
        preferred = str((group.get("preferredVersion") or {}).get("version", ""))
        versions = [str(v.get("version", "")) for v in group.get("versions") or []]
        for version in sorted(versions, key=lambda v: v != preferred):
            found = self._plurals(rt.group, version)
            if found is not None and rt.plural in found:
                self._version_overrides[(rt.group, rt.plural)] = version
                return version
        return None

    # -- writes --------------------------------------------------------------------------

    def create(self, obj: Obj, *, dry_run: bool = False) -> Obj:
        """Create ``obj`` (kind from its apiVersion/kind); Conflict if it already exists."""
        rt = resources.for_kind(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        metadata = obj.get("metadata") or {}
        namespace = metadata.get("namespace") if rt.namespaced else None
        target = _Target("create", rt, namespace, metadata.get("name"))
        return self._json(
            "POST",
            self._path(rt, namespace),
            query=_query(dryRun="All" if dry_run else None),
            body=obj,
            target=target,
        )

    def patch_merge(
        self,
        rt: ResourceType,
        name: str,
        namespace: str | None,
        patch: Obj,
        *,
        dry_run: bool = False,
    ) -> Obj:
        """Apply a JSON merge patch (RFC 7386) and return the object as the server has it."""
        return self._patch(rt, name, namespace, patch, "application/merge-patch+json", dry_run)

    def patch_json(
        self,
        rt: ResourceType,
        name: str,
        namespace: str | None,
        operations: Objs,
        *,
        dry_run: bool = False,
    ) -> Obj:
        """Apply a JSON patch (RFC 6902): a list of ``{"op", "path", "value"}`` operations."""
        return self._patch(rt, name, namespace, operations, "application/json-patch+json", dry_run)

    def _patch(
        self,
        rt: ResourceType,
        name: str,
        namespace: str | None,
        body: Obj | Objs,
        content_type: str,
        dry_run: bool,
    ) -> Obj:
        return self._json(
            "PATCH",
            self._path(rt, namespace, name),
            query=_query(dryRun="All" if dry_run else None),
            body=body,
            content_type=content_type,
            target=_Target("patch", rt, namespace, name),
        )

    def delete(
        self,
        rt: ResourceType,
        name: str,
        namespace: str | None = None,
        *,
        propagation: str = "Background",
        uid: str | None = None,
        resource_version: str | None = None,
        dry_run: bool = False,
    ) -> Obj:
        """Delete one object with a propagation policy (Background, Foreground, Orphan).

        ``uid`` / ``resource_version`` are preconditions: the server refuses (Conflict) if
        the object was replaced or changed since it was read, so a plan made from a read
        never deletes something else.
        """
        options: Obj = {
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "propagationPolicy": propagation,
        }
        preconditions = {
            k: v for k, v in (("uid", uid), ("resourceVersion", resource_version)) if v
        }
        if preconditions:
            options["preconditions"] = preconditions
        if dry_run:
            options["dryRun"] = ["All"]
        return self._json(
            "DELETE",
            self._path(rt, namespace, name),
            body=options,
            target=_Target("delete", rt, namespace, name),
        )

    # -- the request machinery ----------------------------------------------------------

    def _path(self, rt: ResourceType, namespace: str | None, name: str | None = None) -> str:
        override = self._version_overrides.get((rt.group, rt.plural))
        served = rt.with_version(override) if override and override != rt.version else rt
        return served.path(namespace, quote(name, safe="") if name is not None else None)

    def _json(
        self,
        method: str,
        path: str,
        *,
        target: _Target,
        query: dict[str, str] | None = None,
        body: Obj | Objs | None = None,
        content_type: str = "application/json",
        extra_headers: Headers | None = None,
        retry_safe: bool = False,
        discovery: bool = False,
    ) -> Obj:
        response = self._send(
            method,
            path,
            query=query,
            body=body,
            content_type=content_type,
            extra_headers=extra_headers,
            target=target,
            retry_safe=retry_safe,
            discovery=discovery,
        )
        try:
            decoded = json.loads(response.body) if response.body else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ApiError(
                f"the API server at {self.server} sent a response that is not JSON "
                f"for {method} {path}.",
                status=response.status,
            ) from error
        if not isinstance(decoded, dict):
            raise ApiError(f"unexpected JSON from {method} {path}.", status=response.status)
        return decoded

    def _send(
        self,
        method: str,
        path: str,
        *,
        target: _Target,
        query: dict[str, str] | None = None,
        body: Obj | Objs | None = None,
        content_type: str = "application/json",
        extra_headers: Headers | None = None,
        stream: bool = False,
        read_timeout: float | None = None,
        retry_safe: bool = False,
        discovery: bool = False,
        any_status: bool = False,
    ) -> _Response:
        """Send one logical request under the retry policy; return a 2xx response or raise.

        ``any_status``: return whatever answered (a proxied service's own status is not
        the API server's), retrying only when nothing reached the server."""
        retryable = method in _READ_METHODS or retry_safe
        reloaded = rerouted_once = False
        attempt = 0
        while True:
            try:
                response = self._attempt(
                    method, path, query, body, content_type, extra_headers, stream, read_timeout
                )
            except _NoAnswer as failure:
                raise self._timed_out(failure) from failure.error
            except _ConnectFailed as failure:
                # Nothing reached the server: safe to retry for any method.
                if attempt + 1 < self._retry.attempts and self._pause(
                    attempt, None, f"{method} {path}: {failure.error}"
                ):
                    attempt += 1
                    continue
                raise self._unreachable(failure.error) from failure.error
            except _TransportFailed as failure:
                if (
                    retryable
                    and attempt + 1 < self._retry.attempts
                    and self._pause(attempt, None, f"{method} {path}: {failure.error}")
                ):
                    attempt += 1
                    continue
                raise self._unreachable(failure.error) from failure.error
            if 200 <= response.status < 300 or any_status:
                return response
            if response.status == 401 and not reloaded:
                log.debug("401 from %s %s; reloading credentials once", method, path)
                reloaded = True
                self._open_client()
                continue
            if (
                response.status in _RETRY_STATUSES
                and retryable
                and attempt + 1 < self._retry.attempts
                and self._pause(
                    attempt,
                    _retry_after_seconds(response.headers.get("Retry-After")),
                    f"{method} {path} -> {response.status}",
                )
            ):
                attempt += 1
                continue
            rerouted = None if rerouted_once else self._reroute(response, path, target, discovery)
            if rerouted is not None:
                path, rerouted_once = rerouted, True
                continue
            raise self._error(response, target, discovery)

    def _attempt(
        self,
        method: str,
        path: str,
        query: dict[str, str] | None,
        body: Obj | Objs | None,
        content_type: str,
        extra_headers: Headers | None,
        stream: bool,
        read_timeout: float | None,
    ) -> _Response:
        import urllib3

        transport = self._transport
        assert transport is not None
        url = self._source.server + path
        if query:
            url += "?" + urlencode(query)
        headers: Headers = [("Accept", "application/json"), ("User-Agent", "glmctl")]
        if body is not None:
            headers.append(("Content-Type", content_type))
        extra = list(extra_headers or ())
        if not any(key == "Impersonate-User" for key, _ in extra):  # can_i(as_user=) wins
            extra = self._impersonation + extra
        headers.extend(extra)
        connect, read = self._timeouts.connect, read_timeout or self._timeouts.read
        remaining = self.remaining()
        if remaining is not None:
            if remaining <= 0:
                raise _NoAnswer(TimeoutError("the --timeout budget is spent"), 0.0)
            connect, read = min(connect, remaining), min(read, remaining)
        with self._lock:
            self._request_count += 1
        started = time.monotonic()
        try:
            raw = transport.request(
                method, url, headers=headers, body=body, timeout=(connect, read)
            )
            if stream and 200 <= raw.status < 300:
                payload = b""
            else:
                payload = raw.read()
                raw.release_conn()
        except urllib3.exceptions.NewConnectionError as error:  # a ConnectTimeoutError too
            raise _ConnectFailed(error) from error
        except (urllib3.exceptions.TimeoutError, TimeoutError) as error:
            # Connect, TLS handshake or read: urllib3 calls the handshake a read timeout.
            raise _NoAnswer(error, time.monotonic() - started) from error
        except (urllib3.exceptions.HTTPError, OSError) as error:  # TLS errors too
            raise _TransportFailed(error) from error
        log.debug(
            "%s %s -> %s (%.0f ms)", method, path, raw.status, (time.monotonic() - started) * 1000
        )
        return _Response(status=raw.status, headers=raw.headers, body=payload, raw=raw)

    def _pause(self, attempt: int, retry_after: float | None, why: str) -> bool:
        """Wait before the next attempt; False (no wait) when the budget would run out first."""
        delay = self._retry.delay(attempt, retry_after)
        remaining = self.remaining()
        if remaining is not None and delay >= remaining:
            log.debug("not retrying after %s: the --timeout budget is spent", why)
            return False
        log.debug("retrying in %.2fs after %s", delay, why)
        self._sleep(delay)
        return True

    def _unreachable(self, error: BaseException) -> ClusterUnreachable:
        return ClusterUnreachable(
            f"cannot reach the Kubernetes API server at {self.server} "
            f"(context {self.context_name!r}): {_short(error)}.",
            hint="Check that the cluster is up and that the kubeconfig points at it "
            "(kubectl cluster-info).",
        )

    def _timed_out(self, failure: _NoAnswer) -> ServerTimedOut:
        remaining = self.remaining()
        if remaining is not None and remaining < _SPENT and self._timeouts.total is not None:
            return ServerTimedOut(
                f"the API server at {self.server} did not answer within "
                f"{self._timeouts.total:g} s (--timeout).",
                hint="Check that the API server is up and not overloaded "
                "(kubectl cluster-info), or allow it longer with --timeout.",
            )
        return ServerTimedOut(
            f"the API server at {self.server} (context {self.context_name!r}) did not answer "
            f"within {_about(failure.waited)} s.",
            hint="It is hung or overloaded: check it with kubectl cluster-info, "
            "or look at its control-plane node.",
        )

    def _error(self, response: _Response, target: _Target, discovery: bool) -> Exception:
        status_body = _status_body(response.body)
        message = str(status_body.get("message") or "").strip()
        reason = str(status_body.get("reason") or "")
        code = response.status
        if code == 401:
            return Unauthorized(
                f"the API server at {self.server} rejected the credentials of user "
                f"{self.user_name!r} (context {self.context_name!r}), even after reloading them.",
                hint="Log in again or refresh the kubeconfig's credentials.",
                status=code,
                reason=reason or "Unauthorized",
            )
        if code == 403:
            return Forbidden(
                _forbidden_sentence(message, target, self.user_name),
                hint=_can_i_hint(target),
                status=code,
                reason=reason or "Forbidden",
            )
        if code == 404:
            if discovery:
                return NotFound(message or "not found", status=code, reason="NotFound")
            return self._not_found(status_body, message, target)
        if code == 409:
            return Conflict(
                f"{target.describe()}: {message or 'conflict'}.",
                hint="The object changed or already exists; read it again and retry.",
                status=code,
                reason=reason or "Conflict",
            )
        if code == 410:
            cls = WatchExpired if target.verb == "watch" else ResourceExpired
            return cls(
                f"{target.describe()}: {message or 'resource version expired'}.",
                status=code,
                reason=reason or "Expired",
            )
        if code == 429:
            return ServerFailed(
                f"the API server at {self.server} is throttling requests (429) and kept "
                f"doing so for {self._retry.attempts} attempts.",
                hint="Wait a little and run again.",
                status=code,
                reason=reason or "TooManyRequests",
            )
        sentence = message or f"HTTP {code}"
        return (ServerFailed if code >= 500 else ApiError)(
            f"{target.verb} {target.describe()} failed: {sentence} ({code} {reason}).".replace(
                " )", ")"
            ),
            status=code,
            reason=reason or None,
        )

    def _reroute(
        self, response: _Response, path: str, target: _Target, discovery: bool
    ) -> str | None:
        """On a 404 for a kind served at another version, the same path at that version.

        A 404 changed nothing on the server, so sending the request again is safe for
        writes too. Discovery runs only here, never on the happy path.
        """
        rt = target.rt
        if response.status != 404 or discovery or rt is None or not rt.group:
            return None
        if _names_missing_object(_status_body(response.body), target):
            return None
        version = self._served_version(rt)
        prefix = f"/apis/{rt.group}/"
        if version is None or not path.startswith(prefix):
            return None
        current, _, rest = path[len(prefix) :].partition("/")
        if current == version:
            return None
        log.debug("%s is served at %s/%s, not %s", rt.kind, rt.group, version, current)
        return f"{prefix}{version}/{rest}"

    def _not_found(self, status_body: Obj, message: str, target: _Target) -> Exception:
        if (
            target.rt is not None
            and not _names_missing_object(status_body, target)
            and target.rt.group
            and self._served_version(target.rt) is None
        ):
            return _crd_missing(target.rt)
        return NotFound(
            f"{target.describe()} not found.",
            hint=None,
            status=404,
            reason="NotFound",
        )


class _ConnectFailed(Exception):
    """The TCP/TLS connection could not be opened: no request reached the server."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class _TransportFailed(Exception):
    """The connection failed after the request may have been sent."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


class _NoAnswer(Exception):
    """A connect, TLS handshake or read timeout after ``waited`` seconds, or no budget left."""

    def __init__(self, error: BaseException, waited: float) -> None:
        super().__init__(str(error))
        self.error = error
        self.waited = waited


def _with_type(item: Obj, page: Obj) -> Obj:
    """A list item with its ``apiVersion`` and ``kind``: the API server leaves them out of
    the items of built-in lists (``JobList`` items say nothing of being Jobs), and code
    that plans, journals or re-creates an object needs them, as kubectl fills them in."""
    if item.get("kind") and item.get("apiVersion"):
        return item
    list_kind = str(page.get("kind", ""))
    if not list_kind.endswith("List") or not page.get("apiVersion"):
        return item
    return {"apiVersion": page["apiVersion"], "kind": list_kind[: -len("List")], **item}


def quiet_client_loggers() -> None:
    """Hold the client libraries' loggers at WARNING: at DEBUG they print tokens."""
    for name in ("kubernetes", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


def _crd_missing(rt: ResourceType) -> CrdNotInstalled:
    return CrdNotInstalled(
        f"the cluster does not serve {rt.kind} ({rt.api_version}): "
        f"is the {rt.display} CRD installed?",
        hint=f"kubectl get crd {rt.display}",
        status=404,
        reason="NotFound",
    )


def _names_missing_object(status_body: Obj, target: _Target) -> bool:
    """The 404 is about the named object (it does not exist), not about its kind."""
    details = status_body.get("details") or {}
    return target.name is not None and details.get("name") == target.name


def _forbidden_sentence(message: str, target: _Target, user: str) -> str:
    if message:
        return message.rstrip(".") + "."
    resource = target.rt.display if target.rt else "the resource"
    where = f" in namespace {target.namespace}" if target.namespace else " cluster-wide"
    return f"user {user!r} may not {target.verb} {resource}{where}."


def _can_i_hint(target: _Target) -> str:
    resource = target.rt.display if target.rt else "RESOURCE"
    namespace = f" -n {target.namespace}" if target.namespace else " -A"
    return (
        f"Check RBAC with `kubectl auth can-i {target.verb} {resource}{namespace}` "
        "and grant the missing permission."
    )


def _status_body(body: bytes) -> Obj:
    try:
        decoded = json.loads(body) if body else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return decoded if isinstance(decoded, dict) else {}


def _decode_watch_line(line: bytes) -> WatchEvent | None:
    line = line.strip()
    if not line:
        return None
    try:
        decoded = json.loads(line)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ApiError("the API server sent a watch event that is not JSON.") from error
    event_type = str(decoded.get("type", ""))
    obj = decoded.get("object") or {}
    if event_type == "ERROR":
        code = obj.get("code")
        message = str(obj.get("message") or "watch error")
        if code == 410:
            raise WatchExpired(
                f"watch expired: {message}.", status=410, reason=str(obj.get("reason", "Expired"))
            )
        raise ApiError(f"watch failed: {message}.", status=code, reason=obj.get("reason"))
    return WatchEvent(type=event_type, object=obj)


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _about(seconds: float) -> str:
    """``0.3``, ``3``, ``10``: tenths only where they matter."""
    return f"{round(seconds, 1):g}" if seconds < 10 else f"{seconds:.0f}"


def _query(**params: object) -> dict[str, str]:
    return {key: str(value) for key, value in params.items() if value is not None}


def _short(error: BaseException) -> str:
    """The innermost useful part of a urllib3 error ("Connection refused", not the repr).

    urllib3 prefixes its messages with the pool or connection object
    (``HTTPSConnectionPool(host=..., port=...): ``), which means nothing to an operator.
    """
    reason = getattr(error, "reason", None)
    if isinstance(reason, BaseException):
        return _short(reason)
    args = error.args
    if len(args) == 2 and isinstance(args[0], str) and isinstance(args[1], BaseException):
        return f"{args[0].rstrip('.')}: {_short(args[1])}"  # ProtocolError("aborted.", cause)
    if len(args) == 2 and isinstance(args[1], str) and not reason:
        args = (args[1],)  # ConnectTimeoutError(connection, "Connection to ... timed out.")
    text = _URLLIB3_PREFIX.sub("", str(reason or (args[0] if len(args) == 1 else error)))
    text = _TRAILING_NOTE.sub("", text)
    marker = "]"
    if "Errno" in text and marker in text:
        text = text.split(marker, 1)[1]
    text = text.strip().rstrip(")").strip("'\" ").rstrip(".")
    return text or type(error).__name__
