"""Fuzzing every loader of untrusted input: nothing but a GlmctlError may escape (issue 13, 8).

An exception of any other type is what the CLI turns into "internal error", exit 70. Each
loader gets YAML-ish token soup (aliases, tags, flow brackets, control characters, the
keys it knows), structured documents, and the hostile cases from the issue as explicit
examples. The budget is fixed (``max_examples`` per loader, derandomized, no deadline) so
the whole module runs in well under 30 seconds on a loaded machine: 6 loaders x 250
generated cases plus the explicit hostile examples.
"""

from __future__ import annotations

import contextlib
import json
import string
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from glmctl.errors import GlmctlError

BUDGET = settings(
    max_examples=250,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

TOKENS = [
    *"ab1:-[]{},'\"#|>!&*?%@`",
    " ",
    "  ",
    "\n",
    "\n  ",
    "\n- ",
    "\t",
    "\r",
    "\x1b[2J",
    "\x00",
    "\x85",
    "\ufeff",
    "é",
    "\u202e",
    "&x ",
    "*x",
    "&y ",
    "*y",
    "<<: *x",
    "!!str ",
    "!!binary ",
    "!!python/object ",
    "!ago ",
    "!!map ",
    "!!seq ",
    "--- ",
    "\n---\n",
    "...",
    "%YAML 1.1\n",
    "~",
    "null",
    "true",
    "0x1f",
    "1e999",
    ".inf",
    "-.nan",
    "2026-01-01",
    "${{ ",
    " }}",
    "../",
    "/etc/passwd",
    "[[[[",
    "]]]]",
    "{{{{",
    "}}}}",
    "name: ",
    "description: ",
    "steps:",
    "id: ",
    "uses: ",
    "with: ",
    "when: ",
    "parameters:",
    "flux: ",
    "namespaces: ",
    "repo: ",
    "outpost_kustomization: ",
    "jobs: ",
    "replaced: ",
    "runbooks: ",
    "dir: ",
    "lint: ",
    "clusters:",
    "contexts:",
    "users:",
    "current-context: ",
    "cluster: ",
    "server: ",
    "user: ",
    "exec: ",
    "command: ",
    "token: ",
    "kind: ",
    "apiVersion: ",
    "metadata: ",
    "spec: ",
    "resources:",
    "behaviours: ",
    "logs: ",
    "base: ",
    "remove:",
    "pending:",
    "status: ",
]

soup = st.lists(st.sampled_from(TOKENS), max_size=80).map("".join)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
trees = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(TOKENS) | st.text(string.ascii_lowercase, max_size=8), inner, max_size=4
        )
    ),
    max_leaves=30,
)
documents = soup | trees.map(lambda tree: yaml.safe_dump(tree, allow_unicode=True))


def alias_bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


HOSTILE = [
    alias_bomb(),
    "[" * 5000 + "]" * 5000,
    "{" * 3000,
    "a: &a [*a]\n",
    "a: 1\na: 2\n",
    "contexts: 5\n",
    "steps: {id: x}\n",
    "\x89PNG\r\n\x1a\n",
]


def _only_glmctl_errors(call: Any, *args: Any, **kwargs: Any) -> None:
    with contextlib.suppress(GlmctlError):
        call(*args, **kwargs)


@BUDGET
@given(documents)
@example(HOSTILE[0])
@example(HOSTILE[1])
@example(HOSTILE[2])
@example(HOSTILE[3])
@example(HOSTILE[4])
def test_config_loader(text: str) -> None:
    from glmctl.config import parse_profile

    _only_glmctl_errors(parse_profile, text, "glmctl.yaml")


@BUDGET
@given(documents)
@example(HOSTILE[0])
@example(HOSTILE[1])
@example(HOSTILE[3])
@example(HOSTILE[6])
def test_runbook_loader(text: str) -> None:
    from glmctl.runbook.loader import parse_runbook

    _only_glmctl_errors(parse_runbook, text, "book.yaml")


@BUDGET
@given(documents)
@example(HOSTILE[0])
@example(HOSTILE[1])
@example(HOSTILE[3])
@example("name: x\ndescription: y\n---\nkind: Pod\nmetadata: {creationTimestamp: !ago nonsense}\n")
def test_scenario_loader(text: str) -> None:
    from glmctl.sim.scenario import load_scenario

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scenario.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _only_glmctl_errors(load_scenario, str(path))


@BUDGET
@given(
    documents.map(lambda text: text.encode("utf-8", errors="surrogatepass"))
    | st.binary(max_size=200)
)
@example(HOSTILE[0].encode())
@example(HOSTILE[1].encode())
@example(HOSTILE[5].encode())
@example(HOSTILE[7].encode())
def test_kubeconfig_loader(data: bytes) -> None:
    from glmctl.cluster.kubeconfig import resolve

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "kubeconfig"
        path.write_bytes(data)
        _only_glmctl_errors(resolve, path, None, environ={}, home=Path(folder))


entry_keys = st.sampled_from(
    [
        "id",
        "started_at",
        "context",
        "command",
        "command_name",
        "user",
        "plan",
        "progress",
        "before",
        "status",
        "outcome",
        "finished_at",
        "action",
        "kind",
        "name",
        "object",
    ]
)
json_trees = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(entry_keys, inner, max_size=6),
    max_leaves=40,
)


@BUDGET
@given(
    json_trees.map(json.dumps) | soup | st.binary(max_size=100).map(lambda b: b.decode("latin-1"))
)
@example("[" * 5000)
@example('{"id": "x", "plan": 5}')
def test_journal_loader(text: str) -> None:
    from glmctl.journal import _read

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "entry.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _only_glmctl_errors(_read, path)


@BUDGET
@given(documents)
@example(HOSTILE[0])
@example(HOSTILE[1])
def test_lint_parser(text: str) -> None:
    """Lint reports what it cannot parse as findings: nothing may raise at all."""
    from glmctl.lint.engine import lint_repository

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "kustomization.yaml").write_text(text, encoding="utf-8", errors="surrogatepass")
        (root / "flux.yaml").write_text(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n"
            "  name: root\n  namespace: flux-system\nspec:\n  path: ./\n",
            encoding="utf-8",
        )
        report = lint_repository(root)
        assert not any("glmctl bug" in finding.message for finding in report.findings)
