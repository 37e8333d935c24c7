"""OpenAPI documents with schemas, so ``kubectl explain`` (and client-side validation) find
the kinds the simulator serves.

Built-in kinds take their schemas from the ``kubernetes-validate`` package's bundled
Kubernetes definitions (JSON Schema, written from the real API's OpenAPI), turned back
into OpenAPI: ``$ref`` into ``#/components/schemas`` (v3) or ``#/definitions`` (v2), and a
nullable ``["string", "null"]`` type to its non-null one. Without that package, built-in
kinds have no schema (the operations are still listed). Custom resources take theirs from
their CRD's ``openAPIV3Schema``, as the real API server does.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import logging
from typing import Any

Obj = dict[str, Any]
log = logging.getLogger(__name__)

KUBERNETES_VERSION = "v1.36.0"
_V3_REF = "#/components/schemas/"
_V2_REF = "#/definitions/"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


@functools.cache
def builtin_definitions() -> dict[str, Obj]:
    """The bundled definitions by name (``io.k8s.api.core.v1.Pod``), refs in v3 form;
    empty when ``kubernetes-validate`` is not installed."""
    try:
        base = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema"
        folder = base / f"{KUBERNETES_VERSION}-local"
        if not folder.is_dir():
            folder = max(
                (p for p in base.iterdir() if p.name.endswith("-local")), key=lambda p: p.name
            )
        raw = json.loads((folder / "_definitions.json").read_text())
    except (ModuleNotFoundError, OSError, ValueError):
        log.debug("no bundled Kubernetes schemas; built-in kinds have none", exc_info=True)
        return {}
    return {name: _to_openapi(schema) for name, schema in raw.get("$defs", {}).items()}


def _to_openapi(value: Any) -> Any:
    if isinstance(value, list):
        return [_to_openapi(v) for v in value]
    if not isinstance(value, dict):
        return value
    out: Obj = {}
    for key, item in value.items():
        if key == "$ref" and isinstance(item, str):
            out[key] = _V3_REF + item.rsplit("/", 1)[-1]
        elif key == "type" and isinstance(item, list):
            kinds = [t for t in item if t != "null"]
            if kinds:
                out[key] = kinds[0]
        else:
            out[key] = _to_openapi(item)
    return out


def _gvks(schema: Obj) -> list[Obj]:
    found = schema.get("x-kubernetes-group-version-kind")
    return list(found) if isinstance(found, list) else []


def _references(schema: Any, into: set[str], definitions: dict[str, Obj]) -> None:
    """Every definition ``schema`` reaches through ``$ref``, transitively."""
    if isinstance(schema, list):
        for item in schema:
            _references(item, into, definitions)
    elif isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in into and name in definitions:
                into.add(name)
                _references(definitions[name], into, definitions)
        for key, item in schema.items():
            if key != "$ref":
                _references(item, into, definitions)


def crd_schema(crd: Obj, version: str) -> tuple[str, Obj] | None:
    """The schema a CRD's ``version`` publishes, named as the real server names it
    (reversed group, version, kind), or None when it has none."""
    spec = crd.get("spec") or {}
    group, kind = str(spec.get("group", "")), str((spec.get("names") or {}).get("kind", ""))
    entry = next((v for v in spec.get("versions") or [] if v.get("name") == version), None)
    raw = ((entry or {}).get("schema") or {}).get("openAPIV3Schema")
    if not isinstance(raw, dict):
        return None
    schema = json.loads(json.dumps(raw))
    properties = schema.setdefault("properties", {})
    properties.setdefault(
        "apiVersion",
        {
            "type": "string",
            "description": "APIVersion defines the versioned schema of this "
            "representation of an object.",
        },
    )
    properties.setdefault(
        "kind",
        {
            "type": "string",
            "description": "Kind is a string value representing the REST "
            "resource this object represents.",
        },
    )
    if OBJECT_META in builtin_definitions():
        properties["metadata"] = {
            "allOf": [{"$ref": _V3_REF + OBJECT_META}],
            "description": "Standard object's metadata.",
        }
    schema["x-kubernetes-group-version-kind"] = [{"group": group, "version": version, "kind": kind}]
    name = ".".join([*reversed(group.split(".")), version, kind])
    return name, schema


def group_version_schemas(group: str, version: str, crds: list[Obj]) -> dict[str, Obj]:
    """``components.schemas`` for one group-version: its kinds and what they reference."""
    definitions = builtin_definitions()
    chosen: dict[str, Obj] = {}
    for name, schema in definitions.items():
        if any(g.get("group") == group and g.get("version") == version for g in _gvks(schema)):
            chosen[name] = schema
    for crd in crds:
        published = crd_schema(crd, version)
        if published is not None:
            chosen[published[0]] = published[1]
    reached: set[str] = set()
    _references(list(chosen.values()), reached, definitions)
    for name in reached:
        chosen.setdefault(name, definitions[name])
    return chosen


def swagger_definitions(crds: list[Obj]) -> dict[str, Obj]:
    """``definitions`` for ``/openapi/v2``: every built-in and every CRD version."""
    definitions: dict[str, Obj] = dict(builtin_definitions())
    for crd in crds:
        for entry in (crd.get("spec") or {}).get("versions") or []:
            published = crd_schema(crd, str(entry.get("name")))
            if published is not None:
                definitions[published[0]] = published[1]
    text = json.dumps(definitions).replace(f'"{_V3_REF}', f'"{_V2_REF}')
    converted: dict[str, Obj] = json.loads(text)
    return converted
