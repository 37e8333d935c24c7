"""Lint never raises on arbitrary YAML text; parse errors become findings."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glmctl.lint.engine import lint_repository
from glmctl.lint.yamlio import parse_documents

# Characters that steer the YAML parser into its corners, plus enough text to make keys.
TOKENS = [*"ab:-[]{}&*!|>'\"#%@`?,.\\ \t\n$", "---", "\n  ", "<<: ", "key: ", "- ", "&x ", "*x"]
YAMLISH = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join) | st.text(max_size=80)
# Structured manifests with random shapes, to reach the rules rather than the parser.
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8))
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["name", "kind", "namespace", "spec", "dependsOn", "healthChecks"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
MANIFESTS = st.fixed_dictionaries(
    {
        "apiVersion": st.sampled_from(
            ["v1", "apps/v1", "kustomize.toolkit.fluxcd.io/v1", "helm.toolkit.fluxcd.io/v2",
             "external-secrets.io/v1beta1"]
        ),
        "kind": st.sampled_from(
            ["Kustomization", "HelmRelease", "ExternalSecret", "Deployment", "Secret", "Pod"]
        ),
        "metadata": st.fixed_dictionaries({"name": st.text(min_size=1, max_size=6)}),
        "spec": VALUES,
    }
)  # fmt: skip


def _repo_with(text: str) -> Path:
    root = Path(tempfile.mkdtemp(prefix="glmctl-lint-prop-"))
    (root / "app").mkdir()
    (root / "app" / "kustomization.yaml").write_text("resources:\n  - thing.yaml\n")
    (root / "app" / "thing.yaml").write_text(text)
    (root / "flux.yaml").write_text(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
        "  name: flux-system\n  namespace: flux-system\nspec:\n  path: ./\n  sourceRef:\n"
        "    kind: GitRepository\n    name: flux-system\n"
    )
    return root


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_parse_documents_never_raises(text: str) -> None:
    parsed = parse_documents(text)

    try:
        list(yaml.compose_all(text, Loader=yaml.CSafeLoader))
    except yaml.YAMLError:
        assert parsed.error is not None
    else:
        assert parsed.error is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(YAMLISH)
def test_lint_never_raises_and_reports_parse_errors_as_findings(text: str) -> None:
    root = _repo_with(text)
    try:
        report = lint_repository(root)
    finally:
        shutil.rmtree(root)

    crashed = [f for f in report.findings if "glmctl bug" in f.message]
    assert crashed == []
    if parse_documents(text).error is not None:
        assert any(f.rule == "yaml-syntax" and f.file == "app/thing.yaml" for f in report.findings)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MANIFESTS, min_size=1, max_size=3))
def test_rules_never_crash_on_odd_shapes(manifests: list[dict[str, object]]) -> None:
    root = _repo_with(yaml.safe_dump_all(manifests))
    try:
        report = lint_repository(root)
    finally:
        shutil.rmtree(root)

    assert [f for f in report.findings if "glmctl bug" in f.message] == []


NODES = st.sampled_from([("flux-system", name) for name in "abcdefg"])


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(NODES, st.lists(NODES, max_size=3), max_size=7))
def test_cycle_pruning_keeps_every_node_on_a_cycle(
    edges: dict[tuple[str, str], list[tuple[str, str]]],
) -> None:
    from glmctl.lint.rules.flux import _cycle_from, _maybe_cyclic

    graph: dict[tuple[str | None, str], list[tuple[tuple[str | None, str], int]]] = {
        node: [(target, index) for index, target in enumerate(targets) if target in edges]
        for node, targets in edges.items()
    }
    on_cycle = {node for node in graph if _cycle_from(node, graph) is not None}

    assert on_cycle <= _maybe_cyclic(graph)
