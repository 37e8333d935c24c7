"""One mutation of the clean guide-shaped repository per rule: that finding and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from glmctl.lint.engine import lint_repository
from glmctl.lint.model import Severity
from glmctl.lint.registry import all_rules

from .conftest import GUIDE, Edit, apply_edits, line_of

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741

OUTPOST = "clusters/home-ops/infrastructure/outpost-config.yaml"
EXTERNAL_SECRETS = "clusters/home-ops/infrastructure/external-secrets.yaml"
IDENTITY = "clusters/home-ops/infrastructure/identity.yaml"
SOURCES = "clusters/home-ops/infrastructure/sources.yaml"
RADIUS_JOB = "infrastructure/authentik-outpost-config/radius-outpost-config-job.yaml"
OP_DEPLOYMENT = "infrastructure/onepassword-connect/deployment.yaml"
OP_KUSTOMIZATION = "infrastructure/onepassword-connect/kustomization.yaml"
ESO_HELMRELEASE = "infrastructure/external-secrets/helmrelease.yaml"
GLM_HELMRELEASE = "infrastructure/gitops-lifecycle-management/helmrelease.yaml"
GLM_KUSTOMIZATION = "infrastructure/gitops-lifecycle-management/kustomization.yaml"
AUTHENTIK_ES = "infrastructure/authentik/externalsecrets.yaml"
AUTHENTIK_HR = "infrastructure/authentik/helmrelease.yaml"

POD_USING_ADMIN_TOKEN = """---
apiVersion: v1
kind: Pod
metadata:
  name: token-reader
spec:
  containers:
    - name: reader
      image: busybox:1.36
      envFrom:
        - secretRef:
            name: authentik-admin-token
