"""The namespace controller, simulated: a deleted namespace stays ``Terminating`` until
everything in it is gone (objects with finalizers wait for their controllers), then it
goes too."""

from __future__ import annotations

from functools import partial

from glmctl.sim.contracts import SimStore
from glmctl.sim.controllers.base import Scanner

NAMESPACES = ("", "namespaces")


class NamespaceController(Scanner):
    """Empties and removes Terminating namespaces."""

    def scan(self, store: SimStore) -> None:
        for namespace in store.list(*NAMESPACES):
            meta = namespace["metadata"]
            if meta.get("deletionTimestamp"):
                name = str(meta["name"])
                self.guarded(f"Namespace {name}", partial(_finalize, store, name))


def _finalize(store: SimStore, name: str) -> None:
    store.finalize_namespace(name)
