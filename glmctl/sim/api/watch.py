"""Watches: chunked streams of events, bookmarks, injected cuts."""

from __future__ import annotations

import time
from typing import Any

from glmctl.sim import tables
from glmctl.sim.api.base import (
    DEFAULT_WATCH_SECONDS,
    DropConnection,
    HandlerBase,
    Target,
    encode,
    number,
)
from glmctl.sim.store import ApiError, WatchEvent, bad_request

Obj = dict[str, Any]


class WatchMixin(HandlerBase):
    """Streams watch events."""

    def _watch_event(self, kind: str, obj: Obj, target: Target, table: bool) -> None:
        if table and kind in ("ADDED", "MODIFIED", "DELETED"):
            obj = tables.table(
                target.rt,
                [obj],
                now=self.state.store.now(),
                resource_version=obj["metadata"].get("resourceVersion", ""),
            )
        self._chunk(encode({"type": kind, "object": obj}) + b"\n")

    def _do_watch(self, target: Target, params: dict[str, str], drop_after: float | None) -> None:
        labels, fields = self._selectors(target, params)
        store = self.state.store

        def matches(obj: Obj | None) -> bool:
            return (
                obj is not None
                and labels.matches((obj.get("metadata") or {}).get("labels"))
                and fields.matches(obj)
            )

        timeout = number(params, "timeoutSeconds", DEFAULT_WATCH_SECONDS)
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
            items, rv = store.select(target.stored, target.namespace, matches, fields.exact_name())
            for obj in items:
                self._watch_event("ADDED", target.view(obj), target, table)
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
                    raise DropConnection()
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
        self, event: WatchEvent, target: Target, matches: Any, table: bool
    ) -> None:
        if (event.group, event.plural) != (target.stored.group, target.stored.plural):
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
        self._watch_event(kind, target.view(event.obj), target, table)

    # --- writes --------------------------------------------------------------------
