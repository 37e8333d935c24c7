"""Resources edits change exactly the intended lines; everything else stays byte for byte."""

from __future__ import annotations

import difflib
import stat
from pathlib import Path

import pytest

from glmctl.errors import ConfigError
from glmctl.repo.kustomize_edit import (
    Change,
    disable_resources,
    edit_file,
    enable_resources,
    undo_enable,
)

OUTPOST = """\
---
# Authentik outpost configuration.
# The jobs below were replaced by the gitops-lifecycle-management chart.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: authentik

resources:
  - radius-outpost-config-job.yaml   # specialized, kept
  # - enhanced-token-setup-job.yaml  # replaced by authentication hooks
  #- grafana-oidc-setup-job.yaml
  - "rbac.yaml"

  # - cleanup-duplicate-tokens-job.yaml

configMapGenerator:
  - name: outpost-config
    files: [config.yaml]
"""


def changed_lines(old: str, new: str) -> list[str]:
    """The unified diff of ``old`` vs ``new`` without context or headers."""
    diff = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), n=0, lineterm=""
    )
    return [line for line in list(diff)[2:] if not line.startswith("@@")]


def test_uncommenting_keeps_trailing_comments_and_the_file_indentation() -> None:
    result = enable_resources(
        OUTPOST, ["enhanced-token-setup-job.yaml", "grafana-oidc-setup-job.yaml"]
    )
    assert result.changed == (
        Change("enhanced-token-setup-job.yaml", "uncommented"),
        Change("grafana-oidc-setup-job.yaml", "uncommented"),
    )
    assert changed_lines(OUTPOST, result.new_text) == [
        "-  # - enhanced-token-setup-job.yaml  # replaced by authentication hooks\n",
        "-  #- grafana-oidc-setup-job.yaml\n",
        "+  - enhanced-token-setup-job.yaml  # replaced by authentication hooks\n",
        "+  - grafana-oidc-setup-job.yaml\n",
    ]


def test_commented_entry_after_a_blank_line_is_still_found() -> None:
    result = enable_resources(OUTPOST, ["cleanup-duplicate-tokens-job.yaml"])
    assert changed_lines(OUTPOST, result.new_text) == [
        "-  # - cleanup-duplicate-tokens-job.yaml\n",
        "+  - cleanup-duplicate-tokens-job.yaml\n",
    ]


def test_missing_entry_is_appended_after_the_last_item_in_its_quote_style() -> None:
    result = enable_resources(OUTPOST, ["dashboard-oidc-setup-job.yaml"])
    assert result.changed == (Change("dashboard-oidc-setup-job.yaml", "added"),)
    assert changed_lines(OUTPOST, result.new_text) == ['+  - "dashboard-oidc-setup-job.yaml"\n']
    assert result.new_text.index("dashboard-oidc") > result.new_text.index('"rbac.yaml"')


def test_disabling_comments_out_in_the_style_of_the_existing_comments() -> None:
    result = disable_resources(OUTPOST, ["radius-outpost-config-job.yaml", "rbac.yaml"])
    assert changed_lines(OUTPOST, result.new_text) == [
        "-  - radius-outpost-config-job.yaml   # specialized, kept\n",
        "+  # - radius-outpost-config-job.yaml   # specialized, kept\n",
        '-  - "rbac.yaml"\n',
        '+  # - "rbac.yaml"\n',
    ]


def test_edits_that_change_nothing_return_the_identical_text() -> None:
    enabled = enable_resources(OUTPOST, ["radius-outpost-config-job.yaml", "./rbac.yaml"])
    disabled = disable_resources(OUTPOST, ["enhanced-token-setup-job.yaml", "absent.yaml"])
    for result in (enabled, disabled):
        assert result.new_text == OUTPOST
        assert not result.modified
        assert {change.action for change in result.changed} == {"already"}


