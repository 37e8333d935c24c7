"""Rule group 2: what kustomization.yaml files list."""

from __future__ import annotations

from collections.abc import Iterable

from glmctl.lint.context import LintContext
from glmctl.lint.files import base_name, parent_dir
from glmctl.lint.loader import flux_path
from glmctl.lint.model import (
    Finding,
    Problem,
)
from glmctl.lint.registry import rule
from glmctl.lint.rules.common import (
    E,
    I,
)

# -- 2. kustomization resources ------------------------------------------------------------


@rule(
    "kustomize-missing-resource",
    E,
    "A kustomization names a file or directory that does not exist (or that git ignores)",
    "Resources, components, generator files/envs and patch paths: kustomize build fails on "
    "any of them, so the whole Flux Kustomization fails.",
    scope="repository",
)
def kustomize_missing_resource(ctx: LintContext) -> Iterable[Finding]:
    for problem in ctx.model.problems:
        if problem.kind == "missing":
            guess = sibling_guess(ctx, problem)
            yield ctx.finding(
                "kustomize-missing-resource",
                E,
                problem.file,
                problem.line,
                f"'{problem.entry}' is listed in {problem.detail or 'resources'} but does not "
                "exist.",
                fix=f"Did you mean '{guess}'?" if guess else "Remove the entry or add the file.",
            )
        elif problem.kind == "ignored":
            yield ctx.finding(
                "kustomize-missing-resource",
                E,
                problem.file,
                problem.line,
                f"'{problem.entry}' exists here but git ignores it, so it does not exist for Flux.",
                fix="Un-ignore it (see `git check-ignore -v`) and commit it.",
            )
        elif problem.kind == "outside":
            yield ctx.finding(
                "kustomize-missing-resource",
                E,
                problem.file,
                problem.line,
                f"'{problem.entry}' points outside the repository, which Flux cannot read.",
                fix="Keep every resource inside the repository.",
            )
        elif problem.kind == "not-a-kustomization":
            yield ctx.finding(
                "kustomize-missing-resource",
                E,
                problem.file,
                problem.line,
                f"Directory '{problem.entry}' is listed but has no kustomization.yaml, which "
                "kustomize requires.",
                fix="Add a kustomization.yaml there, or list its files instead.",
            )


def sibling_guess(ctx: LintContext, problem: Problem) -> str | None:
    """The existing file or directory next to the kustomization a missing entry most resembles."""
    directory = parent_dir(problem.file)
    siblings = [base_name(f) for f in ctx.model.files.children(directory)] + [
        base_name(d) for d in ctx.model.files.subdirectories(directory)
    ]
    return ctx.closest(base_name(problem.entry), siblings)


def misspelled_targets(ctx: LintContext) -> set[str]:
    """Files a missing entry probably meant: the missing-resource finding already names them."""
    found: set[str] = set()
    for problem in ctx.model.problems:
        guess = sibling_guess(ctx, problem) if problem.kind == "missing" else None
        if guess:
            directory = parent_dir(problem.file)
            found.add(f"{directory}/{guess}" if directory else guess)
    for owner in ctx.flux_kustomizations.values():
        path = flux_path(owner)
        if path is not None and "${" not in path and not ctx.model.files.is_dir(path):
            guess = ctx.closest(path, ctx.model.files.directories)
            if guess:
                found.update(ctx.model.files.files_under(guess))
    return found


@rule(
    "kustomize-remote-resource",
    I,
    "A remote base: not verified offline",
    "Remote resources are fetched by kustomize at build time; lint does not fetch them.",
    scope="repository",
)
def kustomize_remote_resource(ctx: LintContext) -> Iterable[Finding]:
    for problem in ctx.model.problems:
        if problem.kind == "remote":
            yield ctx.finding(
                "kustomize-remote-resource",
                I,
                problem.file,
                problem.line,
                f"Remote resource '{problem.entry}' is not verified offline.",
            )


@rule(
    "kustomize-build-failed",
    E,
    "The real kustomize cannot build a kustomization Flux builds (--kustomize=kubectl)",
    "With --kustomize=kubectl every kustomization directory Flux builds is also built with "
    "`kubectl kustomize`; where it fails, so does the Flux Kustomization, with this message.",
    scope="repository",
)
def kustomize_build_failed(ctx: LintContext) -> Iterable[Finding]:
    if ctx.kustomize != "kubectl":
        return
    from concurrent.futures import ThreadPoolExecutor

    from glmctl.execs import run_tool

    root = ctx.model.files.root
    units = sorted(ctx.model.units)

    def build(directory: str) -> tuple[str, bool, str]:
        # Flux builds without kustomize's load restrictions (files outside the directory)
        result = run_tool(
            "kubectl",
            "kustomize",
            "--load-restrictor=LoadRestrictionsNone",
            str(root / directory) if directory else str(root),
        )
        return directory, result.ok, result.stderr.strip()

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(build, units))
    failed = {directory for directory, ok, _ in outcomes if not ok}
    for directory, ok, message in outcomes:
        if ok or any(other != directory and _inside(other, directory) for other in failed):
            continue  # a unit inside it fails too: report the innermost one
        inside = f"{directory}/_" if directory else "_"
        kfile = ctx.kustomization_for(inside) or directory or "."
        yield ctx.finding(
            "kustomize-build-failed",
            E,
            kfile,
            1,
            f"kubectl kustomize {directory or '.'} fails: {_last_line(message)}",
            fix="Run `kubectl kustomize` on the directory to see the whole error.",
        )


def _inside(inner: str, outer: str) -> bool:
    return not outer or inner.startswith(f"{outer}/")


def _last_line(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip()]
    text = lines[-1] if lines else "no message"
    return text.removeprefix("error: ").removeprefix("Error: ")


@rule(
    "repo-symlink-outside",
    E,
    "A symlink in the repository points outside it",
    "Flux refuses a link that leaves the repository, so whatever depends on it fails; lint "
    "does not read through it either (it could name /etc/passwd).",
)
def repo_symlink_outside(ctx: LintContext) -> Iterable[Finding]:
    for link, target in sorted(ctx.model.files.escaping.items()):
        yield ctx.finding(
            "repo-symlink-outside",
            E,
            link,
            1,
            f"'{link}' is a symlink to {target}, outside the repository; Flux refuses it and "
            "lint did not read it.",
            fix="Replace the link with the file itself, or remove it.",
        )
