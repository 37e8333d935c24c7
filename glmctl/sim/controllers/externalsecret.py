"""The External Secrets operator, simulated."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable
from datetime import datetime
from functools import partial

from glmctl.sim.contracts import Obj, SimStore
from glmctl.sim.controllers.base import (
    EXTERNALSECRETS,
    FAKE_SECRET_VALUE,
    SECRETS,
    Scanner,
    condition,
    generation_of,
    is_true,
    parse_timestamp,
    set_condition,
    write_status,
)
from glmctl.sim.controllers.workloads import owner_reference
from glmctl.sim.scenario import format_timestamp, parse_duration


class ExternalSecretController(Scanner):
    """External Secrets: sync target Secrets while the store is Ready, else SecretSyncedError."""

    def scan(self, store: SimStore) -> None:
        """Bring every ExternalSecret in line with its store's readiness."""
        now = store.now()
        stores: dict[tuple[str, str | None, str], Obj | None] = {}
        for external in store.list(*EXTERNALSECRETS):
            self.guarded(
                f"ExternalSecret {external['metadata']['name']}",
                partial(self._reconcile, store, external, stores, now),
            )

    def _reconcile(
        self,
        store: SimStore,
        es: Obj,
        stores: dict[tuple[str, str | None, str], Obj | None],
        now: datetime,
    ) -> None:
        if es["metadata"].get("deletionTimestamp"):
            return
        ref = es.get("spec", {}).get("secretStoreRef", {})
        kind = ref.get("kind") or "SecretStore"
        namespace = None if kind == "ClusterSecretStore" else es["metadata"]["namespace"]
        cache_key = (kind, namespace, ref.get("name", ""))
        if cache_key not in stores:
            plural = "clustersecretstores" if kind == "ClusterSecretStore" else "secretstores"
            stores[cache_key] = store.get("external-secrets.io", plural, namespace, cache_key[2])
        secret_store = stores[cache_key]
        if secret_store is not None and is_true(secret_store, "Ready"):
            self._synced(store, es, now)
        else:
            self._not_synced(store, es, ref.get("name", ""), now)

    def desired_keys(self, es: Obj) -> list[str]:
        """The target Secret's keys: each ``data[].secretKey``; ``dataFrom`` adds fixed ones."""
        spec = es.get("spec", {})
        keys = [str(item["secretKey"]) for item in spec.get("data", []) or []]
        if spec.get("dataFrom"):
            behaviour = self.world.behaviour("externalsecrets", es)
            keys.extend(str(k) for k in behaviour.get("dataFromKeys", ["username", "password"]))
        return sorted(set(keys))

    def _synced(self, store: SimStore, es: Obj, now: datetime) -> None:
        import base64

        meta = es["metadata"]
        target = es.get("spec", {}).get("target", {}).get("name") or meta["name"]
        keys = self.desired_keys(es)
        fake = base64.b64encode(FAKE_SECRET_VALUE).decode()
        secret = store.get(*SECRETS, meta["namespace"], target)
        owned = es.get("spec", {}).get("target", {}).get("creationPolicy", "Owner") == "Owner"
        if secret is None:
            manifest: Obj = {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "Opaque",
                "metadata": {
                    "name": target,
                    "namespace": meta["namespace"],
                    "labels": {"reconcile.external-secrets.io/created-by": meta["name"]},
                    "annotations": {"reconcile.external-secrets.io/data-hash": _hash(keys)},
                },
                "data": {key: fake for key in keys},
            }
            if owned and meta.get("uid"):
                manifest["metadata"]["ownerReferences"] = [owner_reference(es)]
            store.create(manifest)
            store.record_event(es, "Created", "Created Secret")
        elif sorted((secret.get("data") or {}).keys()) != keys or (
            owned and meta.get("uid") and not secret["metadata"].get("ownerReferences")
        ):
            updated = copy.deepcopy(secret)
            updated["data"] = {key: (secret.get("data") or {}).get(key, fake) for key in keys}
            if owned and meta.get("uid"):
                updated["metadata"]["ownerReferences"] = [owner_reference(es)]
            updated["metadata"].pop("resourceVersion", None)
            store.update(updated)
            if sorted((secret.get("data") or {}).keys()) != keys:
                store.record_event(es, "Updated", "Updated Secret")
        status = copy.deepcopy(es.get("status", {}))
        refreshed = parse_timestamp(status.get("refreshTime"))
        interval = parse_duration(es.get("spec", {}).get("refreshInterval", "1h"))
        was_ready = is_true(es, "Ready")
        version = synced_resource_version(es)
        if (
            not was_ready
            or refreshed is None
            or now >= refreshed + self.world.scaled(interval)
            or status.get("syncedResourceVersion") != version
        ):  # ESO refreshes at once when the spec, labels or annotations changed (force-sync)
            status["refreshTime"] = format_timestamp(now)
        status["conditions"] = set_condition(
            status.get("conditions", []), "Ready", "True", "SecretSynced", "Secret was synced", now
        )
        status["binding"] = {"name": target}
        status["syncedResourceVersion"] = version
        write_status(store, es, status)

    def _not_synced(self, store: SimStore, es: Obj, store_name: str, now: datetime) -> None:
        before = condition(es, "Ready")
        status = copy.deepcopy(es.get("status", {}))
        status["conditions"] = set_condition(
            status.get("conditions", []),
            "Ready",
            "False",
            "SecretSyncedError",
            "could not get secret data from provider",
            now,
        )
        write_status(store, es, status)
        if before is None or before.get("reason") != "SecretSyncedError":
            store.record_event(
                es,
                "UpdateFailed",
                f"the desired SecretStore {store_name} is not ready",
                "Warning",
            )


def synced_resource_version(es: Obj) -> str:
    """ESO's ``syncedResourceVersion``: the generation and a hash of the labels and
    annotations, so a changed ``force-sync`` annotation is a version not yet synced."""
    meta = es["metadata"]
    parts = [
        f"{key}={value}"
        for section in ("labels", "annotations")
        for key, value in sorted((meta.get(section) or {}).items())
    ]
    return f"{generation_of(es)}-{_hash(parts)}"


def _hash(parts: Iterable[str]) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
