"""The contract between the simulator's API server/store and its controllers and scenarios.

The server (``server.py``, ``store.py``) implements :class:`SimStore`; the controllers
(``controllers/``) and the scenario loader (``scenario.py``) use only what is here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

Obj = dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    """A cluster to simulate: its objects, pod logs and the behaviours of its controllers.

    ``behaviours`` is the scenario header's ``behaviours`` mapping, kept as data: the
    controllers read it (e.g. how a HelmRelease settles, how long a Job runs).
    """

    name: str
    description: str
    objects: list[Obj]
    logs: dict[str, str] = field(default_factory=dict)  # "namespace/pod" -> log text
    behaviours: dict[str, Any] = field(default_factory=dict)


class SimStore(Protocol):
    """What controllers may do to the simulated cluster's state.

    Resources are addressed by API group ("" for core) and plural resource name, as in
    the REST paths. Every method is thread-safe; every write bumps ``resourceVersion``
    and emits a watch event, exactly as a write through the HTTP API does.
    """

    def now(self) -> datetime:
        """The simulator's clock (UTC); controllers use it for TTLs and delays."""
        ...

    def list(self, group: str, plural: str, namespace: str | None = None) -> list[Obj]:
        """Deep copies of every object of that resource (in ``namespace`` if given)."""
        ...

    def get(self, group: str, plural: str, namespace: str | None, name: str) -> Obj | None:
        """A deep copy of the object, or None."""
        ...

    def create(self, obj: Obj) -> Obj:
        """Create from a manifest (resource found from apiVersion/kind); server fields set."""
        ...

    def update(self, obj: Obj) -> Obj:
        """Replace metadata and spec; ``generation`` is bumped when spec changes."""
        ...

    def update_status(self, obj: Obj) -> Obj:
        """Replace only ``status`` (the status subresource)."""
        ...

    def delete(
        self,
        group: str,
        plural: str,
        namespace: str | None,
        name: str,
        propagation: str = "Background",
    ) -> None:
        """Delete as the API does: finalizers respected, dependents garbage-collected."""
        ...

    def finalize_namespace(self, namespace: str) -> bool:
        """The namespace controller's work on a Terminating namespace: delete what is in
        it, and the namespace itself once it is empty; True when it is gone."""
        ...

    def record_event(
        self, involved: Obj, reason: str, message: str, event_type: str = "Normal"
    ) -> None:
        """Create a core/v1 Event about ``involved`` (as controllers do)."""
        ...

    def set_pod_log(self, namespace: str, name: str, text: str) -> None:
        """Set the log text ``GET .../pods/NAME/log`` returns."""
        ...


class Controller(Protocol):
    """A simulated controller: the server calls ``tick`` often (every ~50 ms)."""

    def tick(self, store: SimStore) -> None:
        """Move the world one step towards what the scenario's behaviours say."""
        ...
