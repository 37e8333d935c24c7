"""The monitor's state machine, fed by hand: no server, only object dicts."""

from __future__ import annotations

from typing import Any

from glmctl.cluster import resources
from glmctl.config import Profile
from glmctl.monitor import Follower, MonitorTargets, Role, Stream, Verdict

Obj = dict[str, Any]
NS = "flux-system"
KS = "infrastructure-gitops-lifecycle-management"
HR = "gitops-lifecycle-management"
TARGETS = MonitorTargets.from_profile(Profile())
KS_STREAM = Stream(resources.KUSTOMIZATION, NS)
HR_STREAM = Stream(resources.HELMRELEASE, NS)
JOB_STREAM = Stream(resources.JOB, NS, TARGETS.job_selector)
EVENT_STREAM = Stream(resources.EVENT, NS)


def condition(kind: str, status: str, reason: str = "", message: str = "") -> Obj:
    return {"type": kind, "status": status, "reason": reason, "message": message}


def flux_obj(
    kind: str,
    name: str,
    *conditions: Obj,
    namespace: str = NS,
    generation: int = 1,
    observed: int = 1,
    depends: tuple[str, ...] = (),
    suspend: bool = False,
    annotations: dict[str, str] | None = None,
    handled: str | None = None,
) -> Obj:
    status: Obj = {"observedGeneration": observed, "conditions": list(conditions)}
    if handled:
        status["lastHandledReconcileAt"] = handled
    return {
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "generation": generation,
            "annotations": annotations or {},
        },
        "spec": {"suspend": suspend, "dependsOn": [{"name": d} for d in depends]},
        "status": status,
    }


def ready(kind: str, name: str, **kwargs: Any) -> Obj:
    return flux_obj(kind, name, condition("Ready", "True", "Succeeded", "ok"), **kwargs)


def job(name: str, *conditions: Obj, active: int = 0) -> Obj:
    return {
        "kind": "Job",
        "metadata": {"name": name, "namespace": NS},
        "status": {"conditions": list(conditions), "active": active},
    }


def event(uid: str, involved_kind: str, name: str, reason: str, count: int = 1) -> Obj:
    return {
        "kind": "Event",
        "metadata": {"name": f"{name}.{uid}", "namespace": NS, "uid": uid},
        "involvedObject": {"kind": involved_kind, "name": name, "namespace": NS},
        "reason": reason,
        "message": f"{reason} happened",
        "type": "Warning" if "Failed" in reason else "Normal",
        "count": count,
        "lastTimestamp": f"2026-01-01T00:00:{count:02d}Z",
    }


def follower_with(
    kustomizations: list[Obj], releases: list[Obj], jobs: list[Obj] | None = None
) -> Follower:
    follower = Follower(TARGETS)
    follower.reset(KS_STREAM, kustomizations, initial=True)
    follower.reset(HR_STREAM, releases, initial=True)
    follower.reset(JOB_STREAM, jobs or [], initial=True)
    follower.reset(EVENT_STREAM, [], initial=True)
    return follower


def test_all_ready_is_ready() -> None:
    follower = follower_with([ready("Kustomization", KS)], [ready("HelmRelease", HR)])

    verdict, summary = follower.verdict()

    assert verdict is Verdict.READY
    assert summary == "All 2 objects Ready."


def test_stalled_release_fails_naming_the_ready_reason_too() -> None:
    stalled = flux_obj(
        "HelmRelease",
        HR,
        condition("Stalled", "True", "RetriesExceeded", "Failed to install after 4 attempt(s)"),
        condition("Ready", "False", "InstallFailed", "failed pre-install: job auth failed"),
    )
    follower = follower_with([ready("Kustomization", KS)], [stalled])

    verdict, summary = follower.verdict()
    row = follower.rows()[1]

    assert verdict is Verdict.FAILED
    assert summary == (
        "Failed: HelmRelease/gitops-lifecycle-management NotReady (InstallFailed: "
        "failed pre-install: job auth failed (gave up: RetriesExceeded: "
        "Failed to install after 4 attempt(s)))."
    )
    assert (row.reason, row.failed) == ("InstallFailed", True)


