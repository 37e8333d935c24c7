"""What the rule modules share: severities, field lists, and tolerant accessors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from glmctl.lint.model import (
    Severity,
)
from glmctl.lint.yamlio import YList, YMap

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741

LABEL_MAPS = frozenset({"labels", "annotations", "matchLabels"})
COMMON_TOP_LEVEL = frozenset({"apiVersion", "kind", "metadata", "spec", "status", "sops"})
KNOWN_TOP_LEVEL = COMMON_TOP_LEVEL | frozenset(
    {
        "data",
        "stringData",
        "binaryData",
        "type",
        "immutable",  # Secret, ConfigMap
        "rules",
        "subjects",
        "roleRef",
        "aggregationRule",  # RBAC
        "secrets",
        "imagePullSecrets",
        "automountServiceAccountToken",  # ServiceAccount
        "webhooks",
        "items",
        "provisioner",
        "parameters",
        "reclaimPolicy",
        "volumeBindingMode",
        "allowVolumeExpansion",
        "mountOptions",
        "allowedTopologies",
        "value",
        "globalDefault",
        "preemptionPolicy",
        "description",
        "handler",
        "overhead",
        "scheduling",
        "subsets",
        "endpoints",
        "addressType",
        "ports",
        "template",
        "target",
        "involvedObject",
        "revision",
        "reason",
        "message",
        "source",
        "driverName",
        "deletionPolicy",
    }
)
# Kinds whose top level is fully known: anything else there is a mistake, not a CRD's field.
STRICT_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "rbac.authorization.k8s.io",
        "networking.k8s.io",
        "policy",
        "kustomize.toolkit.fluxcd.io",
        "helm.toolkit.fluxcd.io",
        "source.toolkit.fluxcd.io",
        "notification.toolkit.fluxcd.io",
        "external-secrets.io",
    }
)
SOURCE_KINDS = ("GitRepository", "OCIRepository", "Bucket", "ExternalArtifact")
HELM_SOURCE_KINDS = ("HelmRepository", "GitRepository", "Bucket", "OCIRepository", "HelmChart")


def text_of(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def map_items(node: Any) -> Iterator[tuple[int, YMap]]:
    if isinstance(node, YList):
        for index, item in enumerate(node):
            if isinstance(item, YMap):
                yield index, item
