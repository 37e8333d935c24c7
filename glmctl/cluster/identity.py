"""Which cluster a connection reaches, beyond its kubeconfig context name.

Context names are reused (every simulated cluster is ``glmctl-sim``; real operators have
many ``default`` and ``admin@home``), so the journal binds each entry to the cluster
itself: the API server URL, the SHA-256 fingerprint of the CA certificate the connection
trusts, and the UID of the ``flux-system`` namespace when it can be read (it changes when
the cluster is rebuilt, even behind the same URL and CA).

Two identities are the same cluster when the URL and CA fingerprint are equal and, where
both know it, the namespace UID is equal too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from glmctl.cluster.client import Cluster

FLUX_NAMESPACE = "flux-system"


class ClusterIdentity(BaseModel):
    """What a journal entry records about the cluster it changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    server: str
    ca_sha256: str | None = None
    flux_namespace_uid: str | None = None

    def same_cluster(self, other: ClusterIdentity) -> bool:
        """True when ``other`` is this cluster (see the module docstring)."""
        if self.server != other.server or self.ca_sha256 != other.ca_sha256:
            return False
        if self.flux_namespace_uid and other.flux_namespace_uid:
            return self.flux_namespace_uid == other.flux_namespace_uid
        return True

    def describe(self) -> str:
        """One phrase for a sentence: ``https://host:6443 (CA sha256 1a2b3c4d…)``."""
        ca = f"CA sha256 {self.ca_sha256[:16]}…" if self.ca_sha256 else "no CA"
        return f"{self.server} ({ca})"


def identify(cluster: Cluster) -> ClusterIdentity:
    """This connection's cluster: server URL, CA fingerprint, flux-system namespace UID.

    The namespace is read with one GET; when it is missing or forbidden the UID is left
    out and the URL and CA alone identify the cluster. A server that does not answer is
    an error like any other (it stops the command, exit 3 or 4).
    """
    from glmctl.cluster import resources
    from glmctl.errors import Forbidden

    uid: str | None = None
    try:
        namespace = cluster.get_or_none(resources.NAMESPACE, FLUX_NAMESPACE)
    except Forbidden:
        namespace = None
    if namespace is not None:
        uid = str((namespace.get("metadata") or {}).get("uid") or "") or None
    return ClusterIdentity(
        server=cluster.server, ca_sha256=cluster.ca_fingerprint(), flux_namespace_uid=uid
    )
