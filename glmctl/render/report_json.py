"""``-o json``: the run as a stable, versioned document for scripts and CI.

The shape is fixed by ``report.schema.json`` (shipped in the package, JSON Schema 2020-12)
and versioned by ``schema_version``: fields may be added within a version, never renamed
or removed. Step ``outputs`` are deliberately absent: they exist for later steps, not for
reports, and a report must never carry a Secret value.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from glmctl import __version__
from glmctl.runbook.result import RunbookResult, StepRecord

SCHEMA_VERSION = 1
SCHEMA_RESOURCE = "report.schema.json"


def report(result: RunbookResult) -> dict[str, Any]:
    """The report as plain data (what :func:`render_json` serialises)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "glmctl", "version": __version__},
        "runbook": {
            "name": result.runbook,
            "description": result.description,
            "source": result.source,
        },
        "dry_run": result.dry_run,
        "status": result.status.value,
        "exit_code": result.exit_code,
        "stopped_because": result.stopped_because,
        "started_at": result.started_at.isoformat(),
        "finished_at": result.finished_at.isoformat(),
        "duration_seconds": round(result.duration, 3),
        "counts": {status.value: count for status, count in result.counts().items()},
        "steps": [_step(record) for record in result.steps],
    }


def render_json(result: RunbookResult) -> str:
    """The report as indented JSON text, ending with a newline."""
    return json.dumps(report(result), indent=2, ensure_ascii=False) + "\n"


def schema() -> dict[str, Any]:
    """The JSON Schema the report follows (the file shipped beside this module)."""
    text = resources.files("glmctl.render").joinpath(SCHEMA_RESOURCE).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _step(record: StepRecord) -> dict[str, Any]:
    result = record.result
    return {
        "id": record.id,
        "uses": record.uses,
        "title": record.title,
        "mutating": record.mutating,
        "status": result.status.value,
        "summary": result.summary,
        "details": list(result.details),
        "hint": result.hint,
        "command": result.command,
        "duration_seconds": round(result.duration, 3),
        "attempts": result.attempts,
        "timed_out": result.timed_out,
    }
