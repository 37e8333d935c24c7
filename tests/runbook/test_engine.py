"""The engine: ordering, concurrency, conditions, retries, timeouts, dry-run, failures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic import BaseModel

from glmctl.errors import ClusterUnreachable
from glmctl.runbook.result import (
    RunbookResult,
    RunEvent,
    RunFinished,
    RunStarted,
    RunStatus,
    StepFinished,
    StepRetrying,
    StepStarted,
)
from glmctl.steps.registry import StepStatus
from tests.runbook.conftest import Recorder

Run = Callable[..., RunbookResult]


def statuses(result: RunbookResult) -> dict[str, str]:
    return {record.id: record.status.value for record in result.steps}


def test_steps_run_in_file_order_and_pass(run_text: Run, recorder: Recorder) -> None:
    result = run_text(
        """
name: simple
steps:
  - {id: one, uses: test.result, with: {summary: first}}
  - {id: two, uses: test.mutate, mutating: true, with: {target: x}}
  - {id: three, uses: test.result, with: {summary: third}}
"""
    )
    assert recorder.ran == ["one", "two", "three"]
    assert result.status is RunStatus.PASSED
    assert result.exit_code == 0
    assert [r.id for r in result.steps] == ["one", "two", "three"]


def test_references_reorder_steps_and_pass_outputs(run_text: Run, recorder: Recorder) -> None:
    result = run_text(
        """
name: refs
steps:
  - id: report
    uses: test.result
    with:
      summary: "found ${{ steps.count.outputs.count }}: ${{ steps.count.outputs.names }}"
      outputs: {names: "${{ steps.count.outputs.names }}"}
  - id: count
    uses: test.outputs
    with: {outputs: {count: 2, names: [a, b]}}
""",
        max_workers=1,
    )
    assert recorder.ran == ["count", "report"]
    report = result.steps[0]
    assert report.result.summary == "found 2: a,b"
    assert report.result.outputs == {"names": ["a", "b"]}


def test_independent_read_only_steps_overlap(run_text: Run) -> None:
    result = run_text(
        """
name: together
steps:
  - {id: left, uses: test.rendezvous, with: {me: left, other: right}}
  - {id: right, uses: test.rendezvous, with: {me: right, other: left}}
"""
    )
    assert statuses(result) == {"left": "pass", "right": "pass"}


def test_mutating_step_runs_alone_between_the_others(run_text: Run, recorder: Recorder) -> None:
    run_text(
        """
name: barrier
steps:
  - {id: a, uses: test.result}
  - {id: b, uses: test.result}
  - {id: change, uses: test.mutate, mutating: true, with: {target: x}}
  - {id: c, uses: test.result}
  - {id: d, uses: test.result}
"""
    )
    assert set(recorder.ran[:2]) == {"a", "b"}
    assert recorder.ran[2] == "change"
    assert set(recorder.ran[3:]) == {"c", "d"}
    alongside = dict(recorder.overlaps)
    assert alongside["change"] == frozenset()


def test_events_tell_the_story_in_order(run_text: Run) -> None:
    events: list[RunEvent] = []
    result = run_text(
        """
name: events
steps:
  - {id: a, uses: test.result}
  - {id: b, uses: test.result, when: "false", needs: [a]}
""",
        events=events,
    )
    assert isinstance(events[0], RunStarted)
    assert events[0].steps == (("a", "a"), ("b", "b"))
    assert isinstance(events[1], StepStarted) and events[1].step_id == "a"
    finished = [e.record.id for e in events if isinstance(e, StepFinished)]
    assert finished == ["a", "b"]
    assert isinstance(events[-1], RunFinished) and events[-1].result == result


def test_when_false_skips_and_when_true_runs(run_text: Run, recorder: Recorder) -> None:
    result = run_text(
        """
name: when
parameters:
  - {name: check_repo, type: boolean, default: false}