def test_install_failed_while_reconciling_is_a_retry_still_waiting() -> None:
    retrying = flux_obj(
        "HelmRelease",
        HR,
        condition("Ready", "False", "InstallFailed", "boom"),
        condition("Reconciling", "True", "Progressing", "retrying"),
    )
    follower = follower_with([ready("Kustomization", KS)], [retrying])

    assert follower.verdict()[0] is Verdict.WAITING


def test_upgrade_failed_at_the_current_generation_fails() -> None:
    failed = flux_obj("HelmRelease", HR, condition("Ready", "False", "UpgradeFailed", "x"))

    assert follower_with([ready("Kustomization", KS)], [failed]).verdict()[0] is Verdict.FAILED


def test_ready_for_an_older_generation_is_still_waiting() -> None:
    stale = ready("HelmRelease", HR, generation=2, observed=1)

    assert follower_with([ready("Kustomization", KS)], [stale]).verdict()[0] is Verdict.WAITING


def test_a_pending_reconcile_request_waits_until_handled() -> None:
    asked = {"reconcile.fluxcd.io/requestedAt": "2026-01-01T00:00:00Z"}
    before = ready("Kustomization", KS, annotations=asked, handled="2025-12-31T00:00:00Z")
    after = ready("Kustomization", KS, annotations=asked, handled="2026-01-01T00:00:00Z")
    follower = follower_with([before], [ready("HelmRelease", HR)])

    waiting = follower.verdict()
    follower.apply(KS_STREAM, "MODIFIED", after)

    assert waiting[0] is Verdict.WAITING
    assert "ReconcileRequested" in waiting[1]
    assert follower.verdict()[0] is Verdict.READY


def test_missing_release_waits_and_says_not_found() -> None:
    follower = follower_with([ready("Kustomization", KS)], [])

    verdict, summary = follower.verdict()

    assert verdict is Verdict.WAITING
    assert "HelmRelease/gitops-lifecycle-management NotFound" in summary


def test_suspended_kustomization_waits_and_says_so() -> None:
    never = flux_obj("Kustomization", KS, observed=0, suspend=True)
    follower = follower_with([never], [ready("HelmRelease", HR)])

    verdict, summary = follower.verdict()

    assert verdict is Verdict.WAITING
    assert "suspended" in summary


def test_a_failed_hook_job_fails_while_the_release_is_not_ready() -> None:
    installing = flux_obj("HelmRelease", HR, condition("Ready", "Unknown", "Progressing", "..."))
    hook = job("glm-auth-setup", condition("Failed", "True", "BackoffLimitExceeded", "limit"))
    follower = follower_with([ready("Kustomization", KS)], [installing], [hook])

    verdict, summary = follower.verdict()

    assert verdict is Verdict.FAILED
    assert "Job/glm-auth-setup Failed (BackoffLimitExceeded: limit)" in summary


def test_a_failed_job_left_over_from_before_a_ready_release_is_history() -> None:
    hook = job("glm-auth-setup", condition("Failed", "True", "BackoffLimitExceeded"))
    follower = follower_with([ready("Kustomization", KS)], [ready("HelmRelease", HR)], [hook])

    assert follower.verdict()[0] is Verdict.READY


def test_a_running_job_keeps_the_wait_going() -> None:
    running = job("glm-database-init", active=1)
    follower = follower_with([ready("Kustomization", KS)], [ready("HelmRelease", HR)], [running])

    waiting = follower.verdict()
    follower.apply(JOB_STREAM, "MODIFIED", job("glm-database-init", condition("Complete", "True")))

    assert waiting[0] is Verdict.WAITING
    assert follower.verdict()[0] is Verdict.READY


