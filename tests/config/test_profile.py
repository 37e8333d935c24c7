"""The profile: defaults from the deployment guide, overrides, and errors that point at the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from glmctl.config import (
    DEFAULT_SOURCE,
    LoadedProfile,
    Profile,
    find_profile_file,
    load_profile,
    parse_profile,
)
from glmctl.errors import ConfigError, ExitCode


def test_defaults_are_the_names_the_deployment_guide_uses() -> None:
    profile = Profile()
    assert profile.flux.lifecycle_kustomization.name == "infrastructure-gitops-lifecycle-management"
    assert profile.flux.lifecycle_kustomization.namespace == "flux-system"
    release = profile.flux.helm_release
    assert (release.name, release.namespace) == ("gitops-lifecycle-management", "flux-system")
    assert (release.release_name, release.storage_namespace) == (
        "gitops-lifecycle-management",
        "flux-system",
    )
    assert profile.flux.prerequisites == (
        "infrastructure-sources",
        "infrastructure-external-secrets",
        "infrastructure-onepassword-connect",
        "infrastructure-authentik",
    )
    assert profile.flux.dependents == ("infrastructure-authentik-outpost-config",)
    assert (profile.namespaces.identity, profile.namespaces.onepassword) == (
        "authentik",
        "onepassword-connect",
    )
    assert profile.namespaces.flux == "flux-system"
    assert profile.selectors.lifecycle == "app.kubernetes.io/name=gitops-lifecycle-management"
    assert {c.name: c.selector for c in profile.selectors.components} == {
        "database-init": "app.kubernetes.io/component=database-init",
        "service-discovery": "app.kubernetes.io/component=service-discovery",
    }
    assert profile.selectors.onepassword == "app.kubernetes.io/name=onepassword-connect"
    store = profile.external_secrets.store
    assert (store.kind, store.name) == ("ClusterSecretStore", "onepassword-connect")
    assert [(j.name, j.file) for j in profile.jobs.replaced] == [
        ("enhanced-token-setup", "enhanced-token-setup-job.yaml"),
        ("grafana-oidc-setup", "grafana-oidc-setup-job.yaml"),
        ("dashboard-oidc-setup", "dashboard-oidc-setup-job.yaml"),
        ("cleanup-duplicate-tokens", "cleanup-duplicate-tokens-job.yaml"),
    ]
    assert [(j.name, j.file) for j in profile.jobs.kept] == [
        ("radius-outpost-config", "radius-outpost-config-job.yaml")
    ]
    assert (
        profile.repo.outpost_kustomization
        == "infrastructure/authentik-outpost-config/kustomization.yaml"
    )
    assert (
        profile.repo.outpost_flux_kustomization
        == "clusters/home-ops/infrastructure/outpost-config.yaml"
    )
    assert (
        profile.rbac.service_account
        == "system:serviceaccount:flux-system:gitops-lifecycle-management"
    )
    assert profile.service_discovery.proxy_label == "authentik.io/proxy=enabled"
    assert profile.hooks.ttl_seconds == 300
    assert profile.monitoring.enabled is True


def test_external_secret_mapping_has_the_five_items_of_the_guide() -> None:
    mapping = {m.item: m.secret for m in Profile().external_secrets.mappings}
    assert mapping == {
        "home-ops-authentik-admin-token": "authentik-admin-token",
        "home-ops-authentik-external-outpost-config": "authentik-outpost-config",
        "home-ops-grafana-oidc-client-secret": "grafana-oidc-secret",
        "home-ops-dashboard-oidc-client-secret": "dashboard-oidc-secret",
        "home-ops-postgresql-superuser-credentials": "postgresql-admin-credentials",
    }
    namespaces = {m.secret: m.namespace for m in Profile().external_secrets.mappings}
    assert namespaces["postgresql-admin-credentials"] == "home-automation"
    assert namespaces["grafana-oidc-secret"] == "authentik"


def test_profile_is_frozen() -> None:
    with pytest.raises(ValueError, match="frozen"):
        Profile().hooks.ttl_seconds = 5  # type: ignore[misc]


def test_overriding_one_nested_field_keeps_its_siblings(tmp_path: Path) -> None:
    path = tmp_path / "glmctl.yaml"
    path.write_text("# my cluster\nflux:\n  helm_release:\n    namespace: lifecycle\n")
    loaded = load_profile(path)
    release = loaded.profile.flux.helm_release
    assert release.namespace == "lifecycle"
    assert release.name == "gitops-lifecycle-management"
    assert loaded.profile.flux.lifecycle_kustomization.namespace == "flux-system"
    assert loaded.source_of("flux.helm_release.namespace") == f"{path}:4"
    assert loaded.source_of("flux.helm_release.name") == DEFAULT_SOURCE
    assert loaded.path == path


def test_a_list_replaces_the_default_list_and_each_item_has_its_line(tmp_path: Path) -> None:
    text = "jobs:\n  replaced:\n    - name: a\n      file: a.yaml\n"
    loaded = parse_profile(text, "p.yaml")
    assert [(j.name, j.file) for j in loaded.profile.jobs.replaced] == [("a", "a.yaml")]
    sources = {v.path: v.source for v in loaded.values()}
    assert sources["jobs.replaced[0].name"] == "p.yaml:3"
    assert sources["jobs.replaced[0].file"] == "p.yaml:4"
    assert sources["jobs.kept[0].name"] == DEFAULT_SOURCE


def test_unknown_key_at_depth_two_names_file_line_column_and_guess() -> None:
    text = "flux:\n  helm_release:\n    nmae: x\n"
    with pytest.raises(ConfigError) as caught:
        parse_profile(text, "glmctl.yaml")
    error = caught.value
    assert error.exit_code == ExitCode.USAGE
    assert error.message.startswith("glmctl.yaml:3:5: unknown key 'nmae' in flux.helm_release")
    assert "did you mean 'name'?" in error.message
    assert error.hint is not None
    assert error.hint.startswith("Valid keys there: name, namespace")


def test_unknown_key_without_a_close_match_lists_valid_keys_only() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_profile("zzzzzz: 1\n", "glmctl.yaml")
    assert caught.value.message == "glmctl.yaml:1:1: unknown key 'zzzzzz' in the top level."
    assert caught.value.hint is not None
    assert "flux" in caught.value.hint
    assert "lint" in caught.value.hint


def test_unknown_key_inside_a_list_item_points_at_it() -> None:
    text = "jobs:\n  kept:\n    - name: a\n      file: a.yaml\n      fiel: b\n"
    with pytest.raises(ConfigError, match=r"^p:5:7: unknown key 'fiel' in jobs.kept\[0\]"):
        parse_profile(text, "p")


def test_unknown_key_in_lint_section_comes_from_lint_settings() -> None:
    with pytest.raises(ConfigError, match="did you mean 'disable'"):
        parse_profile("lint:\n  disabled: []\n", "p")


def test_wrong_type_names_the_field_and_position() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_profile("hooks:\n  ttl_seconds: soon\n", "glmctl.yaml")
    assert caught.value.message.startswith(
        "glmctl.yaml:2:3: hooks.ttl_seconds: Input should be a valid integer"
    )


def test_a_section_given_a_scalar_is_a_type_error() -> None:
    with pytest.raises(ConfigError, match=r"^p:1:1: namespaces: Input should be a valid"):
        parse_profile("namespaces: authentik\n", "p")


def test_bad_yaml_names_the_line() -> None:
    with pytest.raises(ConfigError, match=r"^glmctl.yaml:3:3: not valid YAML"):
        parse_profile("flux:\n  - a\n  b: c\n", "glmctl.yaml")


def test_top_level_list_is_rejected() -> None:
    with pytest.raises(ConfigError, match="must be a mapping"):
        parse_profile("- a\n", "p")


def test_empty_file_means_defaults() -> None:
    loaded = parse_profile("# nothing yet\n", "p")
    assert loaded.profile == Profile()


def test_profile_file_is_found_upward(tmp_path: Path) -> None:
    (tmp_path / "glmctl.yaml").write_text("hooks:\n  ttl_seconds: 60\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    assert find_profile_file(deep) == tmp_path / "glmctl.yaml"
    loaded = load_profile(None, cwd=deep)
    assert loaded.profile.hooks.ttl_seconds == 60
    assert loaded.path == tmp_path / "glmctl.yaml"


def test_nearest_profile_file_wins(tmp_path: Path) -> None:
    (tmp_path / "glmctl.yaml").write_text("hooks:\n  ttl_seconds: 60\n")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "glmctl.yaml").write_text("hooks:\n  ttl_seconds: 61\n")
    assert load_profile(None, cwd=tmp_path / "a").profile.hooks.ttl_seconds == 61


def test_no_profile_file_anywhere_means_defaults(tmp_path: Path) -> None:
    loaded = load_profile(None, cwd=tmp_path)
    assert loaded == LoadedProfile(Profile())


def test_missing_explicit_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_profile(tmp_path / "nope.yaml")


def test_missing_field_in_a_list_item_names_what_is_required() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_profile("jobs:\n  replaced:\n    - name: a\n", "p")
    assert caught.value.message == "p:3:7: jobs.replaced[0].file: Field required."
    assert caught.value.hint == "Each item there needs: name, file."


def test_relative_config_path_is_relative_to_cwd(tmp_path: Path) -> None:
    (tmp_path / "custom.yaml").write_text("namespaces:\n  flux: flux\n")
    loaded = load_profile(Path("custom.yaml"), cwd=tmp_path)
    assert loaded.profile.namespaces.flux == "flux"
