"""Hostile YAML in every input: bounded, refused in one sentence with file:line (issue 13, 2)."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from glmctl.errors import ConfigError
from glmctl.sim.scenario import load_scenario
from tests.conftest import CliResult


def alias_bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


DEEP = "[" * 5000 + "]" * 5000 + "\n"
DUPLICATE = "namespaces:\n  identity: a\n  identity: b\n"

CASES = {
    "bomb": (alias_bomb(), "aliases expand to more than"),
    "deep": (DEEP, "nested more than"),
    "duplicate": (DUPLICATE, "appears twice"),
}


def _one_sentence(result: CliResult, code: int, words: str, where: str) -> None:
    assert result.exit_code == code, result.stderr
    assert words in result.stderr
    assert where in result.stderr
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("case", sorted(CASES))
def test_config_found_upward_is_bounded(
    case: str, tmp_path: Path, run_cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    text, words = CASES[case]
    (tmp_path / "glmctl.yaml").write_text(text, encoding="utf-8")
    work = tmp_path / "deeper" / "still"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    rss_before = _max_rss_mib()
    started = time.monotonic()
    result = run_cli(["config", "show"])
    assert time.monotonic() - started < 5
    assert _max_rss_mib() - rss_before < 200
    _one_sentence(result, 2, words, f"{tmp_path / 'glmctl.yaml'}:")


@pytest.mark.parametrize("case", sorted(CASES))
def test_runbook_is_bounded(case: str, tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    text, words = CASES[case]
    runbook = tmp_path / "evil.yaml"
    runbook.write_text(text, encoding="utf-8")
    result = run_cli(["runbook", "validate", str(runbook)])
    _one_sentence(result, 2, words, f"{runbook}:")


@pytest.mark.parametrize("case", sorted(CASES))
def test_scenario_file_is_bounded(case: str, tmp_path: Path) -> None:
    text, words = CASES[case]
    scenario = tmp_path / "evil.yaml"
    scenario.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words) as raised:
        load_scenario(str(scenario))
    assert f"{scenario}:" in raised.value.message


@pytest.mark.parametrize("case", sorted(CASES))
def test_kubeconfig_is_bounded_exit_3(
    case: str, tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    text, words = CASES[case]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(text.replace("namespaces", "clusters"), encoding="utf-8")
    result = run_cli(["status", "--kubeconfig", str(kubeconfig)])
    _one_sentence(result, 3, words, f"{kubeconfig}:")


def test_recursive_alias_is_refused(tmp_path: Path, run_cli: Callable[..., CliResult]) -> None:
    (tmp_path / "glmctl.yaml").write_text("lifecycle: &me\n  x: *me\n", encoding="utf-8")
    result = run_cli(["--config", str(tmp_path / "glmctl.yaml"), "config", "show"])
    _one_sentence(result, 2, "refers to a node that contains it", "glmctl.yaml:2")


def test_oversized_config_is_refused_before_reading(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    big = tmp_path / "glmctl.yaml"
    with big.open("wb") as handle:
        handle.truncate(17 * 1024 * 1024)
    result = run_cli(["--config", str(big), "config", "show"])
    _one_sentence(result, 2, "glmctl reads at most", str(big))


def test_small_aliases_in_real_files_still_work(
    tmp_path: Path, run_cli: Callable[..., CliResult]
) -> None:
    config = tmp_path / "glmctl.yaml"
    config.write_text("namespaces:\n  identity: &ns auth\n  onepassword: *ns\n", encoding="utf-8")
    result = run_cli(["--config", str(config), "config", "show"])
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("case", sorted(CASES))
def test_repository_kustomization_is_bounded(case: str) -> None:
    from glmctl.repo.kustomize_edit import enable_resources

    text, words = CASES[case]
    started = time.monotonic()
    with pytest.raises(ConfigError, match=words):
        enable_resources("resources:\n  - a.yaml\n" + text, ["b.yaml"], label="k.yaml")
    assert time.monotonic() - started < 5
