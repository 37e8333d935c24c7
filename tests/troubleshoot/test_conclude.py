"""``diagnose.conclude`` on its own: facts given by a test step, rules from a runbook."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from glmctl.runbook.engine import run_runbook
from glmctl.runbook.loader import parse_runbook
from glmctl.runbook.result import RunbookResult
from glmctl.steps.diagnose import ConcludeParams
from glmctl.steps.registry import StepResult, StepSpec, StepStatus, default_registry


class FactParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    status: StepStatus = StepStatus.PASS
    summary: str = "fine"
    details: list[str] = []
    command: str | None = None
    outputs: dict[str, str] = {}


def fact(ctx: object, params: FactParams) -> StepResult:
    return StepResult(
        status=params.status,
        summary=params.summary,
        details=tuple(params.details),
        command=params.command,
        outputs=params.outputs,
    )


@pytest.fixture(autouse=True)
def fact_step() -> Iterator[None]:
    with default_registry().temporarily(StepSpec("test.fact", FactParams, fact)):
        yield


RUNBOOK = """
name: t
steps:
  - id: store
    uses: test.fact
    continue_on_failure: true
    with: {status: %(store)s, summary: store is %(store)s, details: [%(store_detail)s],
           command: kubectl describe store, outputs: {fix: "%(fix)s"}}
  - id: logs
    uses: test.fact
    continue_on_failure: true
    with: {status: %(logs)s, summary: logs, details: ["%(log_line)s"]}
  - id: diagnosis
    uses: diagnose.conclude
    with:
      topic: Test topic
      facts:
        store: ${{ steps.store.status }}
        logs: ${{ steps.logs.status }}
      healthy: all good
      findings:
        - when: ${{ steps.logs.status == 'fail' }}
          match: "401"
          evidence: [logs, store]
          diagnosis: token rejected
          hint: new token
          command: op connect token create
        - when: ${{ steps.store.status == 'fail' }}
          evidence: [store]
          diagnosis: store broken
          hint: fix the store
          command_from: store.fix
"""


def run(**facts: str) -> RunbookResult:
    values = {
        "store": "pass",
        "logs": "pass",
        "log_line": "ok",
        "store_detail": "'x'",
        "fix": "",
    } | facts
    runbook = parse_runbook(RUNBOOK % values, "t.yaml")
    return run_runbook(runbook)


def diagnosis(result: RunbookResult) -> StepResult:
    return result.steps[-1].result


def test_all_facts_pass_means_nothing_wrong() -> None:
    result = run()
    assert diagnosis(result).status is StepStatus.PASS
    assert diagnosis(result).summary == "all good"
    assert diagnosis(result).details == ("store: pass, store is pass", "logs: pass, logs")
    assert result.exit_code == 0


def test_the_first_finding_that_applies_wins_and_carries_its_evidence() -> None:
    result = run(store="fail", logs="fail", log_line="GET /v1/vaults 401 Unauthorized")
    found = diagnosis(result)
    assert found.status is StepStatus.FAIL
    assert found.summary == "token rejected"
    assert found.details == (
        "logs: logs",
        "  GET /v1/vaults 401 Unauthorized",
        "store: store is fail",
        "  x",
    )
    assert (found.hint, found.command) == ("new token", "op connect token create")
    assert result.exit_code == 1


def test_match_tells_apart_causes_that_fail_the_same_check() -> None:
    found = diagnosis(run(store="fail", logs="fail", log_line="connection refused"))
    assert found.summary == "store broken"


def test_a_finding_without_command_gives_its_evidence_s_command() -> None:
    found = diagnosis(run(store="fail"))
    assert (found.summary, found.command) == ("store broken", "kubectl describe store")


def test_command_from_takes_the_command_a_fact_made_for_the_case() -> None:
    found = diagnosis(run(store="fail", fix="kubectl rollout restart deploy/store"))
    assert found.command == "kubectl rollout restart deploy/store"


def test_command_from_must_name_an_evidence_step() -> None:
    with pytest.raises(ValidationError, match="command_from names logs"):
        ConcludeParams(
            topic="t",
            facts={"store": "pass", "logs": "pass"},
            healthy="ok",
            findings=[
                {
                    "evidence": ["store"],
                    "command_from": "logs.fix",
                    "diagnosis": "d",
                    "hint": "h",
                }
            ],
        )


def test_a_failure_no_finding_explains_is_still_a_failure() -> None:
    found = diagnosis(run(logs="fail", log_line="strange"))
    assert found.status is StepStatus.FAIL
    assert found.summary == "Test topic: the checks found a problem that matches no known cause"
    assert found.details == ("logs: logs", "  strange")


def test_a_warning_is_not_a_problem_to_diagnose() -> None:
    assert diagnosis(run(logs="warn")).status is StepStatus.PASS


def test_long_evidence_is_capped() -> None:
    many = ", ".join(f"line{i}" for i in range(40))
    found = diagnosis(run(store="fail", store_detail=many))
    assert len(found.details) == 17
    assert found.details[-1] == "... and 25 more lines"


def test_evidence_must_be_among_the_facts() -> None:
    with pytest.raises(ValidationError, match="evidence hooks is not among the facts"):
        ConcludeParams(
            topic="t",
            facts={"store": "pass"},
            healthy="ok",
            findings=[{"evidence": ["hooks"], "diagnosis": "d", "hint": "h"}],
        )


def test_a_bad_match_pattern_is_refused() -> None:
    with pytest.raises(ValidationError):
        ConcludeParams(
            topic="t",
            facts={"store": "pass"},
            healthy="ok",
            findings=[{"match": "(", "diagnosis": "d", "hint": "h"}],
        )


def test_checks_that_could_not_be_made_are_not_passed_off_as_healthy() -> None:
    found = diagnosis(run(logs="error", log_line="forbidden"))
    assert found.status is StepStatus.ERROR
    assert found.summary == "1 check could not be made (logs), so there is no diagnosis"
