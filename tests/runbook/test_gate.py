"""The engine owns the gate of a mutating step that declares its plan (``changes``): it shows
the plan, asks once, journals before the first change, and carries it out; declined or
refused, nothing is written and nothing journaled. Offline: the plan edits a file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict

from glmctl.errors import UsageError
from glmctl.journal import Journal
from glmctl.plan import Plan, PlanItem
from glmctl.recovery.execute import ChangeGate
from glmctl.repo.kustomize_edit import Change, EditResult
from glmctl.runbook.engine import run_runbook
from glmctl.runbook.loader import bind_parameters, parse_runbook
from glmctl.runbook.result import (
    PlanCarriedOut,
    PlanReady,
    RunbookResult,
    RunEvent,
    StepFinished,
    StepStarted,
)
from glmctl.steps.registry import StepContext, StepRegistry, StepResult, StepSpec, StepStatus

RUNBOOK = """\
name: edit
steps:
  - id: before
    uses: test.read
  - id: edit
    uses: test.append
    mutating: true
    with:
      path: {path}
  - id: after
    uses: test.read
    needs: [edit]
"""


class AppendParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def append_plan(ctx: StepContext, params: AppendParams) -> Plan:
    def edit(text: str) -> EditResult:
        if text.endswith("appended\n"):
            return EditResult(text, (Change("appended", "already"),))
        return EditResult(text + "appended\n", (Change("appended", "added"),))

    item = PlanItem(
        id="append",
        action="edit-file",
        kind="File",
        name=params.path,
        detail="append a line",
        patch={"path": params.path},
    )
    return Plan(command="test append", items=(item,), edits={"append": edit})


def appended(ctx: StepContext, params: AppendParams) -> StepResult:
    assert ctx.carried_out is not None
    return StepResult.passed(f"journal entry {ctx.carried_out.entry_id}")


def read(ctx: StepContext, params: NoParams) -> StepResult:
    return StepResult.passed("read")


@pytest.fixture
def registry() -> StepRegistry:
    found = StepRegistry()
    found.add(StepSpec("test.read", NoParams, read))
    found.add(
        StepSpec(
            "test.append",
            AppendParams,
            appended,
            mutating=True,
            read_only=False,
            changes=append_plan,
        )
    )
    return found


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "file.txt"
    path.write_text("first\n")
    return path


class Asked:
    """A confirm callback that records each plan it is shown and answers ``answer``."""

    def __init__(self, answer: bool, events: list[RunEvent]) -> None:
        self.answer = answer
        self.events = events
        self.plans: list[Plan] = []
        self.events_before: list[list[str]] = []

    def __call__(self, plan: Plan) -> bool:
        self.plans.append(plan)
        self.events_before.append([type(event).__name__ for event in self.events])
        return self.answer


def run(
    registry: StepRegistry,
    target: Path,
    journal: Journal,
    confirm: Asked | None,
    events: list[RunEvent],
    *,
    yes: bool = False,
    dry_run: bool = False,
) -> RunbookResult:
    runbook = parse_runbook(RUNBOOK.format(path=target), "edit.yaml", registry=registry)
    gate = (
        ChangeGate(journal=journal, command=("test",), confirm=confirm, yes=yes)
        if confirm is not None
        else None
    )
    return run_runbook(
        runbook,
        params=bind_parameters(runbook, {}),
        registry=registry,
        on_event=events.append,
        gate=gate,
        dry_run=dry_run,
    )


def statuses(result: RunbookResult) -> dict[str, StepStatus]:
    return {record.id: record.status for record in result.steps}


def test_the_engine_shows_the_plan_asks_once_then_journals_and_changes(
    registry: StepRegistry, target: Path, tmp_path: Path
) -> None:
    events: list[RunEvent] = []
    journal = Journal(tmp_path / "journal")
    asked = Asked(True, events)

    result = run(registry, target, journal, asked, events)

    assert result.exit_code == 0, result
    assert len(asked.plans) == 1
    assert [item.id for item in asked.plans[0].items] == ["append"]
    assert asked.events_before[0][-1] == "PlanReady"  # shown before it is asked
    assert target.read_text() == "first\nappended\n"
    [entry] = journal.list()
    assert entry.status == "finished" and list(entry.command) == ["test"]
    record = journal.get(entry.id).before[0]
    assert record.object["text"] == "first\n"  # journaled before the write
    gate_events = [e for e in events if isinstance(e, PlanReady | PlanCarriedOut)]
    assert [type(e).__name__ for e in gate_events] == ["PlanReady", "PlanCarriedOut"]
    assert statuses(result) == {
        "before": StepStatus.PASS,
        "edit": StepStatus.PASS,
        "after": StepStatus.PASS,
    }


def test_declined_writes_nothing_journals_nothing_and_stops_the_run(
    registry: StepRegistry, target: Path, tmp_path: Path
) -> None:
    events: list[RunEvent] = []
    journal = Journal(tmp_path / "journal")
    asked = Asked(False, events)

    result = run(registry, target, journal, asked, events)

    assert len(asked.plans) == 1
    assert result.exit_code == 1
    assert target.read_text() == "first\n"
    assert journal.list() == []
    assert not (tmp_path / "journal").exists() or not any((tmp_path / "journal").iterdir())
    found = statuses(result)
    assert found["edit"] is StepStatus.FAIL and found["after"] is StepStatus.SKIP
    [edit] = [r for r in result.steps if r.id == "edit"]
    assert edit.result.summary == "not confirmed: nothing was changed"
    [carried] = [e for e in events if isinstance(e, PlanCarriedOut)]
    assert carried.execution.declined


def test_yes_does_not_ask_and_dry_run_neither_asks_nor_writes(
    registry: StepRegistry, target: Path, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal")
    events: list[RunEvent] = []
    never = Asked(False, events)

    planned = run(registry, target, journal, never, events, dry_run=True)

    assert never.plans == [] and target.read_text() == "first\n" and journal.list() == []
    assert statuses(planned)["edit"] is StepStatus.SKIP
    assert planned.exit_code == 0

    done = run(registry, target, journal, never, [], yes=True)

    assert never.plans == [] and done.exit_code == 0
    assert target.read_text() == "first\nappended\n"
    assert [entry.status for entry in journal.list()] == ["finished"]


def test_a_run_without_a_gate_refuses_the_change_in_one_sentence(
    registry: StepRegistry, target: Path, tmp_path: Path
) -> None:
    events: list[RunEvent] = []

    result = run(registry, target, Journal(tmp_path / "journal"), None, events)

    assert isinstance(result.error, UsageError)
    assert result.exit_code == 2
    assert "cannot confirm or journal a change" in result.error.message
    assert target.read_text() == "first\n"
    assert not [e for e in events if isinstance(e, PlanReady)]
    started = [e.step_id for e in events if isinstance(e, StepStarted)]
    assert started == ["before", "edit"]
    finished = {e.record.id: e.record.status for e in events if isinstance(e, StepFinished)}
    assert finished["after"] is StepStatus.SKIP


def test_a_refusal_from_the_confirmation_is_the_runs_error(
    registry: StepRegistry, target: Path, tmp_path: Path
) -> None:
    journal = Journal(tmp_path / "journal")

    def no_terminal(plan: Plan) -> bool:
        raise UsageError("there is no terminal to ask on")

    runbook = parse_runbook(RUNBOOK.format(path=target), "edit.yaml", registry=registry)
    result = run_runbook(
        runbook,
        params={},
        registry=registry,
        gate=ChangeGate(journal=journal, command=("test",), confirm=no_terminal),
    )

    assert result.exit_code == 2 and result.error is not None
    assert result.stopped_because == "there is no terminal to ask on"
    assert target.read_text() == "first\n" and journal.list() == []
    document = json.loads(result.model_dump_json())
    assert "error" not in document


def test_a_bug_after_the_change_is_an_internal_error_result_not_a_crash(
    registry: StepRegistry, target: Path, tmp_path: Path
) -> None:
    def broken(ctx: StepContext, params: AppendParams) -> StepResult:
        raise RuntimeError("boom")

    registry.add(
        StepSpec(
            "test.append",
            AppendParams,
            broken,
            mutating=True,
            read_only=False,
            changes=append_plan,
        ),
        replace=True,
    )
    journal = Journal(tmp_path / "journal")

    result = run(registry, target, journal, Asked(True, []), [], yes=True)

    assert result.exit_code == 1 and result.error is None
    [edit] = [r for r in result.steps if r.id == "edit"]
    assert edit.result.summary == "internal error: RuntimeError: boom"
    assert target.read_text() == "first\nappended\n"  # the change itself was made, journaled
    assert [entry.status for entry in journal.list()] == ["finished"]
