"""The pod log subresource: ``container``, ``tailLines``, ``sinceSeconds``/``sinceTime``,
``timestamps``, ``previous``, ``limitBytes`` and ``follow``.

A simulated pod's log is one text per pod (from the scenario or a controller). Its lines
carry the container's start time (``startedAt``), so ``--since`` keeps all or nothing and
``--timestamps`` prefixes that time. ``--previous`` answers when the container has
restarted (``restartCount`` or ``lastState.terminated``) and is 400 otherwise, as on a real
kubelet. ``--follow`` streams what is there, then what is appended, until the pod has
finished or is gone.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from glmctl.sim.api.base import HandlerBase, Target
from glmctl.sim.store import ApiError, bad_request

Obj = dict[str, Any]
FOLLOW_POLL_SECONDS = 0.1


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _started_at(pod: Obj, container: str | None) -> datetime | None:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if container and status.get("name") != container:
            continue
        for state in (status.get("state") or {}).values():
            if isinstance(state, dict) and state.get("startedAt"):
                return _parse_time(str(state["startedAt"]))
    start = (pod.get("status") or {}).get("startTime")
    return _parse_time(str(start)) if start else None


def _restarted(pod: Obj, container: str | None) -> bool:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if container and status.get("name") != container:
            continue
        if int(status.get("restartCount") or 0) > 0 or (status.get("lastState") or {}).get(
            "terminated"
        ):
            return True
    return False


def _finished(pod: Obj | None) -> bool:
    return pod is None or (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


class LogsMixin(HandlerBase):
    """Serves pods/log."""

    def _pod_log(self, target: Target, params: dict[str, str]) -> None:
        assert target.name is not None
        store = self.state.store
        pod = store.read(target.rt, target.namespace, target.name)
        container = params.get("container")
        names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
        if container and names and container not in names:
            raise bad_request(f"container {container} is not valid for pod {target.name}")
        if not container and len(names) > 1:
            raise bad_request(
                f"a container name must be specified for pod {target.name}, choose one of: "
                f"[{' '.join(str(n) for n in names)}]"
            )
        if params.get("previous") == "true" and not _restarted(pod, container):
            raise bad_request(
                f'previous terminated container "{container or (names or [""])[0]}" in pod '
                f'"{target.name}" not found'
            )
        started = _started_at(pod, container) or store.now()
        text = self._visible(store.pod_log(target.namespace or "", target.name) or "", params)
        if not self._since_allows(started, params):
            text = ""
        if params.get("follow") != "true":
            self._send(200, self._render(text, started, params), content_type="text/plain")
            return
        self._follow(target, params, text, started)

    @staticmethod
    def _visible(text: str, params: dict[str, str]) -> str:
        tail = params.get("tailLines")
        if tail is not None and tail.lstrip("-").isdigit():
            n = int(tail)
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-n:]) if n > 0 else ""
        return text

    def _since_allows(self, started: datetime, params: dict[str, str]) -> bool:
        if params.get("sinceSeconds"):
            try:
                seconds = int(params["sinceSeconds"])
            except ValueError as err:
                raise bad_request("sinceSeconds must be an integer") from err
            return started >= self.state.store.now() - timedelta(seconds=seconds)
        if params.get("sinceTime"):
            try:
                return started >= _parse_time(params["sinceTime"])
            except ValueError as err:
                raise bad_request("sinceTime must be an RFC 3339 time") from err
        return True

    @staticmethod
    def _render(text: str, started: datetime, params: dict[str, str]) -> bytes:
        if params.get("timestamps") == "true" and text:
            stamp = started.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000000Z")
            text = "".join(f"{stamp} {line}" for line in text.splitlines(keepends=True))
        data = text.encode()
        limit = params.get("limitBytes")
        if limit and limit.isdigit():
            data = data[: int(limit)]
        return data

    def _follow(self, target: Target, params: dict[str, str], text: str, started: datetime) -> None:
        assert target.name is not None
        store = self.state.store
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.end_headers()
        self._streaming = True
        sent = store.pod_log(target.namespace or "", target.name) or ""
        if text:
            self._chunk(self._render(text, started, params))
        while not self.state.stopping.is_set():
            try:
                pod: Obj | None = store.read(target.rt, target.namespace, target.name)
            except ApiError:
                pod = None
            current = store.pod_log(target.namespace or "", target.name) or ""
            if current != sent:
                added = current[len(sent) :] if current.startswith(sent) else current
                sent = current
                if added:
                    self._chunk(self._render(added, started, params))
            if _finished(pod):
                break
            time.sleep(FOLLOW_POLL_SECONDS)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()
