"""Real schemas for manifests: Kubernetes' own OpenAPI, and the CRDs found in the repository.

Built-in kinds are checked against the strict JSON schemas that the ``kubernetes-validate``
package ships (generated from the Kubernetes OpenAPI of its newest bundled release; strict:
``additionalProperties: false`` wherever Kubernetes has a fixed field list). Custom resources
are checked against the ``openAPIV3Schema`` of a ``CustomResourceDefinition`` in the
repository, made strict the way the API server prunes: an object schema that lists
``properties`` and does not say ``x-kubernetes-preserve-unknown-fields`` takes no other key,
which Flux's server-side apply rejects ("field not declared in schema"). A kind with no
schema is not checked: lint never guesses at a field list.

The validator is jsonschema-rs: it compiles one kind's schema (with the ~700 shared
Kubernetes definitions) in ~10 ms and validates an object in well under a millisecond;
fastjsonschema generates Python source per schema, which for the Kubernetes definitions
costs more to compile than a whole lint run may take. Both packages are imported on first
use, so ``glmctl --help`` does not load them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)

_DEFS_REF = "/api/_definitions.json#/$defs/"
# Errors that mean the API server (or Flux's dry run) rejects the object; "required" is left
# out because a kustomize patch may add a required field to a base.
REPORTED_KINDS = ("AdditionalProperties", "Type")


@dataclass(frozen=True)
class SchemaError:
    """One place where an object breaks its schema."""

    path: tuple[str | int, ...]
    message: str


@cache
def _definitions() -> tuple[dict[str, Any], dict[tuple[str, str, str], str]]:
    """Kubernetes' definitions and the (group, version, kind) → definition name index."""
    try:
        root = resources.files("kubernetes_validate") / "kubernetes-json-schema"
        strict = sorted(
            (p for p in root.iterdir() if p.name.endswith("-local-strict")),
            key=lambda p: tuple(int(x) for x in p.name[1:].split("-")[0].split(".")),
        )
        text = (strict[-1] / "_definitions.json").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, IndexError, ValueError) as error:
        log.debug("no Kubernetes schemas: %s", error)
        return {}, {}
    defs: dict[str, Any] = json.loads(text.replace(_DEFS_REF, "#/$defs/"))["$defs"]
    index: dict[tuple[str, str, str], str] = {}
    for name, schema in defs.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            index[(gvk["group"], gvk["version"], gvk["kind"])] = name
    return defs, index


@cache
def _references() -> dict[str, frozenset[str]]:
    """Definition name → the definitions it refers to directly."""
    defs, _ = _definitions()
    found: dict[str, frozenset[str]] = {}
    for name, schema in defs.items():
        refs: set[str] = set()
        stack: list[Any] = [schema]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/$defs/"):
                    refs.add(ref[len("#/$defs/") :])
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        found[name] = frozenset(refs)
    return found


def _closure(name: str) -> dict[str, Any]:
    """The definitions ``name`` needs, transitively: compiling only those is several times
    faster than compiling all of Kubernetes' definitions for every kind."""
    defs, _ = _definitions()
    references = _references()
    needed = {name}
    stack = [name]
    while stack:
        for ref in references.get(stack.pop(), ()):
            if ref not in needed:
                needed.add(ref)
                stack.append(ref)
    return {key: defs[key] for key in needed if key in defs}


class Schemas:
    """Validators by (apiVersion, kind), compiled on first use."""

    def __init__(self, crds: list[dict[str, Any]]) -> None:
        self._crd_schemas: dict[tuple[str, str], dict[str, Any]] = {}
        for crd in crds:
            self._add_crd(crd)
        self._validators: dict[tuple[str, str], Any] = {}

    def _add_crd(self, crd: dict[str, Any]) -> None:
        spec = crd.get("spec")
        if not isinstance(spec, dict):
            return
        group, names = spec.get("group"), spec.get("names")
        kind = names.get("kind") if isinstance(names, dict) else None
        if not isinstance(group, str) or not isinstance(kind, str):
            return
        for version in spec.get("versions") or ():
            if not isinstance(version, dict) or not isinstance(version.get("name"), str):
                continue
            schema = version.get("schema")
            body = schema.get("openAPIV3Schema") if isinstance(schema, dict) else None
            if isinstance(body, dict):
                api_version = f"{group}/{version['name']}"
                self._crd_schemas.setdefault((api_version, kind), _strict(body, top=True))

    def validator(self, api_version: str, kind: str) -> Any | None:
        """A compiled validator for the kind, or None when no schema is known."""
        key = (api_version, kind)
        if key in self._validators:
            return self._validators[key]
        schema = self._crd_schemas.get(key)
        if schema is None:
            group, _, version = api_version.rpartition("/")
            _, index = _definitions()
            name = index.get((group, version, kind))
            schema = {"$defs": _closure(name), "$ref": f"#/$defs/{name}"} if name else None
        validator = None
        if schema is not None:
            try:
                import jsonschema_rs

                validator = jsonschema_rs.validator_for(schema)
            except Exception as error:  # a CRD schema jsonschema-rs cannot compile: skip it
                log.debug("schema of %s %s not usable: %s", api_version, kind, error)
        self._validators[key] = validator
        return validator

    def errors(self, api_version: str, kind: str, body: dict[str, Any]) -> list[SchemaError]:
        """What in ``body`` its schema rejects (unknown fields, wrong types); [] if no schema."""
        validator = self.validator(api_version, kind)
        if validator is None:
            return []
        found: list[SchemaError] = []
        for error in validator.iter_errors(body):
            kind_name = type(error.kind).__name__
            if kind_name not in REPORTED_KINDS:
                continue
            if kind_name == "Type" and _templated(error.instance):
                continue  # ${VAR} is substituted before apply
            found.append(SchemaError(tuple(error.instance_path), _message(error, kind_name)))
        return found


def _templated(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def _message(error: Any, kind_name: str) -> str:
    if kind_name == "AdditionalProperties":
        unexpected = getattr(error.kind, "unexpected", None)
        if unexpected:
            keys = ", ".join(f"'{k}'" for k in unexpected)
            return f"unknown field{'s' if len(unexpected) > 1 else ''} {keys}"
    return str(error.message)


def _strict(schema: Any, *, top: bool = False) -> Any:
    """A copy of a CRD's structural schema in which object schemas with ``properties`` take
    no other key, unless they preserve unknown fields (the API server prunes them, and
    Flux's server-side apply fails on them)."""
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: _strict(value) for key, value in schema.items()}
    if (
        isinstance(schema.get("properties"), dict)
        and "additionalProperties" not in schema
        and not schema.get("x-kubernetes-preserve-unknown-fields")
    ):
        result["additionalProperties"] = False
    if top and isinstance(result.get("properties"), dict):
        # metadata is Kubernetes' ObjectMeta, whatever the CRD says; status is not applied
        properties = dict(result["properties"])
        properties["metadata"] = {"type": "object"}
        properties.setdefault("status", {})
        properties.setdefault("apiVersion", {"type": "string"})
        properties.setdefault("kind", {"type": "string"})
        result["properties"] = properties
    return result