"""


@dataclass(frozen=True)
class Case:
    """A mutation and the one finding it must produce."""

    id: str
    edits: tuple[Edit, ...]
    rule: str
    severity: Severity
    file: str
    marker: str  # text on the expected line of ``file`` after the edit
    message: str  # part of the message
    fix: str | None = None  # part of the fix


CASES = [
    Case(
        "yaml-syntax",
        (Edit("infrastructure/onepassword-connect/service.yaml", "  ports:", "  ports: [oops"),),
        "yaml-syntax", E, "infrastructure/onepassword-connect/service.yaml", "- name: http",
        "does not parse",
    ),
    Case(
        "yaml-duplicate-key",
        (Edit(OP_DEPLOYMENT, "  replicas: 1\n", "  replicas: 1\n  replicas: 2\n"),),
        "yaml-duplicate-key", E, OP_DEPLOYMENT, "replicas: 2", "'replicas' appears twice",
    ),
    Case(
        "manifest-required-field",
        (Edit("infrastructure/onepassword-connect/service.yaml", "kind: Service\n", ""),),
        "manifest-required-field", E, "infrastructure/onepassword-connect/service.yaml",
        "apiVersion: v1", "no 'kind'",
    ),
    Case(
        "manifest-unknown-field",
        (Edit("infrastructure/onepassword-connect/service.yaml", "apiVersion: v1",
              "aapiVersion: v1"),),
        "manifest-unknown-field", E, "infrastructure/onepassword-connect/service.yaml",
        "aapiVersion", "did you mean 'apiVersion'", "Rename 'aapiVersion' to 'apiVersion'",
    ),
    Case(
        "kustomize-missing-resource",
        (Edit(OP_KUSTOMIZATION, "  - service.yaml", "  - services.yaml"),),
        "kustomize-missing-resource", E, OP_KUSTOMIZATION, "services.yaml",
        "'services.yaml' is listed in resources but does not exist", "'service.yaml'",
    ),
    Case(
        "kustomize-missing-resource (generator file)",
        (Edit(GLM_KUSTOMIZATION, "      - values.yaml", "      - values.yaml=value.yaml"),),
        "kustomize-missing-resource", E, GLM_KUSTOMIZATION, "=value.yaml",
        "'value.yaml' is listed in configMapGenerator 'gitops-lifecycle-management-values' "
        "files but does not exist", "'values.yaml'",
    ),
    Case(
        "kustomize-remote-resource",
        (Edit("infrastructure/external-secrets/kustomization.yaml", "  - namespace.yaml",
              "  - namespace.yaml\n  - github.com/external-secrets/external-secrets//config/crds"
              "?ref=v0.9.11"),),
        "kustomize-remote-resource", I, "infrastructure/external-secrets/kustomization.yaml",
        "?ref=v0.9.11", "not verified offline",
    ),
    Case(
        "flux-path-missing",
        (Edit(OUTPOST, "path: ./infrastructure/authentik-outpost-config",
              "path: ./infrastructure/authentik-outposts-config"),),
        "flux-path-missing", E, OUTPOST, "path: ./infrastructure/", "does not exist",
        "./infrastructure/authentik-outpost-config",
    ),
    Case(
        "flux-source-missing",
        (Edit(OUTPOST, "    name: flux-system", "    name: flux-sytem"),),
        "flux-source-missing", E, OUTPOST, "sourceRef:", "GitRepository 'flux-system/flux-sytem'",
        "'flux-system'",
    ),
    Case(
        "flux-depends-on-missing",
        (Edit(OUTPOST, "- name: infrastructure-authentik\n",
              "- name: infrastructure-authentic\n"),),
        "flux-depends-on-missing", E, OUTPOST, "infrastructure-authentic",
        "'flux-system/infrastructure-authentic', which does not exist",
        "'infrastructure-authentik'",
    ),
    Case(
        "flux-depends-on-kind",
        (Edit(IDENTITY, "    - name: infrastructure-authentik\n",
              "    - name: infrastructure-authentik\n    - kind: Deployment\n"
              "      apiVersion: apps/v1\n      name: onepassword-connect\n"
              "      namespace: onepassword-connect\n"),),
        "flux-depends-on-kind", E, IDENTITY, "- kind: Deployment", "is a Deployment",
        "spec.healthChecks",
    ),
    Case(
        "flux-depends-on-cycle",
        (Edit(SOURCES, "  prune: true\n",
              "  prune: true\n  dependsOn:\n    - name: infrastructure-external-secrets\n"),),
        "flux-depends-on-cycle", E, EXTERNAL_SECRETS, "- name: infrastructure-sources",
        "infrastructure-external-secrets → infrastructure-sources → "
        "infrastructure-external-secrets",
    ),
    Case(
        "flux-health-check-missing",
        (Edit(OUTPOST, "",
              "    - kind: Job\n      apiVersion: batch/v1\n      name: enhanced-token-setup\n"
              "      namespace: authentik\n"),),
        "flux-health-check-missing", E, OUTPOST, "- kind: Job",
        "Job 'authentik/enhanced-token-setup'", "commented out",
    ),
    Case(
        "flux-health-check-unverifiable",
        (Edit(EXTERNAL_SECRETS, "",
              "    - kind: Deployment\n      apiVersion: apps/v1\n"
              "      name: external-secrets-webhook\n      namespace: external-secrets\n"),),
        "flux-health-check-unverifiable", I, EXTERNAL_SECRETS, "- kind: Deployment",
        "not verified offline",
    ),
    Case(
        "helmrelease-source-missing",
        (Edit(ESO_HELMRELEASE, "        name: external-secrets\n        namespace: flux-system\n",
              "        name: external-secrets\n"),),
        "helmrelease-source-missing", E, ESO_HELMRELEASE, "sourceRef:",
        "HelmRepository 'external-secrets/external-secrets'", "namespace 'flux-system'",
    ),
    Case(
        "helmrelease-chart-missing",
        (Edit(GLM_HELMRELEASE, "chart: ./charts/gitops-lifecycle-management",
              "chart: ./charts/gitops-lifecycle"),),
        "helmrelease-chart-missing", E, GLM_HELMRELEASE, "chart: ./charts/",
        "no Chart.yaml", "./charts/gitops-lifecycle-management",
    ),
    Case(
        "helmrelease-depends-on-missing",
        (Edit(GLM_HELMRELEASE, "- name: authentik\n", "- name: authentic\n"),),
        "helmrelease-depends-on-missing", E, GLM_HELMRELEASE, "- name: authentic",
        "HelmRelease 'authentik/authentic'", "'authentik'",
    ),
    Case(
        "helmrelease-values-missing",
        (Edit(GLM_HELMRELEASE, "name: gitops-lifecycle-management-values",
              "name: gitops-lifecycle-values"),),
        "helmrelease-values-missing", E, GLM_HELMRELEASE, "- kind: ConfigMap",
        "ConfigMap 'flux-system/gitops-lifecycle-values'", "gitops-lifecycle-management-values",
    ),
    Case(
        "flux-substitute-from-missing",
        (Edit("clusters/home-ops/infrastructure/authentik.yaml", "",
              "    substituteFrom:\n      - kind: ConfigMap\n        name: cluster-setings\n"),),
        "flux-substitute-from-missing", E, "clusters/home-ops/infrastructure/authentik.yaml",
        "- kind: ConfigMap", "ConfigMap 'flux-system/cluster-setings'",
    ),
    Case(
        "secret-missing (typo)",
        (Edit(RADIUS_JOB, "name: authentik-admin-token", "name: authentik-admin-tokn"),),
        "secret-missing", W, RADIUS_JOB, "authentik-admin-tokn",
        "'authentik/authentik-admin-tokn'", "'authentik-admin-token'",
    ),
    Case(
        "secret-missing (other namespace)",
        (Edit("infrastructure/external-secrets/namespace.yaml", "", POD_USING_ADMIN_TOKEN),),
        "secret-missing", E, "infrastructure/external-secrets/namespace.yaml",
        "name: authentik-admin-token", "produced only in namespace 'authentik'",
    ),
    Case(
        "secret-key-missing",
        (Edit(RADIUS_JOB, "key: token", "key: tokn"),),
        "secret-key-missing", E, RADIUS_JOB, "key: tokn",
        "key 'tokn'", "Keys it yields: token",
    ),
    Case(
        "externalsecret-store-missing",
        (Edit(AUTHENTIK_ES,
              "    kind: ClusterSecretStore\n    name: onepassword-connect\n  target:\n"
              "    name: authentik-admin-token",
              "    kind: SecretStore\n    name: onepassword-connect\n  target:\n"
              "    name: authentik-admin-token"),),
        "externalsecret-store-missing", E, AUTHENTIK_ES, "kind: SecretStore",
        "only a ClusterSecretStore 'onepassword-connect' exists", "kind: ClusterSecretStore",
    ),
    Case(
        "duplicate-object",
        (Edit(OP_DEPLOYMENT, "",
              "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: onepassword-connect\n"
              "spec:\n  ports:\n    - port: 8080\n"),),
        "duplicate-object", E, "infrastructure/onepassword-connect/service.yaml", "apiVersion: v1",
        "Service onepassword-connect/onepassword-connect is defined twice",
        "infrastructure/onepassword-connect/deployment.yaml:42",
    ),
    Case(
        "duplicate-label",
        (Edit(OP_DEPLOYMENT, "  labels:\n    app.kubernetes.io/name: onepassword-connect\nspec:",
              "  labels:\n    app.kubernetes.io/name: onepassword-connect\n"
              "    app.kubernetes.io/name: other\nspec:"),),
        "duplicate-label", E, OP_DEPLOYMENT, "app.kubernetes.io/name: other",
        "Label 'app.kubernetes.io/name' appears twice",
    ),
    Case(
        "substitute-undefined",
        (Edit(AUTHENTIK_HR, "authentik.${CLUSTER_DOMAIN}", "authentik.${CLUSTER_DOMIAN}"),),
        "substitute-undefined", W, AUTHENTIK_HR, "CLUSTER_DOMIAN",
        "${CLUSTER_DOMIAN} is not defined", "$${CLUSTER_DOMIAN}",
    ),
    Case(
        "unreferenced-file",
        (Edit("infrastructure/authentik/stray.yaml", "",
              "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n"),),
        "unreferenced-file", I, "infrastructure/authentik/stray.yaml", "apiVersion: v1",
        "No kustomization reaches this file", "infrastructure/authentik/kustomization.yaml",
    ),
]  # fmt: skip


def test_the_guide_repository_lints_clean() -> None:
    report = lint_repository(GUIDE)

    assert report.findings == ()
    assert report.objects == 28


def test_every_rule_has_a_mutation_case() -> None:
    covered = {case.rule for case in CASES}
    # runs only with --kustomize=kubectl: tested in test_reality.py against the real kubectl
    covered.add("kustomize-build-failed")
    covered.add("repo-symlink-outside")  # a symlink is no text edit: test_symlink_outside.py
    # run only with --render-charts: tested in test_charts.py against the real helm
    covered.update(rule for rule in all_rules() if rule.startswith("chart-"))

    assert covered == set(all_rules())


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_one_mutation_gives_exactly_its_finding(guide_repo: Path, case: Case) -> None:
    apply_edits(guide_repo, case.edits)

    report = lint_repository(guide_repo)

    assert [(f.rule, f.severity, f.file) for f in report.findings] == [
        (case.rule, case.severity, case.file)
    ], report.findings
    finding = report.findings[0]
    assert finding.line == line_of(guide_repo, case.file, case.marker)
    assert case.message in finding.message
    if case.fix is not None:
        assert finding.fix is not None and case.fix in finding.fix
    assert report.failed is (case.severity is E)


def test_docs_list_every_rule() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "lint.md").read_text()

    undocumented = [rule for rule in all_rules() if f"| `{rule}` |" not in docs]
    assert undocumented == []
