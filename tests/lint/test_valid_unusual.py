"""Valid repositories that look odd must not cry wolf: no errors, no warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from glmctl.lint.engine import lint_repository
from glmctl.lint.model import Severity

from .conftest import Edit, apply_edits

APPS = "clusters/home-ops/infrastructure/apps.yaml"
OP_KUSTOMIZATION = "infrastructure/onepassword-connect/kustomization.yaml"

APPS_KUSTOMIZATION = """---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps
  namespace: flux-system
spec:
  interval: 30m
  path: ./apps
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
  dependsOn:
    - name: infrastructure-authentik
  postBuild:
    substitute:
      APP_NAME: home
    substituteFrom:
      - kind: ConfigMap
        name: cluster-settings
      - kind: Secret
        name: cluster-secrets
        optional: true
"""

# A directory listed as a resource, with a component, a JSON6902 patch that matches
# nothing, generators, a remote base, commented-out entries and SOPS files.
APPS_ROOT = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - settings.yaml
  - home
  # - disabled.yaml
  - https://raw.githubusercontent.com/example/crds/v1.0.0/crds.yaml
"""

SETTINGS = """apiVersion: v1
kind: ConfigMap
metadata:
  name: cluster-settings
  namespace: flux-system
data:
  CLUSTER_NAME: home-ops
"""

HOME_KUSTOMIZATION = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: home
resources:
  - namespace.yaml
  - app.yaml
  - database.yaml
components:
  - ../components/common
patches:
  - target:
      kind: Deployment
      name: does-not-exist
    patch: |
      - op: add
        path: /metadata/labels/x
        value: y
  - path: patch-replicas.yaml
secretGenerator:
  - name: app-env
    envs:
      - app.env
configMapGenerator:
  - name: app-config
    literals:
      - MODE=prod
generatorOptions:
  disableNameSuffixHash: true
"""

HOME_APP = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${APP_NAME}
  annotations:
    description: "${CLUSTER_NAME} app, default ${UNSET_WITH_DEFAULT:=x}, literal $${NOT_ME}"
spec:
  template:
    spec:
      containers:
        - name: app
          image: ghcr.io/example/app:1.0
          envFrom:
            - secretRef:
                name: app-env
            - configMapRef:
                name: app-config
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: home-db-app
                  key: password
            - name: BOOTSTRAP
              valueFrom:
                secretKeyRef:
                  name: bootstrap-token
                  key: token
            - name: OPTIONAL
              valueFrom:
                secretKeyRef:
                  name: might-not-exist
                  key: x
                  optional: true
      volumes:
        - name: tls
          secret:
            secretName: home-tls
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata:
  name: home
spec:
  secretName: home-tls
  dnsNames: [home.example.com]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: script
  annotations:
    kustomize.toolkit.fluxcd.io/substitute: disabled
data:
  run.sh: echo ${NOT_SUBSTITUTED}
"""

DATABASE = """apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: home-db
spec:
  instances: 1
"""

COMPONENT = """apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
  - network-policy.yaml
"""

NETWORK_POLICY = """apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
spec:
  podSelector: {}
"""

UNUSUAL = (
    Edit(APPS, "", APPS_KUSTOMIZATION),
    Edit("apps/kustomization.yaml", "", APPS_ROOT),
    Edit("apps/settings.yaml", "", SETTINGS),
    Edit("apps/home/kustomization.yaml", "", HOME_KUSTOMIZATION),
    Edit("apps/home/namespace.yaml", "",
         "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: home\n"),
    Edit("apps/home/app.yaml", "", HOME_APP),
    Edit("apps/home/database.yaml", "", DATABASE),
    Edit("apps/home/app.env", "", "A=1\n"),
    Edit("apps/home/patch-replicas.yaml", "", "apiVersion: apps/v1\nkind: Deployment\n"
         "metadata:\n  name: home\nspec:\n  replicas: 2\n"),
    Edit("apps/components/common/kustomization.yaml", "", COMPONENT),
    Edit("apps/components/common/network-policy.yaml", "", NETWORK_POLICY),
    # An unreferenced scratch file that does not parse: a warning at most, never an error.
    Edit("notes/scratch.yaml", "", "key: [unclosed\n"),
    # Chart templates elsewhere and a *.yaml.template: never parsed.
    Edit("apps/home/deployment.yaml.template", "", "replicas: {{ .Replicas }\n"),
)  # fmt: skip


