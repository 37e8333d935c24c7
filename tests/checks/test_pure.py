"""The pure parts of the checks: suggestions, error lines, pod states, skew, Secret sizes."""

from __future__ import annotations

import pytest

from glmctl.steps._text import (
    DEFAULT_ERROR_PATTERNS,
    closest_names,
    did_you_mean,
    error_lines,
    pod_problem,
)
from glmctl.steps.flux import problem
from glmctl.steps.secrets import describe_keys, key_sizes
from glmctl.steps.tools import helm_skew, kubectl_skew

PREREQUISITES = [
    "infrastructure-sources",
    "infrastructure-external-secrets",
    "infrastructure-onepassword-connect",
    "infrastructure-authentik",
    "infrastructure-authentik-outpost-config",
]


def test_suggestions_skip_siblings_that_only_share_the_prefix() -> None:
    assert closest_names("infrastructure-authentk", PREREQUISITES) == ["infrastructure-authentik"]
    assert did_you_mean("infrastructure-onepasword-connect", PREREQUISITES) == (
        ", did you mean infrastructure-onepassword-connect?"
    )
    assert did_you_mean("something-else", PREREQUISITES) == ""


@pytest.mark.parametrize(
    "line",
    [
        '{"log_message":"(E) failed to initialize sync","level":1}',
        'time="x" level=error msg="failed to list services"',
        '{"event": "boom", "level": "error"}',
        "2025-01-01T00:00:01Z ERROR giving up after 3 attempts",
    ],
)
def test_error_lines_are_recognised_in_each_log_style(line: str) -> None:
    assert error_lines(line, DEFAULT_ERROR_PATTERNS) == [line]


@pytest.mark.parametrize(
    "line",
    [
        '{"log_message":"(I) GET /v1/vaults completed (200: OK) in 12ms","level":3}',
        'time="x" level=info msg="reconciled proxy providers" errors=0',
        "2025-01-01T00:00:01Z INFO  removed 0 duplicate tokens",
    ],
)
def test_ordinary_lines_are_not_errors(line: str) -> None:
    assert error_lines(line, DEFAULT_ERROR_PATTERNS) == []


def test_pod_problem_reads_like_kubectl_get_pods() -> None:
    pod = {
        "status": {
            "phase": "Running",
            "containerStatuses": [
                {"name": "api", "ready": True, "state": {"running": {}}},
                {
                    "name": "sync",
                    "ready": False,
                    "restartCount": 14,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                },
            ],
        }
    }
    assert pod_problem(pod) == "container sync CrashLoopBackOff, 14 restarts"


def test_flux_problem_names_suspended_stale_and_failing_objects() -> None:
    ready = {"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded"}
    base = {"metadata": {"generation": 2}, "status": {"observedGeneration": 2}}
    assert (
        problem(
            {**base, "status": {**base["status"], "conditions": [ready]}}, allow_suspended=False
        )
        is None
    )
    suspended = {**base, "spec": {"suspend": True}}
    assert "suspended" in (problem(suspended, allow_suspended=False) or "")
    stale = {
        "metadata": {"generation": 3},
        "status": {"observedGeneration": 2, "conditions": [ready]},
    }
    assert (problem(stale, allow_suspended=False) or "").startswith("stale: generation 3")
    failing = {
        **base,
        "status": {
            "observedGeneration": 2,
            "conditions": [
                {"type": "Ready", "status": "False", "reason": "BuildFailed", "message": "x"}
            ],
        },
    }
    assert problem(failing, allow_suspended=False) == "NotReady (BuildFailed): x"


def test_kubectl_and_helm_skew_follow_their_published_policies() -> None:
    assert kubectl_skew("1.33.0", "v1.34.0") is None
    assert kubectl_skew("1.32.4", "v1.34.0-glmctl-sim") is not None
    assert helm_skew("3.16.2", "v1.31.0") is None
    assert helm_skew("3.16.2", "v1.28.0") is None
    assert "1.28 to 1.31" in (helm_skew("3.16.2", "v1.34.0") or "")


def test_secret_sizes_never_keep_values() -> None:
    secret = {"data": {"token": "c2ltLWZha2UtdmFsdWU=", "empty": ""}}
    sizes = key_sizes(secret)
    assert sizes == {"token": 14, "empty": 0}
    assert describe_keys(sizes) == "empty (0 bytes), token (14 bytes)"
