"""``glmctl lint --render-charts``: the repository's own charts rendered by a real helm.

The helm is the one ``make real-cluster`` builds from ``helm.sh/helm/v4`` (harness/helm).
Without it these tests are skipped, unless ``GLMCTL_REAL_TIER=required`` (``make test``
with Go, and CI): then a missing helm fails them.

fixtures/charts plants each chart fault once, in its own chart and HelmRelease, beside the
clean chart ``site``, whose values come from a ``valuesFrom`` ConfigMap and its
``targetNamespace``: rendered without them it would reference a ConfigMap that does not
exist.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from glmctl.lint.charts import helm_error, release_name
from glmctl.lint.engine import lint_repository
from glmctl.lint.model import Severity
from glmctl.realcluster.binaries import harness_program

from .conftest import FIXTURES

CHARTS = FIXTURES / "charts"
RELEASES = "apps/releases.yaml"
REQUIRED = os.environ.get("GLMCTL_REAL_TIER") == "required"
E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741


@pytest.fixture(scope="module")
def helm() -> Path:
    """The harness's helm, or a skip (a failure when the real tier is required)."""
    found = harness_program("helm")
    if found is None:
        message = (
            "the harness helm is not built: `make real-cluster` builds it from "
            "helm.sh/helm/v4 (needs Go 1.26)."
        )
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    return found


def _line(marker: str) -> int:
    """The line of ``chart: ./charts/<marker>`` in the releases file."""
    lines = (CHARTS / RELEASES).read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.strip() == f"chart: {marker}")


def test_the_harness_helm_is_the_pinned_release(helm: Path) -> None:
    from glmctl.execs import run_tool

    result = run_tool(str(helm), "version", "--short", timeout=30)

    assert result.stdout.strip() == "v4.3.2"


def test_each_planted_fault_is_found_once_and_the_clean_chart_passes(helm: Path) -> None:
    report = lint_repository(CHARTS, helm=str(helm))

    found = sorted((f.rule, f.severity, f.line, str(f.object)) for f in report.findings)
    assert found == sorted(
        [
            ("chart-reference-missing", E, _line("./charts/refs"), "HelmRelease apps/refs"),
            ("chart-reference-missing", W, _line("./charts/refs"), "HelmRelease apps/refs"),
            ("chart-render-incomplete", I, _line("./charts/refs"), "HelmRelease apps/refs"),
            ("chart-hook-service-account", E, _line("./charts/hooks"), "HelmRelease apps/hooks"),
            ("chart-hook-reference", E, _line("./charts/hooks"), "HelmRelease apps/hooks"),
            ("chart-duplicate-label", E, _line("./charts/labels"), "HelmRelease apps/labels"),
            ("chart-render-failed", E, _line("./charts/broken"), "HelmRelease apps/broken"),
            (
                "chart-render-incomplete",
                I,
                _line("./charts/withdeps"),
                "HelmRelease apps/withdeps",
            ),
        ]
    )
    assert {f.file for f in report.findings} == {RELEASES}
    assert report.failed