steps:
  - {id: base, uses: test.result, with: {status: fail}}
  - id: repo
    uses: test.result
    when: params.check_repo
  - id: diagnose
    uses: test.result
    when: ["steps.base.status == 'fail'", "${{ not params.check_repo }}"]
"""
    )
    assert statuses(result) == {"base": "fail", "repo": "skip", "diagnose": "pass"}
    assert result.steps[1].result.summary == "skipped: `params.check_repo` is false"
    assert "repo" not in recorder.ran


def test_skip_reason_says_why_in_the_runbooks_words(run_text: Run, recorder: Recorder) -> None:
    result = run_text(
        """
name: because
parameters:
  - {name: repo, type: string, default: ""}
steps:
  - id: lint
    uses: test.result
    when: params.repo != ''
    skip_reason: no --repo given (pass --repo PATH to lint the repository first)
  - id: other
    uses: test.result
    when: params.repo != ''
"""
    )
    assert statuses(result) == {"lint": "skip", "other": "skip"}
    assert result.steps[0].result.summary == (
        "no --repo given (pass --repo PATH to lint the repository first)"
    )
    assert result.steps[1].result.summary == "skipped: `params.repo != ''` is false"
    assert recorder.ran == []


def test_failed_dependency_skips_dependents_but_not_independent_steps(run_text: Run) -> None:
    result = run_text(
        """
name: deps
steps:
  - {id: crds, uses: test.result, with: {status: fail, summary: missing}}
  - {id: kustomizations, uses: test.result, needs: [crds]}
  - {id: uses_output, uses: test.result, with: {summary: "${{ steps.kustomizations.outputs.x }}"}}
  - {id: pods, uses: test.result}
"""
    )
    assert statuses(result) == {
        "crds": "fail",
        "kustomizations": "skip",
        "uses_output": "skip",
        "pods": "pass",
    }
    assert result.steps[1].result.summary == "skipped because `crds` failed"
    assert result.steps[2].result.summary == "skipped because `kustomizations` did not run"
    assert result.exit_code == 1


def test_continue_on_failure_lets_dependents_run_and_still_fails_the_run(run_text: Run) -> None:
    result = run_text(
        """
name: continue
steps:
  - {id: a, uses: test.result, with: {status: fail}, continue_on_failure: true}
  - {id: b, uses: test.result, needs: [a]}
  - {id: change, uses: test.mutate, mutating: true, with: {target: x}}
"""
    )
    assert statuses(result) == {"a": "fail", "b": "pass", "change": "pass"}
    assert result.status is RunStatus.FAILED


def test_outputs_of_a_failed_continue_on_failure_step_read_as_null(run_text: Run) -> None:
    result = run_text(
        """
name: continue
steps:
  - id: a
    uses: test.result
    with: {status: fail, outputs: {kept: here}}
    continue_on_failure: true
  - id: b
    uses: test.result
    with: {summary: "missing=[${{ steps.a.outputs.missing }}] kept=${{ steps.a.outputs.kept }}"}
"""
    )
    assert statuses(result) == {"a": "fail", "b": "pass"}
    assert result.steps[1].result.summary == "missing=[] kept=here"


def test_a_failure_before_a_mutating_step_stops_it(run_text: Run, recorder: Recorder) -> None:
    result = run_text(
        """
name: guard
steps:
  - {id: check, uses: test.result, with: {status: fail}}
  - {id: change, uses: test.mutate, mutating: true, with: {target: x}}
"""
    )
    assert statuses(result) == {"check": "fail", "change": "skip"}
    assert recorder.mutations == []


def test_warnings_pass_with_exit_0(run_text: Run) -> None:
    result = run_text("name: w\nsteps:\n  - {id: a, uses: test.result, with: {status: warn}}\n")
    assert result.status is RunStatus.PASSED
    assert result.exit_code == 0


def test_retries_until_success(run_text: Run, recorder: Recorder) -> None:
    events: list[RunEvent] = []
    result = run_text(
        """
