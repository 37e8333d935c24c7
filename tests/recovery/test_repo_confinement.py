"""Nothing is read or written outside the repository on its behalf (issue 13, 1)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from glmctl.errors import UsageError
from glmctl.paths import check_relative, inside_repo
from glmctl.sim.runner import SimHandle
from tests.conftest import CliResult
from tests.recovery.conftest import FLUX_FILE, OUTPOST_KUSTOMIZATION

Run = Callable[..., CliResult]
Args = Callable[[SimHandle], list[str]]


def _outside(tmp_path: Path, name: str, source: Path) -> Path:
    victim = tmp_path / "victim"
    victim.mkdir(exist_ok=True)
    target = victim / name
    target.write_bytes(source.read_bytes())
    return target


@pytest.mark.parametrize("relative", [OUTPOST_KUSTOMIZATION, FLUX_FILE])
def test_rollback_refuses_a_symlink_that_leaves_the_repo(
    relative: str,
    run_cli: Run,
    still_healthy: SimHandle,
    in_repo: Path,
    kube_args: Args,
    tmp_path: Path,
) -> None:
    link = in_repo / relative
    target = _outside(tmp_path, "outside.yaml", link)
    before = target.read_bytes()
    link.unlink()
    link.symlink_to(target)

    result = run_cli(["rollback", "--yes", "--health-checks", *kube_args(still_healthy)])

    assert result.exit_code == 2, result.stderr
    assert f"{link} is a symlink to {target}, outside the repository" in result.stderr
    assert target.read_bytes() == before
    suspended = still_healthy.store.get(
        "kustomize.toolkit.fluxcd.io",
        "kustomizations",
        "flux-system",
        "infrastructure-gitops-lifecycle-management",
    )
    assert suspended is not None
    assert not suspended["spec"].get("suspend")  # nothing was changed on the cluster either


def test_rollback_refuses_a_symlinked_directory_that_leaves_the_repo(
    run_cli: Run, still_healthy: SimHandle, gitops_repo: Path, kube_args: Args, tmp_path: Path
) -> None:
    directory = gitops_repo / "clusters"
    outside = tmp_path / "elsewhere"
    directory.rename(outside)
    directory.symlink_to(outside)
    before = (outside / "home-ops/infrastructure/outpost-config.yaml").read_bytes()

    result = run_cli(
        [
            "rollback",
            "--yes",
            "--health-checks",
            "--repo",
            str(gitops_repo),
            *kube_args(still_healthy),
        ]
    )

    assert result.exit_code == 2, result.stderr
    assert f"{directory} is a symlink to {outside}" in result.stderr
    assert (outside / "home-ops/infrastructure/outpost-config.yaml").read_bytes() == before


def test_a_symlink_inside_the_repo_is_followed_and_the_target_edited(
    run_cli: Run, still_healthy: SimHandle, in_repo: Path, kube_args: Args
) -> None:
    link = in_repo / OUTPOST_KUSTOMIZATION
    real = link.parent / "real-kustomization.yaml"
    link.rename(real)
    link.symlink_to(real.name)

    result = run_cli(["rollback", "--yes", *kube_args(still_healthy)])

    assert result.exit_code == 0, result.stderr
    assert link.is_symlink()
    assert "enhanced-token-setup-job.yaml\n" in real.read_text().replace("  - ", "")


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("outpost_kustomization", "../victim/kustomization.yaml", "leaves the repository"),
        ("outpost_kustomization", "/etc/kustomization.yaml", "is absolute"),
        ("outpost_flux_kustomization", "a/../../b.yaml", "leaves the repository"),
    ],
)
def test_config_paths_outside_the_repo_are_refused_with_file_and_line(
    key: str, value: str, words: str, run_cli: Run, tmp_path: Path
) -> None:
    config = tmp_path / "glmctl.yaml"
    config.write_text(f"repo:\n  {key}: {value}\n", encoding="utf-8")
    result = run_cli(["--config", str(config), "config", "show"])
    assert result.exit_code == 2, result.stderr
    assert f"{config}:2" in result.stderr
    assert words in result.stderr


def test_a_job_file_outside_the_repo_is_refused(
    run_cli: Run, still_healthy: SimHandle, in_repo: Path, kube_args: Args, tmp_path: Path
) -> None:
    config = tmp_path / "glmctl.yaml"
    config.write_text(
        "jobs:\n  replaced:\n    - name: evil\n      file: ../../../../victim/job.yaml\n",
        encoding="utf-8",
    )
    result = run_cli(["--config", str(config), "rollback", "--yes", *kube_args(still_healthy)])
    assert result.exit_code == 2, result.stderr
    assert "leaves the repository" in result.stderr


def test_inside_repo_unit(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f").write_text("x")
    assert inside_repo(tmp_path, "a/f") == (tmp_path / "a" / "f").resolve()
    (tmp_path / "out").symlink_to("/etc")
    with pytest.raises(UsageError, match="is a symlink to /etc"):
        inside_repo(tmp_path, "out/passwd")
    for bad in ("../x", "/abs", "a/../../x", "a\\..\\x", ""):
        with pytest.raises(ValueError):
            check_relative(bad)