def test_findings_name_the_template_the_object_and_what_is_missing(helm: Path) -> None:
    report = lint_repository(CHARTS, helm=str(helm))
    by_rule: dict[str, list[str]] = {}
    for finding in report.findings:
        by_rule.setdefault(finding.rule, []).append(finding.message)

    # the release name and namespace are the helm-controller's: <name> in the release's ns
    assert sorted(by_rule["chart-reference-missing"]) == [
        "Deployment apps/refs-worker from charts/refs/templates/worker.yaml (projected volume) "
        "needs Secret 'apps/worker-credentials', which the chart does not render and nothing "
        "in the repository produces.",
        "Deployment apps/refs-worker from charts/refs/templates/worker.yaml (volume) needs "
        "ConfigMap 'apps/refs-missing', which the chart does not render and nothing in the "
        "repository produces.",
    ]
    assert by_rule["chart-hook-service-account"] == [
        "pre-install hook Job apps/migrate from charts/hooks/templates/migrate.yaml runs as "
        "ServiceAccount 'migrator' from charts/hooks/templates/migrate.yaml, which is a normal "
        "resource, created only after the pre-install hooks: the hook's pod is refused and the "
        "install fails."
    ]
    assert by_rule["chart-hook-reference"] == [
        "pre-install hook Job apps/migrate from charts/hooks/templates/migrate.yaml (envFrom "
        "configMapRef) needs ConfigMap 'migrate-settings' from "
        "charts/hooks/templates/migrate.yaml, which is a normal resource, created only after "
        "the pre-install hooks: the hook never starts and the install times out."
    ]
    assert by_rule["chart-duplicate-label"] == [
        "Service apps/labels from charts/labels/templates/service.yaml has label 'app' twice "
        "in its rendered labels."
    ]
    [failed] = by_rule["chart-render-failed"]
    assert failed.startswith("helm template fails for chart 'charts/broken': ")
    assert "nil pointer evaluating interface {}.port" in failed
    assert "\n" not in failed
    assert sorted(by_rule["chart-render-incomplete"]) == [
        "chart 'charts/withdeps' declares dependencies that are not in its charts/ folder; "
        "Flux fetches them, so it was not rendered offline.",
        "valuesFrom Secret 'refs-secret-values' was not read (glmctl never reads Secrets); the "
        "chart was rendered without it.",
    ]


def test_a_secret_is_never_read_into_the_values(helm: Path, tmp_path: Path) -> None:
    """refs' valuesFrom Secret sets ``token``; a pod naming a ConfigMap after it shows
    which value helm saw: the chart's default, never the Secret's."""
    root = tmp_path / "repo"
    shutil.copytree(CHARTS, root)
    (root / "charts/refs/templates/probe.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: probe\nspec:\n  containers:\n"
        "    - name: p\n      image: registry.example.test/p:1\n      envFrom:\n"
        '        - configMapRef:\n            name: {{ .Values.token | default "token-unset" }}\n'
    )

    report = lint_repository(root, helm=str(helm))

    probe = [f.message for f in report.findings if "Pod apps/probe" in f.message]
    assert len(probe) == 1 and "ConfigMap 'apps/token-unset'" in probe[0]
    assert all("not-a-real-token" not in f.message for f in report.findings)


def test_values_from_a_generated_config_map_are_read(helm: Path, tmp_path: Path) -> None:
    """site's values from a configMapGenerator file: without them its Deployment would
    reference the chart's default ConfigMap, which does not exist."""
    root = tmp_path / "repo"
    shutil.copytree(CHARTS, root)
    shared = root / "apps/shared.yaml"
    first, _, rest = shared.read_text().partition("---\n")
    assert "name: site-values" in first
    shared.write_text(rest)
    (root / "apps/site-values.yaml").write_text("settings:\n  from: shared-settings\n")
    kustomization = root / "apps/kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text()
        + "configMapGenerator:\n  - name: site-values\n    namespace: apps\n"
        "    files:\n      - values.yaml=site-values.yaml\n"
        "generatorOptions:\n  disableNameSuffixHash: true\n"
    )

    report = lint_repository(root, helm=str(helm))

    assert [f for f in report.findings if str(f.object) == "HelmRelease apps/site"] == []
    assert len(report.findings) == 8  # the planted ones, as without the generator


