"""The output contract: every command that prints data writes one document, in JSON and in
YAML, that `glmctl schema` accepts, with apiVersion, kind, camelCase keys and RFC 3339 UTC
timestamps; other -o values are refused in one sentence."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
import pytest
import yaml

from tests.conftest import CliResult
from tests.recovery.conftest import gitops_repo  # noqa: F401 - a fixture used below

if TYPE_CHECKING:
    from glmctl.sim.runner import SimHandle

RunCli = Callable[..., CliResult]
LINT_REPO = Path(__file__).parent / "lint" / "fixtures" / "repo-guide"
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$")
CAMEL = re.compile(r"^[a-z][A-Za-z0-9]*$|^\$schema$")
DATA_KEYS = {"profile", "object", "with", "default", "value"}
"""Values that are data as written elsewhere (glmctl.yaml, Kubernetes, a runbook): their own
keys are not the contract's."""


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    from tests.conftest import _run

    result = _run(["schema"])
    assert result.exit_code == 0, result.stderr
    loaded: dict[str, Any] = json.loads(result.stdout)
    return loaded


@pytest.fixture
def cluster(start_sim: Callable[..., SimHandle]) -> Iterator[SimHandle]:
    from glmctl.sim.scenario import load_scenario, with_time_scale

    yield start_sim(with_time_scale(load_scenario("helmrelease-failed"), 0.02))


def commands(kubeconfig: Path, repo: Path, entry: str) -> dict[str, list[str]]:
    """Every command that prints data, and what it writes (the kind)."""
    kube = ["--kubeconfig", str(kubeconfig), "--timeout", "30"]
    return {
        "StatusReport": ["status", *kube],
        "MonitorReport": ["monitor", "--once", *kube],
        "RunbookReport": ["preflight", *kube],
        "RunbookReport verify": ["verify", *kube],
        "RunbookReport smoke": ["smoke", "config", *kube],
        "RunbookReport troubleshoot": ["troubleshoot", "helmrelease", *kube],
        "RunbookReport run": ["runbook", "run", "verify", *kube],
        "ChangeReport": ["redeploy", "--dry-run", *kube],
        "ChangeReport rollback": ["rollback", "--dry-run", "--repo", str(repo), *kube],
        "LintReport": ["lint", str(LINT_REPO)],
        "LintRuleList": ["lint", "--list-rules"],
        "RunbookList": ["runbook", "list"],
        "Runbook": ["runbook", "show", "preflight"],
        "RunbookValidation": ["runbook", "validate"],
        "StepList": ["runbook", "steps"],
        "JournalEntryList": ["journal", "list"],
        "JournalEntry": ["journal", "show", entry],
        "Config": ["config", "show"],
        "ConfigPath": ["config", "path"],
        "ScenarioList": ["sim", "scenarios"],
        "TopicList": ["troubleshoot", "--list"],
        "Version": ["version"],
    }


def _keys_are_camel(value: Any, where: str = "") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            assert CAMEL.match(key), f"{where}.{key} is not camelCase"
            if key not in DATA_KEYS:
                _keys_are_camel(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _keys_are_camel(item, f"{where}[{index}]")


def _timestamps(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, dict):
        for name, item in value.items():
            if name in DATA_KEYS:
                continue
            yield from _timestamps(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _timestamps(item, key)
    elif (isinstance(value, str) and (key.endswith("At") or key in ("created", "lastSeen"))) or (
        key.endswith("Time") and isinstance(value, str)
    ):
        yield value


def test_every_command_writes_one_valid_document_in_json_and_yaml(
    run_cli: RunCli,
    cluster: SimHandle,
    gitops_repo: Path,  # noqa: F811
    schema: dict[str, Any],
) -> None:
    made = run_cli(["redeploy", "--yes", "--no-wait", "--kubeconfig", str(cluster.kubeconfig_path)])
    assert made.exit_code == 0, made.stderr
    listed = json.loads(run_cli(["journal", "list", "-o", "json"]).stdout)
    entry = listed["items"][0]["id"]
    validator = jsonschema.Draft202012Validator(schema)
    checked: set[str] = set()
    for label, args in commands(cluster.kubeconfig_path, gitops_repo, entry).items():
        kind = label.split()[0]
        for output in ("json", "yaml"):
            result = run_cli([*args, "-o", output])
            assert result.exit_code in (0, 1, 4), (label, output, result.stderr)
            document = (
                json.loads(result.stdout) if output == "json" else yaml.safe_load(result.stdout)
            )
            errors = sorted(validator.iter_errors(document), key=str)
            assert not errors, (label, output, [e.message for e in errors[:3]])
            assert document["apiVersion"] == "glmctl.io/v1"
            assert document["kind"] == kind, label
            _keys_are_camel(document)
            for stamp in _timestamps(document):
                assert RFC3339_UTC.match(stamp), (label, stamp)
            checked.add(kind)
    from glmctl.contract.schema import kind_names

    assert checked == set(kind_names())


def test_the_schema_of_one_kind_and_a_misspelt_kind(run_cli: RunCli) -> None:
    one = run_cli(["schema", "statusreport", "-o", "yaml"])
    assert one.exit_code == 0
    assert yaml.safe_load(one.stdout)["properties"]["kind"]["const"] == "StatusReport"
    wrong = run_cli(["schema", "StatusReprot"])
    assert wrong.exit_code == 2
    assert wrong.stderr.startswith(
        "glmctl: error: unknown kind 'StatusReprot', did you mean StatusReport?\n"
    )


@pytest.mark.parametrize(
    ("args", "output", "named"),
    [
        (["version"], "junit", "-o rich, -o json or -o yaml"),
        (["config", "show"], "sarif", "-o rich, -o json or -o yaml"),
        (["sim", "scenarios"], "markdown", "-o rich, -o json or -o yaml"),
        (["runbook", "list"], "github", "-o rich, -o json or -o yaml"),
        (["preflight"], "sarif", "-o rich, -o json, -o yaml, -o junit or -o markdown"),
        (["completion", "bash"], "json", "-o rich"),
        (["demo"], "yaml", "-o rich"),
    ],
)
def test_a_format_a_command_cannot_write_is_refused_in_one_sentence(
    run_cli: RunCli, args: list[str], output: str, named: str
) -> None:
    result = run_cli([*args, "-o", output])
    assert result.exit_code == 2
    command = " ".join(a for a in args if not a.startswith("-") and a != "bash")
    assert result.stderr.startswith(
        f"glmctl: error: glmctl {command} cannot write -o {output}.\n  hint: Use {named}"
    ), result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
