"""A small in-memory :class:`SimStore` for unit tests of the controllers, with a manual clock.

It implements the contract's semantics that the controllers rely on (server fields,
generation bumps on spec change, status-only updates, finalizers, background garbage
collection by ownerReference) and nothing more; the real store is tested over HTTP.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from glmctl.sim.contracts import Obj, Scenario
from glmctl.sim.controllers import World, build_controllers
from glmctl.sim.scenario import format_timestamp

Key = tuple[str, str, str, str]  # group, plural, namespace, name


class MemoryStore:
    """Objects in a dict; ``advance`` moves the clock instead of sleeping."""

    def __init__(self, scenario: Scenario) -> None:
        self._world = World(scenario)
        self._objects: dict[Key, Obj] = {}
        self._versions = itertools.count(1)
        self._clock = datetime.now(UTC)
        self.events: list[tuple[str, str, str, str]] = []  # kind/name, reason, message, type
        self.logs: dict[str, str] = dict(scenario.logs)
        for obj in scenario.objects:
            created = self.create(obj)
            if "status" in obj:
                created["status"] = copy.deepcopy(obj["status"])
                self._objects[self._key(created)] = created

    # -- the SimStore contract
    def now(self) -> datetime:
        return self._clock

    def list(self, group: str, plural: str, namespace: str | None = None) -> list[Obj]:
        return [
            copy.deepcopy(obj)
            for (g, p, ns, _), obj in self._objects.items()
            if g == group and p == plural and (namespace is None or ns == namespace)
        ]

    def get(self, group: str, plural: str, namespace: str | None, name: str) -> Obj | None:
        found = self._objects.get((group, plural, namespace or "", name))
        return copy.deepcopy(found) if found is not None else None

    def create(self, obj: Obj) -> Obj:
        new = copy.deepcopy(obj)
        new.pop("status", None) if obj.get("kind") != "Secret" else None
        key = self._key(new)
        if key in self._objects:
            raise ValueError(f"already exists: {key}")
        meta = new["metadata"]
        meta.update(
            uid=str(uuid.uuid4()),
            resourceVersion=str(next(self._versions)),
            generation=1,
            creationTimestamp=format_timestamp(self._clock),
        )
        self._objects[key] = new
        return copy.deepcopy(new)

    def update(self, obj: Obj) -> Obj:
        key = self._key(obj)
        current = self._objects[key]
        updated = copy.deepcopy(obj)
        updated["status"] = current.get("status")
        if updated.get("spec") != current.get("spec"):
            updated["metadata"]["generation"] = current["metadata"]["generation"] + 1
        else:
            updated["metadata"]["generation"] = current["metadata"]["generation"]
        for field in ("uid", "creationTimestamp", "deletionTimestamp"):
            if field in current["metadata"]:
                updated["metadata"][field] = current["metadata"][field]
        updated["metadata"]["resourceVersion"] = str(next(self._versions))
        if updated.get("status") is None:
            updated.pop("status")
        self._objects[key] = updated
        if updated["metadata"].get("deletionTimestamp") and not updated["metadata"].get(
            "finalizers"
        ):
            self._remove(key)
        return copy.deepcopy(updated)

    def update_status(self, obj: Obj) -> Obj:
        key = self._key(obj)
        current = self._objects[key]
        current["status"] = copy.deepcopy(obj.get("status"))
        current["metadata"]["resourceVersion"] = str(next(self._versions))
        return copy.deepcopy(current)

    def delete(
        self,
        group: str,
        plural: str,
        namespace: str | None,
        name: str,
        propagation: str = "Background",
    ) -> None:
        key = (group, plural, namespace or "", name)
        obj = self._objects.get(key)
        if obj is None:
            raise KeyError(key)
        if obj["metadata"].get("finalizers"):
            obj["metadata"]["deletionTimestamp"] = format_timestamp(self._clock)
            return
        self._remove(key)

    def record_event(
        self, involved: Obj, reason: str, message: str, event_type: str = "Normal"
    ) -> None:
        label = f"{involved['kind']}/{involved['metadata']['name']}"
        self.events.append((label, reason, message, event_type))

    def set_pod_log(self, namespace: str, name: str, text: str) -> None:
        self.logs[f"{namespace}/{name}"] = text

    # -- test helpers
    def advance(self, seconds: float) -> None:
        """Move the simulator's clock forward."""
        self._clock += timedelta(seconds=seconds)

    def patch_metadata(
        self, group: str, plural: str, namespace: str, name: str, **changes: Any
    ) -> None:
        """Apply a merge patch to metadata/spec, as ``kubectl annotate``/``patch`` would."""
        obj = self.get(group, plural, namespace, name)
        assert obj is not None
        for path, value in changes.items():
            section, field = path.split("__")
            obj.setdefault(section, {}).setdefault(field, {})
            if isinstance(value, dict):
                obj[section][field].update(value)
            else:
                obj[section][field] = value
        self.update(obj)

    def _remove(self, key: Key) -> None:
        removed = self._objects.pop(key)
        uid = removed["metadata"]["uid"]
        for other_key, other in list(self._objects.items()):
            owners = other["metadata"].get("ownerReferences") or []
            if any(owner.get("uid") == uid for owner in owners) and other_key in self._objects:
                self._remove(other_key)

    def _key(self, obj: Obj) -> Key:
        group, plural = self._world.resource_of(obj)
        meta = obj["metadata"]
        return (group, plural, meta.get("namespace", ""), meta["name"])


def run_until(
    store: MemoryStore, scenario: Scenario, done: Any, *, step: float = 0.5, limit: float = 3600
) -> bool:
    """Tick fresh controllers, advancing the clock ``step`` seconds, until ``done(store)``."""
    controllers = build_controllers(scenario)
    elapsed = 0.0
    while elapsed <= limit:
        for controller in controllers:
            controller.tick(store)
            _unthrottle(controller)
        if done(store):
            return True
        store.advance(step)
        elapsed += step
    return False


def _unthrottle(controller: Any) -> None:
    """The throttle is wall-clock; with a manual clock every tick must scan."""
    controller._next_scan = 0.0