name: retry
steps:
  - {id: flaky, uses: test.flaky, with: {fail_times: 2}, retries: 3, retry_delay: 0}
""",
        events=events,
    )
    record = result.steps[0]
    assert record.status is StepStatus.PASS
    assert record.result.attempts == 3
    assert [e.attempt for e in events if isinstance(e, StepRetrying)] == [1, 2]


def test_retries_exhausted_reports_the_last_failure(run_text: Run) -> None:
    result = run_text(
        """
name: retry
steps:
  - {id: flaky, uses: test.flaky, with: {fail_times: 5}, retries: 1, retry_delay: 0}
"""
    )
    record = result.steps[0]
    assert record.status is StepStatus.FAIL
    assert record.result.summary == "attempt 2 failed"
    assert record.result.attempts == 2


def test_step_timeout_fails_the_step_and_exits_4(run_text: Run, recorder: Recorder) -> None:
    result = run_text(
        """
name: slow
steps:
  - {id: slow, uses: test.wait, timeout: 0.2}
  - {id: after, uses: test.result, needs: [slow]}
  - {id: other, uses: test.result}
"""
    )
    slow = result.steps[0]
    assert slow.status is StepStatus.FAIL
    assert slow.result.timed_out
    assert slow.result.summary == "timed out after 0.2s"
    assert statuses(result)["after"] == "skip"
    assert statuses(result)["other"] == "pass"
    assert result.status is RunStatus.TIMED_OUT
    assert result.exit_code == 4


def test_a_real_failure_beside_a_timeout_exits_1(run_text: Run) -> None:
    result = run_text(
        """
name: mixed
steps:
  - {id: slow, uses: test.wait, timeout: 0.1}
  - {id: bad, uses: test.result, with: {status: fail}}
"""
    )
    assert result.exit_code == 1


def test_global_timeout_stops_the_run_with_exit_4(run_text: Run) -> None:
    result = run_text(
        """
name: slow
steps:
  - {id: slow, uses: test.wait}
  - {id: change, uses: test.mutate, mutating: true, with: {target: x}}
""",
        timeout=0.2,
    )
    assert result.status is RunStatus.TIMED_OUT
    assert result.exit_code == 4
    assert result.stopped_because == "the run's --timeout of 0.2s ran out"
    # cut short, not failed: the run says once why it stopped
    assert statuses(result) == {"slow": "skip", "change": "skip"}
    assert [step.result.summary for step in result.steps] == [
        "not finished: the run stopped",
        "not run: the run stopped",
    ]


def test_dry_run_plans_mutations_and_never_runs_them(run_text: Run, recorder: Recorder) -> None:
    result = run_text(
        """
name: redeploy
steps:
  - {id: check, uses: test.result}
  - {id: delete, uses: test.mutate, mutating: true, with: {target: helmrelease}}
  - id: reconcile
    uses: test.mutate
    mutating: true
    with: {target: kustomization}
    needs: [delete]
  - {id: wait, uses: test.wait, needs: [reconcile]}
""",
        dry_run=True,
    )
    assert recorder.mutations == []
    assert recorder.plans == ["helmrelease", "kustomization"]
    assert "wait" not in recorder.ran
    assert statuses(result) == {
        "check": "pass",
        "delete": "skip",
        "reconcile": "skip",
        "wait": "skip",
    }
    assert result.steps[1].result.summary == "would change helmrelease"
    assert result.steps[1].result.command == "kubectl patch helmrelease"
    assert result.dry_run
    assert result.exit_code == 0


def test_unreachable_cluster_stops_the_run_with_exit_3(run_text: Run, recorder: Recorder) -> None:
    result = run_text(
        """
name: unreachable
steps:
  - {id: reach, uses: test.raise, with: {kind: unreachable}}
  - {id: later, uses: test.result, needs: [reach]}
  - {id: change, uses: test.mutate, mutating: true, with: {target: x}}
