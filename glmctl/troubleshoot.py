"""The troubleshooting topics: the deployment guide's common issues, each a diagnostic runbook.

The catalogue is data: the name an operator types (``glmctl troubleshoot helmrelease``),
the guide's own words for the problem, one line for the menu, and the runbook that
diagnoses it (``runbooks/troubleshoot-<name>.yaml``). The three "Common Issues" of the
guide's troubleshooting section come first, then the pre-deployment worries its
validation section checks for. Adding a topic is one entry here and one runbook.
"""

from __future__ import annotations

from dataclasses import dataclass

from glmctl.errors import UsageError
from glmctl.suggest import closest


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
