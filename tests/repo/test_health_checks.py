"""Flux Kustomization health checks: added in the file's layout, removed line for line."""

from __future__ import annotations

import difflib

import pytest

from glmctl.errors import ConfigError
from glmctl.repo.kustomize_edit import Change, add_health_checks, remove_health_checks

TOKEN_JOB = ("batch/v1", "Job", "enhanced-token-setup", "authentik")
RADIUS_JOB = ("batch/v1", "Job", "radius-outpost-config", "authentik")

OUTPOST_CONFIG = """\
---
# Flux Kustomization for the outpost configuration jobs.
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: infrastructure-authentik-outpost-config
  namespace: flux-system
spec:
  interval: 10m
  dependsOn:
    - name: infrastructure-gitops-lifecycle-management
  path: ./infrastructure/authentik-outpost-config
  prune: true
  healthChecks:
    - apiVersion: batch/v1
      kind: Job
      name: radius-outpost-config
      namespace: authentik
  # Removed health checks for replaced jobs.
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: other
  namespace: flux-system
spec:
  path: ./other
"""


def changed_lines(old: str, new: str) -> list[str]:
    diff = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), n=0, lineterm=""
    )
    return [line for line in list(diff)[2:] if not line.startswith("@@")]


def test_added_check_follows_the_last_one_in_its_layout() -> None:
    result = add_health_checks(
        OUTPOST_CONFIG, [TOKEN_JOB], name="infrastructure-authentik-outpost-config"
    )
    assert result.changed == (Change("Job/authentik/enhanced-token-setup (batch/v1)", "added"),)
    assert changed_lines(OUTPOST_CONFIG, result.new_text) == [
        "+    - apiVersion: batch/v1\n",
        "+      kind: Job\n",
        "+      name: enhanced-token-setup\n",
        "+      namespace: authentik\n",
    ]
    assert result.new_text.index("enhanced-token-setup") < result.new_text.index("# Removed")


def test_remove_is_the_inverse_of_add() -> None:
    name = "infrastructure-authentik-outpost-config"
    added = add_health_checks(OUTPOST_CONFIG, [TOKEN_JOB], name=name)
    removed = remove_health_checks(added.new_text, [TOKEN_JOB], name=name)
    assert removed.new_text == OUTPOST_CONFIG
    assert removed.changed == (Change("Job/authentik/enhanced-token-setup (batch/v1)", "removed"),)


def test_present_or_absent_checks_change_nothing() -> None:
    name = "infrastructure-authentik-outpost-config"
    assert add_health_checks(OUTPOST_CONFIG, [RADIUS_JOB], name=name).new_text == OUTPOST_CONFIG
    result = remove_health_checks(OUTPOST_CONFIG, [TOKEN_JOB], name=name)
    assert result.new_text == OUTPOST_CONFIG
    assert not result.modified


def test_removing_the_last_check_removes_the_key_and_adding_brings_it_back() -> None:
    name = "infrastructure-authentik-outpost-config"
    removed = remove_health_checks(OUTPOST_CONFIG, [RADIUS_JOB], name=name)
    assert changed_lines(OUTPOST_CONFIG, removed.new_text) == [
        "-  healthChecks:\n",
        "-    - apiVersion: batch/v1\n",
        "-      kind: Job\n",
        "-      name: radius-outpost-config\n",
        "-      namespace: authentik\n",
    ]
    restored = add_health_checks(removed.new_text, [RADIUS_JOB], name=name)
    assert restored.new_text == OUTPOST_CONFIG


def test_health_checks_key_is_created_in_the_indentation_of_dependson() -> None:
    text = (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
        "metadata:\n  name: a\nspec:\n  dependsOn:\n  - name: b\n  path: ./a\n"
    )
    result = add_health_checks(text, [TOKEN_JOB])
    assert result.new_text == text + (
        "  healthChecks:\n"
        "  - apiVersion: batch/v1\n"
        "    kind: Job\n"
        "    name: enhanced-token-setup\n"
        "    namespace: authentik\n"
    )


def test_crlf_and_missing_final_newline_are_kept() -> None:
    text = (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\r\nkind: Kustomization\r\n"
        "spec:\r\n  healthChecks:\r\n  - kind: Job\r\n    apiVersion: batch/v1\r\n"
        "    name: radius-outpost-config\r\n    namespace: authentik"
    )
    result = add_health_checks(text, [TOKEN_JOB])
    assert result.new_text == text + (
        "\r\n  - kind: Job\r\n    apiVersion: batch/v1\r\n"
        "    name: enhanced-token-setup\r\n    namespace: authentik"
    )
    assert remove_health_checks(result.new_text, [TOKEN_JOB]).new_text == text


def test_a_file_with_several_kustomizations_needs_a_name() -> None:
    with pytest.raises(ConfigError, match="found 2 Flux Kustomization"):
        add_health_checks(OUTPOST_CONFIG, [TOKEN_JOB])


def test_the_named_kustomization_in_a_later_document_is_edited() -> None:
    result = add_health_checks(OUTPOST_CONFIG, [TOKEN_JOB], name="other")
    assert result.new_text == OUTPOST_CONFIG + (
        "  healthChecks:\n"
        "    - apiVersion: batch/v1\n"
        "      kind: Job\n"
        "      name: enhanced-token-setup\n"
        "      namespace: authentik\n"
    )
