"""``glmctl lint`` end to end: formats, exit codes, settings, suppression."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from glmctl.errors import UsageError
from glmctl.lint.engine import lint_repository
from glmctl.lint.settings import LintSettings, RuleDisable
from glmctl.render.lint import render_rich, sarif_log

from .conftest import GUIDE, Edit, apply_edits

RunCli = Callable[..., Any]

RADIUS_JOB = "infrastructure/authentik-outpost-config/radius-outpost-config-job.yaml"
OUTPOST = "clusters/home-ops/infrastructure/outpost-config.yaml"

SMALL_FAILING = {
    "clusters/home/flux-system/gotk-sync.yaml": (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata:\n"
        "  name: flux-system\n  namespace: flux-system\nspec:\n  url: https://example.com/r\n"
        "---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
        "  name: flux-system\n  namespace: flux-system\nspec:\n  path: ./clusters/home\n"
        "  sourceRef:\n    kind: GitRepository\n    name: flux-system\n"
    ),
    "clusters/home/apps.yaml": (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
        "  name: apps\n  namespace: flux-system\nspec:\n  path: ./apps\n  sourceRef:\n"
        "    kind: GitRepository\n    name: flux-system\n  dependsOn:\n    - name: infra\n"
        "  healthChecks:\n    - apiVersion: batch/v1\n      kind: Job\n      name: setup\n"
        "      namespace: apps\n"
    ),
    "apps/kustomization.yaml": "namespace: apps\nresources:\n  - job.yaml\n  - config.yaml\n",
    "apps/job.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  A: b\n"
    ),
    "apps/old-setup-job.yaml": (
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: setup\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: s\n          image: busybox\n"
        "          envFrom:\n            - secretRef:\n                name: app-credentials\n"
    ),
}


@pytest.fixture
def small_failing(tmp_path: Path) -> Path:
    root = tmp_path / "small"
    for rel, text in SMALL_FAILING.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_clean_repository_exits_zero_with_a_summary(run_cli: RunCli) -> None:
    result = run_cli(["lint", str(GUIDE)])

    assert result.exit_code == 0, result.stderr
    assert "0 errors, 0 warnings, 0 notes" in result.stdout


def test_an_error_exits_one_and_shows_file_line_source_and_fix(
    run_cli: RunCli, small_failing: Path
) -> None:
    result = run_cli(["lint", str(small_failing)])

    assert result.exit_code == 1
    assert "apps/kustomization.yaml" in result.stdout
    assert "  - config.yaml" in result.stdout  # the source line is shown
    assert "fix:" in result.stdout


def test_json_output_lists_findings_as_data(run_cli: RunCli, small_failing: Path) -> None:
    result = run_cli(["lint", str(small_failing), "-o", "json"])

    data = json.loads(result.stdout)
    assert result.exit_code == 1
    rules = {(f["rule"], f["file"], f["line"]) for f in data["findings"]}
    assert ("flux-depends-on-missing", "clusters/home/apps.yaml", 12) in rules
    assert ("kustomize-missing-resource", "apps/kustomization.yaml", 4) in rules
    assert data["summary"]["failed"] is True


def test_junit_output_has_a_failing_case_per_rule_with_errors(
    run_cli: RunCli, small_failing: Path
) -> None:
    result = run_cli(["-o", "junit", "lint", str(small_failing)])

    suite = ET.fromstring(result.stdout.split("\n", 1)[1]).find("testsuite")
    assert suite is not None
    failed = {
        case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None
    }
    assert failed == {
        "flux-depends-on-missing",
        "kustomize-missing-resource",
        "flux-health-check-missing",
    }


def test_format_github_is_an_alias_of_output(run_cli: RunCli, small_failing: Path) -> None:
    result = run_cli(["lint", str(small_failing), "--format", "github"])

    lines = result.stdout.splitlines()
    assert result.exit_code == 1
    assert any(
        line.startswith("::error file=clusters/home/apps.yaml,line=12,col=") for line in lines
    )
    assert any(line.startswith("::notice file=apps/old-setup-job.yaml,line=1") for line in lines)


def test_markdown_output_is_a_table(run_cli: RunCli, small_failing: Path) -> None:
    result = run_cli(["lint", str(small_failing), "-o", "markdown"])

    assert "| error | `apps/kustomization.yaml:4` | `kustomize-missing-resource` |" in result.stdout


def test_unknown_format_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli(["lint", str(GUIDE), "--format", "yml"])

    assert result.exit_code == 2
    assert "--format 'yml' is not a known format" in result.stderr


def test_missing_repository_is_a_usage_error(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli(["lint", str(tmp_path / "nope")])

    assert result.exit_code == 2
    assert "is not a directory" in result.stderr


def test_invalid_lint_settings_are_a_usage_error_naming_the_field(
    run_cli: RunCli, guide_repo: Path
) -> None:
    (guide_repo / "glmctl.yaml").write_text("lint:\n  disable:\n    - paths: ['**']\n")

    result = run_cli(["lint", str(guide_repo)])

    assert result.exit_code == 2
    assert "glmctl.yaml:3:7: lint.disable[0].rule" in result.stderr


def test_misspelt_rule_in_disable_is_a_usage_error_closest_first(guide_repo: Path) -> None:
    settings = LintSettings(disable=[RuleDisable(rule="unreferenced-fle")])

    with pytest.raises(UsageError) as raised:
        lint_repository(guide_repo, settings)

    assert "'unreferenced-fle' is not a lint rule" in raised.value.message
    hint = raised.value.hint or ""
    assert hint.startswith("Did you mean unreferenced-file? ")
    assert "(closest first): unreferenced-file, " in hint
    assert "yaml-syntax" in hint


def test_wildcard_and_real_rule_ids_are_accepted(guide_repo: Path) -> None:
    settings = LintSettings(
        disable=[RuleDisable(rule="*", paths=["scratch/**"]), RuleDisable(rule="secret-missing")]
    )

    assert lint_repository(guide_repo, settings).findings == ()


def test_misspelt_rule_in_glmctl_yaml_exits_two(run_cli: RunCli, guide_repo: Path) -> None:
    (guide_repo / "glmctl.yaml").write_text("lint:\n  disable:\n    - rule: unreferenced-fle\n")

    result = run_cli(["lint", str(guide_repo)])

    assert result.exit_code == 2
    assert "did you mean unreferenced-file?" in result.stderr.lower()


def test_config_disables_a_rule_for_a_path_and_declares_a_secret(
    run_cli: RunCli, guide_repo: Path
) -> None:
    apply_edits(
        guide_repo,
        [
            Edit(RADIUS_JOB, "key: token", "key: tokn"),
            Edit("infrastructure/onepassword-connect/kustomization.yaml", "  - service.yaml",
                 "  - services.yaml"),
        ],
    )  # fmt: skip
    config = guide_repo / "elsewhere.yaml"
    config.write_text(
        "lint:\n  disable:\n    - rule: secret-key-missing\n"
        "      paths: ['infrastructure/authentik-outpost-config/**']\n"
    )

    result = run_cli(["lint", str(guide_repo), "--config", str(config), "-o", "json"])

    rules = [f["rule"] for f in json.loads(result.stdout)["findings"]]
    assert rules == ["kustomize-missing-resource"]
    assert json.loads(result.stdout)["summary"]["suppressed"] == 1


def test_glmctl_yaml_in_the_repository_is_found(run_cli: RunCli, guide_repo: Path) -> None:
    apply_edits(guide_repo, [Edit(RADIUS_JOB, "name: authentik-admin-token", "name: bootstrap")])
    (guide_repo / "glmctl.yaml").write_text(
        "lint:\n  external_secrets:\n    - {namespace: authentik, name: bootstrap}\n"
    )

    result = run_cli(["lint", str(guide_repo), "-o", "json"])

    assert result.exit_code == 0
    assert json.loads(result.stdout)["findings"] == []


def test_inline_comment_silences_one_finding(guide_repo: Path) -> None:
    apply_edits(
        guide_repo,
        [
            Edit(RADIUS_JOB, "key: token", "key: tokn  # glmctl: ignore[secret-key-missing]"),
            Edit(OUTPOST, "- name: infrastructure-authentik\n",
                 "# glmctl: ignore[flux-depends-on-missing]\n"
                 "    - name: infrastructure-authentic\n"),
        ],
    )  # fmt: skip

    report = lint_repository(guide_repo)

    assert report.findings == ()
    assert report.suppressed == 2


def test_inline_comment_for_another_rule_does_not_silence(guide_repo: Path) -> None:
    apply_edits(
        guide_repo, [Edit(RADIUS_JOB, "key: token", "key: tokn  # glmctl: ignore[secret-missing]")]
    )

    report = lint_repository(guide_repo)

    assert [f.rule for f in report.findings] == ["secret-key-missing"]


def test_each_file_is_read_once(guide_repo: Path) -> None:
    report = lint_repository(guide_repo)

    yaml_files = [
        p
        for p in guide_repo.rglob("*.y*ml")
        if "charts" not in p.parts and not p.name.endswith(".template")
    ]
    assert report.files_read == len(yaml_files)


def test_rich_rendering_snapshot(small_failing: Path, snapshot: SnapshotAssertion) -> None:
    from rich.console import Console

    report = lint_repository(small_failing)
    out = io.StringIO()
    render_rich(report, Console(file=out, width=100, no_color=True, highlight=False))

    assert out.getvalue() == snapshot


def test_sarif_rendering_snapshot(small_failing: Path, snapshot: SnapshotAssertion) -> None:
    log = sarif_log(lint_repository(small_failing))

    assert log["version"] == "2.1.0"
    results = log["runs"][0]["results"]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    assert log == snapshot


def test_default_repository_is_the_git_work_tree_around_the_cwd(
    run_cli: RunCli, small_failing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sh

    sh.git("init", "-q", str(small_failing))
    monkeypatch.chdir(small_failing / "apps")

    result = run_cli(["lint", "-o", "json"])

    files = {f["file"] for f in json.loads(result.stdout)["findings"]}
    assert "clusters/home/apps.yaml" in files


def test_list_rules_names_every_rule(run_cli: RunCli) -> None:
    from glmctl.lint.registry import all_rules

    result = run_cli(["lint", "--list-rules"])

    header, *rows = result.stdout.splitlines()
    listed = [line.split()[0] for line in rows]
    assert header.split() == ["RULE", "SEVERITY", "SUMMARY"]
    assert result.exit_code == 0
    assert listed == list(all_rules())


def test_relative_config_is_relative_to_the_working_directory(
    run_cli: RunCli, guide_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_edits(guide_repo, [Edit(RADIUS_JOB, "name: authentik-admin-token", "name: bootstrap")])
    (tmp_path / "settings.yaml").write_text(
        "lint:\n  external_secrets:\n    - {namespace: authentik, name: bootstrap}\n"
    )
    monkeypatch.chdir(tmp_path)

    result = run_cli(["lint", str(guide_repo), "--config", "settings.yaml", "-o", "json"])

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["findings"] == []
