"""Wording shared by the checks: "did you mean", log lines that look like errors, pod states.

Pure functions on strings and object dicts, so the way a failure reads is tested without
a cluster.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from glmctl.suggest import closest
from glmctl.suggest import did_you_mean as suggest_names

Obj = dict[str, Any]

MAX_DETAIL_CHARS = 300
"""A log line longer than this is cut: details are for reading, not for archiving."""

DEFAULT_ERROR_PATTERNS: tuple[str, ...] = (
    r"\(E\)",  # 1Password Connect: {"log_message":"(E) ..."}
    r'"level"\s*:\s*1\b',  # 1Password Connect's numeric level 1 = error
    r"\blevel=(error|fatal|panic)\b",  # logrus / klog key=value
    r'"level"\s*:\s*"(error|fatal|panic|critical)"',  # JSON loggers
    r"\b(ERROR|FATAL|PANIC|CRITICAL)\b",  # plain text
)


def closest_names(name: str, existing: Iterable[str], n: int = 3) -> list[str]:
    """Existing names that look like ``name``, best first (``glmctl.suggest.closest``)."""
    return closest(name, existing, n)


def did_you_mean(name: str, existing: Iterable[str]) -> str:
    """``", did you mean a or b?"`` or ``""`` when nothing is close."""
    suggestion = suggest_names(name, existing)
    return f", {suggestion}" if suggestion else ""


def plural(count: int, word: str, words: str | None = None) -> str:
    """``1 pod`` / ``2 pods``."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def clip(line: str, limit: int = MAX_DETAIL_CHARS) -> str:
    """One log line, trimmed and cut to ``limit`` characters."""
    line = line.strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


def error_lines(text: str, patterns: Sequence[str]) -> list[str]:
    """The lines of ``text`` that match any of ``patterns`` (regular expressions)."""
    compiled = [re.compile(p) for p in patterns]
    return [line for line in text.splitlines() if any(c.search(line) for c in compiled)]


def last_lines(text: str, count: int) -> list[str]:
    """The last ``count`` non-empty lines of ``text``."""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-count:] if count > 0 else []


def pod_is_ready(pod: Obj) -> bool:
    """The pod's Ready condition is True (what ``kubectl get pods`` counts as READY)."""
    for condition in (pod.get("status") or {}).get("conditions") or []:
        if isinstance(condition, dict) and condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return False


def pod_phase(pod: Obj) -> str:
    """``status.phase`` (Pending, Running, Succeeded, Failed, Unknown)."""
    return str((pod.get("status") or {}).get("phase") or "Unknown")


def pod_problem(pod: Obj) -> str:
    """Why a pod is not well, in ``kubectl get pods`` words: Evicted, CrashLoopBackOff ..."""
    status = pod.get("status") or {}
    parts: list[str] = []
    if status.get("reason"):
        parts.append(str(status["reason"]))
    for container in status.get("containerStatuses") or []:
        state = container.get("state") or {}
        name = container.get("name", "?")
        restarts = int(container.get("restartCount") or 0)
        waiting, terminated = state.get("waiting"), state.get("terminated")
        if waiting and waiting.get("reason"):
            again = f", {plural(restarts, 'restart')}" if restarts else ""
            parts.append(f"container {name} {waiting['reason']}{again}")
        elif terminated and (terminated.get("exitCode") or 0) != 0:
            reason = terminated.get("reason") or "Error"
            parts.append(f"container {name} {reason} (exit code {terminated.get('exitCode')})")
        elif not container.get("ready") and pod_phase(pod) == "Running":
            parts.append(f"container {name} not ready")
    if not parts and status.get("message"):
        parts.append(str(status["message"]))
    return "; ".join(parts) or pod_phase(pod)


def pod_message(pod: Obj) -> str:
    """``status.message`` (the eviction explanation, for example), clipped."""
    return clip(str((pod.get("status") or {}).get("message") or ""))


def container_names(pod: Obj) -> list[str]:
    """The pod's (non-init) container names, in spec order."""
    return [
        str(c.get("name"))
        for c in (pod.get("spec") or {}).get("containers") or []
        if isinstance(c, dict) and c.get("name")
    ]
