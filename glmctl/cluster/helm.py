"""Helm release state read from Helm's own storage Secrets, so the ``helm`` binary is optional.

Helm 3 stores each revision as a Secret ``sh.helm.release.v1.<name>.v<N>`` of type
``helm.sh/release.v1`` labelled ``owner=helm,name=<name>,status=...,version=<N>``. Its
``data.release`` is base64 twice (the API's encoding of Secret data, then Helm's own),
gzip-compressed when the gzip magic bytes say so, then JSON. The decoded release carries
the chart's values and rendered manifests, which may hold secrets: this module keeps only
the fields listed in :class:`HelmReleaseInfo` and never logs the decoded document.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from glmctl.cluster import resources

if TYPE_CHECKING:
    from glmctl.cluster.client import Cluster

Obj = dict[str, Any]

RELEASE_SECRET_TYPE = "helm.sh/release.v1"
_GZIP_MAGIC = b"\x1f\x8b"


class ReleaseDecodeError(ValueError):
    """A Secret that claims to be a Helm release could not be decoded."""


@dataclass(frozen=True)
class HelmHook:
    """A chart hook and how its last run went (``last_run.phase``: Succeeded, Failed...)."""

    name: str
    kind: str
    events: tuple[str, ...]
    phase: str
    started_at: str
    completed_at: str


@dataclass(frozen=True)
class HelmReleaseInfo:
    """One Helm release revision, as ``helm status`` / ``helm list`` would show it."""

    name: str
    namespace: str
    revision: int
    status: str
    chart_name: str
    chart_version: str
    app_version: str
    first_deployed: str
    last_deployed: str
    description: str
    hooks: tuple[HelmHook, ...]

    @property
    def deployed(self) -> bool:
        """``info.status`` is ``deployed``: the last install or upgrade succeeded."""
        return self.status == "deployed"


def decode_release_payload(release_data: str) -> Obj:
    """Decode ``data.release`` of a release Secret (as returned by the API) to the JSON dict."""
    try:
        helm_encoded = base64.b64decode(release_data, validate=False)
        raw = base64.b64decode(helm_encoded, validate=False)
    except (binascii.Error, ValueError) as error:
        raise ReleaseDecodeError("release data is not base64") from error
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ReleaseDecodeError("release data is not valid gzip") from error
    try:
        decoded = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReleaseDecodeError("release data is not JSON") from error
    if not isinstance(decoded, dict):
        raise ReleaseDecodeError("release data is not a JSON object")
    return decoded


def release_info(release: Obj) -> HelmReleaseInfo:
    """Keep only the listed, secret-free fields of a decoded release document."""
    info = release.get("info") or {}
    metadata = (release.get("chart") or {}).get("metadata") or {}
    return HelmReleaseInfo(
        name=str(release.get("name", "")),
        namespace=str(release.get("namespace", "")),
        revision=_as_int(release.get("version")),
        status=str(info.get("status", "unknown")),
        chart_name=str(metadata.get("name", "")),
        chart_version=str(metadata.get("version", "")),
        app_version=str(metadata.get("appVersion", "")),
        first_deployed=str(info.get("first_deployed", "")),
        last_deployed=str(info.get("last_deployed", "")),
        description=str(info.get("description", "")),
        hooks=tuple(_hook(h) for h in release.get("hooks") or [] if isinstance(h, dict)),
    )


def release_from_secret(secret: Obj) -> HelmReleaseInfo:
    """Decode one ``sh.helm.release.v1.*`` Secret into :class:`HelmReleaseInfo`."""
    data = (secret.get("data") or {}).get("release")
    if not isinstance(data, str) or not data:
        name = (secret.get("metadata") or {}).get("name", "?")
        raise ReleaseDecodeError(f"Secret {name} has no data.release")
    return release_info(decode_release_payload(data))


def newest_release_secret(secrets: list[Obj]) -> Obj | None:
    """The Secret of the highest revision among ``secrets`` (Helm's rule: newest wins)."""
    candidates = [s for s in secrets if s.get("type", RELEASE_SECRET_TYPE) == RELEASE_SECRET_TYPE]
    if not candidates:
        return None
    return max(candidates, key=_secret_revision)


def read_release(cluster: Cluster, name: str, namespace: str) -> HelmReleaseInfo | None:
    """The newest revision of release ``name`` in ``namespace``, or None if never installed.

    Filters on the Secret type client-side: the ``type`` field selector is not served by
    every API server implementation, the label selector is.
    """
    secrets = cluster.list(
        resources.SECRET, namespace=namespace, label_selector=f"owner=helm,name={name}"
    )
    newest = newest_release_secret(secrets)
    return release_from_secret(newest) if newest is not None else None


def _secret_revision(secret: Obj) -> int:
    """Revision from the ``version`` label, else from the ``.v<N>`` name suffix."""
    metadata = secret.get("metadata") or {}
    label = (metadata.get("labels") or {}).get("version")
    if label is not None and _as_int(label):
        return _as_int(label)
    _, _, suffix = str(metadata.get("name", "")).rpartition(".v")
    return _as_int(suffix)


def _hook(hook: Obj) -> HelmHook:
    last_run = hook.get("last_run") or {}
    return HelmHook(
        name=str(hook.get("name", "")),
        kind=str(hook.get("kind", "")),
        events=tuple(str(e) for e in hook.get("events") or []),
        phase=str(last_run.get("phase") or "Unknown"),
        started_at=str(last_run.get("started_at") or ""),
        completed_at=str(last_run.get("completed_at") or ""),
    )


def _as_int(value: object) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return 0
