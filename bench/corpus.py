"""Lint every repository under a folder and print, per repository, what lint found.

Usage: ``.venv/bin/python bench/corpus.py FOLDER [--json OUT] [--details]``

Each immediate sub-directory of FOLDER is one repository (e.g. public Flux repositories
checked out there). Per repository: files read, wall time of ``lint_repository`` (the
in-process engine, median of three runs, so interpreter start-up is not counted), and
errors, warnings and infos by rule. ``--details`` also prints every error finding, which is
what a person studies to decide whether lint is right. ``--json`` writes the counts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from glmctl.errors import UsageError
from glmctl.lint.engine import LintReport, lint_repository

RUNS = 3


def lint_timed(root: Path) -> tuple[LintReport | None, float, str]:
    """The report of the last run and the median wall time; a usage error is reported."""
    times: list[float] = []
    report: LintReport | None = None
    for _ in range(RUNS):
        start = time.perf_counter()
        try:
            report = lint_repository(root)
        except UsageError as error:
            return None, time.perf_counter() - start, str(error)
        times.append(time.perf_counter() - start)
    return report, statistics.median(times), ""


def summarise(
    name: str, report: LintReport | None, seconds: float, error: str
) -> dict[str, object]:
    if report is None:
        return {"repo": name, "seconds": round(seconds, 3), "usage_error": error}
    by_rule: Counter[str] = Counter(f"{f.severity.value}:{f.rule}" for f in report.findings)
    return {
        "repo": name,
        "files": report.files_read,
        "objects": report.objects,
        "seconds": round(seconds, 3),
        "errors": sum(1 for f in report.findings if f.severity.value == "error"),
        "warnings": sum(1 for f in report.findings if f.severity.value == "warning"),
        "infos": sum(1 for f in report.findings if f.severity.value == "info"),
        "by_rule": dict(sorted(by_rule.items())),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--details", action="store_true", help="print every error finding")
    args = parser.parse_args(argv)
    repos = sorted(p for p in args.folder.iterdir() if p.is_dir())
    rows: list[dict[str, object]] = []
    print(f"{'repository':<44} {'files':>5} {'time':>7} {'E':>4} {'W':>4} {'I':>4}")
    for repo in repos:
        report, seconds, error = lint_timed(repo)
        row = summarise(repo.name, report, seconds, error)
        rows.append(row)
        if report is None:
            print(f"{repo.name:<44} {'-':>5} {seconds:6.2f}s  usage error: {error}")
            continue
        print(
            f"{repo.name:<44} {row['files']:>5} {seconds:6.2f}s {row['errors']:>4} "
            f"{row['warnings']:>4} {row['infos']:>4}"
        )
        for key, count in row["by_rule"].items():  # type: ignore[attr-defined]
            print(f"    {count:>4}  {key}")
        if args.details:
            for finding in report.findings:
                if finding.severity.value == "error":
                    print(f"      {finding.file}:{finding.line} [{finding.rule}] {finding.message}")
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
