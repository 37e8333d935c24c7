"""The command's surface without a cluster: listing, choosing, refusing, the catalogue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from glmctl.config import Profile
from glmctl.errors import UsageError
from glmctl.runbook.loader import load_runbook
from glmctl.runbook.locate import find_runbook
from glmctl.troubleshoot import TOPICS, find_topic, topic_names
from tests.conftest import CliResult

RunCli = Callable[..., CliResult]


def test_list_names_every_topic_with_its_title(run_cli: RunCli) -> None:
    result = run_cli(["troubleshoot", "--list"])
    assert result.exit_code == 0
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["TOPIC", "TITLE", "DESCRIPTION"]
    assert [row.split()[0] for row in rows] == topic_names()
    assert "HelmRelease fails to deploy" in rows[0]


def test_list_as_json(run_cli: RunCli) -> None:
    result = run_cli(["troubleshoot", "--list", "-o", "json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)["items"]
    assert [row["name"] for row in rows] == topic_names()
    assert {row["runbook"] for row in rows} == {f"troubleshoot-{n}" for n in topic_names()}


def test_an_unknown_topic_is_a_usage_error_with_the_closest_name(run_cli: RunCli) -> None:
    result = run_cli(["troubleshoot", "helmrelase"])
    assert result.exit_code == 2
    assert "unknown troubleshooting topic `helmrelase` (did you mean helmrelease?)" in (
        result.stderr
    )


@pytest.mark.parametrize(
    ("typed", "topic"),
    [("hr", "helmrelease"), ("ES", "external-secrets"), ("1password", "onepassword")],
)
def test_aliases_find_their_topic(typed: str, topic: str) -> None:
    assert find_topic(typed).name == topic


def test_an_alias_misspelt_is_answered_with_the_topic_name() -> None:
    with pytest.raises(UsageError, match=r"did you mean onepassword\?"):
        find_topic("onepasword-connect")


def test_the_guide_s_three_common_issues_come_first() -> None:
    assert [t.title for t in TOPICS[:3]] == [
        "HelmRelease fails to deploy",
        "External Secrets not syncing",
        "Service discovery issues",
    ]


@pytest.mark.parametrize("topic", topic_names())
def test_every_topic_runbook_is_shipped_valid_and_ends_in_a_diagnosis(topic: str) -> None:
    runbook = load_runbook(find_runbook(find_topic(topic).runbook), profile=Profile())
    assert runbook.name == f"troubleshoot-{topic}"
    assert runbook.steps[-1].uses == "diagnose.conclude"
    facts = set(runbook.steps[-1].with_["facts"])
    assert facts == {step.id for step in runbook.steps[:-1]}, "every fact is weighed"


def test_tab_completes_topic_names() -> None:
    glmctl = Path(sys.executable).parent / "glmctl"
    env = {**os.environ, "_GLMCTL_COMPLETE": "bash"}
    done = subprocess.run(
        [str(glmctl), "troubleshoot", "s"], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["service-discovery"]