@pytest.mark.parametrize(
    ("listed", "ignore_missing", "site_findings"),
    [
        (["./charts/site/values-prod.yaml"], False, []),
        (["./charts/site/values-none.yaml"], True, ["chart-reference-missing"]),
        (["./charts/site/values-none.yaml"], False, ["chart-render-failed"]),
    ],
)
def test_values_files_of_the_chart_source_come_before_the_values(
    helm: Path, tmp_path: Path, listed: list[str], ignore_missing: bool, site_findings: list[str]
) -> None:
    """site without valuesFrom: values-prod.yaml must name the ConfigMap its pods read."""
    root = tmp_path / "repo"
    shutil.copytree(CHARTS, root)
    (root / "charts/site/values-prod.yaml").write_text("settings:\n  from: shared-settings\n")
    releases = root / RELEASES
    text = releases.read_text()
    old = "  valuesFrom:\n    - kind: ConfigMap\n      name: site-values\n"
    assert text.count(old) == 1
    spec = "".join(f"        - {path}\n" for path in listed)
    more = "      ignoreMissingValuesFiles: true\n" if ignore_missing else ""
    text = text.replace(old, "").replace(
        "      chart: ./charts/site\n",
        f"      chart: ./charts/site\n      valuesFiles:\n{spec}{more}",
    )
    releases.write_text(text)

    report = lint_repository(root, helm=str(helm))

    site = [f.rule for f in report.findings if str(f.object) == "HelmRelease apps/site"]
    assert site == site_findings


def test_a_service_account_hook_created_later_is_too_late(helm: Path, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(CHARTS, root)
    setup = root / "charts/site/templates/setup.yaml"
    setup.write_text(setup.read_text().replace('hook-weight: "-5"', 'hook-weight: "5"'))

    report = lint_repository(root, helm=str(helm))

    hooks = [f for f in report.findings if f.rule == "chart-hook-service-account"]
    assert [str(f.object) for f in hooks] == ["HelmRelease apps/site", "HelmRelease apps/hooks"]
    assert "a pre-install hook of weight 5, created after this one (weight 0" in hooks[0].message


def test_without_the_flag_lint_runs_no_program_and_finds_nothing_here() -> None:
    report = lint_repository(CHARTS)

    assert report.findings == ()


def test_cli_renders_with_the_given_helm(
    run_cli: Callable[..., Any], helm: Path, snapshot: SnapshotAssertion
) -> None:
    result = run_cli(["lint", str(CHARTS), "--helm", str(helm), "--render-charts"])

    assert result.exit_code == 1
    assert result.stdout == snapshot


def test_render_charts_without_helm_is_one_sentence_and_exit_2(
    run_cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no helm there

    result = run_cli(["lint", str(CHARTS), "--render-charts"])

    assert result.exit_code == 2
    assert result.stdout == ""
    first, *rest = result.stderr.splitlines()
    assert first == "glmctl: error: --render-charts needs helm on PATH, and it is not there."
    assert all(line.startswith("  hint:") for line in rest)


def test_a_helm_path_that_is_no_program_is_a_usage_error(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    result = run_cli(["lint", str(CHARTS), "--helm", str(tmp_path / "helm")])

    assert result.exit_code == 2
    assert "is not an executable file" in result.stderr.splitlines()[0]


@pytest.mark.parametrize(
    ("name", "target", "expected"),
    [
        ("podinfo", None, "podinfo"),
        ("podinfo", "apps", "apps-podinfo"),
        # 56 characters composed: its first 40, a dash, 12 hex digits of its SHA-256
        (
            "a-release-name-that-is-quite-long",
            "a-target-namespace-too",
            "a-target-namespace-too-a-release-name-th-bb8492ad400f",
        ),
    ],
)
def test_release_names_are_the_helm_controllers(
    name: str, target: str | None, expected: str
) -> None:
    assert release_name(name, target) == expected


def test_helm_error_is_one_line_with_its_continuation() -> None:
    stderr = (
        "Error: demo/templates/a.yaml:3:9\n"
        '  executing "demo/templates/a.yaml" at <.Values.x.y>:\n'
        "    nil pointer evaluating interface {}.y\n"
        "\n"
        "Use --debug flag to render out invalid YAML\n"
    )

    assert helm_error(stderr) == (
        'demo/templates/a.yaml:3:9 executing "demo/templates/a.yaml" at <.Values.x.y>: '
        "nil pointer evaluating interface {}.y"
    )
    assert helm_error("walk.go: warning\nError: bad\n") == "bad"
    assert helm_error("no error line\n") == "no error line"
