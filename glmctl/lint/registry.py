"""One registry of lint rules: id, default severity, a line of docs, and the check itself.

Rules are small functions ``check(ctx) -> Iterable[Finding]``; registering them here is
what makes them run, appear in SARIF's rule table and be switchable in ``glmctl.yaml``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from glmctl.lint.model import Finding, Severity

if TYPE_CHECKING:
    from glmctl.lint.context import LintContext

Check = Callable[["LintContext"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    """A rule's identity and documentation; ``check`` yields its findings."""

    id: str
    severity: Severity
    summary: str
    docs: str
    check: Check
    scope: str = "cluster"  # "repository": about files, run once, not once per cluster


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str, severity: Severity, summary: str, docs: str, *, scope: str = "cluster"
) -> Callable[[Check], Check]:
    """Register ``check`` under ``rule_id``; ids are stable, they appear in config and SARIF.

    ``scope="repository"`` marks a rule about files rather than a cluster's graph: it runs
    once, not once per cluster.
    """

    def register(check: Check) -> Check:
        if rule_id in RULES:  # pragma: no cover - a programming error caught at import
            raise ValueError(f"lint rule {rule_id!r} registered twice")
        RULES[rule_id] = Rule(rule_id, severity, summary, docs, check, scope)
        return check

    return register


def all_rules() -> dict[str, Rule]:
    """Every rule, with the rule modules imported so that they have registered."""
    from glmctl.lint import rules  # importing the package registers every rule

    rank = {f"{rules.__name__}.{group}": index for index, group in enumerate(rules.GROUPS)}
    ordered = sorted(RULES.values(), key=lambda r: rank.get(r.check.__module__, len(rank)))
    return {r.id: r for r in ordered}