@pytest.fixture
def unusual_repo(guide_repo: Path) -> Path:
    apply_edits(guide_repo, UNUSUAL)
    glmctl_yaml = (
        "lint:\n  external_secrets:\n    - namespace: home\n      name: bootstrap-token\n"
        "      keys: [token]\n"
    )
    (guide_repo / "glmctl.yaml").write_text(glmctl_yaml)
    return guide_repo


def test_valid_but_unusual_repository_has_no_errors(unusual_repo: Path) -> None:
    from glmctl.lint.settings import ExternalSecret, LintSettings

    settings = LintSettings(
        external_secrets=[ExternalSecret(namespace="home", name="bootstrap-token", keys=["token"])]
    )
    report = lint_repository(unusual_repo, settings)

    loud = [f for f in report.findings if f.severity is not Severity.INFO]
    assert loud == [
        f for f in loud if f.file == "notes/scratch.yaml" and f.severity is Severity.WARNING
    ]
    assert [f.rule for f in loud] == ["yaml-syntax"]
    infos = sorted(f.rule for f in report.findings if f.severity is Severity.INFO)
    assert infos == ["kustomize-remote-resource"]


def test_component_and_generators_are_part_of_the_build(unusual_repo: Path) -> None:
    from glmctl.lint.context import LintContext
    from glmctl.lint.loader import load_repository
    from glmctl.lint.settings import LintSettings

    ctx = LintContext(load_repository(unusual_repo), LintSettings())
    placed = {(o.manifest.kind, o.namespace, o.manifest.name) for o in ctx.placed}

    assert ("NetworkPolicy", "home", "default-deny") in placed
    assert ("Secret", "home", "app-env") in placed
    assert ("ConfigMap", "home", "app-config") in placed
    assert ("Deployment", "home", "${APP_NAME}") in placed


def test_undeclared_bootstrap_secret_is_a_warning_not_an_error(unusual_repo: Path) -> None:
    report = lint_repository(unusual_repo)

    bootstrap = [f for f in report.findings if "bootstrap-token" in f.message]
    assert [(f.rule, f.severity) for f in bootstrap] == [("secret-missing", Severity.WARNING)]
    assert bootstrap[0].fix is not None and "lint.external_secrets" in bootstrap[0].fix
    assert not report.failed


def test_namespace_override_moves_a_helmrelease_away_from_its_source(guide_repo: Path) -> None:
    """A kustomization ``namespace:`` moves a HelmRelease whose sourceRef has no namespace."""
    apply_edits(
        guide_repo,
        [
            Edit(
                "infrastructure/authentik/helmrelease.yaml",
                "        name: authentik\n        namespace: flux-system\n",
                "        name: authentik\n",
            )
        ],
    )

    report = lint_repository(guide_repo)

    assert [(f.rule, f.message) for f in report.findings] == [
        (
            "helmrelease-source-missing",
            "sourceRef names HelmRepository 'authentik/authentik', which nothing in the "
            "repository defines.",
        )
    ]


def test_metadata_namespace_inside_kustomization_yaml_is_not_an_override(guide_repo: Path) -> None:
    apply_edits(
        guide_repo,
        [
            Edit(
                "infrastructure/authentik-outpost-config/kustomization.yaml",
                "namespace: authentik\n",
                "metadata:\n  namespace: authentik\n",
            ),
            Edit(
                "infrastructure/authentik-outpost-config/radius-outpost-config-job.yaml",
                "  namespace: authentik\n",
                "",
            ),
        ],
    )

    report = lint_repository(guide_repo)

    rules = {f.rule for f in report.findings}
    assert "flux-health-check-missing" in rules
    missing = next(f for f in report.findings if f.rule == "flux-health-check-missing")
    assert missing.fix == "It is produced in namespace 'default': fix the namespace."


def test_resource_that_git_ignores_does_not_exist_for_flux(guide_repo: Path) -> None:
    import sh

    (guide_repo / ".gitignore").write_text("service.yaml\n")
    sh.git("init", "-q", str(guide_repo))

    report = lint_repository(guide_repo)

    assert [(f.rule, f.file) for f in report.findings] == [
        ("kustomize-missing-resource", "infrastructure/onepassword-connect/kustomization.yaml")
    ]
    assert "git ignores it" in report.findings[0].message


