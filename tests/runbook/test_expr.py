"""The expression language: what it evaluates, and what it refuses before anything runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glmctl.errors import UsageError
from glmctl.runbook.expr import (
    EvaluationError,
    ExpressionError,
    parse_expression,
    render_value,
)
from glmctl.runbook.loader import load_runbook
from glmctl.runbook.result import RunbookResult

SCOPE: dict[str, Any] = {
    "params": {"count": 3, "names": ["a", "b"], "flag": False},
    "profile": {"lifecycle": {"namespace": "authentik"}},
    "steps": {"crds": {"status": "fail", "summary": "2 missing", "outputs": {"my-key": 1}}},
}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("params.count == 3", True),
        ("params.count > 2 and params.count <= 3", True),
        ("'a' in params.names", True),
        ("'c' not in params.names", True),
        ("not params.flag", True),
        ("params.flag or params.count", 3),
        ("steps.crds.status == 'fail'", True),
        ("steps.crds.outputs['my-key'] == 1", True),
        ("profile.lifecycle.namespace", "authentik"),
        ("params.names[1]", "b"),
        ("null == None", True),
        ("[1, 2] == [1, 2]", True),
        ("1 < 2 < 3", True),
        ("true and false", False),
    ],
)
def test_evaluates(text: str, value: Any) -> None:
    assert parse_expression(text).evaluate(SCOPE) == value


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os')",
        "params.count + 1",
        "params.__class__",
        "[x for x in params.names]",
        "lambda: 1",
        "os.system",
        "params.names[params.count]",
        "params.count if true else 2",
        "",
        "params.count ==",
    ],
)
def test_refuses_anything_but_lookups_and_comparisons(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse_expression(text)


def test_references_are_collected_with_their_column() -> None:
    expression = parse_expression("  steps.crds.status == 'pass' and params.x")
    assert [str(r) for r in expression.references] == ["steps.crds.status", "params.x"]
    assert [r.offset for r in expression.references] == [2, 34]


def test_runtime_lookups_fail_with_the_path() -> None:
    with pytest.raises(EvaluationError, match=r"steps.crds.outputs: no key `missing`"):
        parse_expression("steps.crds.outputs.missing").evaluate(SCOPE)
    with pytest.raises(EvaluationError, match="cannot compare"):
        parse_expression("params.names > 1").evaluate(SCOPE)


def test_templates_keep_types_when_whole_and_format_when_embedded() -> None:
    assert render_value("${{ params.names }}", SCOPE) == ["a", "b"]
    assert render_value(" ${{ params.count }}", SCOPE) == " 3"
    assert render_value({"x": ["n=${{ params.names }}", "${{ params.flag }}"]}, SCOPE) == {
        "x": ["n=a,b", False]
    }
    assert render_value("plain", SCOPE) == "plain"


def test_core_assert_and_note(run_text: Callable[..., RunbookResult]) -> None:
    result = run_text(
        """
name: core
parameters:
  - {name: limit, type: integer, default: 1}
steps:
  - {id: count, uses: test.outputs, with: {outputs: {count: 2}}}
  - id: within
    uses: core.assert
    with:
      that: ${{ steps.count.outputs.count <= params.limit }}
      message: restarts within the limit
      otherwise: too many restarts
      hint: Look at the pods' previous logs.
  - id: soft
    uses: core.assert
    with: {that: false, message: optional thing, severity: warn}
  - id: note
    uses: core.note
    with: {message: "Next: run glmctl verify", command: glmctl verify}
"""
    )
    within, soft, note = (r.result for r in result.steps[1:])
    assert (within.status.value, within.summary, within.hint) == (
        "fail",
        "too many restarts",
        "Look at the pods' previous logs.",
    )
    assert (soft.status.value, soft.summary) == ("warn", "not true: optional thing")
    assert (note.status.value, note.command) == ("pass", "glmctl verify")


ALPHABET = list("params.x steps[]()'\"=<>!andortuelf_0123:,+-*/\\\x00{}$")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=40))
def test_parsing_arbitrary_text_only_ever_raises_expression_error(text: str) -> None:
    try:
        expression = parse_expression(text)
    except ExpressionError:
        return
    for reference in expression.references:
        assert reference.root in {"params", "profile", "steps"}


def test_deep_nesting_and_null_bytes_are_expression_errors() -> None:
    for text in ("(" * 500 + "1" + ")" * 500, "params.x\x00", "not " * 5000 + "true", "'a\\ b'"):
        with pytest.raises(ExpressionError):
            parse_expression(text)


def test_unreadable_runbook_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(UsageError, match="is not UTF-8 text"):
        load_runbook(path)
