"""Run every rule over a repository and keep the findings the user did not silence.

The public entry point is :func:`lint_repository`; ``glmctl lint`` and ``glmctl preflight
--repo`` both call it and hand the :class:`LintReport` to a renderer.
"""

from __future__ import annotations

import fnmatch
import gc
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from glmctl.errors import UsageError
from glmctl.lint.context import LintContext
from glmctl.lint.loader import load_repository
from glmctl.lint.model import Finding, Severity
from glmctl.lint.registry import Rule, all_rules
from glmctl.lint.settings import LintSettings
from glmctl.lint.yamlio import suppressions
from glmctl.suggest import closest, ranked

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LintReport:
    """Findings in reading order, plus what renderers need to show them."""

    root: Path
    findings: tuple[Finding, ...]
    rules: Mapping[str, Rule]
    source_lines: Mapping[tuple[str, int], str] = field(default_factory=dict)
    files_read: int = 0
    objects: int = 0
    suppressed: int = 0
    manifests: int = 0  # objects in any file, reached or not
    clusters: tuple[str, ...] = ()

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    @property
    def failed(self) -> bool:
        """Errors fail the run (exit 1); warnings and notes do not."""
        return any(f.severity is Severity.ERROR for f in self.findings)


def lint_repository(
    root: Path,
    settings: LintSettings | None = None,
    *,
    cluster: str | None = None,
    kustomize: str = "builtin",
    helm: str | None = None,
) -> LintReport:
    """Lint the GitOps repository at ``root``; never raises on the repository's content.

    ``cluster`` is the repo-relative path of the one cluster to build (``--cluster``);
    without it every cluster the repository defines is built. ``kustomize="kubectl"`` also
    builds every kustomization Flux would build with the real kustomize (``kubectl
    kustomize``) and reports where it fails. ``helm`` is the helm program that renders the
    repository's own charts (``--render-charts``); without it nothing runs a program.
    Raises :class:`UsageError` when ``settings`` name a rule that does not exist.
    """
    settings = settings or LintSettings()
    rules = all_rules()
    _check_rule_ids(settings, rules)
    with _no_cyclic_gc():
        return _lint(root, settings, rules, cluster, kustomize, helm)


def _check_rule_ids(settings: LintSettings, rules: Mapping[str, Rule]) -> None:
    """A misspelt id in ``lint.disable`` would silence nothing, silently: refuse it.

    Checked here, where the settings meet the registry: the profile loader that validates
    the rest of ``glmctl.yaml`` does not know which rules exist.
    """
    for index, entry in enumerate(settings.disable):
        if entry.rule == "*" or entry.rule in rules:
            continue
        by_likeness = ranked(entry.rule, rules)
        guess = closest(entry.rule, rules, n=1)
        raise UsageError(
            f"lint.disable[{index}].rule {entry.rule!r} is not a lint rule.",
            hint=(f"Did you mean {guess[0]}? " if guess else "")
            + f"Valid rule ids (closest first): {', '.join(by_likeness)}, or '*' for all.",
        )


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while the model is built.

    Parsing creates hundreds of thousands of small containers that all live until the end
    of the run; the collector rescanning them again and again cost as much as the parsing
    itself (measured on the 5,000-manifest benchmark). Nothing here makes reference cycles
    that need collecting before the run ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _lint(
    root: Path,
    settings: LintSettings,
    rules: dict[str, Rule],
    cluster: str | None,
    kustomize: str,
    helm: str | None,
) -> LintReport:
    model = load_repository(root, cluster)
    # Each cluster is its own graph: its rules run on its model. Rules about files run once.
    seen_in: dict[Finding, list[str]] = {}
    objects = 0
    first: LintContext | None = None
    for each in model.clusters:
        ctx = LintContext(model.for_cluster(each), settings, kustomize=kustomize, helm=helm)
        first = first or ctx
        objects += len(ctx.placed)
        for rule in rules.values():
            if rule.scope == "repository" and ctx is not first:
                continue
            for finding in _run_rule(rule, ctx):
                seen_in.setdefault(finding, []).append(each.name)
    assert first is not None  # load_repository always yields at least one cluster
    raw = [
        finding
        if finding.rule in rules and rules[finding.rule].scope == "repository"
        else _in_cluster(finding, names, len(model.clusters))
        for finding, names in seen_in.items()
    ]
    kept, silenced = _filter(raw, settings, first)
    kept = sorted(set(kept), key=lambda f: f.sort_key)
    lines = {
        (f.file, f.line): _line(first, f.file, f.line) for f in kept if f.file in model.files.files
    }
    return LintReport(
        root=model.files.root,
        findings=tuple(kept),
        rules=rules,
        source_lines=lines,
        files_read=model.files.reads,
        objects=objects,
        suppressed=silenced,
        manifests=sum(m.is_object for ms in model.manifests.values() for m in ms),
        clusters=tuple(c.name for c in model.clusters),
    )


def _in_cluster(finding: Finding, names: list[str], clusters: int) -> Finding:
    """A finding some clusters have and others not says which (one cluster: nothing to say)."""
    if clusters < 2 or len(set(names)) == clusters:
        return finding
    where = ", ".join(sorted(set(names)))
    label = "cluster" if len(set(names)) == 1 else "clusters"
    return replace(finding, message=f"{finding.message} ({label} {where})")


def _run_rule(rule: Rule, ctx: LintContext) -> Iterable[Finding]:
    """A rule that crashes is a glmctl bug: report it as a finding, keep the other rules."""
    try:
        return list(rule.check(ctx))
    except Exception as error:
        log.debug("lint rule %s failed", rule.id, exc_info=True)
        return [
            Finding(
                rule.id,
                Severity.WARNING,
                ".",
                1,
                f"Rule {rule.id} could not run ({type(error).__name__}: {error}); this is a "
                "glmctl bug.",
            )
        ]


def _filter(
    findings: list[Finding], settings: LintSettings, ctx: LintContext
) -> tuple[list[Finding], int]:
    kept: list[Finding] = []
    silenced = 0
    cache: dict[str, dict[int, frozenset[str]]] = {}
    for finding in findings:
        if _disabled(finding, settings) or _suppressed(finding, ctx, cache):
            silenced += 1
        else:
            kept.append(finding)
    return kept, silenced


def _disabled(finding: Finding, settings: LintSettings) -> bool:
    return any(
        entry.rule in (finding.rule, "*")
        and any(_glob(finding.file, pattern) for pattern in entry.paths)
        for entry in settings.disable
    )


def _glob(path: str, pattern: str) -> bool:
    """``**`` matches any depth; a pattern naming a directory covers what is inside it."""
    pattern = pattern.removeprefix("./")
    return fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(
        path, pattern.rstrip("/") + "/*"
    )


def _suppressed(
    finding: Finding, ctx: LintContext, cache: dict[str, dict[int, frozenset[str]]]
) -> bool:
    if finding.file not in ctx.model.files.files:
        return False
    marks = cache.get(finding.file)
    if marks is None:
        marks = suppressions(ctx.model.files.lines(finding.file))
        cache[finding.file] = marks
    ids = marks.get(finding.line, frozenset())
    return finding.rule in ids or "*" in ids


def _line(ctx: LintContext, rel: str, line: int) -> str:
    lines = ctx.model.files.lines(rel)
    return lines[line - 1] if 0 < line <= len(lines) else ""
