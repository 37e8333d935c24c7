"""The fault injection gate and its admin endpoint (/_sim/faults)."""

from __future__ import annotations

import time
from typing import Any

from glmctl.sim.api.base import DropConnection, HandlerBase, method_not_allowed, not_found
from glmctl.sim.faults import Fault
from glmctl.sim.store import ApiError, bad_request, gone

Obj = dict[str, Any]


class FaultsMixin(HandlerBase):
    """Applies injected faults; serves /_sim/faults."""

    def _admin(self, method: str, path: str) -> None:
        if path != "/_sim/faults":
            raise not_found()
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
            raise method_not_allowed()
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
                    raise DropConnection()
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
            elif fault.kind == "403":
                raise ApiError(403, "Forbidden", f"forbidden: injected fault on {method} {path}")
            elif fault.kind == "410":
                raise gone("too old resource version: injected fault")
        return drop_after
