"""External Secrets: the store Ready, every ExternalSecret synced, its Secret holding the keys.

Secret values are read (the API has no way to list keys without them) but never leave this
module: results carry key names and byte counts only.
"""

from __future__ import annotations

import base64
import binascii
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from glmctl.cluster import flux, resources
from glmctl.config import SecretMapping
from glmctl.steps._reads import ClusterReads, Obj, reads
from glmctl.steps._text import did_you_mean, plural
from glmctl.steps.registry import StepContext, StepResult, step


def key_sizes(secret: Obj) -> dict[str, int]:
    """Each key of a Secret with the byte count of its value (the value itself is dropped)."""
    sizes: dict[str, int] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            sizes[str(key)] = len(base64.b64decode(str(value or ""), validate=False))
        except (binascii.Error, ValueError):
            sizes[str(key)] = 0
    for key, value in (secret.get("stringData") or {}).items():
        sizes[str(key)] = len(str(value or "").encode())
    return sizes


def describe_keys(sizes: dict[str, int]) -> str:
    """``token (14 bytes), authentik_host (14 bytes)``: what the operator may see."""
    listed = sorted(sizes.items())
    return ", ".join(f"{key} ({plural(size, 'byte')})" for key, size in listed) or "no keys"


class StoreParams(BaseModel):
    """The (Cluster)SecretStore the ExternalSecrets read from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["ClusterSecretStore", "SecretStore"] = "ClusterSecretStore"
    name: str
    namespace: str | None = None


@step("secrets.store_ready", params=StoreParams, outputs={"ready"})
def store_ready(ctx: StepContext, params: StoreParams) -> StepResult:
    """The External Secrets store is Ready (it can reach its provider)."""
    cluster_wide = params.kind == "ClusterSecretStore"
    rt = resources.CLUSTERSECRETSTORE if cluster_wide else resources.SECRETSTORE
    namespace = None if cluster_wide else params.namespace
    where = "" if cluster_wide else f" -n {params.namespace}"
    command = f"kubectl get {params.kind.lower()} {params.name}{where}"
    stores = reads(ctx).by_name(rt, namespace)
    store = stores.get(params.name)
    if store is None:
        return StepResult.failed(
            f"{params.kind} {params.name} not found",
            details=(f"{params.name}: not found{did_you_mean(params.name, stores)}",),
            hint="Check external_secrets.store in glmctl.yaml, and that the Kustomization "
            "that creates the store is Ready.",
            command=command,
            outputs={"ready": False},
        )
    ready = flux.find_condition(store, "Ready") or {}
    if ready.get("status") == "True":
        return StepResult.passed(
            f"{params.kind} {params.name} is Ready ({ready.get('reason', '')})".replace(" ()", ""),
            command=command,
            outputs={"ready": True},
        )
    reason = ready.get("reason") or "no Ready condition"
    message = ready.get("message") or ""
    return StepResult.failed(
        f"{params.kind} {params.name} is not Ready ({reason})",
        details=(message,) if message else (),
        hint="The store cannot reach 1Password Connect or its token is refused: check the "
        "Connect pods and logs, and the token Secret the store references "
        f"(`kubectl describe {params.kind.lower()} {params.name}{where}`).",
        command=command,
        outputs={"ready": False},
    )


class MappingParams(BaseModel):
    """The ExternalSecret → Secret mapping (``profile.external_secrets.mappings``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mappings: list[SecretMapping] = Field(min_length=1)


@step("secrets.externalsecrets_synced", params=MappingParams, outputs={"synced", "failing"})
def externalsecrets_synced(ctx: StepContext, params: MappingParams) -> StepResult:
    """Every ExternalSecret is Ready/SecretSynced and its Secret has the expected keys."""
    shared = reads(ctx)
    details: list[str] = []
    failing: list[str] = []
    for mapping in params.mappings:
        problem, line = _check_mapping(shared, mapping)
        details.append(line)
        if problem:
            failing.append(f"{mapping.namespace}/{mapping.external_secret}")
    namespaces = sorted({m.namespace for m in params.mappings})
    command = "kubectl get externalsecrets " + (
        f"-n {namespaces[0]}" if len(namespaces) == 1 else "-A"
    )
    total = plural(len(params.mappings), "ExternalSecret")
    outputs = {"synced": len(params.mappings) - len(failing), "failing": failing}
    if not failing:
        return StepResult.passed(
            f"{total} synced, every Secret has its keys",
            details=tuple(details),
            command=command,
            outputs=outputs,
        )
    namespace, _, name = failing[0].partition("/")
    return StepResult.failed(
        f"{len(failing)} of {total} not synced: {', '.join(failing)}",
        details=tuple(details),
        hint="An ExternalSecret that is not Ready says why in its status: "
        f"`kubectl describe externalsecret {name} -n {namespace}`. SecretSyncedError "
        "usually means the store or 1Password Connect is failing (run `glmctl preflight`), "
        "or the 1Password item or field does not exist.",
        command=command,
        outputs=outputs,
    )


def _check_mapping(shared: ClusterReads, mapping: SecretMapping) -> tuple[bool, str]:
    """(failed?, one detail line) for one mapping."""
    label = f"{mapping.namespace}/{mapping.external_secret}"
    externals = shared.by_name(resources.EXTERNALSECRET, mapping.namespace)
    external = externals.get(mapping.external_secret)
    if external is None:
        return (
            True,
            f"{label}: ExternalSecret not found{did_you_mean(mapping.external_secret, externals)}",
        )
    ready = flux.find_condition(external, "Ready") or {}
    if ready.get("status") != "True":
        reason = ready.get("reason") or "no Ready condition"
        message = f": {ready['message']}" if ready.get("message") else ""
        return True, f"{label}: not Ready ({reason}){message}"
    secret = shared.by_name(resources.SECRET, mapping.namespace).get(mapping.secret)
    if secret is None:
        return True, f"{label}: synced, but Secret {mapping.secret} does not exist"
    sizes = key_sizes(secret)
    missing = [key for key in mapping.keys if key not in sizes]
    if missing:
        return True, (
            f"{label}: Secret {mapping.secret} lacks key(s) {', '.join(missing)}; "
            f"has {describe_keys(sizes)}"
        )
    empty = [key for key in mapping.keys if sizes.get(key) == 0]
    if empty:
        return True, f"{label}: Secret {mapping.secret} has empty key(s) {', '.join(empty)}"
    return False, f"{label}: synced; Secret {mapping.secret}: {describe_keys(sizes)}"
