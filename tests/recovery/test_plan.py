"""Pure parts: selector safety, the size bound, dependsOn order, and the plan as printed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from glmctl.context import Terminal
from glmctl.errors import UsageError
from glmctl.plan import (
    Plan,
    PlanItem,
    check_bound,
    check_labels,
    check_selector,
    dependency_order,
    equality_labels,
    object_item,
)
from glmctl.render.plan import print_plan

LIFECYCLE = "app.kubernetes.io/name=gitops-lifecycle-management"


def obj(kind: str, name: str, namespace: str = "flux-system", **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}", **extra},
    }


@pytest.mark.parametrize(
    "selector",
    [
        "",
        "  ",
        "app.kubernetes.io/name",
        "app.kubernetes.io/name=other",
        "team=ops",
        "app.kubernetes.io/name in (gitops-lifecycle-management)",
    ],
)
def test_empty_or_wider_selectors_are_refused(selector: str) -> None:
    with pytest.raises(UsageError):
        check_selector(selector, LIFECYCLE)


@pytest.mark.parametrize("selector", [LIFECYCLE, f"{LIFECYCLE},app.kubernetes.io/component=x"])
def test_the_lifecycle_selector_and_narrower_ones_pass(selector: str) -> None:
    check_selector(selector, LIFECYCLE)


def test_a_lifecycle_selector_without_key_value_labels_cannot_vouch_for_anything() -> None:
    with pytest.raises(UsageError, match="no key=value label"):
        check_selector("app", "app")


def test_equality_labels_ignore_set_based_requirements() -> None:
    assert equality_labels("a=b,c in (d,e),f==g,!h") == {"a": "b", "f": "g"}


def test_a_listed_object_without_the_lifecycle_labels_is_refused() -> None:
    labelled = obj("Job", "ok", labels={"app.kubernetes.io/name": "gitops-lifecycle-management"})
    check_labels([labelled], LIFECYCLE)
    with pytest.raises(UsageError, match="does not carry the lifecycle's labels"):
        check_labels([labelled, obj("Job", "stray", labels={})], LIFECYCLE)


def test_more_than_the_bound_needs_force() -> None:
    plan = Plan("redeploy", tuple(object_item("delete", obj("Job", f"j{n}")) for n in range(51)))
    with pytest.raises(UsageError, match="51 objects"):
        check_bound(plan, force=False)
    check_bound(plan, force=True)
    check_bound(Plan("redeploy", plan.items[:50]), force=False)


def test_dependency_order_puts_dependencies_first_and_survives_a_cycle() -> None:
    a = obj("Kustomization", "a")
    b = {**obj("Kustomization", "b"), "spec": {"dependsOn": [{"name": "a"}]}}
    c = {**obj("Kustomization", "c"), "spec": {"dependsOn": [{"name": "b"}, {"name": "gone"}]}}
    assert [o["metadata"]["name"] for o in dependency_order([c, b, a])] == ["a", "b", "c"]
    x = {**obj("Kustomization", "x"), "spec": {"dependsOn": [{"name": "y"}]}}
    y = {**obj("Kustomization", "y"), "spec": {"dependsOn": [{"name": "x"}]}}
    assert [o["metadata"]["name"] for o in dependency_order([x, y])] == ["x", "y"]


def test_the_plan_as_printed(snapshot: SnapshotAssertion) -> None:
    plan = Plan(
        "redeploy",
        (
            object_item("resume", obj("HelmRelease", "release"), detail="spec.suspend: false"),
            object_item("delete", obj("HelmRelease", "release"), detail="uninstalls the release"),
            object_item("delete", obj("Job", "stuck", "authentik"), detail="Background"),
            PlanItem(
                id="x",
                action="edit-file",
                kind="File",
                name="a/kustomization.yaml",
                detail="already so",
                state="already",
            ),
        ),
        notes=("The HelmRelease is suspended: it is resumed first.",),
        diff="--- a/k.yaml\n+++ b/k.yaml\n@@ -1 +1 @@\n-# - a.yaml\n+- a.yaml\n",
    )
    out = io.StringIO()
    print_plan(Terminal(stdout=out, no_color=True).console(), plan)
    assert out.getvalue() == snapshot


def test_an_interrupted_run_counts_only_against_its_own_context() -> None:
    from glmctl.journal import Journal, PlannedChange
    from glmctl.recovery.execute import resume_plan

    item = object_item("delete", obj("Job", "stuck"))
    plan = Plan("redeploy", (item,))
    journal = Journal()
    other = journal.begin(
        "other-cluster",
        ["redeploy"],
        [PlannedChange(id=item.id, action="delete", kind="Job", name="stuck")],
        command_name="redeploy",
    )
    other.mark_done(item.id)

    unaffected, none = resume_plan(plan, journal, "redeploy", "this-cluster")
    resumed, found = resume_plan(plan, journal, "redeploy", "other-cluster")

    assert none is None and unaffected.items[0].state == "todo"
    assert found is not None and found.id == other.id
    assert resumed.items[0].state == "already"
