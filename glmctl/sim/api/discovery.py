"""Discovery documents, the version, and the OpenAPI documents."""

from __future__ import annotations

import hashlib
from typing import Any

from glmctl.sim.api.base import HandlerBase
from glmctl.sim.openapi import KUBERNETES_VERSION, group_version_schemas, swagger_definitions

SERVER_VERSION = {
    "major": "1",
    "minor": "34",
    "gitVersion": "v1.34.0-glmctl-sim",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.24",
    "compiler": "gc",
    "platform": "linux/amd64",
}

Obj = dict[str, Any]


class DiscoveryMixin(HandlerBase):
    """Answers /version, /api, /apis and /openapi."""

    def _discovery(self, parts: list[str]) -> Obj | None:
        registry = self.state.store.registry
        if parts == ["version"]:
            return SERVER_VERSION
        if parts == ["api"]:
            host = f"127.0.0.1:{self.server.server_address[1]}"
            return {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}],
            }
        if parts == ["api", "v1"]:
            return self._resource_list("", "v1")
        if parts[:2] == ["openapi", "v3"]:
            return self._openapi_v3(parts[2:])
        if parts == ["openapi", "v2"]:
            return {
                "swagger": "2.0",
                "info": {"title": "Kubernetes (glmctl simulator)", "version": KUBERNETES_VERSION},
                "paths": {},
                "definitions": swagger_definitions(self._crds()),
            }
        if parts == ["apis"]:
            groups = [self._group(g, vs) for g, vs in sorted(registry.group_versions().items())]
            return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}
        if len(parts) == 2 and parts[0] == "apis":
            versions = registry.group_versions().get(parts[1])
            return (
                {"kind": "APIGroup", "apiVersion": "v1", **self._group(parts[1], versions)}
                if versions
                else None
            )
        if (
            len(parts) == 3
            and parts[0] == "apis"
            and parts[2] in registry.group_versions().get(parts[1], [])
        ):
            return self._resource_list(parts[1], parts[2])
        return None

    def _openapi_v3(self, gv_parts: list[str]) -> Obj | None:
        """Just enough OpenAPI v3 for kubectl's validation to choose server-side field
        validation (each kind's PATCH operation lists ``fieldValidation``), so
        ``kubectl create -f``/``apply -f`` work without ``--validate=false``. No schemas:
        the simulator accepts any fields, as with ``x-kubernetes-preserve-unknown-fields``.
        """
        registry = self.state.store.registry
        gvs = [("", "v1")] + [(g, v) for g, vs in registry.group_versions().items() for v in vs]
        if not gv_parts:
            index: dict[str, Obj] = {}
            for group, version in gvs:
                key = f"apis/{group}/{version}" if group else f"api/{version}"
                index[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={self._rv_hash()}"}
            return {"paths": index}
        if gv_parts[0] == "api" and len(gv_parts) == 2:
            group, version = "", gv_parts[1]
        elif gv_parts[0] == "apis" and len(gv_parts) == 3:
            group, version = gv_parts[1], gv_parts[2]
        else:
            return None
        if (group, version) not in gvs:
            return None
        paths: Obj = {}
        for rt in registry.in_group_version(group, version):
            prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
            scope = "/namespaces/{namespace}" if rt.namespaced else ""
            operation: Obj = {
                "parameters": [
                    {"name": "fieldValidation", "in": "query", "schema": {"type": "string"}},
                    {"name": "dryRun", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {"200": {"description": "OK"}},
                "x-kubernetes-group-version-kind": {
                    "group": group,
                    "version": version,
                    "kind": rt.kind,
                },
            }
            paths[f"{prefix}{scope}/{rt.plural}/{{name}}"] = {"patch": operation}
        return {
            "openapi": "3.0.0",
            "info": {"title": "Kubernetes (glmctl simulator)", "version": "v1.34.0"},
            "paths": paths,
            "components": {
                "schemas": group_version_schemas(
                    group, version, [c for c in self._crds() if c["spec"].get("group") == group]
                )
            },
        }

    def _crds(self) -> list[Obj]:
        rt = self.state.store.registry.get("apiextensions.k8s.io", "customresourcedefinitions")
        return self.state.store.select(rt, None)[0] if rt is not None else []

    def _rv_hash(self) -> str:
        """Changes when a CRD changes, so the documents may have (clients cache by it)."""
        crds = sorted(
            (c["metadata"]["name"], c["metadata"].get("resourceVersion", "")) for c in self._crds()
        )
        return hashlib.sha256(repr(crds).encode()).hexdigest()[:16].upper()

    @staticmethod
    def _group(name: str, versions: list[str]) -> Obj:
        entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
        return {"name": name, "versions": entries, "preferredVersion": entries[0]}

    def _resource_list(self, group: str, version: str) -> Obj:
        resources: list[Obj] = []
        for rt in sorted(
            self.state.store.registry.in_group_version(group, version), key=lambda r: r.plural
        ):
            entry: Obj = {
                "name": rt.plural,
                "singularName": rt.singular,
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": list(rt.verbs),
            }
            if rt.short_names:
                entry["shortNames"] = list(rt.short_names)
            if rt.categories:
                entry["categories"] = list(rt.categories)
            resources.append(entry)
            for sub in rt.subresources:
                verbs = ["get"] if sub == "log" else ["get", "patch", "update"]
                resources.append(
                    {
                        "name": f"{rt.plural}/{sub}",
                        "singularName": "",
                        "namespaced": rt.namespaced,
                        "kind": rt.kind,
                        "verbs": verbs,
                    }
                )
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": resources,
        }
