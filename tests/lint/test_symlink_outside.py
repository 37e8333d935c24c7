"""A symlink leaving the repository is a finding; lint never reads through it (issue 13, 1)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

RunCli = Callable[..., Any]
SECRET_LINE = "root:x:0:0:the-outside-file-content:/root:/bin/sh"


@pytest.mark.parametrize("in_git", [False, True])
@pytest.mark.parametrize("listed", [False, True])
def test_escaping_symlink_is_a_finding_and_never_read(
    in_git: bool, listed: bool, guide_repo: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    outside = tmp_path / "passwd"
    outside.write_text(f"{SECRET_LINE}\n", encoding="utf-8")
    apps = next(path for path in guide_repo.rglob("kustomization.yaml"))
    link = apps.parent / "passwd.yaml"
    link.symlink_to(outside)
    if listed:
        apps.write_text(apps.read_text() + "\n# listed:\n", encoding="utf-8")
        text = apps.read_text()
        if "resources:\n" in text:
            apps.write_text(text.replace("resources:\n", "resources:\n  - passwd.yaml\n", 1))
    if in_git:
        for args in (["init", "-q"], ["add", "-A"]):
            subprocess.run(["git", "-C", str(guide_repo), *args], check=True, capture_output=True)

    result = run_cli(["-o", "json", "lint", str(guide_repo)])
    plain = run_cli(["--no-color", "lint", str(guide_repo)])

    assert result.exit_code == 1, result.stderr
    findings = json.loads(result.stdout)["findings"]
    rel = str(link.relative_to(guide_repo))
    escaping = [f for f in findings if f["rule"] == "repo-symlink-outside"]
    assert [f["file"] for f in escaping] == [rel]
    assert str(outside) in escaping[0]["message"]
    for output in (result.stdout, plain.stdout, plain.stderr):
        assert "the-outside-file-content" not in output
