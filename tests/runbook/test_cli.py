"""``glmctl runbook list|show|validate|run|steps`` end to end, in-process."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml

from glmctl.contract.schema import schema
from glmctl.runbook.locate import find_runbook, list_runbooks, shipped_runbooks_dir
from glmctl.steps.registry import StepRegistry
from tests.conftest import CliResult
from tests.runbook.conftest import Recorder

Cli = Callable[..., CliResult]

GOOD = """
name: checks
description: |
  Two checks and a change.
  Second line of the description.
parameters:
  - {name: target, type: string, default: lifecycle, description: What to change}
steps:
  - {id: first, title: First check, uses: test.result, with: {summary: fine}}
  - id: change
    uses: test.mutate
    mutating: true
    with: {target: "${{ params.target }}"}
  - {id: last, uses: test.result, with: {status: warn, summary: look at this}}
"""


ASK_FOR_RUNBOOKS = "runbooks:\n  dir: runbooks\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with ./runbooks (asked for by its glmctl.yaml) and an empty user
    config directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    (tmp_path / "glmctl.yaml").write_text(ASK_FOR_RUNBOOKS, encoding="utf-8")
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "checks.yaml").write_text(GOOD, encoding="utf-8")
    return tmp_path


def test_run_by_name_passes_with_plain_output(
    run_cli: Cli, project: Path, registry: StepRegistry, recorder: Recorder
) -> None:
    result = run_cli(["runbook", "run", "checks", "--param", "target=prod"])
    assert result.exit_code == 0, result.stderr
    assert recorder.mutations == ["prod"]
    assert "PASS  First check: fine" in result.stdout
    assert "WARN  last: look at this" in result.stdout
    assert "Runbook checks passed: 2 passed, 1 warning" in result.stdout
    assert "\x1b[" not in result.stdout


def test_run_dry_run_changes_nothing(
    run_cli: Cli, project: Path, registry: StepRegistry, recorder: Recorder
) -> None:
    result = run_cli(["runbook", "run", "checks", "--dry-run"])
    assert result.exit_code == 0, result.stderr
    assert recorder.mutations == []
    assert "would change lifecycle" in result.stdout
    assert "Would change (not run, --dry-run):" in result.stdout


@pytest.mark.parametrize("output", ["json", "yaml", "junit", "markdown"])
def test_run_machine_formats_print_only_the_document(
    run_cli: Cli, project: Path, registry: StepRegistry, output: str
) -> None:
    result = run_cli(["runbook", "run", "checks", "-o", output])
    assert result.exit_code == 0, result.stderr
    if output == "json":
        jsonschema.validate(json.loads(result.stdout), schema("RunbookReport"))
    elif output == "yaml":
        jsonschema.validate(yaml.safe_load(result.stdout), schema("RunbookReport"))
    elif output == "junit":
        assert len(list(ET.fromstring(result.stdout).iter("testcase"))) == 3
    else:
        assert result.stdout.startswith("## glmctl runbook `checks`: passed")


def test_run_exit_code_1_on_a_failed_check(
    run_cli: Cli, write_runbook: Callable[[str, str], Path], registry: StepRegistry
) -> None:
    path = write_runbook(
        "f.yaml", "name: f\nsteps:\n  - {id: a, uses: test.result, with: {status: fail}}\n"
    )
    result = run_cli(["runbook", "run", str(path)])
    assert result.exit_code == 1
    assert "Runbook f failed" in result.stdout


def test_run_exit_code_4_on_timeout(
    run_cli: Cli, write_runbook: Callable[[str, str], Path], registry: StepRegistry
) -> None:
    path = write_runbook("t.yaml", "name: t\nsteps:\n  - {id: a, uses: test.wait}\n")
    result = run_cli(["runbook", "run", str(path), "--timeout", "0.2"])
    assert result.exit_code == 4
    assert "timed out" in result.stdout
    assert result.stderr.splitlines()[0] == (
        "glmctl: error: runbook t stopped: the run's --timeout of 0.2s ran out."
    )


def test_run_exit_code_3_when_unreachable(
    run_cli: Cli, write_runbook: Callable[[str, str], Path], registry: StepRegistry
) -> None:
    path = write_runbook(
        "u.yaml", "name: u\nsteps:\n  - {id: a, uses: test.raise, with: {kind: unreachable}}\n"
    )
    result = run_cli(["runbook", "run", str(path)])
    assert result.exit_code == 3
    assert result.stderr.startswith(
        "glmctl: error: runbook u stopped: the cluster is unreachable: cannot reach"
    )
    assert "stopped because" not in result.stdout  # said once, on stderr


def test_run_unknown_parameter_is_a_usage_error(
    run_cli: Cli, project: Path, registry: StepRegistry, recorder: Recorder
) -> None:
    result = run_cli(["runbook", "run", "checks", "-p", "targte=x"])
    assert result.exit_code == 2
    assert "did you mean `target`" in result.stderr
    assert recorder.ran == []
    malformed = run_cli(["runbook", "run", "checks", "-p", "target"])
    assert malformed.exit_code == 2
    assert "is not NAME=VALUE" in malformed.stderr


def test_run_unknown_runbook_suggests_a_name(run_cli: Cli, project: Path) -> None:
    result = run_cli(["runbook", "run", "chekcs"])
    assert result.exit_code == 2
    assert "no runbook named chekcs (did you mean checks?)" in result.stderr


def test_run_rejects_lint_only_formats(run_cli: Cli, project: Path, registry: StepRegistry) -> None:
    result = run_cli(["runbook", "run", "checks", "-o", "sarif"])
    assert result.exit_code == 2
    assert "glmctl runbook run cannot write -o sarif." in result.stderr


def test_show_lists_parameters_and_steps(
    run_cli: Cli, project: Path, registry: StepRegistry
) -> None:
    result = run_cli(["runbook", "show", "checks"])
    assert result.exit_code == 0, result.stderr
    assert "target (string, default 'lifecycle'): What to change" in result.stdout
    assert "2. change: change  uses test.mutate  [mutating]" in result.stdout
    as_json = json.loads(run_cli(["runbook", "show", "checks", "-o", "json"]).stdout)
    assert [s["mutating"] for s in as_json["steps"]] == [False, True, False]
    assert as_json["steps"][1]["with"] == {"target": "${{ params.target }}"}


def test_validate_reports_every_bad_file_and_exits_2(
    run_cli: Cli, project: Path, registry: StepRegistry
) -> None:
    bad = project / "bad.yaml"
    bad.write_text("name: bad\nsteps:\n  - id: a\n    uses: test.reslt\n", encoding="utf-8")
    broken = project / "broken.yaml"
    broken.write_text("name: [\n", encoding="utf-8")
    result = run_cli(["runbook", "validate", "checks", str(bad), str(broken)])
    assert result.exit_code == 2
    assert "ok " in result.stdout and "checks.yaml (3 steps)" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("glmctl: error:")]
    assert errors[0].startswith(f"glmctl: error: {bad}:4:11: ")
    assert errors[1].startswith(f"glmctl: error: {broken}:2:1: ")
    assert len(errors) == 2


def test_validate_as_a_document_lists_every_problem_and_still_exits_2(
    run_cli: Cli, project: Path, registry: StepRegistry
) -> None:
    broken = project / "broken.yaml"
    broken.write_text("name: [\n", encoding="utf-8")
    result = run_cli(["runbook", "validate", "checks", str(broken), "-o", "json"])
    assert result.exit_code == 2
    assert result.stderr == ""  # the problems are in the document
    document = json.loads(result.stdout)
    jsonschema.validate(document, schema("RunbookValidation"))
    assert document["valid"] is False
    assert [(item["target"], item["valid"]) for item in document["items"]] == [
        ("checks", True),
        (str(broken), False),
    ]
    assert document["items"][1]["problems"][0]["message"].startswith(f"{broken}:2:1: ")


def test_validate_all_found_runbooks(run_cli: Cli, project: Path, registry: StepRegistry) -> None:
    result = run_cli(["runbook", "validate"])
    assert result.exit_code == 0, result.stderr
    assert "checks.yaml (3 steps)" in result.stdout


def test_list_shows_origin_and_first_description_line(
    run_cli: Cli, project: Path, registry: StepRegistry
) -> None:
    user = project / "config" / "glmctl" / "runbooks"
    user.mkdir(parents=True)
    (user / "checks.yaml").write_text(GOOD, encoding="utf-8")
    (user / "mine.yml").write_text("name: mine\nsteps: [\n", encoding="utf-8")
    rows = json.loads(run_cli(["runbook", "list", "-o", "json"]).stdout)["items"]
    ours = [r for r in rows if r["origin"] != "shipped"]
    assert [(r["name"], r["origin"], r["shadowed"], r["valid"]) for r in ours] == [
        ("checks", "asked", False, True),
        ("checks", "user", True, True),
        ("mine", "user", False, False),
    ]
    assert ours[0]["description"] == "Two checks and a change."
    text = run_cli(["runbook", "list"])
    assert text.exit_code == 0
    assert "user (shadowed)" in text.stdout


def test_steps_lists_registered_steps(run_cli: Cli, registry: StepRegistry) -> None:
    result = run_cli(["runbook", "steps", "-o", "json"])
    rows = {row["name"]: row for row in json.loads(result.stdout)["items"]}
    assert rows["core.assert"]["mutating"] is False
    assert rows["test.mutate"]["mutating"] is True
    assert "that" in rows["core.assert"]["parameters"]


def test_shipped_runbooks_are_found_in_a_source_checkout() -> None:
    shipped = shipped_runbooks_dir()
    assert shipped is not None
    assert (shipped / "README.md").is_file()


def test_a_file_path_is_used_as_is(write_runbook: Callable[[str, str], Path]) -> None:
    path = write_runbook("x.yaml", GOOD)
    assert find_runbook(str(path)) == path
    assert list_runbooks([("project", path.parent)])[0].name == "x"


def test_shipped_runbooks_are_found_in_a_wheel_layout(tmp_path: Path) -> None:
    """A wheel holds ``runbooks/`` as ``glmctl/_runbooks`` (pyproject's force-include)."""
    import shutil
    import subprocess
    import sys

    import glmctl

    source = Path(glmctl.__file__).parent
    shutil.copytree(source, tmp_path / "glmctl", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(source.parent / "runbooks", tmp_path / "glmctl" / "_runbooks")
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "from glmctl.runbook.locate import shipped_runbooks_dir; print(shipped_runbooks_dir())",
        ],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert found.stdout.strip() == str(tmp_path / "glmctl" / "_runbooks")


PROFILE_BOOK = """
name: profiled
steps:
  - id: names
    uses: test.result
    with:
      summary: >-
        ${{ profile.flux.lifecycle_kustomization.name }}
        after ${{ profile.flux.prerequisites[0] }}
"""


def test_profile_from_glmctl_yaml_reaches_steps(
    run_cli: Cli, project: Path, registry: StepRegistry
) -> None:
    (project / "runbooks" / "profiled.yaml").write_text(PROFILE_BOOK, encoding="utf-8")
    defaults = run_cli(["runbook", "run", "profiled"])
    assert defaults.exit_code == 0, defaults.stderr
    assert (
        "infrastructure-gitops-lifecycle-management after infrastructure-sources" in defaults.stdout
    )
    (project / "glmctl.yaml").write_text(
        ASK_FOR_RUNBOOKS
        + "flux:\n  lifecycle_kustomization:\n    name: glm\n    namespace: flux-system\n",
        encoding="utf-8",
    )
    overridden = run_cli(["runbook", "run", "profiled"])
    assert "glm after infrastructure-sources" in overridden.stdout


def test_unknown_profile_field_is_caught_before_running(
    run_cli: Cli, project: Path, registry: StepRegistry, recorder: Recorder
) -> None:
    (project / "runbooks" / "profiled.yaml").write_text(
        PROFILE_BOOK.replace("lifecycle_kustomization", "lifecycle_kustomisation"),
        encoding="utf-8",
    )
    result = run_cli(["runbook", "run", "profiled"])
    assert result.exit_code == 2
    assert "profiled.yaml:7:16:" in result.stderr
    assert "did you mean `lifecycle_kustomization`" in result.stderr
    assert recorder.ran == []


def test_every_shipped_runbook_is_valid_against_the_default_profile() -> None:
    """Guards the runbooks others add to runbooks/: each must load with the real steps."""
    from glmctl.config import Profile
    from glmctl.runbook.loader import load_runbook

    shipped = shipped_runbooks_dir()
    assert shipped is not None
    for file in list_runbooks([("shipped", shipped)]):
        runbook = load_runbook(file.path, profile=Profile())
        assert runbook.name == file.name, f"{file.path}: name should match the file name"


def test_the_recovery_runbooks_are_listed_and_their_steps_shown(run_cli: Cli) -> None:
    listed = run_cli(["runbook", "list"])
    steps = run_cli(["runbook", "steps"])

    assert listed.exit_code == 0 and steps.exit_code == 0, listed.stderr + steps.stderr
    for name in ("rollback", "redeploy", "journal-restore"):
        assert any(line.split()[:2] == [name, "shipped"] for line in listed.stdout.splitlines())
    lines = {line.split()[0]: line.split()[1] for line in steps.stdout.splitlines() if line}
    assert lines["recovery.rollback"] == "yes"  # mutating
    assert lines["recovery.redeploy"] == "yes"
    assert lines["recovery.restore"] == "yes"
    assert lines["recovery.wait_ready"] == "no"