def test_yaml_error_in_a_listed_file_is_an_error_and_elsewhere_a_warning(guide_repo: Path) -> None:
    (guide_repo / "notes").mkdir()
    (guide_repo / "notes" / "broken.yaml").write_text("a: [\n")
    (guide_repo / "infrastructure/authentik/namespace.yaml").write_text("kind: {\n")

    report = lint_repository(guide_repo)

    severities = {(f.file, f.severity) for f in report.findings if f.rule == "yaml-syntax"}
    assert severities == {
        ("notes/broken.yaml", Severity.WARNING),
        ("infrastructure/authentik/namespace.yaml", Severity.ERROR),
    }


def test_a_file_reached_twice_in_one_build_is_a_duplicate(guide_repo: Path) -> None:
    apply_edits(
        guide_repo,
        [Edit(OP_KUSTOMIZATION, "  - service.yaml\n", "  - service.yaml\n  - ./service.yaml\n")],
    )

    report = lint_repository(guide_repo)

    assert [(f.rule, f.file) for f in report.findings] == [
        ("duplicate-object", "infrastructure/onepassword-connect/service.yaml")
    ]
    assert "included twice" in report.findings[0].message


def test_entries_outside_the_repository_and_missing_components(guide_repo: Path) -> None:
    apply_edits(
        guide_repo,
        [
            Edit(
                OP_KUSTOMIZATION,
                "  - service.yaml\n",
                "  - service.yaml\n  - ../../../elsewhere.yaml\ncomponents:\n  - ../components/x\n",
            )
        ],
    )

    report = lint_repository(guide_repo)

    messages = [(f.rule, f.line, f.message) for f in report.findings]
    assert messages == [
        (
            "kustomize-missing-resource",
            9,
            "'../../../elsewhere.yaml' points outside the repository, which Flux cannot read.",
        ),
        (
            "kustomize-missing-resource",
            11,
            "'../components/x' is listed in components but does not exist.",
        ),
    ]


def test_generated_directory_takes_every_yaml_file(guide_repo: Path) -> None:
    """Flux generates a kustomization of every YAML file below a path without one."""
    apply_edits(
        guide_repo,
        [
            Edit("clusters/home-ops/infrastructure/notes.yaml", "", "owner: me\nreviewed: true\n"),
            Edit("clusters/home-ops/infrastructure/list.yaml", "", "- a\n- b\n"),
        ],
    )

    report = lint_repository(guide_repo)

    assert [(f.rule, f.file, f.line, f.message) for f in report.findings] == [
        (
            "manifest-required-field",
            "clusters/home-ops/infrastructure/list.yaml",
            1,
            "This document is a list, not a Kubernetes object.",
        ),
        (
            "manifest-required-field",
            "clusters/home-ops/infrastructure/notes.yaml",
            1,
            "This manifest has no 'apiVersion'.",
        ),
        (
            "manifest-required-field",
            "clusters/home-ops/infrastructure/notes.yaml",
            1,
            "This manifest has no 'kind'.",
        ),
    ]


def test_gotk_sync_without_its_kustomization_still_marks_the_cluster(guide_repo: Path) -> None:
    """flux bootstrap --path=P writes P/flux-system/gotk-sync.yaml: P is the cluster's root
    even when the file's Kustomization is missing, so everything is still reached."""
    sync = guide_repo / "clusters/home-ops/flux-system/gotk-sync.yaml"
    sync.write_text(sync.read_text().split("---\napiVersion: kustomize")[0])

    report = lint_repository(guide_repo)

    assert [(f.rule, f.file) for f in report.findings] == []
    assert report.clusters == ("clusters/home-ops",)
    assert report.objects > 20


def test_without_any_root_every_flux_kustomization_is_a_root(guide_repo: Path) -> None:
    (guide_repo / "clusters/home-ops/flux-system/gotk-sync.yaml").rename(
        guide_repo / "clusters/home-ops/flux-system/sync.yaml"
    )
    kfile = guide_repo / "clusters/home-ops/flux-system/kustomization.yaml"
    kfile.write_text(kfile.read_text().replace("gotk-sync.yaml", "sync.yaml"))

    report = lint_repository(guide_repo)

    assert [(f.rule, f.file) for f in report.findings] == []
    assert report.clusters == (".",)
    assert report.objects > 20
