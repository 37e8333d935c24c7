"""From glmctl's own results to the documents of :mod:`glmctl.contract.models`.

One function per kind built from a domain object; the commands call these and hand the
document to :func:`glmctl.render.output.write_document`. Domain objects keep no
``to_data`` of their own: this is the one place their machine form is decided.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from glmctl.contract import models as m

if TYPE_CHECKING:
    from glmctl import status as topology
    from glmctl.config import LoadedProfile
    from glmctl.journal import EntrySummary
    from glmctl.journal import JournalEntry as StoredEntry
    from glmctl.lint.engine import LintReport as Linted
    from glmctl.lint.model import Finding
    from glmctl.lint.registry import Rule
    from glmctl.monitor import MonitorOutcome
    from glmctl.recovery.execute import Execution
    from glmctl.runbook.model import Runbook as RunbookModel
    from glmctl.runbook.result import RunbookResult
    from glmctl.steps.registry import StepSpec
    from glmctl.troubleshoot import Topic


def runbook_report(result: RunbookResult) -> m.RunbookReport:
    counts = {status.value: count for status, count in result.counts().items()}
    return m.RunbookReport(
        runbook=m.RunbookRef(
            name=result.runbook, description=result.description, source=result.source
        ),
        dry_run=result.dry_run,
        status=result.status.value,
        exit_code=result.exit_code,  # type: ignore[arg-type]
        stopped_because=result.stopped_because,
        started_at=result.started_at,
        finished_at=result.finished_at,
        duration_seconds=round(result.duration, 3),
        counts=m.StepCounts.model_validate(counts),
        steps=[
            m.StepReport(
                id=record.id,
                uses=record.uses,
                title=record.title,
                mutating=record.mutating,
                status=record.result.status.value,
                summary=record.result.summary,
                details=list(record.result.details),
                hint=record.result.hint,
                command=record.result.command,
                duration_seconds=round(record.result.duration, 3),
                attempts=record.result.attempts,
                timed_out=record.result.timed_out,
            )
            for record in result.steps
        ],
    )


def status_report(report: topology.StatusReport, now: datetime) -> m.StatusReport:
    return m.StatusReport(
        context=report.context,
        observed_at=now,
        ready=report.all_ready,
        not_ready=[node.ref for node in report.not_ready],
        next_steps=[
            m.NextStep(command=step.command, why=step.why, object=step.ref)
            for step in report.next_steps
        ],
        tree=_flux_node(report.root, now),
    )


def _flux_node(node: topology.FluxNode, now: datetime) -> m.FluxNode:
    return m.FluxNode(
        kind=node.kind,
        namespace=node.namespace,
        name=node.name,
        relation=node.relation,
        found=node.found,
        ready=node.ready,
        status=node.status,  # type: ignore[arg-type]
        suspended=node.suspended,
        reason=node.reason,
        message=node.message,
        created=m.parse_time(node.created),
        age=node.age(now),
        last_transition_time=m.parse_time(node.last_transition),
        repeated=node.repeated,
        suspend_note=node.suspend_note or None,
        children=[_flux_node(child, now) for child in node.children],
    )


def monitor_result(outcome: MonitorOutcome) -> m.MonitorResult:
    return m.MonitorResult.model_validate(_monitor_fields(outcome))


def monitor_report(outcome: MonitorOutcome) -> m.MonitorReport:
    return m.MonitorReport.model_validate(_monitor_fields(outcome))


def _monitor_fields(outcome: MonitorOutcome) -> dict[str, Any]:
    return {
        "verdict": str(outcome.verdict),
        "exit_code": outcome.exit_code,
        "summary": outcome.summary,
        "elapsed_seconds": round(outcome.elapsed, 1),
        "timeout_seconds": None if math.isinf(outcome.timeout) else outcome.timeout,
        "objects": [
            m.FollowedObject(
                kind=row.kind,
                namespace=row.namespace,
                name=row.name,
                role=str(row.role),
                found=row.found,
                ready=row.ready,
                state=row.state,
                reason=row.reason,
                message=row.message,
                suspended=row.suspended,
                failed=row.failed,
            )
            for row in outcome.objects
        ],
        "events": [
            m.SeenEvent(
                object=event.ref,
                type=event.type,
                reason=event.reason,
                message=event.message,
                count=event.count,
                last_seen=m.parse_time(event.last_seen),
            )
            for event in outcome.events
        ],
    }


def change_report(
    execution: Execution,
    *,
    committed: str | None = None,
    wait: MonitorOutcome | None = None,
) -> m.ChangeReport:
    plan = execution.plan
    return m.ChangeReport(
        plan=m.ChangePlan(
            command=plan.command,
            items=[
                m.PlanItem(
                    id=item.id,
                    action=item.action,
                    target=item.target,
                    detail=item.detail,
                    state=item.state,
                )
                for item in plan.items
            ],
            notes=list(plan.notes),
            diff=plan.diff,
        ),
        dry_run=execution.dry_run,
        declined=execution.declined,
        journal_entry=execution.entry_id,
        outcomes=[
            m.ItemOutcome(id=outcome.item.id, result=outcome.result, message=outcome.message)
            for outcome in execution.outcomes
        ],
        committed=committed,
        wait=monitor_result(wait) if wait is not None else None,
    )


def lint_finding(finding: Finding) -> m.LintFinding:
    return m.LintFinding(
        rule=finding.rule,
        severity=finding.severity.value,
        file=finding.file,
        line=finding.line,
        column=finding.column,
        object=None
        if finding.object is None
        else m.ObjectRef(
            kind=finding.object.kind,
            namespace=finding.object.namespace,
            name=finding.object.name,
        ),
        message=finding.message,
        fix=finding.fix,
    )


def lint_report(report: Linted) -> m.LintReport:
    from glmctl.lint.model import Severity

    return m.LintReport(
        findings=[lint_finding(finding) for finding in report.findings],
        summary=m.LintSummary(
            errors=report.count(Severity.ERROR),
            warnings=report.count(Severity.WARNING),
            infos=report.count(Severity.INFO),
            suppressed=report.suppressed,
            objects=report.objects,
            files_read=report.files_read,
            failed=report.failed,
        ),
    )


def lint_rules(rules: Iterable[Rule]) -> m.LintRuleList:
    return m.LintRuleList(
        items=[
            m.LintRule(id=rule.id, severity=rule.severity.value, summary=rule.summary)
            for rule in rules
        ]
    )


def runbook(loaded: RunbookModel, spec_of: Any) -> m.Runbook:
    """``runbook show``; ``spec_of(uses)`` is the step registry's lookup (None: unknown)."""
    steps = []
    for step in loaded.steps:
        spec = spec_of(step.uses)
        steps.append(
            m.RunbookStep.model_validate(
                {
                    "id": step.id,
                    "title": step.label,
                    "uses": step.uses,
                    "mutating": bool(spec is not None and spec.mutating),
                    "with": dict(step.with_),
                    "when": step.conditions(),
                    "needs": list(step.needs),
                    "retries": step.retries,
                    "timeout_seconds": step.timeout,
                    "continue_on_failure": step.continue_on_failure,
                }
            )
        )
    return m.Runbook(
        name=loaded.name,
        description=loaded.description,
        source=loaded.source,
        parameters=[
            m.RunbookParameter(
                name=parameter.name,
                type=parameter.type.value,
                required=parameter.required,
                default=parameter.default,
                description=parameter.description,
            )
            for parameter in loaded.parameters
        ],
        steps=steps,
    )


