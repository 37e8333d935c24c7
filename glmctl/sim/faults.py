"""Faults injected into the simulated API: throttling, server errors, latency, dropped
connections, expired credentials, refusals (403) and expired versions (410 Gone), each
for requests whose path matches a pattern.

Set in-process (``handle.faults.add(Fault(...))``) or over HTTP
(``POST /_sim/faults`` with a JSON object or list, ``DELETE /_sim/faults``).
"""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field, replace
from typing import Any

KINDS = ("429", "500", "latency", "drop", "401", "403", "410")


@dataclass(frozen=True)
class Fault:
    """One fault rule.

    ``path`` is a regular expression searched in the request path (query excluded);
    ``method`` limits it to one HTTP method; ``count`` is how many matching requests it
    applies to (None: all). ``seconds`` is the added latency for ``latency``, and for
    ``drop`` on a watch how long the stream runs before the socket is closed (0: at once).
    """

    kind: str
    path: str = ".*"
    method: str | None = None
    count: int | None = None
    retry_after: int = 1
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; choose one of {', '.join(KINDS)}")
        re.compile(self.path)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fault:
        allowed = {"kind", "path", "method", "count", "retry_after", "seconds"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(
            kind=str(data["kind"]),
            path=str(data.get("path", ".*")),
            method=str(data["method"]).upper() if data.get("method") else None,
            count=int(data["count"]) if data.get("count") is not None else None,
            retry_after=int(data.get("retry_after", 1)),
            seconds=float(data.get("seconds", 0.0)),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def applies_to(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method.upper():
            return False
        return re.search(self.path, path) is not None


@dataclass
class Faults:
    """The active fault rules; thread-safe, counts consumed as requests match."""

    _rules: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._rules.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return list(self._rules)

    def take(self, method: str, path: str) -> list[Fault]:
        """The rules that apply to this request, each one's count consumed."""
        matched: list[Fault] = []
        with self._lock:
            kept: list[Fault] = []
            for rule in self._rules:
                if rule.applies_to(method, path):
                    matched.append(rule)
                    if rule.count is not None:
                        if rule.count <= 1:
                            continue
                        rule = replace(rule, count=rule.count - 1)
                kept.append(rule)
            self._rules = kept
        return matched
