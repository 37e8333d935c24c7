"""Layouts of real Flux repositories, each reduced to a small synthetic fixture.

Every fixture under ``fixtures/reality`` reproduces one class of false error that lint used
to report on public repositories (issue 10); each gave at least one error before the fix
and gives none now. The ``finds-*`` fixtures are the other direction: real failures lint
must report.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from glmctl.lint.engine import lint_repository
from glmctl.lint.model import Severity

from .conftest import FIXTURES

REALITY = FIXTURES / "reality"
CLEAN = sorted(p.name for p in REALITY.iterdir() if not p.name.startswith("finds-"))
E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741
RunCli = Callable[..., Any]


@pytest.mark.parametrize("name", CLEAN)
def test_real_layouts_give_no_error_and_no_warning(name: str) -> None:
    report = lint_repository(REALITY / name)

    assert [f for f in report.findings if f.severity is not I] == []
    assert report.objects > 0


def test_each_cluster_is_built_on_its_own() -> None:
    report = lint_repository(REALITY / "two-clusters")

    assert report.clusters == ("clusters/production", "clusters/staging")
    assert report.objects == 6  # sync, apps and the ConfigMap, once per cluster


def test_one_cluster_can_be_chosen() -> None:
    report = lint_repository(REALITY / "two-clusters", cluster="clusters/staging")

    assert report.clusters == ("clusters/staging",)
    assert report.objects == 3


def test_a_secret_applied_outside_flux_is_an_info_naming_its_file() -> None:
    report = lint_repository(REALITY / "bootstrap-secret")

    assert [(f.rule, f.severity, f.file) for f in report.findings] == [
        ("unreferenced-file", I, "bootstrap/secret.yaml"),
        ("secret-missing", I, "clusters/prod/apps.yaml"),
    ]
    assert "bootstrap/secret.yaml" in report.findings[1].message
    assert "lint.external_secrets" in (report.findings[1].fix or "")


def test_health_check_on_an_unlisted_file_is_an_error_and_values_secret_a_warning() -> None:
    report = lint_repository(REALITY / "finds-health-check-unlisted")

    assert [(f.rule, f.severity, f.file, f.line) for f in report.findings] == [
        ("unreferenced-file", I, "apps/migrate-job.yaml", 1),
        ("secret-missing", W, "apps/release.yaml", 11),
        ("flux-health-check-missing", E, "clusters/prod/apps.yaml", 14),
    ]
    assert "may" not in report.findings[1].message
    assert "apps/migrate-job.yaml" in (report.findings[2].fix or "")


def test_schemas_of_built_in_kinds_and_of_crds_in_the_repository() -> None:
    report = lint_repository(REALITY / "finds-schema-errors")

    assert [(f.rule, f.file, f.line, f.message) for f in report.findings] == [
        (
            "manifest-unknown-field",
            "apps/web.yaml",
            6,
            "spec: unknown field 'replica' (apps/v1 Deployment schema).",
        ),
        (
            "manifest-unknown-field",
            "apps/web.yaml",
            20,
            'spec.template.spec.containers[0].ports[0].containerPort: "http" is not of type '
            '"integer" (apps/v1 Deployment schema).',
        ),
        (
            "manifest-unknown-field",
            "apps/widget.yaml",
            6,
            "spec: unknown field 'colour' (example.com/v1 Widget schema).",
        ),
    ]


def test_redefined_anchor_takes_the_latest_definition() -> None:
    from glmctl.lint.yamlio import parse_documents

    parsed = parse_documents("a: &x 1\nb: &x 2\nc: *x\n")

    assert parsed.error is None
    assert parsed.documents[0].value == {"a": 1, "b": 2, "c": 2}


def test_parse_error_message_reads_problem_first() -> None:
    from glmctl.lint.yamlio import parse_documents

    parsed = parse_documents("a: [1\nb: 2\n")

    assert parsed.error is not None
    assert parsed.error.message == (
        "did not find expected ',' or ']' (while parsing a flow sequence at line 1)"
    )


def test_a_folder_without_objects_exits_2(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("templates only\n")
    (tmp_path / "values.yaml.template").write_text("a: 1\n")

    result = run_cli(["lint", str(tmp_path)])

    assert result.exit_code == 2
    assert "No Kubernetes objects found" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_cluster_exits_2(run_cli: RunCli) -> None:
    result = run_cli(["lint", str(REALITY / "two-clusters"), "--cluster", "clusters/nowhere"])

    assert result.exit_code == 2
    assert "--cluster 'clusters/nowhere' is not a directory" in result.stderr


def test_kustomize_kubectl_without_kubectl_exits_2(
    run_cli: RunCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))

    result = run_cli(["lint", str(REALITY / "two-clusters"), "--kustomize", "kubectl"])

    assert result.exit_code == 2
    assert "--kustomize=kubectl needs kubectl on PATH" in result.stderr


def test_kustomize_kubectl_reports_what_the_real_kustomize_rejects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kubectl = Path(sys.executable).parent / "kubectl"
    if not kubectl.exists():
        pytest.skip("kubectl binary not installed next to the Python interpreter")
    monkeypatch.setenv("PATH", f"{kubectl.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    repo = tmp_path / "repo"
    shutil.copytree(REALITY / "two-clusters", repo)
    patch = repo / "apps/staging/greeting-patch.yaml"
    patch.write_text(patch.read_text().replace("name: greeting", "name: greetings"))

    report = lint_repository(repo, kustomize="kubectl")

    assert [(f.rule, f.file) for f in report.findings] == [
        ("kustomize-build-failed", "apps/staging/kustomization.yaml")
    ]
    assert "no matches for Id ConfigMap" in report.findings[0].message


def test_a_broken_flux_system_build_is_one_finding() -> None:
    """flux-system/kustomization.yaml lists a missing file: that is the finding; the sync
    GitRepository it would have applied still counts as defined."""
    report = lint_repository(REALITY / "finds-bootstrap-broken")

    assert [(f.rule, f.severity, f.file, f.line) for f in report.findings] == [
        ("kustomize-missing-resource", E, "clusters/home/flux-system/kustomization.yaml", 4)
    ]


def test_a_source_created_out_of_band_can_be_declared(tmp_path: Path) -> None:
    from glmctl.lint.settings import ExternalObject, LintSettings

    repo = tmp_path / "repo"
    shutil.copytree(REALITY / "flux-instance", repo)
    apps = repo / "clusters/prod/apps.yaml"
    apps.write_text(
        apps.read_text().replace(
            "kind: OCIRepository\n    name: flux-system", "kind: GitRepository\n    name: platform"
        )
    )
    declared = LintSettings(
        external_objects=[
            ExternalObject(kind="GitRepository", namespace="flux-system", name="platform")
        ]
    )

    before = lint_repository(repo)
    after = lint_repository(repo, declared)

    assert [f.rule for f in before.findings if f.severity is E] == ["flux-source-missing"]
    assert [f for f in after.findings if f.severity is E] == []