def test_undo_enable_restores_the_exact_original_comments() -> None:
    entries = [
        "enhanced-token-setup-job.yaml",
        "grafana-oidc-setup-job.yaml",
        "dashboard-oidc-setup-job.yaml",
        "rbac.yaml",
    ]
    enabled = enable_resources(OUTPOST, entries)
    undone = undo_enable(enabled.new_text, enabled)
    assert undone.new_text == OUTPOST
    assert [change.action for change in undone.changed] == [
        "commented",
        "commented",
        "removed",
        "already",
    ]


KUSTOMIZE_STYLE = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- namespace.yaml
# - 'old-job.yaml'
- 'service.yaml'
patches:
- path: patch.yaml
"""


def test_unindented_sequence_keeps_its_layout() -> None:
    result = enable_resources(KUSTOMIZE_STYLE, ["old-job.yaml", "new.yaml"])
    assert changed_lines(KUSTOMIZE_STYLE, result.new_text) == [
        "-# - 'old-job.yaml'\n",
        "+- 'old-job.yaml'\n",
        "+- 'new.yaml'\n",
    ]
    disabled = disable_resources(result.new_text, ["old-job.yaml"])
    assert changed_lines(result.new_text, disabled.new_text) == [
        "-- 'old-job.yaml'\n",
        "+# - 'old-job.yaml'\n",
    ]


def test_flow_sequence_gets_a_new_item_and_loses_one() -> None:
    text = "kind: Kustomization\nresources: [a.yaml, 'b.yaml']  # inline\n"
    added = enable_resources(text, ["c.yaml"])
    assert changed_lines(text, added.new_text) == [
        "-resources: [a.yaml, 'b.yaml']  # inline\n",
        "+resources: [a.yaml, 'b.yaml', 'c.yaml']  # inline\n",
    ]
    removed = disable_resources(text, ["a.yaml"])
    assert removed.changed == (Change("a.yaml", "removed"),)
    assert removed.new_text == "kind: Kustomization\nresources: ['b.yaml']  # inline\n"
    assert disable_resources(added.new_text, ["c.yaml"]).new_text == text


def test_empty_flow_sequence() -> None:
    text = "resources: []\n"
    added = enable_resources(text, ["a.yaml"])
    assert added.new_text == "resources: [a.yaml]\n"
    assert disable_resources(added.new_text, ["a.yaml"]).new_text == text


def test_multi_line_flow_sequence_gets_an_item_on_its_own_line() -> None:
    text = "resources: [\n    a.yaml,\n    b.yaml\n]\n"
    added = enable_resources(text, ["c.yaml"])
    assert changed_lines(text, added.new_text) == [
        "-    b.yaml\n",
        "+    b.yaml,\n",
        "+    c.yaml\n",
    ]


def test_crlf_line_endings_are_kept_on_every_line() -> None:
    text = OUTPOST.replace("\n", "\r\n")
    result = enable_resources(text, ["enhanced-token-setup-job.yaml", "new.yaml"])
    assert "\n" not in result.new_text.replace("\r\n", "")
    assert changed_lines(text, result.new_text) == [
        "-  # - enhanced-token-setup-job.yaml  # replaced by authentication hooks\r\n",
        "+  - enhanced-token-setup-job.yaml  # replaced by authentication hooks\r\n",
        '+  - "new.yaml"\r\n',
    ]


def test_missing_final_newline_stays_missing() -> None:
    text = "resources:\n  - a.yaml\n  # - b.yaml"
    enabled = enable_resources(text, ["b.yaml"])
    assert enabled.new_text == "resources:\n  - a.yaml\n  - b.yaml"
    added = enable_resources("resources:\n  - a.yaml", ["c.yaml"])
    assert added.new_text == "resources:\n  - a.yaml\n  - c.yaml"
    assert disable_resources(added.new_text, ["c.yaml"], how="remove").new_text == (
        "resources:\n  - a.yaml"
    )


def test_long_lines_are_not_wrapped() -> None:
    name = "a-really-" + "long-" * 40 + "job.yaml"
    comment = "# " + "words " * 40
    text = f"resources:\n  - short.yaml  {comment}\n  # - {name}\n"
    result = enable_resources(text, [name])
    assert result.new_text == f"resources:\n  - short.yaml  {comment}\n  - {name}\n"


def test_missing_resources_key_is_added_at_the_end() -> None:
    text = "---\nkind: Kustomization\nnamespace: x\n"
    result = enable_resources(text, ["a.yaml"])
    assert result.new_text == text + "resources:\n- a.yaml\n"


def test_resources_with_only_comments_is_uncommented_in_place() -> None:
    text = "resources:\n    # - a.yaml\n    # - b.yaml\nnamespace: x\n"
    result = enable_resources(text, ["b.yaml", "c.yaml"])
    assert result.new_text == (
        "resources:\n    # - a.yaml\n    - b.yaml\n    - c.yaml\nnamespace: x\n"
    )


def test_dot_slash_spelling_is_the_same_entry() -> None:
    text = "resources:\n  # - ./jobs/a.yaml\n"
    result = enable_resources(text, ["jobs/a.yaml"])
    assert result.new_text == "resources:\n  - ./jobs/a.yaml\n"


def test_entry_needing_quotes_is_quoted() -> None:
    result = enable_resources("resources:\n- a.yaml\n", ["has space.yaml"])
    assert result.new_text == 'resources:\n- a.yaml\n- "has space.yaml"\n'


def test_entries_in_other_sections_are_left_alone() -> None:
    text = "resources:\n- a.yaml\ncomponents:\n# - b.yaml\n"
    result = enable_resources(text, ["b.yaml"])
    assert result.new_text == "resources:\n- a.yaml\n- b.yaml\ncomponents:\n# - b.yaml\n"


def test_invalid_yaml_is_a_config_error_and_nothing_changes() -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        enable_resources("resources: [a\n", ["b.yaml"])


def test_resources_that_is_not_a_list_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a list"):
        enable_resources("resources: a.yaml\n", ["b.yaml"])


def test_a_multi_line_item_is_refused_rather_than_rewritten() -> None:
    with pytest.raises(ConfigError, match="one-line"):
        enable_resources("resources:\n-\n  a.yaml\n", ["b.yaml"])


def test_a_commented_out_section_ends_the_search_for_commented_entries() -> None:
    text = "resources:\n- a.yaml\n# components:\n# - b.yaml\n"
    result = enable_resources(text, ["b.yaml"])
    assert result.changed == (Change("b.yaml", "added"),)
    assert result.new_text == "resources:\n- a.yaml\n- b.yaml\n# components:\n# - b.yaml\n"


def test_edit_file_keeps_crlf_on_disk_and_skips_writing_a_noop(tmp_path: Path) -> None:
    path = tmp_path / "kustomization.yaml"
    path.write_bytes(b"resources:\r\n  # - a.yaml\r\n")
    path.chmod(0o600)
    result = edit_file(path, lambda text: enable_resources(text, ["a.yaml"]))
    assert result.modified
    assert path.read_bytes() == b"resources:\r\n  - a.yaml\r\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = path.stat().st_mtime_ns
    path.chmod(0o400)  # a no-op edit must not even try to write
    again = edit_file(path, lambda text: enable_resources(text, ["a.yaml"]))
    assert not again.modified
    assert path.stat().st_mtime_ns == before


def test_edit_file_refuses_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "kustomization.yaml"
    path.write_bytes(b"resources:\n- caf\xe9.yaml\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        edit_file(path, lambda text: enable_resources(text, ["a.yaml"]))
    assert path.read_bytes() == b"resources:\n- caf\xe9.yaml\n"


@pytest.mark.parametrize("value", ["true", "on", "123", "1.5", "null", "0x1F"])
def test_values_yaml_would_not_read_as_strings_are_quoted(value: str) -> None:
    result = enable_resources("resources:\n- a.yaml\n", [value])
    assert result.new_text == f'resources:\n- a.yaml\n- "{value}"\n'
