"""Decoding Helm's release Secrets: base64 twice, gzip when the magic bytes say so, JSON."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from glmctl.cluster import helm

RELEASE: dict[str, Any] = {
    "name": "gitops-lifecycle-management",
    "namespace": "flux-system",
    "version": 3,
    "info": {
        "status": "deployed",
        "first_deployed": "2026-11-01T10:00:00Z",
        "last_deployed": "2026-11-20T10:00:00Z",
        "description": "Upgrade complete",
    },
    "chart": {
        "metadata": {
            "name": "gitops-lifecycle-management",
            "version": "0.4.1",
            "appVersion": "1.2.0",
        },
        "values": {"authentik": {"token": "SUPER-SECRET-VALUE"}},
    },
    "config": {"password": "SUPER-SECRET-VALUE"},
    "manifest": "apiVersion: v1\nkind: Secret\ndata:\n  token: SUPER-SECRET-VALUE\n",
    "hooks": [
        {
            "name": "gitops-lifecycle-management-auth-setup",
            "kind": "Job",
            "events": ["pre-install", "pre-upgrade"],
            "last_run": {
                "started_at": "2026-11-20T09:59:00Z",
                "completed_at": "2026-11-20T09:59:30Z",
                "phase": "Succeeded",
            },
        },
        {"name": "never-ran", "kind": "Job", "events": ["post-install"], "last_run": {}},
    ],
}


def release_secret(
    release: dict[str, Any], *, revision: int, compress: bool = True
) -> dict[str, Any]:
    """Encode like Helm (gzip, base64) and then like the API (base64 of Secret data)."""
    raw = json.dumps(release).encode()
    helm_encoded = base64.b64encode(gzip.compress(raw) if compress else raw)
    name = release["name"]
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "helm.sh/release.v1",
        "metadata": {
            "name": f"sh.helm.release.v1.{name}.v{revision}",
            "namespace": release["namespace"],
            "labels": {
                "owner": "helm",
                "name": name,
                "status": "deployed",
                "version": str(revision),
            },
        },
        "data": {"release": base64.b64encode(helm_encoded).decode()},
    }


@pytest.mark.parametrize("compress", [True, False])
def test_release_secret_decodes_with_and_without_gzip(compress: bool) -> None:
    info = helm.release_from_secret(release_secret(RELEASE, revision=3, compress=compress))

    assert (info.name, info.namespace, info.revision, info.status) == (
        "gitops-lifecycle-management",
        "flux-system",
        3,
        "deployed",
    )
    assert (info.chart_name, info.chart_version, info.app_version) == (
        "gitops-lifecycle-management",
        "0.4.1",
        "1.2.0",
    )
    assert info.deployed
    assert info.first_deployed == "2026-11-01T10:00:00Z"
    assert [(h.name, h.phase) for h in info.hooks] == [
        ("gitops-lifecycle-management-auth-setup", "Succeeded"),
        ("never-ran", "Unknown"),
    ]


def test_decoded_info_keeps_no_values_or_manifest() -> None:
    info = helm.release_from_secret(release_secret(RELEASE, revision=3))
    assert "SUPER-SECRET-VALUE" not in repr(info)


def test_newest_revision_wins_by_number_not_by_order() -> None:
    failed = RELEASE | {"version": 10, "info": RELEASE["info"] | {"status": "failed"}}
    secrets = [
        release_secret(failed, revision=10),
        release_secret(RELEASE, revision=9),
        release_secret(RELEASE | {"version": 2}, revision=2),
    ]
    newest = helm.newest_release_secret(secrets)
    assert newest is not None
    info = helm.release_from_secret(newest)
    assert (info.revision, info.status, info.deployed) == (10, "failed", False)


def test_secrets_of_other_types_are_ignored() -> None:
    other = release_secret(RELEASE, revision=99) | {"type": "Opaque"}
    assert helm.newest_release_secret([other]) is None


@pytest.mark.parametrize(
    "payload",
    [
        "not base64 at all!!",
        base64.b64encode(base64.b64encode(b"\x1f\x8bgarbage")).decode(),
        base64.b64encode(base64.b64encode(b"{not json")).decode(),
        base64.b64encode(base64.b64encode(b"[1, 2]")).decode(),
    ],
)
def test_broken_payloads_raise_a_decode_error(payload: str) -> None:
    with pytest.raises(helm.ReleaseDecodeError):
        helm.decode_release_payload(payload)


def test_secret_without_release_data_is_a_decode_error() -> None:
    with pytest.raises(helm.ReleaseDecodeError):
        helm.release_from_secret({"metadata": {"name": "sh.helm.release.v1.x.v1"}, "data": {}})