def step_list(specs: Sequence[StepSpec]) -> m.StepList:
    return m.StepList(
        items=[
            m.StepInfo(
                name=spec.name,
                description=spec.description,
                mutating=spec.mutating,
                parameters=parameter_names(spec),
            )
            for spec in specs
        ]
    )


def parameter_names(spec: StepSpec) -> list[str]:
    """A step's parameter names as a runbook writes them; optional ones end in ``?``."""
    return [
        (field.alias or name) + ("" if field.is_required() else "?")
        for name, field in spec.params_model.model_fields.items()
    ]


def journal_list(summaries: Sequence[EntrySummary]) -> m.JournalEntryList:
    return m.JournalEntryList(
        items=[
            m.JournalSummary(
                id=summary.id,
                status=summary.status,
                outcome=summary.outcome,
                command=list(summary.command),
                context=summary.context,
                started_at=m.parse_time(summary.started_at),
                finished_at=m.parse_time(summary.finished_at),
                planned=summary.planned,
                done=summary.done,
            )
            for summary in summaries
        ]
    )


def journal_entry(entry: StoredEntry) -> m.JournalEntry:
    stored = entry.to_json_data()
    progress = stored.get("progress") or {}
    return m.JournalEntry(
        id=entry.id,
        status=entry.status,
        outcome=entry.outcome,
        command=list(entry.command),
        command_name=entry.command_name,
        context=entry.context,
        user=str(stored.get("user", "")),
        started_at=m.parse_time(entry.started_at),
        finished_at=m.parse_time(entry.finished_at),
        plan=[
            m.JournalChange(
                id=change.id,
                action=change.action,
                kind=change.kind,
                name=change.name,
                namespace=change.namespace,
                api_version=change.api_version,
                detail=change.detail,
                done=bool((progress.get(change.id) or {}).get("done")),
                outcome=(progress.get(change.id) or {}).get("outcome"),
                done_at=m.parse_time((progress.get(change.id) or {}).get("done_at")),
            )
            for change in entry.plan
        ],
        before=[
            m.JournalRecord(
                action=record.action,
                change_id=record.change_id,
                recorded_at=m.parse_time(record.recorded_at),
                redacted=record.redacted,
                object=record.object,
            )
            for record in entry.before
        ],
    )


def config(loaded: LoadedProfile) -> m.Config:
    return m.Config(
        path=str(loaded.path) if loaded.path is not None else None,
        profile=loaded.profile.model_dump(mode="json"),
        fields=[
            m.ConfigField(field=value.path, value=value.value, source=value.source)
            for value in loaded.values()
        ],
    )


def topic_list(topics: Iterable[Topic]) -> m.TopicList:
    return m.TopicList(
        items=[
            m.Topic(
                name=topic.name,
                title=topic.title,
                description=topic.description,
                runbook=topic.runbook,
                guide_section=topic.guide_section,
                aliases=list(topic.aliases),
            )
            for topic in topics
        ]
    )


def version(number: str) -> m.Version:
    return m.Version(version=number, python_version=sys.version.split()[0])
