"""What people read from ``glmctl monitor``: plain lines, the final summary, the live table."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace

from rich.console import Console
from syrupy.assertion import SnapshotAssertion

from glmctl.cluster.client import Cluster
from glmctl.config import Profile
from glmctl.context import Terminal
from glmctl.monitor import (
    MonitorOutcome,
    MonitorTargets,
    MonitorUpdate,
    ObjectState,
    Role,
    SeenEvent,
    Verdict,
    follow,
)
from glmctl.render.monitor import LiveMonitor, PlainMonitor, print_final
from glmctl.sim.runner import SimHandle
from glmctl.sim.scenario import load_scenario

NS = "flux-system"
KUSTOMIZATION = ObjectState(
    "Kustomization",
    NS,
    "infrastructure-gitops-lifecycle-management",
    Role.TARGET,
    found=True,
    ready=False,
    state="Unknown",
    reason="Progressing",
    message="Reconciliation in progress",
)
RELEASE = ObjectState(
    "HelmRelease",
    NS,
    "gitops-lifecycle-management",
    Role.TARGET,
    found=True,
    ready=False,
    state="NotReady",
    reason="InstallFailed",
    message="Helm install failed: failed pre-install: job auth-setup failed",
    failed=True,
)
HOOK = ObjectState(
    "Job",
    NS,
    "gitops-lifecycle-management-auth-setup",
    Role.JOB,
    found=True,
    ready=False,
    state="Failed",
    reason="BackoffLimitExceeded",
    message="Job has reached the specified backoff limit",
    failed=True,
)
WARNING = SeenEvent(
    "HelmRelease",
    NS,
    "gitops-lifecycle-management",
    "Warning",
    "InstallFailed",
    "Helm install failed: failed pre-install",
    count=2,
)
FAILED = MonitorOutcome(
    verdict=Verdict.FAILED,
    summary="Failed: HelmRelease/gitops-lifecycle-management NotReady (InstallFailed).",
    objects=(KUSTOMIZATION, RELEASE, HOOK),
    events=(WARNING,),
    elapsed=12.4,
    timeout=600,
)


def plain_console() -> tuple[io.StringIO, Console]:
    out = io.StringIO()
    return out, Terminal(stdout=out, no_color=True).console()


def test_final_plain_rendering(snapshot: SnapshotAssertion) -> None:
    out, console = plain_console()

    print_final(console, FAILED)

    assert out.getvalue() == snapshot
    assert "\x1b[" not in out.getvalue()


def test_final_plain_rendering_of_the_failed_install_scenario(
    start_sim: Callable[..., SimHandle], snapshot: SnapshotAssertion
) -> None:
    handle = start_sim(load_scenario("helmrelease-failed"), controllers=[])
    with Cluster.connect(handle.kubeconfig_path) as cluster:
        outcome = follow(cluster, MonitorTargets.from_profile(Profile()), 0)
    out, console = plain_console()

    print_final(console, replace(outcome, elapsed=0.0))

    assert out.getvalue() == snapshot


def test_plain_lines_one_per_change_and_per_event(snapshot: SnapshotAssertion) -> None:
    out, console = plain_console()
    view = PlainMonitor(console)

    with view:
        view(MonitorUpdate((KUSTOMIZATION,), (KUSTOMIZATION,), (), Verdict.WAITING, "w", 0.0))
        view(
            MonitorUpdate(
                (KUSTOMIZATION, RELEASE, HOOK), (RELEASE, HOOK), (WARNING,), Verdict.FAILED, "", 3.5
            )
        )

    assert out.getvalue() == snapshot
    assert len(out.getvalue().splitlines()) == 4


def test_live_table_shows_each_object_and_the_newest_events() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=160, color_system="standard")
    view = LiveMonitor(console, title="Following")
    update = MonitorUpdate(
        (RELEASE, HOOK), (RELEASE, HOOK), (WARNING,), Verdict.FAILED, "Failed: it broke.", 2.0
    )

    view(update)
    rendered = Console(file=io.StringIO(), width=160, no_color=True)
    with rendered.capture() as captured:
        rendered.print(view.render())
    text = captured.get()

    assert "HelmRelease/gitops-lifecycle-management" in text
    assert "BackoffLimitExceeded" in text
    assert "event Warning InstallFailed HelmRelease/flux-system/" in text
    assert "Failed: it broke." in text


def test_json_document_of_the_final_state() -> None:
    from glmctl.contract.build import monitor_report

    document = monitor_report(FAILED).data()

    assert (document["apiVersion"], document["kind"]) == ("glmctl.io/v1", "MonitorReport")
    assert (document["verdict"], document["exitCode"]) == ("failed", 1)
    assert document["elapsedSeconds"] == 12.4
    assert [o["state"] for o in document["objects"]] == ["Unknown", "NotReady", "Failed"]
    assert document["events"][0] == {
        "object": "HelmRelease/flux-system/gitops-lifecycle-management",
        "type": "Warning",
        "reason": "InstallFailed",
        "message": "Helm install failed: failed pre-install",
        "count": 2,
        "lastSeen": None,
    }


def _drawn(view: LiveMonitor) -> str:
    drawing = Console(file=io.StringIO(), width=160, no_color=True)
    with drawing.capture() as captured:
        drawing.print(view.render())
    return captured.get()


def test_the_live_tables_last_frame_leaves_the_verdict_to_the_final_lines() -> None:
    """The command prints the verdict under the final state; the last frame, which stays
    on screen above it, must not say it a second time."""
    console = Console(file=io.StringIO(), force_terminal=True, width=160, color_system=None)
    update = MonitorUpdate((RELEASE,), (RELEASE,), (), Verdict.FAILED, "Failed: it broke.", 2.0)
    with LiveMonitor(console, title="Following") as view:
        view(update)
        assert "Failed: it broke.  (2 s)" in _drawn(view)  # while it runs
    assert "Failed: it broke." not in _drawn(view)
    assert "HelmRelease/gitops-lifecycle-management" in _drawn(view)
