"""The troubleshooting topics: the deployment guide's common issues, each a diagnostic runbook.

The catalogue is data: the name an operator types (``glmctl troubleshoot helmrelease``),
the guide's own words for the problem, one line for the menu, and the runbook that
diagnoses it (``runbooks/troubleshoot-<name>.yaml``). The three "Common Issues" of the
guide's troubleshooting section come first, then the pre-deployment worries its
validation section checks for. Adding a topic is one entry here and one runbook.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from glmctl.errors import UsageError
from glmctl.suggest import closest

if TYPE_CHECKING:
    from glmctl.config import Profile
    from glmctl.runbook.model import Runbook
    from glmctl.runbook.result import RunbookResult
    from glmctl.steps.registry import ClusterFactory


@dataclass(frozen=True)
class Topic:
    """One problem the guide names, and the runbook that diagnoses it."""

    name: str
    title: str
    description: str
    guide_section: str
    aliases: tuple[str, ...] = ()

    @property
    def runbook(self) -> str:
        """The diagnostic runbook's name (found like any runbook, so it can be overridden)."""
        return f"troubleshoot-{self.name}"


TOPICS: tuple[Topic, ...] = (
    Topic(
        name="helmrelease",
        title="HelmRelease fails to deploy",
        description="its conditions and events, the Helm release, hook jobs, helm-controller logs",
        guide_section="Troubleshooting → Common Issues → 1",
        aliases=("helm", "hr", "helm-release"),
    ),
    Topic(
        name="external-secrets",
        title="External Secrets not syncing",
        description="each ExternalSecret's condition, the secret store, 1Password Connect",
        guide_section="Troubleshooting → Common Issues → 2",
        aliases=("externalsecrets", "es", "secrets"),
    ),
    Topic(
        name="service-discovery",
        title="Service discovery issues",
        description="the controller's pods and logs, can-i list services, its RBAC bindings",
        guide_section="Troubleshooting → Common Issues → 3",
        aliases=("discovery", "rbac"),
    ),
    Topic(
        name="onepassword",
        title="1Password Connect down",
        description="Connect's pods and the error lines in their logs, the store that uses it",
        guide_section="Pre-Deployment Validation → 1",
        aliases=("1password", "onepassword-connect", "connect"),
    ),
    Topic(
        name="old-jobs",
        title="Old jobs still running",
        description="replaced jobs still active: since when, who applies them, their logs",
        guide_section="Pre-Deployment Validation → 2",
        aliases=("jobs", "replaced-jobs"),
    ),
    Topic(
        name="failed-pods",
        title="Failed pods in authentik",
        description="each Failed pod: why, what left it behind, whether it was replaced",
        guide_section="Pre-Deployment Validation → 2",
        aliases=("pods",),
    ),
)


def topic_names() -> list[str]:
    """The topic names, in menu order."""
    return [topic.name for topic in TOPICS]


def find_topic(name: str) -> Topic:
    """The topic called ``name`` (or one of its aliases); a UsageError naming the topics."""
    wanted = name.strip().lower()
    for topic in TOPICS:
        if wanted == topic.name or wanted in topic.aliases:
            return topic
    every = [alias for topic in TOPICS for alias in (topic.name, *topic.aliases)]
    close = closest(wanted, every, n=1)
    suggestion = f" (did you mean {_canonical(close[0])}?)" if close else ""
    raise UsageError(
        f"unknown troubleshooting topic `{name}`{suggestion}",
        hint=f"Topics: {', '.join(topic_names())}. `glmctl troubleshoot --list` describes them.",
    )


def _canonical(name: str) -> str:
    return next(t.name for t in TOPICS if name == t.name or name in t.aliases)


# --------------------------------------------------------------------------- triage

CONCLUSION_STEP = "diagnose.conclude"
SEVERITY_RANK = {"critical": 0, "error": 1, "warning": 2, "unchecked": 3}
"""Worst first: a finding's ``severity`` (the ``diagnose.conclude`` finding's), then a
topic whose checks could not be made."""


@dataclass(frozen=True)
class TriageFinding:
    """One topic whose diagnosis found something wrong (or could not be made)."""

    topic: Topic
    severity: str
    diagnosis: str
    command: str | None


@dataclass(frozen=True)
class Triage:
    """Every topic's diagnosis at once: what is wrong, worst first, and what is fine."""

    findings: tuple[TriageFinding, ...]
    healthy: tuple[Topic, ...]
    stopped_because: str | None = None

    @property
    def exit_code(self) -> int:
        """1 when anything is wrong, else 0."""
        return 1 if self.findings else 0

    def topics_worst_first(self) -> list[Topic]:
        """Every topic: those with findings in triage order, then the rest in menu order."""
        first = [finding.topic for finding in self.findings]
        return first + [topic for topic in TOPICS if topic not in first]


def triage_of(results: Sequence[tuple[Topic, RunbookResult]]) -> Triage:
    """The triage of finished topic runs (pure): findings sorted by severity, ties in the
    catalogue's order (the guide's common issues first)."""
    from glmctl.steps.registry import StepStatus

    findings: list[TriageFinding] = []
    healthy: list[Topic] = []
    stopped = next((r.stopped_because for _, r in results if r.stopped_because), None)
    for topic, result in results:
        verdict = next((r for r in reversed(result.steps) if r.uses == CONCLUSION_STEP), None)
        if verdict is not None and verdict.status is StepStatus.PASS:
            healthy.append(topic)
            continue
        if verdict is None or verdict.status is StepStatus.SKIP:
            summary = result.stopped_because or "no diagnosis could be made"
            findings.append(TriageFinding(topic, "unchecked", summary.rstrip("."), None))
            continue
        severity = str(verdict.result.outputs.get("severity") or "error")
        if verdict.status is StepStatus.ERROR:
            severity = "unchecked"
        findings.append(
            TriageFinding(topic, severity, verdict.result.summary, verdict.result.command)
        )
    order = {topic.name: index for index, topic in enumerate(TOPICS)}
    findings.sort(key=lambda f: (SEVERITY_RANK.get(f.severity, 1), order.get(f.topic.name, 99)))
    return Triage(tuple(findings), tuple(healthy), stopped)


def run_triage(
    runbooks: Sequence[tuple[Topic, Runbook]],
    *,
    profile: Profile,
    cluster_factory: ClusterFactory,
    timeout: float | None,
    workers: int = 3,
) -> list[tuple[Topic, RunbookResult]]:
    """Run every topic's diagnosis, ``workers`` topics at a time, over one connection (the
    caller's ``cluster_factory`` hands out the same cluster), within one ``timeout``."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from glmctl.runbook.engine import run_runbook

    deadline = None if timeout is None else time.monotonic() + timeout

    def one(pair: tuple[Topic, Runbook]) -> tuple[Topic, RunbookResult]:
        left = None if deadline is None else max(0.001, deadline - time.monotonic())
        result = run_runbook(
            pair[1],
            params={},
            profile=profile,
            timeout=left,
            cluster_factory=cluster_factory,
            max_workers=4,
        )
        return pair[0], result

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="triage") as pool:
        return list(pool.map(one, runbooks))
