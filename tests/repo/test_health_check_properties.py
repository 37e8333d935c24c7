"""Property tests: adding then removing a health check is the identity."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from glmctl.repo.kustomize_edit import HealthCheck, add_health_checks, remove_health_checks

JOB_NAMES = st.from_regex(r"\A[a-z][a-z0-9-]{0,15}\Z").filter(
    lambda n: n not in {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
)


@st.composite
def flux_kustomizations(draw: st.DrawFn) -> tuple[str, list[HealthCheck]]:
    names = draw(st.lists(JOB_NAMES, max_size=4, unique=True))
    checks = [("batch/v1", "Job", name, "authentik") for name in names]
    dash = draw(st.sampled_from(["  ", "    "]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    lines = ["---"] if draw(st.booleans()) else []
    lines += [
        "apiVersion: kustomize.toolkit.fluxcd.io/v1",
        "kind: Kustomization",
        "metadata:",
        "  name: infrastructure-authentik-outpost-config",
        "spec:",
        "  interval: 10m",
        "  dependsOn:",
        f"{dash}- name: infrastructure-gitops-lifecycle-management",
    ]
    if checks:
        lines.append("  healthChecks:")
        for api_version, kind, name, namespace in checks:
            pad = " " * (len(dash) + 2)
            lines += [
                f"{dash}- apiVersion: {api_version}",
                f"{pad}kind: {kind}",
                f"{pad}name: {name}",
                f"{pad}namespace: {namespace}",
            ]
    if draw(st.booleans()):
        lines.append("  # trailing comment")
    text = newline.join(lines) + (newline if draw(st.booleans()) else "")
    return text, checks


@settings(max_examples=60, deadline=None)
@given(flux_kustomizations(), JOB_NAMES)
def test_remove_after_add_is_the_identity(layout: tuple[str, list[HealthCheck]], name: str) -> None:
    text, checks = layout
    check = ("batch/v1", "Job", name, "authentik")
    added = add_health_checks(text, [check])
    if check in checks:
        assert added.new_text == text
        return
    assert remove_health_checks(added.new_text, [check]).new_text == text


@settings(max_examples=60, deadline=None)
@given(flux_kustomizations())
def test_add_after_removing_the_last_check_is_the_identity(
    layout: tuple[str, list[HealthCheck]],
) -> None:
    text, checks = layout
    if not checks:
        return
    removed = remove_health_checks(text, [checks[-1]])
    assert removed.new_text != text
    assert add_health_checks(removed.new_text, [checks[-1]]).new_text == text
