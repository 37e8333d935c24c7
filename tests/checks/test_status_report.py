"""The status tree from object dicts: dependsOn recursion, sources, missing objects, cycles."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console
from syrupy.assertion import SnapshotAssertion

from glmctl.cluster import resources
from glmctl.cluster.resources import ResourceType
from glmctl.config import Profile
from glmctl.errors import CrdNotInstalled, NotFound
from glmctl.render.status import print_status, trim
from glmctl.status import StatusReport, StatusTargets, build_status, format_age
from tests.conftest import CliResult

TARGETS = StatusTargets.from_profile(Profile())
NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
NS = "flux-system"
INSTALLED = "Helm install succeeded for release flux-system/gitops-lifecycle-management.v1"


class DictReader:
    """Objects by (kind, namespace, name); an absent kind behaves like a missing CRD."""

    def __init__(self, objects: list[dict[str, Any]], missing_kinds: tuple[str, ...] = ()) -> None:
        self.objects = {
            (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objects
        }
        self.missing_kinds = missing_kinds
        self.reads: list[tuple[str, str, str]] = []

    def get(self, rt: ResourceType, name: str, namespace: str | None = None) -> dict[str, Any]:
        self.reads.append((rt.kind, namespace or "", name))
        if rt.kind in self.missing_kinds:
            raise CrdNotInstalled(f"is the {rt.display} CRD installed?")
        try:
            return self.objects[(rt.kind, namespace or "", name)]
        except KeyError:
            raise NotFound(f"{rt.kind} {name} not found") from None


def flux_obj(
    kind: str,
    name: str,
    *,
    ready: str = "True",
    reason: str = "ReconciliationSucceeded",
    message: str = "Applied revision: main@sha1:7c4e2b9d",
    depends: tuple[str, ...] = (),
    source: tuple[str, str] | None = ("GitRepository", "flux-system"),
    suspend: bool = False,
    created: str = "2026-11-26T09:00:00Z",
) -> dict[str, Any]:
    spec: dict[str, Any] = {"dependsOn": [{"name": d} for d in depends], "suspend": suspend}
    if source is not None:
        ref = {"kind": source[0], "name": source[1]}
        if kind == "HelmRelease":
            spec["chart"] = {"spec": {"chart": name, "sourceRef": ref}}
        else:
            spec["sourceRef"] = ref
    return {
        "kind": kind,
        "metadata": {"name": name, "namespace": NS, "generation": 1, "creationTimestamp": created},
        "spec": spec,
        "status": {
            "observedGeneration": 1,
            "conditions": [
                {
                    "type": "Ready",
                    "status": ready,
                    "reason": reason,
                    "message": message,
                    "lastTransitionTime": "2026-11-26T11:55:00Z",
                }
            ],
        },
    }


def guide_cluster(**helmrelease: Any) -> list[dict[str, Any]]:
    prerequisites = (
        "infrastructure-sources",
        "infrastructure-external-secrets",
        "infrastructure-onepassword-connect",
        "infrastructure-authentik",
    )
    objects = [
        flux_obj(
            "Kustomization", "infrastructure-gitops-lifecycle-management", depends=prerequisites
        ),
        flux_obj("Kustomization", "infrastructure-sources"),
        flux_obj(
            "Kustomization", "infrastructure-external-secrets", depends=("infrastructure-sources",)
        ),
        flux_obj(
            "Kustomization",
            "infrastructure-onepassword-connect",
            depends=("infrastructure-external-secrets",),
        ),
        flux_obj(
            "Kustomization",
            "infrastructure-authentik",
            depends=("infrastructure-onepassword-connect",),
        ),
        flux_obj(
            "GitRepository",
            "flux-system",
            message="stored artifact for revision 'main@sha1:7c4e2b9d'",
        ),
        flux_obj(
            "HelmRepository",
            "gitops-lifecycle-management",
            message="stored artifact: revision 'sha256:9d2c'",
        ),
        flux_obj(
            "HelmRelease",
            "gitops-lifecycle-management",
            source=("HelmRepository", "gitops-lifecycle-management"),
            **({"message": INSTALLED} | helmrelease),
        ),
    ]
    return objects


def render(report: Any) -> str:
    out = io.StringIO()
    print_status(Console(file=out, width=140, no_color=True, force_terminal=False), report, NOW)
    return out.getvalue()


def test_healthy_tree_is_all_ready(snapshot: SnapshotAssertion) -> None:
    reader = DictReader(guide_cluster())
    report = build_status(reader, TARGETS, context="sim")

    assert report.all_ready
    assert [n.relation for n in report.root.children] == [
        "source",
        "dependsOn",
        "dependsOn",
        "dependsOn",
        "dependsOn",
        "deploys",
    ]
    # the shared GitRepository is read and shown once; repeated Kustomizations are marked
    assert reader.reads.count(("GitRepository", NS, "flux-system")) == 1
    assert len(report.nodes) == 8
    assert sum(1 for n in report.root.walk() if n.repeated) == 3
    assert render(report) == snapshot


def test_failing_helmrelease_is_not_ready_with_its_reason(snapshot: SnapshotAssertion) -> None:
    reader = DictReader(
        guide_cluster(
            ready="False",
            reason="InstallFailed",
            message="Helm install failed: timed out waiting for the condition\nmore detail",
        )
    )
    report = build_status(reader, TARGETS, context="sim")

    assert not report.all_ready
    assert [n.ref for n in report.not_ready] == [
        "HelmRelease/flux-system/gitops-lifecycle-management"
    ]
    assert render(report) == snapshot
    assert status_json(report, NOW) == snapshot


def status_json(report: StatusReport, now: datetime) -> str:
    from glmctl.context import OutputFormat
    from glmctl.contract.build import status_report
    from glmctl.render.output import document_text

    return document_text(status_report(report, now), OutputFormat.JSON)


def test_missing_objects_and_missing_crds_are_nodes_not_errors() -> None:
    objects = [o for o in guide_cluster() if o["metadata"]["name"] != "infrastructure-authentik"]
    report = build_status(DictReader(objects, missing_kinds=("HelmRelease",)), TARGETS)

    missing = {n.name: n for n in report.nodes if not n.found}
    assert missing["infrastructure-authentik"].status == "NotFound"
    assert missing["infrastructure-authentik"].message == "not found"
    assert "CRD installed?" in missing["gitops-lifecycle-management"].message
    assert not report.all_ready


def test_dependency_cycle_is_shown_once_and_stops() -> None:
    objects = [
        flux_obj("Kustomization", "infrastructure-gitops-lifecycle-management", depends=("a",)),
        flux_obj("Kustomization", "a", depends=("infrastructure-gitops-lifecycle-management",)),
        flux_obj("GitRepository", "flux-system"),
    ]
    report = build_status(DictReader(objects), TARGETS)

    cycle = [n for n in report.nodes if n.reason == "DependencyCycle"]
    assert [n.name for n in cycle] == ["infrastructure-gitops-lifecycle-management"]


def test_suspended_flag_is_rendered() -> None:
    objects = guide_cluster()
    objects[0]["spec"]["suspend"] = True
    text = render(build_status(DictReader(objects), TARGETS))
    assert "infrastructure-gitops-lifecycle-management (flux-system)  ✔ Ready  suspended" in text


def test_ages_and_trimming() -> None:
    assert [
        format_age(t, NOW)
        for t in (
            "2026-11-26T11:59:15Z",
            "2026-11-26T11:00:00Z",
            "2026-11-20T12:00:00Z",
            "",
            "junk",
        )
    ] == [
        "45s",
        "60m",
        "6d",
        "-",
        "-",
    ]
    assert trim("a" * 80, 10) == "aaaaaaaaa…"
    assert trim("first line\n  second") == "first line second"
    assert trim("a" * 300) == "a" * 300  # no width: never cut


def test_targets_from_a_profile_shaped_object() -> None:
    class Ref:
        def __init__(self, namespace: str, name: str) -> None:
            self.namespace, self.name = namespace, name

    class Flux:
        lifecycle_kustomization = Ref("ops", "lifecycle")
        helm_release = Ref("ops", "release")

    class Profile:
        flux = Flux()

    assert StatusTargets("ops", "lifecycle", "ops", "release") == StatusTargets.from_profile(
        Profile()
    )
    assert resources.KUSTOMIZATION.kind == "Kustomization"


def test_a_missing_object_is_one_line_and_a_missing_crd_says_why() -> None:
    objects = [o for o in guide_cluster() if o["metadata"]["name"] != "infrastructure-authentik"]
    text = render(
        build_status(
            DictReader(objects, missing_kinds=("HelmRelease",)),
            TARGETS,
        )
    )
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if "infrastructure-authentik" in line)
    assert lines[at].endswith("Kustomization/infrastructure-authentik  ✗ not found")
    assert "├──" in lines[at + 1] or "└──" in lines[at + 1]  # no detail line under it
    assert "CRD installed?" in text


# -- next steps ----------------------------------------------------------------------------


def steps_of(objects: list[dict[str, Any]]) -> list[tuple[str, str]]:
    report = build_status(DictReader(objects), TARGETS)
    return [(step.command, step.ref) for step in report.next_steps]


def test_a_failed_helmrelease_points_at_its_troubleshooting_topic() -> None:
    objects = guide_cluster(ready="False", reason="InstallFailed", message="hook failed")
    objects[0]["status"]["conditions"][0].update(status="False", reason="HealthCheckFailed")

    report = build_status(DictReader(objects), TARGETS)

    # the lifecycle Kustomization fails only because of what it deploys: one step, the cause
    assert [(s.command, s.why) for s in report.next_steps] == [
        (
            "glmctl troubleshoot helmrelease",
            "HelmRelease/gitops-lifecycle-management failed: InstallFailed",
        )
    ]
    assert status_json(report, NOW).count('"command": "glmctl troubleshoot helmrelease"') == 1
    assert "Next: glmctl troubleshoot helmrelease  (HelmRelease/" in render(report)


def test_a_reconciling_object_is_followed_with_monitor() -> None:
    objects = guide_cluster(ready="Unknown", reason="Progressing", message="Running 'install'")
    assert steps_of(objects) == [
        ("glmctl monitor", "HelmRelease/flux-system/gitops-lifecycle-management")
    ]


def test_a_suspended_kustomization_is_resumed_first() -> None:
    objects = [o for o in guide_cluster() if o["kind"] != "HelmRelease"]
    objects[0]["spec"]["suspend"] = True
    assert steps_of(objects) == [
        (
            "flux resume kustomization infrastructure-gitops-lifecycle-management -n flux-system",
            "Kustomization/flux-system/infrastructure-gitops-lifecycle-management",
        ),
        ("glmctl monitor", "HelmRelease/flux-system/gitops-lifecycle-management"),
    ]


def test_a_rollback_suspension_is_undone_with_rollback_undo() -> None:
    objects = guide_cluster()
    objects[0]["spec"]["suspend"] = True
    objects[0]["metadata"]["annotations"] = {"glmctl.io/suspended-by": "jane"}
    report = build_status(DictReader(objects), TARGETS)
    assert [(s.command, s.why) for s in report.next_steps] == [
        (
            "glmctl rollback --undo",
            "Kustomization/infrastructure-gitops-lifecycle-management was suspended by jane; "
            "--undo resumes it",
        )
    ]


def test_a_failed_prerequisite_is_described_and_all_ready_has_no_next_step() -> None:
    objects = guide_cluster()
    assert steps_of(objects) == []
    objects[1]["status"]["conditions"][0].update(status="False", reason="BuildFailed")
    assert steps_of(objects) == [
        (
            "kubectl describe kustomization infrastructure-sources -n flux-system",
            "Kustomization/flux-system/infrastructure-sources",
        )
    ]


@pytest.mark.parametrize("command", ["status", "monitor"])
@pytest.mark.parametrize("output", ["junit", "markdown", "sarif", "github"])
def test_a_format_the_command_cannot_write_is_refused(
    run_cli: Callable[..., CliResult], command: str, output: str
) -> None:
    result = run_cli([command, "-o", output])

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"glmctl: error: glmctl {command} cannot write -o {output}.\n"
        "  hint: Use -o rich, -o json or -o yaml (rich is the default).\n"
    )
