"""Renderers: the plain checklist summary, Markdown, JSON (against its schema) and JUnit."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest
from syrupy.assertion import SnapshotAssertion

from glmctl.context import OutputFormat, Terminal
from glmctl.contract.build import runbook_report
from glmctl.contract.schema import schema as generated_schema
from glmctl.render.checklist import LiveChecklist, PlainProgress, render_summary
from glmctl.render.junit import render_junit
from glmctl.render.markdown import render_markdown
from glmctl.render.output import document_text
from glmctl.runbook.result import RunbookResult, RunEvent


def schema() -> dict[str, Any]:
    return generated_schema("RunbookReport")


def report(result: RunbookResult) -> dict[str, Any]:
    return runbook_report(result).data()


def render_json(result: RunbookResult) -> str:
    return document_text(runbook_report(result), OutputFormat.JSON)


Run = Callable[..., RunbookResult]

SECRET = "s3cr3t-value-never-shown"

MIXED = """
name: preflight-demo
description: Checks before deploying the lifecycle chart.
steps:
  - id: crds
    title: Flux and External Secrets CRDs installed
    uses: test.result
    with: {summary: all 6 CRDs present, takes: 0.4}
  - id: prerequisites
    title: Prerequisite Kustomizations Ready
    uses: test.result
    with:
      status: fail
      summary: "2 of 4 not Ready | stale"
      details:
        - "infrastructure-authentik: Ready=False (DependencyNotReady)"
        - "infrastructure-onepassword-connect: not found (did you mean onepassword?)"
      hint: Fix the failing Kustomizations first; flux logs shows why.
      command: flux get kustomizations -A
      outputs: {token: "s3cr3t-value-never-shown"}
      takes: 1.25
  - id: logs
    title: 1Password Connect logs clean
    uses: test.result
    with:
      status: warn
      summary: 1 warning line in the last 100
      details: ["level=warn msg=<slow sync>"]
      takes: 0.1
  - id: jobs
    title: Replaced jobs not running
    uses: test.result
    needs: [prerequisites]
  - id: broken
    title: Failed pods in authentik
    uses: test.raise
    with: {kind: glmctl}
"""


@pytest.fixture
def mixed(run_text: Run) -> RunbookResult:
    return run_text(
        MIXED,
        max_workers=1,
        now=lambda: datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    )


def plain_summary(result: RunbookResult) -> str:
    out = io.StringIO()
    render_summary(result, Terminal(stdout=out, no_color=True).console())
    return out.getvalue()


def test_plain_summary_snapshot(mixed: RunbookResult, snapshot: SnapshotAssertion) -> None:
    text = plain_summary(mixed)
    assert "\x1b[" not in text
    assert text == snapshot


def test_markdown_snapshot(mixed: RunbookResult, snapshot: SnapshotAssertion) -> None:
    assert render_markdown(mixed) == snapshot


def test_markdown_table_survives_pipes(mixed: RunbookResult) -> None:
    rows = [line for line in render_markdown(mixed).splitlines() if line.startswith("| ")]
    assert len(rows) == 2 + len(mixed.steps)
    assert all(line.replace("\\|", "").count("|") == 5 for line in rows)


def test_json_validates_against_the_generated_schema(mixed: RunbookResult) -> None:
    document = json.loads(render_json(mixed))
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.Draft202012Validator(schema()).validate(document)
    assert (document["apiVersion"], document["kind"]) == ("glmctl.io/v1", "RunbookReport")
    assert document["status"] == "failed"
    assert document["exitCode"] == 1
    assert [s["id"] for s in document["steps"]] == [
        "crds",
        "prerequisites",
        "logs",
        "jobs",
        "broken",
    ]
    assert document["counts"] == {"pass": 1, "fail": 1, "warn": 1, "skip": 1, "error": 1}


def test_json_schema_rejects_a_report_missing_a_field(mixed: RunbookResult) -> None:
    document = report(mixed)
    del document["steps"][0]["status"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema())


def test_junit_has_one_testcase_per_step(mixed: RunbookResult) -> None:
    root = ET.fromstring(render_junit(mixed))
    suite = root.find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(mixed.steps)
    assert suite.get("tests") == "5"
    assert suite.get("failures") == "1"
    assert suite.get("errors") == "1"
    assert suite.get("skipped") == "1"
    by_name = {case.get("name"): case for case in cases}
    failure = by_name["prerequisites: Prerequisite Kustomizations Ready"].find("failure")
    assert failure is not None
    assert failure.get("message") == "2 of 4 not Ready | stale"
    assert "command: flux get kustomizations -A" in (failure.text or "")
    assert by_name["broken: Failed pods in authentik"].find("error") is not None
    assert by_name["jobs: Replaced jobs not running"].find("skipped") is not None


def test_no_renderer_shows_step_outputs(mixed: RunbookResult) -> None:
    assert mixed.steps[1].result.outputs == {"token": SECRET}
    for text in (
        plain_summary(mixed),
        render_markdown(mixed),
        render_json(mixed),
        render_junit(mixed),
    ):
        assert SECRET not in text


def test_plain_progress_prints_one_line_per_finished_step(run_text: Run) -> None:
    out = io.StringIO()
    progress = PlainProgress(Terminal(stdout=out, no_color=True).console())
    run_text(MIXED, max_workers=1, events=None, on_event=progress)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Runbook preflight-demo: 5 steps"
    assert lines[1] == "PASS  Flux and External Secrets CRDs installed: all 6 CRDs present (0.4s)"
    assert len(lines) == 6
    assert "\x1b[" not in out.getvalue()


def test_plain_progress_prints_in_runbook_order_whatever_finishes_first(run_text: Run) -> None:
    events: list[RunEvent] = []
    result = run_text(MIXED, max_workers=1, events=events)
    finished = [e for e in events if type(e).__name__ == "StepFinished"]
    others = [e for e in events if type(e).__name__ != "StepFinished"]
    out = io.StringIO()
    with PlainProgress(Terminal(stdout=out, no_color=True).console()) as progress:
        for event in others[:1] + list(reversed(finished)):  # the last step finishes first
            progress(event)
    lines = out.getvalue().splitlines()[1:]
    expected = [record.title for record in result.steps]
    assert len(lines) == len(expected), lines
    for line, title in zip(lines, expected, strict=True):
        assert f" {title}: " in line, (line, title)


def test_live_checklist_draws_every_step(run_text: Run, snapshot: SnapshotAssertion) -> None:
    from rich.console import Console

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system="standard")
    events: list[RunEvent] = []
    with LiveChecklist(console) as live:
        result = run_text(MIXED, max_workers=1, events=events, on_event=live)
        rendered = Console(file=io.StringIO(), width=100, no_color=True)
        with rendered.capture() as capture:
            rendered.print(live.render())
    table = capture.get()
    for record in result.steps:
        assert record.title in table
    assert "✓" in table and "✗" in table and "!" in table
    assert table == snapshot