def test_a_job_with_failure_target_fails_the_wait_before_its_pods_are_gone() -> None:
    """Kubernetes 1.31+ decides the failure at FailureTarget; Failed follows once pods stop.
    The reading is glmctl.cluster.jobs.job_state, shared with preflight and diagnosis."""
    doomed = job("glm-database-init", condition("FailureTarget", "True", "DeadlineExceeded"))
    follower = follower_with([ready("Kustomization", KS)], [], [doomed])

    assert follower.verdict()[0] is Verdict.FAILED
    row = next(row for row in follower.rows() if row.kind == "Job")
    assert (row.state, row.reason) == ("Failed", "DeadlineExceeded")


def test_a_job_with_success_criteria_met_counts_as_complete() -> None:
    done = job("glm-database-init", condition("SuccessCriteriaMet", "True", "CompletionsReached"))
    follower = follower_with([ready("Kustomization", KS)], [ready("HelmRelease", HR)], [done])

    assert follower.verdict()[0] is Verdict.READY


def test_only_dependencies_not_ready_when_first_seen_are_followed() -> None:
    root = ready("Kustomization", KS, depends=("prereq-ok", "prereq-slow"))
    root["status"]["conditions"] = [condition("Ready", "False", "DependencyNotReady", "wait")]
    slow = flux_obj("Kustomization", "prereq-slow", condition("Ready", "Unknown", "Progressing"))
    follower = follower_with(
        [root, ready("Kustomization", "prereq-ok"), slow], [ready("HelmRelease", HR)]
    )

    rows = {row.name: row for row in follower.rows()}
    follower.apply(KS_STREAM, "MODIFIED", ready("Kustomization", "prereq-slow"))
    follower.apply(KS_STREAM, "MODIFIED", ready("Kustomization", KS, depends=("prereq-ok",)))

    assert set(rows) == {KS, HR, "prereq-slow"}
    assert rows["prereq-slow"].role is Role.DEPENDENCY
    assert [row.name for row in follower.rows()] == [KS, HR, "prereq-slow"]
    assert follower.verdict()[0] is Verdict.READY


def test_a_dependency_in_another_namespace_asks_for_its_streams_first() -> None:
    root = flux_obj("Kustomization", KS, condition("Ready", "False", "DependencyNotReady", "wait"))
    root["spec"]["dependsOn"] = [{"name": "sources", "namespace": "infra"}]
    follower = follower_with([root], [ready("HelmRelease", HR)])
    infra = Stream(resources.KUSTOMIZATION, "infra")

    wanted = follower.wanted()
    names_before = [row.name for row in follower.rows()]
    follower.reset(infra, [], initial=True)

    assert infra in wanted
    assert Stream(resources.EVENT, "infra") in wanted
    assert names_before == [KS, HR]
    missing = [row for row in follower.rows() if row.name == "sources"]
    assert [(row.state, row.namespace) for row in missing] == [("NotFound", "infra")]


def test_a_relist_forgets_objects_deleted_during_a_gap() -> None:
    follower = follower_with(
        [ready("Kustomization", KS)], [ready("HelmRelease", HR)], [job("glm-old", active=1)]
    )

    before = follower.verdict()[0]
    follower.reset(JOB_STREAM, [])

    assert before is Verdict.WAITING
    assert follower.verdict()[0] is Verdict.READY
    assert [row.kind for row in follower.rows()] == ["Kustomization", "HelmRelease"]


