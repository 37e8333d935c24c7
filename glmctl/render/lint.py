"""Lint reports as people and tools read them: rich, json, yaml, junit, markdown, sarif,
github.

Every renderer takes the same :class:`~glmctl.lint.engine.LintReport` and returns text (rich
writes to a console). Findings never carry Secret values — only names and keys — so nothing
here needs redacting.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import groupby
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

from glmctl import __version__
from glmctl.context import OutputFormat
from glmctl.lint.model import Finding, Severity

if TYPE_CHECKING:
    from rich.console import Console

    from glmctl.context import Terminal
    from glmctl.lint.engine import LintReport

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/geoffdavis/glmctl"
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def render(report: LintReport, output: OutputFormat, terminal: Terminal) -> None:
    """Write ``report`` to the terminal's stdout in the chosen format."""
    if output is OutputFormat.RICH:
        render_rich(report, terminal.console())
        return
    if output in (OutputFormat.JSON, OutputFormat.YAML):
        terminal.stdout.write(to_document(report, output))
        return
    writers: dict[OutputFormat, Callable[[LintReport], str]] = {
        OutputFormat.JUNIT: to_junit,
        OutputFormat.MARKDOWN: to_markdown,
        OutputFormat.SARIF: to_sarif,
        OutputFormat.GITHUB: to_github,
    }
    from glmctl.sanitize import escape_text  # JSON and YAML stay exact; people read these

    text = escape_text(writers[output](report))
    terminal.stdout.write(text if text.endswith("\n") or not text else text + "\n")


def summary(report: LintReport) -> str:
    """One line: counts by severity, and how much was read."""
    counts = [
        _plural(report.count(Severity.ERROR), "error"),
        _plural(report.count(Severity.WARNING), "warning"),
        _plural(report.count(Severity.INFO), "note"),
    ]
    files = len({f.file for f in report.findings})
    where = f" in {_plural(files, 'file')}" if report.findings else ""
    return (
        f"{', '.join(counts)}{where} ({_plural(report.objects, 'object')} from "
        f"{_plural(report.files_read, 'file')} read)"
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# -- rich ----------------------------------------------------------------------------------


def render_rich(report: LintReport, console: Console) -> None:
    """Findings grouped by file, each with its source line and fix, then a summary."""
    from rich.text import Text

    for file, group in groupby(report.findings, key=lambda f: f.file):
        console.print(Text(file, style="bold underline"))
        for finding in group:
            for line in _rich_finding(report, finding, console.width):
                console.print(line)
        console.print()
    style = "bold red" if report.failed else "bold green"
    mark = "✗" if report.failed else "✓"
    console.print(Text(f"{mark} {summary(report)}", style=style))


def _rich_finding(report: LintReport, finding: Finding, width: int) -> Iterator[Any]:
    """Head (severity, place, rule, object), message, source line, fix; wrapped lines indent."""
    from rich.text import Text

    head = Text("  ")
    head.append(f"{finding.severity.value:<7}", style=_STYLE[finding.severity])
    head.append(f" {finding.line}:{finding.column}", style="bold")
    head.append(f"  {finding.rule}", style="dim")
    if finding.object is not None:
        head.append(f"  {finding.object}", style="dim")
    yield head
    for text in _indented(finding.message, width):
        yield Text(text)
    source = report.source_lines.get((finding.file, finding.line))
    if source is not None and source.strip():
        line = Text(f"    {finding.line:>5} │ ", style="dim")
        line.append(source.rstrip())
        line.no_wrap = True
        line.overflow = "ellipsis"
        yield line
    if finding.fix:
        for text in _indented(f"fix: {finding.fix}", width):
            yield Text(text, style="green")


def _indented(text: str, width: int, indent: int = 11) -> list[str]:
    """Wrap ``text`` under the finding's head, every line indented the same."""
    import textwrap

    return textwrap.wrap(
        text,
        width=max(width, indent + 20),
        initial_indent=" " * indent,
        subsequent_indent=" " * indent,
        break_on_hyphens=False,
    )


# -- json ----------------------------------------------------------------------------------


def to_document(report: LintReport, output: OutputFormat) -> str:
    """``-o json|yaml``: the ``LintReport`` document of :mod:`glmctl.contract`."""
    from glmctl.contract.build import lint_report
    from glmctl.render.output import document_text

    return document_text(lint_report(report), output)


# -- junit ---------------------------------------------------------------------------------


def to_junit(report: LintReport) -> str:
    """One test case per rule: it fails when the rule found an error."""
    suite = ET.Element(
        "testsuite",
        name="glmctl lint",
        tests=str(len(report.rules)),
        failures=str(len({f.rule for f in report.findings if f.severity is Severity.ERROR})),
        errors="0",
        skipped="0",
    )
    by_rule = {rule: [f for f in report.findings if f.rule == rule] for rule in report.rules}
    for rule_id, findings in by_rule.items():
        case = ET.SubElement(suite, "testcase", classname="glmctl.lint", name=rule_id)
        errors = [f for f in findings if f.severity is Severity.ERROR]
        if errors:
            failure = ET.SubElement(
                case, "failure", message=f"{_plural(len(errors), 'error')}", type=rule_id
            )
            failure.text = "\n".join(_plain(f) for f in errors)
        others = [f for f in findings if f.severity is not Severity.ERROR]
        if others:
            ET.SubElement(case, "system-out").text = "\n".join(_plain(f) for f in others)
    suites = ET.Element("testsuites", name="glmctl")
    suites.append(suite)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suites, encoding="unicode")


