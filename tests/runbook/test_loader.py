"""Loading validates everything first: every problem, each with file, line and column;
nothing runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel

from glmctl.errors import ExitCode, UsageError
from glmctl.runbook.loader import RunbookError, bind_parameters, parse_runbook
from glmctl.steps.registry import StepRegistry
from tests.conftest import CliResult
from tests.runbook.conftest import Recorder


def error_for(text: str, registry: StepRegistry, profile: object = None) -> RunbookError:
    with pytest.raises(RunbookError) as caught:
        parse_runbook(text, "book.yaml", registry=registry, profile=profile)
    return caught.value


def test_unknown_step_names_line_column_and_nearest(registry: StepRegistry) -> None:
    error = error_for(
        "name: x\nsteps:\n  - id: a\n    uses: test.resutl\n",
        registry,
    )
    assert str(error).startswith("book.yaml:4:11: ")
    assert "unknown step `test.resutl`" in str(error)
    assert "did you mean `test.result`" in str(error)
    assert error.exit_code == ExitCode.USAGE


def test_unknown_step_parameter_points_at_the_key(registry: StepRegistry) -> None:
    text = (
        "name: x\n"
        "steps:\n"
        "  - id: a\n"
        "    uses: test.result\n"
        "    with:\n"
        "      summary: fine\n"
        "      sumary: typo\n"
    )
    error = error_for(text, registry)
    assert str(error).startswith("book.yaml:7:7: ")
    assert "no parameter `sumary`" in str(error)
    assert "did you mean `summary`" in str(error)


def test_wrong_parameter_type_points_at_the_value(registry: StepRegistry) -> None:
    text = "name: x\nsteps:\n  - id: a\n    uses: test.result\n    with:\n      takes: soon\n"
    error = error_for(text, registry)
    assert str(error).startswith("book.yaml:6:14: ")
    assert "parameter `takes` of `test.result`" in str(error)


def test_missing_required_parameter(registry: StepRegistry) -> None:
    error = error_for("name: x\nsteps:\n  - id: a\n    uses: test.flaky\n", registry)
    assert str(error).startswith("book.yaml:3:5: ")
    assert "needs parameter `fail_times`" in str(error)


def test_templated_parameter_is_checked_at_run_time_not_load_time(
    registry: StepRegistry,
) -> None:
    text = (
        "name: x\n"
        "parameters:\n"
        "  - name: n\n"
        "    type: integer\n"
        "    default: 2\n"
        "steps:\n"
        "  - id: a\n"
        "    uses: test.flaky\n"
        "    with:\n"
        "      fail_times: ${{ params.n }}\n"
    )
    runbook = parse_runbook(text, "book.yaml", registry=registry)
    assert runbook.steps[0].with_ == {"fail_times": "${{ params.n }}"}


@pytest.mark.parametrize(
    ("body", "position", "message"),
    [
        ("      summary: ${{ params.nope }}\n", "6:16", "no parameter `nope` is declared"),
        ("      summary: ${{ steps.b.status }}\n", "6:16", "no step has id `b`"),
        ("      summary: ${{ steps.a.status }}\n", "6:16", "cannot refer to itself"),
        ("      summary: ${{ steps.z.stauts }}\n", "6:16", "did you mean `status`"),
        ("      summary: ${{ steps.z.outputs.cont }}\n", "6:16", "did you mean `count`"),
        ("      summary: ${{ open('/etc/passwd') }}\n", "6:20", "is not allowed here"),
        ("      summary: ${{ params.x +\n", "6:16", "`${{` without a closing `}}`"),
    ],
)
def test_bad_reference_is_one_error_with_position(
    registry: StepRegistry, body: str, position: str, message: str
) -> None:
    text = (
        "name: x\n"
        "steps:\n"
        "  - id: a\n"
        "    uses: test.result\n"
        "    with:\n" + body + "  - id: z\n    uses: test.outputs\n"
    )
    error = error_for(text, registry)
    assert str(error).startswith(f"book.yaml:{position}: "), str(error)
    assert message in str(error)


def test_bad_when_reference(registry: StepRegistry) -> None:
    text = (
        "name: x\n"
        "steps:\n"
        "  - id: crds\n"
        "    uses: test.result\n"
        "  - id: b\n"
        "    uses: test.result\n"
        "    when: steps.crd.status == 'pass'\n"
    )
    error = error_for(text, registry)
    assert str(error).startswith("book.yaml:7:11: ")
    assert "no step has id `crd`" in str(error)
    assert "did you mean `crds`" in str(error)


class Lifecycle(BaseModel):
    kustomization: str = "gitops-lifecycle-management"


class Profile(BaseModel):
    lifecycle: Lifecycle = Lifecycle()


def test_profile_references_are_checked_against_the_profile(registry: StepRegistry) -> None:
    text = (
        "name: x\n"
        "steps:\n"
        "  - id: a\n"
        "    uses: test.result\n"
        "    with:\n"
        "      summary: ${{ profile.lifecycle.kustomisation }}\n"
    )
    error = error_for(text, registry, profile=Profile())
    assert str(error).startswith("book.yaml:6:16: ")
    assert "the profile has no `profile.lifecycle.kustomisation`" in str(error)
    assert "did you mean `kustomization`" in str(error)
    # the same reference is fine with a mapping profile that has it
    ok = text.replace("kustomisation", "kustomization")
    parse_runbook(ok, "book.yaml", registry=registry, profile={"lifecycle": {"kustomization": 1}})


def test_broken_yaml_has_line_and_column(registry: StepRegistry) -> None:
    error = error_for("name: x\nsteps:\n  - id: [a\n    uses: test.result\n", registry)
    assert str(error).startswith("book.yaml:4:")
    assert "invalid YAML" in str(error)


def test_duplicate_yaml_key_is_an_error(registry: StepRegistry) -> None:
    error = error_for("name: x\nname: y\nsteps: []\n", registry)
    assert str(error).startswith("book.yaml:2:1: ")
    assert "duplicate key" in str(error)


def test_unknown_step_key_suggests_the_right_one(registry: StepRegistry) -> None:
    text = "name: x\nsteps:\n  - id: a\n    uses: test.result\n    retry: 3\n"
    error = error_for(text, registry)
    assert str(error).startswith("book.yaml:5:5: ")
    assert "unknown key `retry`" in str(error)
    assert "did you mean `retries`" in str(error)


def test_bad_step_id(registry: StepRegistry) -> None:
    error = error_for("name: x\nsteps:\n  - id: flux-crds\n    uses: test.result\n", registry)
    assert str(error).startswith("book.yaml:3:9: ")
    assert "letters, digits and underscores" in str(error)


def test_duplicate_step_id(registry: StepRegistry) -> None:
    text = "name: x\nsteps:\n  - id: a\n    uses: test.result\n  - id: a\n    uses: test.result\n"
    error = error_for(text, registry)
    assert str(error).startswith("book.yaml:5:9: ")
    assert "used twice" in str(error)


def test_cyclic_needs(registry: StepRegistry) -> None:
    text = (
        "name: x\n"
        "steps:\n"
        "  - id: a\n"
        "    uses: test.result\n"
        "    needs: [b]\n"
        "  - id: b\n"
        "    uses: test.result\n"
        "    needs: [a]\n"
    )
    error = error_for(text, registry)
    assert str(error).startswith("book.yaml:5:12: ")
    assert "a → b → a" in str(error)


def test_unknown_needs(registry: StepRegistry) -> None:
    text = "name: x\nsteps:\n  - id: a\n    uses: test.result\n    needs: [c, aa]\n"
    error = error_for(text, registry)
    assert str(error).startswith("book.yaml:5:13: ")
    assert "needs unknown step `c`" in str(error)


def test_mutating_step_must_be_declared(registry: StepRegistry) -> None:
    text = "name: x\nsteps:\n  - id: a\n    uses: test.mutate\n    with: {target: t}\n"
    error = error_for(text, registry)
    assert str(error).startswith("book.yaml:4:11: ")
    assert "declare it with `mutating: true`" in str(error)
    false = text + "    mutating: false\n"
    assert str(error_for(false, registry)).startswith("book.yaml:6:15: ")


def test_read_only_step_cannot_be_declared_mutating(registry: StepRegistry) -> None:
    text = "name: x\nsteps:\n  - id: a\n    uses: test.result\n    mutating: true\n"
    error = error_for(text, registry)
    assert str(error).startswith("book.yaml:5:15: ")
    assert "changes nothing" in str(error)


def test_no_steps(registry: StepRegistry) -> None:
    error = error_for("name: x\nsteps: []\n", registry)
    assert str(error).startswith("book.yaml:2:8: ")


def test_parameter_default_of_the_wrong_type(registry: StepRegistry) -> None:
    text = (
        "name: x\nparameters:\n  - name: n\n    type: integer\n    default: many\n"
        "steps:\n  - id: a\n    uses: test.result\n"
    )
    error = error_for(text, registry)
    assert str(error).startswith("book.yaml:5:14: ")


def test_bind_parameters_converts_and_rejects(registry: StepRegistry) -> None:
    text = (
        "name: x\n"
        "parameters:\n"
        "  - name: count\n"
        "    type: integer\n"
        "  - name: check_repo\n"
        "    type: boolean\n"
        "    default: false\n"
        "  - name: names\n"
        "    type: list\n"
        "    default: [a]\n"
        "steps:\n  - id: a\n    uses: test.result\n"
    )
    runbook = parse_runbook(text, "book.yaml", registry=registry)
    assert bind_parameters(runbook, {"count": "3", "names": "x, y"}) == {
        "count": 3,
        "check_repo": False,
        "names": ["x", "y"],
    }
    with pytest.raises(UsageError, match="needs parameter `count`"):
        bind_parameters(runbook, {})
    with pytest.raises(UsageError, match="did you mean `count`"):
        bind_parameters(runbook, {"cuont": "1", "count": "1"})
    with pytest.raises(UsageError, match="expected integer"):
        bind_parameters(runbook, {"count": "three"})


FIRST = "name: x\nsteps:\n  - id: first\n    uses: test.result\n"


@pytest.mark.parametrize(
    ("name", "text", "position"),
    [
        ("unknown-step.yaml", FIRST + "  - id: a\n    uses: test.nope\n", "6:11"),
        (
            "bad-param.yaml",
            FIRST + "  - id: a\n    uses: test.mutate\n    mutating: true\n"
            "    with: {target: t, force: true}\n",
            "8:23",
        ),
        (
            "bad-ref.yaml",
            FIRST + "  - id: a\n    uses: test.mutate\n    mutating: true\n"
            "    with: {target: '${{ steps.b.outputs.x }}'}\n",
            "8:20",
        ),
        ("broken.yaml", FIRST + "  - id: a\n  uses: test.mutate\n", "6:3"),
    ],
)
def test_cli_run_of_an_invalid_runbook_exits_2_and_runs_nothing(
    run_cli: Callable[..., CliResult],
    write_runbook: Callable[[str, str], Path],
    registry: StepRegistry,
    recorder: Recorder,
    name: str,
    text: str,
    position: str,
) -> None:
    path = write_runbook(name, text)
    result = run_cli(["runbook", "run", str(path)])
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("glmctl: error:")]
    assert len(errors) == 1
    assert errors[0].startswith(f"glmctl: error: {path}:{position}: "), result.stderr
    assert recorder.ran == []
    assert recorder.mutations == []
    assert result.stdout == ""


def test_missing_parameter_is_reported_even_beside_a_template(registry: StepRegistry) -> None:
    text = (
        "name: x\n"
        "steps:\n"
        "  - id: a\n"
        "    uses: test.rendezvous\n"
        "    with:\n"
        "      me: ${{ steps.b.summary }}\n"
        "  - id: b\n"
        "    uses: test.result\n"
    )
    error = error_for(text, registry)
    assert str(error).startswith("book.yaml:6:7: ")
    assert "needs parameter `other`" in str(error)


def test_loaded_values_are_plain_python(registry: StepRegistry) -> None:
    text = (
        "name: x\nsteps:\n  - id: a\n    uses: test.result\n    with:\n"
        "      summary: >-\n        folded\n        text\n      takes: 1.5\n"
        "      details: [a, b]\n"
    )
    step = parse_runbook(text, "book.yaml", registry=registry).steps[0]
    assert type(step.with_["summary"]) is str
    assert type(step.with_["takes"]) is float
    assert type(step.with_["details"]) is list
    assert step.with_["summary"] == "folded text"


THREE_TYPOS = (
    "name: x\n"  # 1
    "parameters:\n"  # 2
    "  - name: count\n"  # 3
    "    default: '1'\n"  # 4
    "steps:\n"  # 5
    "  - id: first\n"  # 6
    "    uses: test.reslt\n"  # 7: unknown step
    "  - id: second\n"  # 8
    "    name: Second\n"  # 9: unknown key
    "    uses: test.result\n"  # 10
    "    with:\n"  # 11
    "      summary: ${{ params.cuont }}\n"  # 12: undeclared parameter
    "      takes: soon\n"  # 13: wrong parameter type
    "  - id: third\n"  # 14
    "    uses: test.result\n"  # 15
    "    retry: 2\n"  # 16: unknown key
    "    when: steps.frist.status == 'pass'\n"  # 17: unknown step id
)


def test_every_independent_problem_is_reported_in_file_order(registry: StepRegistry) -> None:
    error = error_for(THREE_TYPOS, registry)
    lines = str(error).splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == [
        "book.yaml:7:11:",
        "book.yaml:9:5:",
        "book.yaml:12:16:",
        "book.yaml:13:14:",
        "book.yaml:16:5:",
        "book.yaml:17:11:",
    ]
    assert "unknown step `test.reslt` (did you mean `test.result`" in lines[0]
    assert "unknown key `name` (did you mean `title`?)" in lines[1]
    assert "no parameter `cuont` is declared (did you mean `count`?)" in lines[2]
    assert "parameter `takes` of `test.result`" in lines[3]
    assert "unknown key `retry` (did you mean `retries`" in lines[4]
    assert "no step has id `frist` (did you mean `first`?)" in lines[5]
    assert (error.line, error.column) == (7, 11) and len(error.problems) == 6
    assert error.exit_code == ExitCode.USAGE


def test_unknown_key_hint_lists_the_valid_keys(registry: StepRegistry) -> None:
    error = error_for("name: x\nsteps:\n  - id: a\n    uses: test.result\n    name: A\n", registry)
    assert error.hint is not None
    assert "A step's keys are: continue_on_failure, id," in error.hint
    assert "title, uses, when, with." in error.hint


def test_broken_yaml_stops_there_and_says_how_to_fix_it(registry: StepRegistry) -> None:
    text = "name: x\nsteps:\n  - id: a\n    uses: test.nope\n  - id: [b\n"
    error = error_for(text, registry)
    assert len(error.problems) == 1
    assert "invalid YAML" in str(error)
    assert error.hint == "Fix the YAML syntax at that line (indentation, a missing colon, quotes)."


@pytest.mark.parametrize("namespace", ["ns", "${{ params.ns }}"])
def test_a_whole_parameter_model_error_has_no_empty_parameter_name(
    registry: StepRegistry, namespace: str
) -> None:
    text = (
        "name: x\nparameters:\n  - name: ns\n    default: a\nsteps:\n  - id: a\n"
        f"    uses: pods.ready\n    with:\n      namespace: {namespace}\n"
    )
    error = error_for(text, registry)
    assert str(error).startswith("book.yaml:9:7: ")
    assert "step `a`: parameters of `pods.ready`: give either `selector`" in str(error)
    assert "parameter ``" not in str(error)


def test_a_step_naming_itself_is_not_also_a_cycle(registry: StepRegistry) -> None:
    text = "name: x\nsteps:\n  - id: a\n    uses: test.result\n    needs: [a]\n"
    error = error_for(text, registry)
    assert [p.message for p in error.problems] == ["step `a` cannot need itself"]


def test_cli_validate_and_run_show_every_problem(
    run_cli: Callable[..., CliResult],
    write_runbook: Callable[[str, str], Path],
    registry: StepRegistry,
    recorder: Recorder,
) -> None:
    path = write_runbook("typos.yaml", THREE_TYPOS)
    for command in ("validate", "run"):
        result = run_cli(["runbook", command, str(path)])
        assert result.exit_code == 2
        errors = [line for line in result.stderr.splitlines() if line.startswith("glmctl: error:")]
        assert len(errors) == 6, result.stderr
        assert all(line.startswith(f"glmctl: error: {path}:") for line in errors)
        assert "  hint: `glmctl runbook steps` lists every step glmctl knows." in result.stderr
    assert recorder.ran == []
