"""Finding the kubeconfig the way kubectl does, and the sentences when it goes wrong."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from glmctl.cluster.kubeconfig import resolve
from glmctl.errors import ExitCode, KubeconfigError
from tests.cluster.scripted_api import write_kubeconfig


def two_file_kubeconfig(tmp_path: Path) -> tuple[Path, Path]:
    first = write_kubeconfig(
        tmp_path / "first", "http://127.0.0.1:1", contexts=("alpha",), current="alpha"
    )
    second = tmp_path / "second"
    second.write_text(
        json.dumps(
            {
                "current-context": "beta",
                "clusters": [
                    {"name": "c", "cluster": {"server": "http://shadowed:2"}},
                    {"name": "other", "cluster": {"server": "http://127.0.0.1:3/"}},
                ],
                "users": [{"name": "u2", "user": {"token": "x"}}],
                "contexts": [{"name": "beta", "context": {"cluster": "other", "user": "u2"}}],
            }
        ),
        encoding="utf-8",
    )
    return first, second


def test_explicit_file_wins_over_the_environment(tmp_path: Path) -> None:
    explicit = write_kubeconfig(
        tmp_path / "explicit", "http://127.0.0.1:9", contexts=("only",), current="only"
    )
    source = resolve(explicit, None, environ={"KUBECONFIG": "/nope"}, home=tmp_path)
    assert (source.context, source.server, source.paths) == (
        "only",
        "http://127.0.0.1:9",
        (explicit,),
    )


def test_kubeconfig_list_is_merged_first_file_wins(tmp_path: Path) -> None:
    first, second = two_file_kubeconfig(tmp_path)
    env = {"KUBECONFIG": os.pathsep.join([str(tmp_path / "missing"), str(first), str(second)])}

    source = resolve(None, None, environ=env, home=tmp_path)
    assert source.context == "alpha"  # first file's current-context wins
    assert source.server == "http://127.0.0.1:1"  # cluster "c" from the first file
    assert source.paths == (first, second)

    beta = resolve(None, "beta", environ=env, home=tmp_path)
    assert (beta.context, beta.user, beta.server) == ("beta", "u2", "http://127.0.0.1:3")


def test_default_location_is_used_without_flag_or_env(tmp_path: Path) -> None:
    (tmp_path / ".kube").mkdir()
    write_kubeconfig(tmp_path / ".kube" / "config", "http://127.0.0.1:5")
    assert resolve(None, None, environ={}, home=tmp_path).server == "http://127.0.0.1:5"


def test_in_cluster_when_nothing_else(tmp_path: Path) -> None:
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    source = resolve(None, None, environ=env, home=tmp_path)
    assert source.in_cluster and source.server == "https://10.0.0.1:443"


def test_unknown_context_lists_the_contexts_that_exist(tmp_path: Path) -> None:
    first, second = two_file_kubeconfig(tmp_path)
    env = {"KUBECONFIG": os.pathsep.join([str(first), str(second)])}
    with pytest.raises(KubeconfigError) as raised:
        resolve(None, "prod", environ=env, home=tmp_path)
    assert "context 'prod' is not in the kubeconfig" in raised.value.message
    assert "available contexts: alpha, beta." in raised.value.message
    assert raised.value.exit_code == ExitCode.CLUSTER


def test_missing_explicit_file_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError) as raised:
        resolve(tmp_path / "nope.yaml", None, environ={}, home=tmp_path)
    assert raised.value.message == f"kubeconfig file {tmp_path / 'nope.yaml'} does not exist."


def test_kubeconfig_env_with_no_existing_file(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError) as raised:
        resolve(None, None, environ={"KUBECONFIG": str(tmp_path / "a")}, home=tmp_path)
    assert "none of the files listed in KUBECONFIG exist" in raised.value.message


def test_nothing_found_at_all(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError) as raised:
        resolve(None, None, environ={}, home=tmp_path)
    assert raised.value.message.startswith("no kubeconfig found")
    assert raised.value.hint


def test_no_current_context_asks_for_one(tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "c", "http://x:1", contexts=("a", "b"), current=None)
    with pytest.raises(KubeconfigError) as raised:
        resolve(path, None, environ={}, home=tmp_path)
    assert "has no current-context; available contexts: a, b." in raised.value.message


def test_invalid_yaml_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "broken"
    path.write_text("clusters:\n  - name: [unclosed\n", encoding="utf-8")
    with pytest.raises(KubeconfigError) as raised:
        resolve(path, None, environ={}, home=tmp_path)
    assert str(path) in raised.value.message and "not valid YAML" in raised.value.message