def _plain(finding: Finding) -> str:
    fix = f" Fix: {finding.fix}" if finding.fix else ""
    return f"{finding.file}:{finding.line}: {finding.severity.value}: {finding.message}{fix}"


# -- markdown ------------------------------------------------------------------------------


def to_markdown(report: LintReport) -> str:
    lines = ["# glmctl lint", "", summary(report), ""]
    if report.findings:
        lines += [
            "| severity | location | rule | message | fix |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {f.severity.value} | `{f.file}:{f.line}` | `{f.rule}` | {_md(f.message)} | "
            f"{_md(f.fix or '')} |"
            for f in report.findings
        ]
    return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# -- sarif ---------------------------------------------------------------------------------


def sarif_log(report: LintReport) -> dict[str, Any]:
    """The SARIF 2.1.0 log as data: one run, every rule described, one result per finding."""
    rule_ids = list(report.rules)
    rules = [
        {
            "id": rule.id,
            "name": "".join(part.capitalize() for part in rule.id.split("-")),
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.docs},
            "help": {"text": rule.docs},
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        }
        for rule in report.rules.values()
    ]
    results = [_sarif_result(f, rule_ids) for f in report.findings]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "glmctl",
                        "informationUri": INFORMATION_URI,
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def _sarif_result(finding: Finding, rule_ids: list[str]) -> dict[str, Any]:
    text = finding.message + (f" Fix: {finding.fix}" if finding.fix else "")
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "level": _SARIF_LEVEL[finding.severity],
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(finding.file), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": max(finding.line, 1), "startColumn": finding.column},
                }
            }
        ],
    }
    if finding.rule in rule_ids:
        result["ruleIndex"] = rule_ids.index(finding.rule)
    if finding.object is not None:
        result["locations"][0]["logicalLocations"] = [
            {
                "name": finding.object.name,
                "fullyQualifiedName": str(finding.object),
                "kind": "object",
            }
        ]
    return result


def to_sarif(report: LintReport) -> str:
    from glmctl.sanitize import escape_tree

    return json.dumps(escape_tree(sarif_log(report)), indent=2)


def _uri(path: str) -> str:
    """A repository path as a SARIF relative URI reference: percent-encoded (RFC 3986)."""
    from urllib.parse import quote

    return quote(path, safe="/")


# -- github --------------------------------------------------------------------------------


def to_github(report: LintReport) -> str:
    """GitHub Actions workflow commands: each finding becomes an annotation on its line."""
    lines = [
        f"::{_GITHUB_LEVEL[f.severity]} file={_prop(f.file)},line={f.line},col={f.column},"
        f"title={_prop(f.rule)}::{_data(f.message + (f' Fix: {f.fix}' if f.fix else ''))}"
        for f in report.findings
    ]
    lines.append(summary(report))
    return "\n".join(lines)


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