""",
        max_workers=1,
    )
    assert result.status is RunStatus.UNREACHABLE
    assert result.exit_code == 3
    reach = result.steps[0].result
    assert reach.status is StepStatus.ERROR
    assert reach.summary == "cannot reach https://127.0.0.1:1"
    assert reach.hint == "Is the cluster up?"
    assert statuses(result)["change"] == "skip"
    assert result.stopped_because == "the cluster is unreachable: cannot reach https://127.0.0.1:1"
    assert recorder.mutations == []


def test_cluster_is_connected_lazily_once(run_text: Run) -> None:
    calls: list[str] = []

    def factory() -> Any:
        calls.append("connect")
        raise ClusterUnreachable("connection refused")

    quiet = run_text("name: q\nsteps:\n  - {id: a, uses: test.result}\n", cluster_factory=factory)
    assert quiet.exit_code == 0 and calls == []
    result = run_text(
        "name: c\nsteps:\n  - {id: a, uses: test.raise, with: {kind: cluster}}\n",
        cluster_factory=factory,
    )
    assert calls == ["connect"]
    assert result.exit_code == 3


def test_step_errors_become_results_without_tracebacks(run_text: Run) -> None:
    result = run_text(
        """
name: errors
steps:
  - {id: mine, uses: test.raise, with: {kind: glmctl}}
  - {id: bug, uses: test.raise, with: {kind: runtime}}
"""
    )
    mine, bug = (record.result for record in result.steps)
    assert (mine.status, mine.summary, mine.hint) == (
        StepStatus.ERROR,
        "the thing is broken",
        "Fix the thing.",
    )
    assert bug.status is StepStatus.ERROR
    assert bug.summary == "internal error: RuntimeError: boom"
    assert not any("Traceback" in line for line in bug.details)
    assert result.exit_code == 1


def test_debug_keeps_the_traceback_in_details(run_text: Run) -> None:
    result = run_text(
        "name: e\nsteps:\n  - {id: bug, uses: test.raise, with: {kind: runtime}}\n", debug=True
    )
    assert result.steps[0].result.details[0].startswith("Traceback")


def test_parameter_bad_after_substitution_is_a_step_error(run_text: Run) -> None:
    result = run_text(
        """
name: typed
parameters:
  - {name: n, type: string, default: lots}
steps:
  - {id: a, uses: test.flaky, with: {fail_times: "${{ params.n }}"}}
"""
    )
    record = result.steps[0].result
    assert record.status is StepStatus.ERROR
    assert record.summary.startswith("bad parameter after substitution: fail_times")


class Lifecycle(BaseModel):
    kustomization: str = "gitops-lifecycle-management"


class Profile(BaseModel):
    lifecycle: Lifecycle = Lifecycle()


def test_profile_values_reach_step_parameters(run_text: Run) -> None:
    result = run_text(
        """
name: profile
steps:
  - {id: a, uses: test.result, with: {summary: "${{ profile.lifecycle.kustomization }}"}}
""",
        profile=Profile(),
    )
    assert result.steps[0].result.summary == "gitops-lifecycle-management"


def test_ctrl_c_interrupts_the_run_with_exit_130(run_text: Run, recorder: Recorder) -> None:
    result = run_text(
        """
name: interrupted
steps:
  - {id: stop, uses: test.interrupt}
  - {id: change, uses: test.mutate, mutating: true, with: {target: x}}
"""
    )
    assert result.status is RunStatus.INTERRUPTED
    assert result.exit_code == 130
    assert statuses(result) == {"stop": "error", "change": "skip"}
    assert recorder.mutations == []


@pytest.mark.parametrize("workers", [1, 8])
def test_result_lists_steps_in_runbook_order(run_text: Run, workers: int) -> None:
    result = run_text(
        """
name: order
steps:
  - {id: z, uses: test.result, needs: [a]}
  - {id: a, uses: test.result}
""",
        max_workers=workers,
    )
    assert [r.id for r in result.steps] == ["z", "a"]
