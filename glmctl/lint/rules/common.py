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
SOURCE_KINDS = ("GitRepository", "OCIRepository", "Bucket", "ExternalArtifact")
HELM_SOURCE_KINDS = ("HelmRepository", "GitRepository", "Bucket", "OCIRepository", "HelmChart")


def text_of(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def map_items(node: Any) -> Iterator[tuple[int, YMap]]:
    if isinstance(node, YList):
        for index, item in enumerate(node):
            if isinstance(item, YMap):
                yield index, item
