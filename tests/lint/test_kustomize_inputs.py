"""Files kustomize reads without building them (generator inputs, patches) must exist."""

from __future__ import annotations

from pathlib import Path

import pytest

from glmctl.lint.engine import lint_repository

from .conftest import Edit, apply_edits, line_of

GLM = "infrastructure/gitops-lifecycle-management"
GLM_KUSTOMIZATION = f"{GLM}/kustomization.yaml"
OP = "infrastructure/onepassword-connect"
OP_KUSTOMIZATION = f"{OP}/kustomization.yaml"

# Every form that names a file, each naming one that exists, plus inline patches.
INPUTS = """secretGenerator:
  - name: op-files
    files:
      - token=token.txt
  - name: op-envs
    envs:
      - op.env
  - name: op-env
    env: single.env
patches:
  - path: patch.yaml
  - patch: |-
      - op: replace
        path: /spec/replicas
        value: 2
    target:
      kind: Deployment
patchesStrategicMerge:
  - psm.yaml
  - |-
    apiVersion: v1
    kind: Service
    metadata:
      name: onepassword-connect
patchesJson6902:
  - target:
      kind: Service
      name: onepassword-connect
    path: json6902.yaml
"""
INPUT_FILES = ("token.txt", "op.env", "single.env", "patch.yaml", "psm.yaml", "json6902.yaml")
PATCH_BODIES = {
    "patch.yaml": "- op: replace\n  path: /spec/replicas\n  value: 2\n",
    "psm.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: onepassword-connect\n",
    "json6902.yaml": "- op: add\n  path: /metadata/labels/a\n  value: b\n",
}


@pytest.fixture
def with_inputs(guide_repo: Path) -> Path:
    """The guide repository with every kind of kustomize input file, all present."""
    apply_edits(guide_repo, [Edit(OP_KUSTOMIZATION, "", INPUTS)])
    for name in INPUT_FILES:
        (guide_repo / OP / name).write_text(PATCH_BODIES.get(name, "A=b\n"))
    return guide_repo


def test_deleted_configmap_generator_file_is_an_error_at_its_entry(guide_repo: Path) -> None:
    (guide_repo / GLM / "values.yaml").unlink()

    report = lint_repository(guide_repo)

    assert [(f.rule, f.file, f.line) for f in report.findings] == [
        ("kustomize-missing-resource", GLM_KUSTOMIZATION, 10)
    ]
    assert report.findings[0].message == (
        "'values.yaml' is listed in configMapGenerator 'gitops-lifecycle-management-values' "
        "files but does not exist."
    )
    assert report.failed


def test_present_generator_and_patch_files_and_inline_patches_are_clean(
    with_inputs: Path,
) -> None:
    report = lint_repository(with_inputs)

    assert report.findings == ()


@pytest.mark.parametrize(
    ("name", "marker", "field"),
    [
        ("token.txt", "- token=token.txt", "secretGenerator 'op-files' files"),
        ("op.env", "- op.env", "secretGenerator 'op-envs' envs"),
        ("single.env", "env: single.env", "secretGenerator 'op-env' env"),
        ("patch.yaml", "- path: patch.yaml", "patches"),
        ("psm.yaml", "- psm.yaml", "patchesStrategicMerge"),
        ("json6902.yaml", "path: json6902.yaml", "patchesJson6902"),
    ],
)
def test_each_missing_input_file_is_an_error_at_the_line_naming_it(
    with_inputs: Path, name: str, marker: str, field: str
) -> None:
    (with_inputs / OP / name).unlink()

    report = lint_repository(with_inputs)

    assert [(f.rule, f.file, f.line) for f in report.findings] == [
        (
            "kustomize-missing-resource",
            OP_KUSTOMIZATION,
            line_of(with_inputs, OP_KUSTOMIZATION, marker),
        )
    ]
    assert f"'{name}' is listed in {field} but does not exist" in report.findings[0].message


def test_generator_file_that_git_ignores_does_not_exist_for_flux(guide_repo: Path) -> None:
    import sh

    (guide_repo / ".gitignore").write_text("values.yaml\n")
    sh.git("init", "-q", str(guide_repo))

    report = lint_repository(guide_repo)

    assert [(f.rule, f.file, f.line) for f in report.findings] == [
        ("kustomize-missing-resource", GLM_KUSTOMIZATION, 10)
    ]
    assert "git ignores it" in report.findings[0].message
