"""``-o junit``: one testcase per step, so CI systems show a runbook as a test report.

Mapping: ``fail`` is a ``<failure>``, ``error`` an ``<error>``, ``skip`` a ``<skipped>``;
``warn`` passes and its summary goes to ``<system-out>``. The failure text carries the
details, the hint and the equivalent command: what the person reading the CI page needs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from glmctl.runbook.result import RunbookResult, StepRecord
from glmctl.steps.registry import StepStatus


def render_junit(result: RunbookResult) -> str:
    """The run as a JUnit XML document (``<testsuites>`` with one ``<testsuite>``)."""
    counts = result.counts()
    suites = ET.Element(
        "testsuites",
        name="glmctl",
        tests=str(len(result.steps)),
        failures=str(counts[StepStatus.FAIL]),
        errors=str(counts[StepStatus.ERROR]),
        skipped=str(counts[StepStatus.SKIP]),
        time=_seconds(result.duration),
    )
    suite = ET.SubElement(
        suites,
        "testsuite",
        name=result.runbook,
        tests=str(len(result.steps)),
        failures=str(counts[StepStatus.FAIL]),
        errors=str(counts[StepStatus.ERROR]),
        skipped=str(counts[StepStatus.SKIP]),
        time=_seconds(result.duration),
        timestamp=result.started_at.isoformat(),
    )
    for record in result.steps:
        _testcase(suite, result.runbook, record)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _testcase(suite: ET.Element, runbook: str, record: StepRecord) -> None:
    result = record.result
    case = ET.SubElement(
        suite,
        "testcase",
        classname=f"glmctl.{runbook}",
        name=f"{record.id}: {record.title}" if record.title != record.id else record.id,
        time=_seconds(result.duration),
    )
    if result.status is StepStatus.FAIL:
        child = ET.SubElement(case, "failure", message=result.summary, type="CheckFailed")
        child.text = _body(record)
    elif result.status is StepStatus.ERROR:
        child = ET.SubElement(case, "error", message=result.summary, type="StepError")
        child.text = _body(record)
    elif result.status is StepStatus.SKIP:
        ET.SubElement(case, "skipped", message=result.summary)
    elif result.status is StepStatus.WARN:
        ET.SubElement(case, "system-out").text = f"warning: {_body(record)}"


def _body(record: StepRecord) -> str:
    result = record.result
    lines = [result.summary, *result.details]
    if result.hint:
        lines.append(f"hint: {result.hint}")
    if result.command:
        lines.append(f"command: {result.command}")
    return "\n".join(lines)


def _seconds(value: float) -> str:
    return f"{value:.3f}"
