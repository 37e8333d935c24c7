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
        if path is not None and not ctx.model.files.is_dir(path):
            guess = ctx.closest(path, ctx.model.files.directories)
            if guess:
                found.update(ctx.model.files.files_under(guess))
    return found


@rule(
    "kustomize-remote-resource",
    I,
    "A remote base: not verified offline",
    "Remote resources are fetched by kustomize at build time; lint does not fetch them.",
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
