"""``glmctl preflight`` against the simulated cluster: passes before a deploy, and on each
failing scenario names exactly the failing checks with a hint that says what to do."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.checks.conftest import failing, steps_of
from tests.conftest import CliResult

Run = Callable[..., CliResult]
LINT_FIXTURE = Path(__file__).parent.parent / "lint" / "fixtures" / "repo-guide"


def test_preflight_passes_before_the_deploy(run_against: Run) -> None:
    result = run_against("predeploy", "preflight", "-o", "json")

    assert result.exit_code == 0, result.stdout
    steps = steps_of(result)
    assert failing(result) == set()
    assert steps["lint"]["status"] == "skip"  # no --repo
    assert steps["prerequisites"]["summary"] == "4 Kustomizations Ready"
    assert steps["replaced_jobs"]["status"] == "pass"
    assert steps["tools"]["status"] in ("pass", "warn")  # absent tools never fail


@pytest.mark.parametrize(
    ("scenario", "expected", "hints"),
    [
        (
            "onepassword-down",
            {"connect_pods", "connect_logs", "secret_store"},
            {"connect_logs": "credentials", "secret_store": "1Password Connect"},
        ),
        (
            "externalsecrets-not-syncing",
            {"connect_logs", "secret_store"},
            {"secret_store": "token"},
        ),
        (
            "old-jobs-running",
            {"replaced_jobs"},
            {"replaced_jobs": "kubectl delete job -n authentik enhanced-token-setup"},
        ),
        (
            "failed-pods",
            {"failed_pods"},
            {"failed_pods": "--field-selector=status.phase=Failed"},
        ),
    ],
)
def test_preflight_names_exactly_the_failing_checks(
    run_against: Run, scenario: str, expected: set[str], hints: dict[str, str]
) -> None:
    result = run_against(scenario, "preflight", "-o", "json")

    assert result.exit_code == 1
    assert failing(result) == expected
    steps = steps_of(result)
    for step_id, phrase in hints.items():
        assert phrase in (steps[step_id]["hint"] or ""), steps[step_id]
    for step_id in expected:
        assert steps[step_id]["command"], f"{step_id} has no equivalent command"


def test_old_jobs_preflight_and_troubleshoot_agree_repo_fix_first(run_against: Run) -> None:
    preflight = steps_of(run_against("old-jobs-running", "preflight", "-o", "json"))
    troubleshoot = steps_of(
        run_against("old-jobs-running", "troubleshoot", "old-jobs", "-o", "json")
    )

    hint = preflight["replaced_jobs"]["hint"]
    kustomization = "infrastructure/authentik-outpost-config/kustomization.yaml"
    assert hint.index(kustomization) < hint.index("kubectl delete job")
    assert "`glmctl rollback --undo`" in hint
    owner = "flux-system/infrastructure-authentik-outpost-config"
    assert f"Kustomization {owner} still applies them" in hint
    # the same labels make troubleshoot conclude that a hand delete would come back
    assert f"applied by Kustomization {owner}" in troubleshoot["active"]["details"][0]
    assert "would come back" in troubleshoot["diagnosis"]["summary"]
    assert troubleshoot["replaced_jobs"]["hint"] == hint


def test_connect_log_errors_are_shown_line_by_line(run_against: Run) -> None:
    steps = steps_of(run_against("onepassword-down", "preflight", "-o", "json"))

    details = steps["connect_logs"]["details"]
    assert len(details) == 2
    assert "failed to load credentials" in details[0]
    assert "credentials unavailable, exiting" in details[1]
    assert "CrashLoopBackOff" in steps["connect_pods"]["details"][0]


def test_failed_pods_show_reason_and_last_log_lines(run_against: Run) -> None:
    steps = steps_of(run_against("failed-pods", "preflight", "-o", "json"))

    details = steps["failed_pods"]["details"]
    assert details[0].startswith("authentik-worker-7d6c5b4a3-zx81q: Failed, Evicted")
    assert "  log: 2025-01-01T00:00:01Z ERROR giving up after 3 attempts" in details


def test_misspelt_prerequisite_suggests_the_closest_name(run_against: Run, tmp_path: Path) -> None:
    config = tmp_path / "glmctl.yaml"
    config.write_text(
        "flux:\n"
        "  prerequisites:\n"
        "    - infrastructure-sources\n"
        "    - infrastructure-onepasword-connect\n",
        encoding="utf-8",
    )

    result = run_against("predeploy", "preflight", "-o", "json", config=config)

    assert result.exit_code == 1
    assert failing(result) == {"prerequisites"}
    step = steps_of(result)["prerequisites"]
    assert step["details"] == [
        "infrastructure-onepasword-connect: not found, did you mean "
        "infrastructure-onepassword-connect?"
    ]
    assert "flux.prerequisites in glmctl.yaml" in step["hint"]


def test_repo_option_lints_the_repository_first(run_against: Run) -> None:
    result = run_against("predeploy", "preflight", "--repo", str(LINT_FIXTURE), "-o", "json")

    assert result.exit_code == 0, result.stdout
    lint = steps_of(result)["lint"]
    assert lint["status"] == "pass"
    assert lint["summary"].startswith("lint: no problems in ")


def test_repo_with_lint_errors_fails_preflight(run_against: Run, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(LINT_FIXTURE, repo)
    outpost = repo / "infrastructure" / "authentik-outpost-config" / "kustomization.yaml"
    outpost.write_text(
        outpost.read_text(encoding="utf-8") + "  - missing-job.yaml\n", encoding="utf-8"
    )

    result = run_against("predeploy", "preflight", "--repo", str(repo), "-o", "json")

    assert result.exit_code == 1
    assert failing(result) == {"lint"}
    lint = steps_of(result)["lint"]
    assert lint["details"][0].startswith(
        "infrastructure/authentik-outpost-config/kustomization.yaml:11: "
    )
    assert "missing-job.yaml" in lint["details"][0]
    assert lint["command"] == f"glmctl lint {repo}"


def test_denied_permissions_are_each_named(
    start_sim: Callable[..., object], run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    from glmctl.sim.runner import SimHandle
    from glmctl.sim.scenario import load_scenario

    handle = start_sim(load_scenario("predeploy"), controllers=[])
    assert isinstance(handle, SimHandle)
    handle.add_user("jane", "jane-token", groups=())
    kubeconfig = tmp_path / "jane.kubeconfig"
    kubeconfig.write_text(
        handle.kubeconfig_path.read_text(encoding="utf-8").replace(handle.token, "jane-token"),
        encoding="utf-8",
    )

    result = run_cli(["--kubeconfig", str(kubeconfig), "preflight", "-o", "json"])

    assert result.exit_code == 1
    permissions = steps_of(result)["permissions"]
    assert permissions["status"] == "fail"
    assert permissions["details"] == [
        "no: patch kustomizations.kustomize.toolkit.fluxcd.io in flux-system",
        "no: delete helmreleases.helm.toolkit.fluxcd.io in flux-system",
        "no: delete jobs.batch in authentik",
        "no: delete jobs.batch in flux-system",
        "no: list secrets in authentik",
    ]
    assert permissions["command"] == (
        "kubectl auth can-i patch kustomizations.kustomize.toolkit.fluxcd.io -n flux-system"
    )


def test_unreachable_cluster_stops_the_run_with_exit_3(
    run_cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    from tests.cluster.scripted_api import write_kubeconfig
    from tests.cluster.test_status_cli_errors import closed_port_url

    kubeconfig = write_kubeconfig(tmp_path / "config", closed_port_url())

    result = run_cli(["--kubeconfig", str(kubeconfig), "preflight", "-o", "json"])

    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["status"] == "unreachable"
    assert "cannot reach the Kubernetes API server" in report["stoppedBecause"]
    assert "Traceback" not in result.stdout + result.stderr
