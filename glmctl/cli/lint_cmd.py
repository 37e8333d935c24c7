"""``glmctl lint [REPO]``: offline analysis of the GitOps repository.

Thin: find the repository and the ``lint:`` settings, run the engine, hand the report to a
renderer, exit 1 when an error was found. Output format comes from the global ``-o``;
``--format`` is accepted as an alias because CI snippets spell it that way
(``glmctl lint --format github``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from glmctl.context import OutputFormat
from glmctl.errors import UsageError

if TYPE_CHECKING:
    from glmctl.context import RunContext
    from glmctl.lint.settings import LintSettings


def register(app: typer.Typer) -> None:
    """Add ``lint`` to ``app``."""
    app.command("lint")(lint)


def lint(
    ctx: typer.Context,
    repo: Annotated[
        Path | None,
        typer.Argument(
            help="The GitOps repository (default: the git work tree around the current "
            "directory, else the current directory).",
            show_default=False,
        ),
    ] = None,
    format_: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Alias of -o: rich, json, junit, markdown, sarif or github.",
            show_default=False,
        ),
    ] = None,
    list_rules: Annotated[
        bool,
        typer.Option("--list-rules", help="List the rules (id, severity, what) and exit."),
    ] = False,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            metavar="PATH",
            help="Lint only the cluster synced from this repo-relative path (default: every "
            "cluster found: gotk-sync.yaml, FluxInstance spec.sync).",
            show_default=False,
        ),
    ] = None,
    kustomize: Annotated[
        str,
        typer.Option(
            "--kustomize",
            metavar="builtin|kubectl",
            help="builtin: glmctl's own kustomize model (fast); kubectl: also build every "
            "kustomization with the real one (`kubectl kustomize`).",
        ),
    ] = "builtin",
    render_charts: Annotated[
        bool,
        typer.Option(
            "--render-charts",
            help="Render the repository's own charts (HelmReleases whose chart is a path in "
            "a GitRepository of this repo) with `helm template` and lint what they render. "
            "Needs helm on PATH, or --helm.",
        ),
    ] = False,
    helm: Annotated[
        Path | None,
        typer.Option(
            "--helm",
            metavar="PATH",
            help="The helm program for --render-charts (implies it; default: helm on PATH).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check the repository for what would fail in Flux: missing files, dependsOn names,
    health checks, sources, Secrets, secret stores, duplicates, substitution variables.

    Needs no cluster. Exit 1 when an error is found. With --render-charts it also renders
    the repository's own charts with helm and checks what they render.

    Silence one finding with a `# glmctl: ignore[RULE]` comment on its line (or alone on
    the line above); switch a rule off for paths, or declare Secrets created outside the
    repository, in glmctl.yaml:

    \b
        lint:
          disable: [{rule: unreferenced-file, paths: ["scratch/**"]}]
          external_secrets: [{namespace: flux-system, name: sops-age}]
    """
    from glmctl.cli.app import run_context
    from glmctl.lint.engine import lint_repository
    from glmctl.render.lint import render

    run = run_context(ctx)
    output = _output_format(format_, run.options.output)
    if list_rules:
        _print_rules(run, OutputFormat(output))
        return
    root = _repository(repo)
    _check_kustomize(kustomize)
    helm_program = _helm(helm, render_charts or helm is not None)
    selected = _cluster(root, cluster)
    settings = _lint_settings(run.options.config, root)
    report = lint_repository(
        root, settings, cluster=selected, kustomize=kustomize, helm=helm_program
    )
    if report.manifests == 0 and not report.findings:  # a file that does not parse is one
        raise UsageError(
            f"No Kubernetes objects found in {root}: nothing to lint.",
            hint="Point glmctl lint at the GitOps repository (the folder with clusters/ or "
            "kubernetes/).",
        )
    render(report, OutputFormat(output), run.terminal)
    if report.failed:
        raise typer.Exit(1)


def _print_rules(run: RunContext, output: OutputFormat) -> None:
    from glmctl.cli._output import require_output
    from glmctl.contract import models
    from glmctl.contract.build import lint_rules
    from glmctl.lint.registry import all_rules
    from glmctl.render.output import Column, show_list

    require_output(run, "lint --list-rules", chosen=output)
    document = lint_rules(all_rules().values())
    columns: list[Column[models.LintRule]] = [
        Column("RULE", lambda rule: rule.id, style="bold"),
        Column("SEVERITY", lambda rule: rule.severity),
        Column("SUMMARY", lambda rule: rule.summary),
    ]
    show_list(run.terminal, output, document, columns, document.items)


def _check_kustomize(kustomize: str) -> None:
    if kustomize not in ("builtin", "kubectl"):
        raise UsageError(f"--kustomize {kustomize!r} is not known.", hint="Use builtin or kubectl.")
    if kustomize == "kubectl":
        from glmctl.execs import find_tool

        if find_tool("kubectl") is None:
            raise UsageError(
                "--kustomize=kubectl needs kubectl on PATH, and it is not there.",
                hint="Install kubectl, or drop --kustomize to use glmctl's own model.",
            )


def _helm(given: Path | None, render: bool) -> str | None:
    """The helm that renders charts: ``--helm PATH``, else helm on PATH; None when not asked."""
    if not render:
        return None
    from glmctl.execs import find_tool

    if given is not None:
        if not given.is_file() or not os.access(given, os.X_OK):
            raise UsageError(
                f"--helm {str(given)!r} is not an executable file.",
                hint="Give the path of the helm program, or drop --helm to use helm on PATH.",
            )
        return str(given.resolve())
    found = find_tool("helm")
    if found is None:
        raise UsageError(
            "--render-charts needs helm on PATH, and it is not there.",
            hint="Install helm (v3 or v4), give its path with --helm, or drop --render-charts.",
        )
    return found


def _cluster(root: Path, cluster: str | None) -> str | None:
    """``--cluster`` as a repo-relative directory that must exist."""
    if cluster is None:
        return None
    path = (root / cluster).resolve() if not Path(cluster).is_absolute() else Path(cluster)
    if not path.is_dir() or not path.is_relative_to(root):
        raise UsageError(
            f"--cluster {cluster!r} is not a directory inside {root}.",
            hint="Give the path that the cluster's Flux syncs, e.g. clusters/production.",
        )
    rel = path.relative_to(root).as_posix()
    return "" if rel == "." else rel


def _output_format(alias: str | None, chosen: str) -> str:
    if alias is None:
        return chosen
    valid = [f.value for f in OutputFormat]
    if alias not in valid:
        raise UsageError(
            f"--format {alias!r} is not a known format.", hint=f"Use one of: {', '.join(valid)}."
        )
    return alias


def _repository(repo: Path | None) -> Path:
    """REPO, else the git work tree around the working directory, else the working directory."""
    if repo is not None:
        if not repo.is_dir():
            raise UsageError(
                f"Repository {str(repo)!r} is not a directory.",
                hint="Pass the path of the GitOps repository's checkout.",
            )
        return repo.resolve()
    from glmctl.execs import git_toplevel

    cwd = Path.cwd()
    return git_toplevel(cwd) or cwd


def _lint_settings(config: Path | None, root: Path) -> LintSettings:
    """The ``lint:`` section of the profile: ``--config``, else glmctl.yaml found upward from
    REPO. Errors in it are ConfigError (exit 2) naming file and line."""
    from glmctl.config import load_profile

    explicit = config.resolve() if config is not None else None  # relative to the shell's cwd
    return load_profile(explicit, cwd=root).profile.lint
