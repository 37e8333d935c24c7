"""The API resources glmctl talks about, as plain values: group, version, plural, kind.

A :class:`ResourceType` is all the cluster layer needs to build a REST path, so callers
never spell URLs. The constants name the versions the deployment guide's cluster serves;
:meth:`glmctl.cluster.client.Cluster.resolve` swaps in another served version (for
example External Secrets ``v1`` where ``v1beta1`` is gone) using discovery.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class ResourceType:
    """One REST resource: where it lives (group/version/plural) and what it holds (kind)."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        """``apiVersion`` as written in manifests: ``v1`` for core, ``group/version`` else."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def display(self) -> str:
        """``plural.group`` the way kubectl and RBAC messages name a resource."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def with_version(self, version: str) -> ResourceType:
        """The same resource at another version (discovery found a different one served)."""
        return replace(self, version=version)

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The REST path for the collection (no name) or one object; all namespaces if None."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{name}"
        return base


KUSTOMIZATION = ResourceType("kustomize.toolkit.fluxcd.io", "v1", "kustomizations", "Kustomization")
HELMRELEASE = ResourceType("helm.toolkit.fluxcd.io", "v2", "helmreleases", "HelmRelease")
GITREPOSITORY = ResourceType("source.toolkit.fluxcd.io", "v1", "gitrepositories", "GitRepository")
HELMREPOSITORY = ResourceType(
    "source.toolkit.fluxcd.io", "v1", "helmrepositories", "HelmRepository"
)
OCIREPOSITORY = ResourceType("source.toolkit.fluxcd.io", "v1", "ocirepositories", "OCIRepository")
HELMCHART = ResourceType("source.toolkit.fluxcd.io", "v1", "helmcharts", "HelmChart")
BUCKET = ResourceType("source.toolkit.fluxcd.io", "v1", "buckets", "Bucket")
EXTERNALSECRET = ResourceType("external-secrets.io", "v1", "externalsecrets", "ExternalSecret")
SECRETSTORE = ResourceType("external-secrets.io", "v1", "secretstores", "SecretStore")
CLUSTERSECRETSTORE = ResourceType(
    "external-secrets.io", "v1", "clustersecretstores", "ClusterSecretStore", False
)
SERVICEMONITOR = ResourceType("monitoring.coreos.com", "v1", "servicemonitors", "ServiceMonitor")
POD = ResourceType("", "v1", "pods", "Pod")
SECRET = ResourceType("", "v1", "secrets", "Secret")
CONFIGMAP = ResourceType("", "v1", "configmaps", "ConfigMap")
EVENT = ResourceType("", "v1", "events", "Event")
NAMESPACE = ResourceType("", "v1", "namespaces", "Namespace", False)
SERVICE = ResourceType("", "v1", "services", "Service")
SERVICEACCOUNT = ResourceType("", "v1", "serviceaccounts", "ServiceAccount")
JOB = ResourceType("batch", "v1", "jobs", "Job")
DEPLOYMENT = ResourceType("apps", "v1", "deployments", "Deployment")
CRD = ResourceType(
    "apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False
)

ALL: tuple[ResourceType, ...] = (
    KUSTOMIZATION,
    HELMRELEASE,
    GITREPOSITORY,
    HELMREPOSITORY,
    OCIREPOSITORY,
    HELMCHART,
    BUCKET,
    EXTERNALSECRET,
    SECRETSTORE,
    CLUSTERSECRETSTORE,
    SERVICEMONITOR,
    POD,
    SECRET,
    CONFIGMAP,
    EVENT,
    NAMESPACE,
    SERVICE,
    SERVICEACCOUNT,
    JOB,
    DEPLOYMENT,
    CRD,
)

_BY_GROUP_KIND = {(rt.group, rt.kind): rt for rt in ALL}

#: Where an object's Flux source reference (``sourceRef.kind``) points, by kind.
SOURCE_KINDS = {
    rt.kind: rt for rt in (GITREPOSITORY, HELMREPOSITORY, OCIREPOSITORY, HELMCHART, BUCKET)
}


def for_kind(api_version: str, kind: str) -> ResourceType:
    """The resource type of a manifest's ``apiVersion`` and ``kind``.

    Known kinds keep their plural and scope at the version the manifest names; an unknown
    kind raises ``KeyError`` (a guessed plural would be a silent wrong URL).
    """
    group, _, version = api_version.rpartition("/")
    known = _BY_GROUP_KIND.get((group, kind))
    if known is None:
        raise KeyError(f"unknown kind {kind} in {api_version}")
    return known if known.version == version else known.with_version(version)


def for_source_kind(kind: str) -> ResourceType | None:
    """The Flux source resource a ``sourceRef.kind`` names, or None for an unknown kind."""
    return SOURCE_KINDS.get(kind)
