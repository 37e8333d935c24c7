"""Rule group 7: ExternalSecret store references."""

from __future__ import annotations

from collections.abc import Iterable

from glmctl.lint.context import ESO_GROUP, LintContext
from glmctl.lint.model import (
    Finding,
)
from glmctl.lint.registry import rule
from glmctl.lint.rules.common import (
    E,
    text_of,
)
from glmctl.lint.yamlio import YMap

# -- 7. ExternalSecret stores --------------------------------------------------------------


@rule(
    "externalsecret-store-missing",
    E,
    "An ExternalSecret's secretStoreRef does not resolve",
    "The ExternalSecret reports SecretSyncedError and its Secret never appears.",
)
def externalsecret_store_missing(ctx: LintContext) -> Iterable[Finding]:
    stores = {
        (o.manifest.kind, o.namespace, o.manifest.name)
        for o in ctx.placed
        if o.manifest.group == ESO_GROUP
    }
    cluster = {n for (k, _, n) in stores if k == "ClusterSecretStore"}
    for obj in ctx.of_kind("ExternalSecret", ESO_GROUP):
        ref = obj.manifest.spec.get("secretStoreRef")
        if not isinstance(ref, YMap) or not text_of(ref.get("name")):
            continue
        kind, name = text_of(ref.get("kind")) or "SecretStore", ref["name"]
        if kind == "ClusterSecretStore" and name in cluster:
            continue
        if kind == "SecretStore" and (kind, obj.namespace, name) in stores:
            continue
        line = obj.manifest.line_of("spec", "secretStoreRef", "kind" if "kind" in ref else "name")
        if kind == "SecretStore" and name in cluster:
            fix = "Set kind: ClusterSecretStore in secretStoreRef."
            message = (
                f"secretStoreRef names SecretStore '{obj.namespace}/{name}', but only a "
                f"ClusterSecretStore '{name}' exists."
            )
        else:
            names = (
                cluster
                if kind == "ClusterSecretStore"
                else {n for (k, ns, n) in stores if k == "SecretStore" and ns == obj.namespace}
            )
            guess = ctx.closest(name, names)
            fix = f"Did you mean '{guess}'?" if guess else ""
            message = (
                f"secretStoreRef names {kind} '{name}', which nothing in the repository defines."
            )
        yield ctx.finding(
            "externalsecret-store-missing",
            E,
            obj.manifest,
            line,
            message,
            obj=obj.ref,
            fix=fix or None,
        )
