"""A hung API server: the global --timeout bounds every command, timeouts are not retried,
and the operator reads one sentence of ours, never urllib3's."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from glmctl.cluster import resources
from glmctl.cluster.client import Cluster, RetryPolicy, ServerTimedOut, Timeouts
from glmctl.context import GlobalOptions
from glmctl.errors import ApiError, ExitCode
from tests.cluster.hanging import HangingListener
from tests.cluster.scripted_api import Reply, ScriptedApi, scripted_api, write_kubeconfig
from tests.conftest import CliResult


@pytest.fixture
def api() -> Iterator[ScriptedApi]:
    with scripted_api() as server:
        yield server


def clean(text: str) -> None:
    """No raw transport text and no traceback reach the operator."""
    for raw in ("ConnectionPool", "timeout=", "Traceback", "urllib3"):
        assert raw not in text


# -- the commands ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "scheme"),
    [
        (["status"], "http"),  # the server accepts the request and never answers it
        (["status"], "https"),  # ... or never finishes the TLS handshake
        (["monitor"], "http"),
        (["monitor"], "https"),
        (["monitor", "--once"], "http"),
    ],
)
def test_a_hung_server_stops_the_command_after_the_global_timeout_with_exit_4(
    command: list[str],
    scheme: str,
    hanging: HangingListener,
    run_cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    url = hanging.url(scheme)
    kubeconfig = write_kubeconfig(tmp_path / "config", url)

    result = run_cli([*command, "--kubeconfig", str(kubeconfig), "--timeout", "1"])

    assert result.exit_code == ExitCode.TIMEOUT, result.stderr
    assert result.stderr == (
        f"glmctl: error: the API server at {url} did not answer within 1 s (--timeout).\n"
        "  hint: Check that the API server is up and not overloaded (kubectl cluster-info), "
        "or allow it longer with --timeout.\n"
    )
    assert result.stdout == ""
    assert hanging.connections == 1  # asked once, not again and again


def test_verify_against_a_hung_server_times_out_with_exit_4(
    hanging: HangingListener, run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "config", hanging.url("http"))

    result = run_cli(["verify", "--kubeconfig", str(kubeconfig), "--timeout", "1"])

    assert result.exit_code == ExitCode.TIMEOUT
    clean(result.stdout + result.stderr)


# -- the cluster layer -------------------------------------------------------------------


def test_from_options_makes_the_global_timeout_the_budget_of_every_request(
    hanging: HangingListener, tmp_path: Path
) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "config", hanging.url("http"))
    options = GlobalOptions(kubeconfig=kubeconfig, timeout=1.0)

    with Cluster.from_options(options) as cluster, pytest.raises(ServerTimedOut) as raised:
        cluster.list(resources.KUSTOMIZATION, "flux-system")

    assert raised.value.exit_code == ExitCode.TIMEOUT
    assert raised.value.message.endswith("did not answer within 1 s (--timeout).")
    assert cluster.remaining() == 0.0


def test_without_a_budget_a_hung_server_is_one_clean_sentence_after_one_attempt(
    hanging: HangingListener, tmp_path: Path
) -> None:
    url = hanging.url("https")
    kubeconfig = write_kubeconfig(tmp_path / "config", url)
    cluster = Cluster.connect(
        kubeconfig, timeouts=Timeouts(connect=0.4, read=0.4), retry=RetryPolicy(attempts=5)
    )

    with cluster, pytest.raises(ServerTimedOut) as raised:
        cluster.server_version()

    sentence = rf"the API server at {url} \(context 'sim'\) did not answer within [0-9.]+ s\."
    assert re.fullmatch(sentence, raised.value.message)
    assert raised.value.hint is not None
    clean(raised.value.message + raised.value.hint)
    assert hanging.connections == 1
    assert cluster.remaining() is None


def test_no_retry_starts_when_its_wait_would_outlast_the_budget(
    api: ScriptedApi, tmp_path: Path
) -> None:
    path = "/apis/batch/v1/namespaces/authentik/jobs/old"
    api.script("GET", path, Reply(503, {"message": "busy"}, {"Retry-After": "5"}))
    kubeconfig = write_kubeconfig(tmp_path / "config", api.url)
    delays: list[float] = []
    cluster = Cluster.connect(kubeconfig, timeouts=Timeouts(total=2.0), sleep=delays.append)

    with cluster, pytest.raises(ApiError) as raised:
        cluster.get(resources.JOB, "old", "authentik")

    assert raised.value.status == 503
    assert delays == []  # waiting 5 s for Retry-After would overrun the 2 s budget
    assert len(api.requests_to(path)) == 1


def test_retries_within_the_budget_still_happen(api: ScriptedApi, tmp_path: Path) -> None:
    path = "/apis/batch/v1/namespaces/authentik/jobs/old"
    api.script(
        "GET",
        path,
        Reply(503, {"message": "busy"}, {"Retry-After": "0"}),
        Reply(200, {"kind": "Job", "metadata": {"name": "old"}}),
    )
    kubeconfig = write_kubeconfig(tmp_path / "config", api.url)
    delays: list[float] = []
    cluster = Cluster.connect(kubeconfig, timeouts=Timeouts(total=30.0), sleep=delays.append)

    with cluster:
        job = cluster.get(resources.JOB, "old", "authentik")

    assert job["metadata"]["name"] == "old"
    assert delays == [0.0]