def test_events_are_new_once_and_only_about_followed_objects() -> None:
    follower = Follower(TARGETS)
    follower.reset(EVENT_STREAM, [event("old", "HelmRelease", HR, "Old")], initial=True)
    follower.reset(KS_STREAM, [ready("Kustomization", KS)], initial=True)
    follower.reset(HR_STREAM, [], initial=True)
    follower.apply(EVENT_STREAM, "ADDED", event("u1", "HelmRelease", HR, "InstallFailed"))
    follower.apply(EVENT_STREAM, "ADDED", event("u2", "Pod", "elsewhere", "Pulled"))
    follower.apply(EVENT_STREAM, "ADDED", event("u3", "Kustomization", KS, "Progressing"))

    first = follower.take_new_events()
    follower.reset(EVENT_STREAM, [event("u1", "HelmRelease", HR, "InstallFailed")])
    again = follower.take_new_events()
    follower.apply(EVENT_STREAM, "MODIFIED", event("u1", "HelmRelease", HR, "InstallFailed", 2))
    repeated = follower.take_new_events()

    assert [(e.kind, e.reason) for e in first] == [
        ("HelmRelease", "InstallFailed"),
        ("Kustomization", "Progressing"),
    ]
    assert first[0].warning
    assert again == ()
    assert [(e.reason, e.count) for e in repeated] == [("InstallFailed", 2)]


def test_an_event_arriving_before_its_job_is_kept_until_the_job_is_followed() -> None:
    follower = follower_with([ready("Kustomization", KS)], [])
    follower.apply(EVENT_STREAM, "ADDED", event("e1", "Job", "glm-hook", "SuccessfulCreate"))

    early = follower.take_new_events()
    follower.apply(JOB_STREAM, "ADDED", job("glm-hook", active=1))

    assert early == ()
    assert [e.reason for e in follower.take_new_events()] == ["SuccessfulCreate"]


REQUESTED = {"reconcile.fluxcd.io/requestedAt": "2026-01-01T12:00:00Z"}


def stalled_release(**kwargs: Any) -> Obj:
    return flux_obj(
        "HelmRelease",
        HR,
        condition("Stalled", "True", "RetriesExceeded", "gave up"),
        condition("Ready", "False", "InstallFailed", "hook failed"),
        **kwargs,
    )


def test_a_failure_before_a_pending_reconcile_request_is_not_final() -> None:
    follower = follower_with([ready("Kustomization", KS)], [stalled_release(annotations=REQUESTED)])

    before = follower.verdict()[0]
    handled = stalled_release(annotations=REQUESTED, handled="2026-01-01T12:00:00Z")
    follower.apply(HR_STREAM, "MODIFIED", handled)

    assert before is Verdict.WAITING
    assert follower.verdict()[0] is Verdict.FAILED


def test_a_failed_hook_from_before_the_reconcile_request_is_history() -> None:
    installing = flux_obj(
        "HelmRelease",
        HR,
        condition("Ready", "Unknown", "Progressing", "..."),
        annotations=REQUESTED,
    )
    failed = condition("Failed", "True", "BackoffLimitExceeded")
    old = job("glm-auth-setup", failed)
    old["metadata"]["creationTimestamp"] = "2026-01-01T11:59:00Z"
    new = job("glm-auth-setup", failed)
    new["metadata"]["creationTimestamp"] = "2026-01-01T12:00:05Z"
    follower = follower_with([ready("Kustomization", KS)], [installing], [old])

    before = follower.verdict()[0]
    follower.apply(JOB_STREAM, "MODIFIED", new)

    assert before is Verdict.WAITING
    assert follower.verdict()[0] is Verdict.FAILED


def test_a_suspended_object_never_handles_a_request_so_it_is_ignored() -> None:
    suspended = ready("Kustomization", KS, suspend=True, annotations=REQUESTED)

    follower = follower_with([suspended], [ready("HelmRelease", HR)])

    assert follower.verdict()[0] is Verdict.READY


def test_a_dependency_cycle_back_to_the_target_is_shown_once() -> None:
    root = flux_obj("Kustomization", KS, condition("Ready", "False", "x"), depends=("other",))
    other = flux_obj("Kustomization", "other", condition("Ready", "False", "y"), depends=(KS,))

    follower = follower_with([root, other], [ready("HelmRelease", HR)])

    assert [row.name for row in follower.rows()] == [KS, HR, "other"]
