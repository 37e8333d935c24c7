"""The pod log subresource."""

from __future__ import annotations

from typing import Any

from glmctl.sim.api.base import HandlerBase, Target
from glmctl.sim.store import bad_request

Obj = dict[str, Any]


class LogsMixin(HandlerBase):
    """Serves pods/log."""

    def _pod_log(self, target: Target, params: dict[str, str]) -> None:
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
