"""Which step waits for which: explicit ``needs`` plus the references between steps.

Two kinds of edges, because they mean different things when a step fails:

- *hard* (``needs``, and ``${{ steps.X.outputs... }}`` in ``with``): the step uses what X
  produced, so when X fails (or does not run) the step is skipped ("because X failed");
- *soft* (any ``steps.X`` in ``when``, and ``steps.X.status``/``steps.X.summary`` in
  ``with``): the step only runs after X and looks at how it ended, which is known whatever
  happened (``when: steps.x.status == 'fail'`` runs a diagnosis exactly when X failed).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from glmctl.runbook.expr import Expression, Reference, parse_expression, parse_templates
from glmctl.runbook.model import Runbook, Step


@dataclass(frozen=True)
class Dependencies:
    """The steps one step must wait for, split by what their failure means for it."""

    hard: frozenset[str]
    soft: frozenset[str]

    @property
    def all(self) -> frozenset[str]:
        """Every step this one runs after."""
        return self.hard | self.soft


def condition_expression(condition: str) -> str:
    """A ``when`` entry may be written bare or wrapped in ``${{ }}``; both mean the same."""
    text = condition.strip()
    if text.startswith("${{") and text.endswith("}}"):
        return text[3:-2]
    return condition


def when_expressions(step: Step) -> list[Expression]:
    """The parsed ``when`` conditions of ``step`` (all must be true)."""
    return [parse_expression(condition_expression(c)) for c in step.conditions()]


def with_references(value: Any) -> Iterator[Reference]:
    """Every reference in a ``with`` value, recursively."""
    if isinstance(value, str):
        for part in parse_templates(value):
            yield from part.expression.references
    elif isinstance(value, dict):
        for item in value.values():
            yield from with_references(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from with_references(item)


def step_dependencies(step: Step) -> Dependencies:
    """The hard and soft dependencies of one (already validated) step."""
    hard = set(step.needs)
    soft: set[str] = set()
    for reference in with_references(step.with_):
        if reference.root == "steps" and reference.path:
            uses_outputs = len(reference.path) > 1 and reference.path[1] == "outputs"
            (hard if uses_outputs else soft).add(str(reference.path[0]))
    for expression in when_expressions(step):
        soft.update(_step_ids(iter(expression.references)))
    return Dependencies(hard=frozenset(hard), soft=frozenset(soft - hard))


def dependency_map(runbook: Runbook) -> dict[str, Dependencies]:
    """Step id to its dependencies, for every step."""
    return {step.id: step_dependencies(step) for step in runbook.steps}


def find_cycle(ids: Sequence[str], edges: dict[str, frozenset[str]]) -> list[str] | None:
    """A dependency cycle as a list of ids (first id repeated at the end), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(edges.get(node, frozenset()), key=ids.index):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in ids:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def execution_order(runbook: Runbook) -> list[str]:
    """Step ids in dependency order, keeping the file's order wherever it is free to.

    Each round takes the first step (in file order) whose dependencies are all placed, so
    a runbook without references runs exactly as written.
    """
    dependencies = {key: deps.all for key, deps in dependency_map(runbook).items()}
    pending = [step.id for step in runbook.steps]
    placed: list[str] = []
    done: set[str] = set()
    while pending:
        ready = next((s for s in pending if dependencies[s] <= done), None)
        if ready is None:  # pragma: no cover - the loader rejects cycles
            raise ValueError(f"dependency cycle among {pending}")
        pending.remove(ready)
        placed.append(ready)
        done.add(ready)
    return placed


def _step_ids(references: Iterator[Reference]) -> set[str]:
    return {str(ref.path[0]) for ref in references if ref.root == "steps" and ref.path}
