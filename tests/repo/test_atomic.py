"""Atomic writes: content exact, mode kept, nothing left behind when the write fails."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from glmctl.repo.atomic import write_atomic


def test_replaces_content_byte_for_byte_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "kustomization.yaml"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    write_atomic(target, "resources:\r\n- a.yaml")
    assert target.read_bytes() == b"resources:\r\n- a.yaml"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["kustomization.yaml"]


def test_executable_bit_survives(tmp_path: Path) -> None:
    target = tmp_path / "script.sh"
    target.write_text("#!/bin/sh\n")
    target.chmod(0o755)
    write_atomic(target, b"#!/bin/sh\necho hi\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o755


def test_new_file_gets_the_umask_default(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.yaml", "a: 1\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.yaml").stat().st_mode) == 0o644


def test_failed_replace_leaves_the_target_alone_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "kustomization.yaml"
    target.mkdir()  # os.replace of a file over a directory fails
    (target / "inside").write_text("keep")
    with pytest.raises(OSError):
        write_atomic(target, "new")
    assert sorted(os.listdir(tmp_path)) == ["kustomization.yaml"]
    assert (target / "inside").read_text() == "keep"


def test_a_symlink_is_followed_and_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("old")
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    write_atomic(link, "new")
    assert link.is_symlink()
    assert real.read_text() == "new"
