"""Table cells (ages, JSONPath) and RBAC rule evaluation."""

from __future__ import annotations

from typing import Any

import pytest

from glmctl.sim.rbac import Attributes, UserInfo, allowed, forbidden_message, rule_allows
from glmctl.sim.tables import human_duration, jsonpath


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (0, "0s"),
        (119, "119s"),
        (120, "2m"),
        (125, "2m5s"),
        (600, "10m"),
        (3 * 3600, "3h"),
        (3 * 3600 + 60, "3h1m"),
        (30 * 3600, "30h"),
        (3 * 86400 + 3600, "3d1h"),
        (100 * 86400, "100d"),
        (3 * 365 * 86400 + 86400, "3y1d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_human_duration_matches_kubectl(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


OBJ: dict[str, Any] = {
    "status": {
        "conditions": [
            {"type": "Reconciling", "status": "False"},
            {"type": "Ready", "status": "True", "message": "ok"},
        ]
    },
    "spec": {"items": [{"n": 1}, {"n": 2}]},
}


@pytest.mark.parametrize(
    ("path", "values"),
    [
        ('.status.conditions[?(@.type=="Ready")].status', ["True"]),
        (".status.conditions[?(@.type=='Ready')].message", ["ok"]),
        ('.status.conditions[?(@.type!="Ready")].type', ["Reconciling"]),
        (".spec.items[*].n", [1, 2]),
        (".spec.items[-1].n", [2]),
        ("{.spec.items[0]}", [{"n": 1}]),
        (".spec.missing", []),
    ],
)
def test_jsonpath_for_printer_columns(path: str, values: list[Any]) -> None:
    assert jsonpath(OBJ, path) == values


def test_rule_wildcards_subresources_and_resource_names() -> None:
    rule = {"apiGroups": ["*"], "resources": ["pods/log"], "verbs": ["get"]}
    assert rule_allows(rule, Attributes("get", "", "pods", "log", "ns"))
    assert not rule_allows(rule, Attributes("get", "", "pods", "", "ns"))
    named = {"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"], "resourceNames": ["a"]}
    assert rule_allows(named, Attributes("get", "", "secrets", name="a"))
    assert not rule_allows(named, Attributes("list", "", "secrets"))


def _lister(objects: dict[str, list[dict[str, Any]]]) -> Any:
    return lambda group, plural: objects.get(plural, [])


def test_role_binding_applies_only_in_its_namespace() -> None:
    objects = {
        "roles": [
            {
                "metadata": {"name": "reader", "namespace": "authentik"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}],
            }
        ],
        "rolebindings": [
            {
                "metadata": {"name": "b", "namespace": "authentik"},
                "roleRef": {"kind": "Role", "name": "reader"},
                "subjects": [{"kind": "ServiceAccount", "name": "sa"}],
            }
        ],
    }
    sa = UserInfo.service_account("authentik", "sa")
    assert allowed(_lister(objects), sa, Attributes("list", "", "pods", namespace="authentik"))
    assert not allowed(_lister(objects), sa, Attributes("list", "", "pods", namespace="other"))
    assert not allowed(_lister(objects), sa, Attributes("list", "", "pods"))


def test_group_subjects_and_masters() -> None:
    objects = {
        "clusterroles": [
            {
                "metadata": {"name": "view"},
                "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["get"]}],
            }
        ],
        "clusterrolebindings": [
            {
                "metadata": {"name": "b"},
                "roleRef": {"kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "Group", "name": "ops"}],
            }
        ],
    }
    ops = UserInfo("alice", ("ops", "system:authenticated"))
    assert allowed(_lister(objects), ops, Attributes("get", "apps", "deployments", name="x"))
    assert not allowed(_lister(objects), ops, Attributes("delete", "apps", "deployments"))
    root = UserInfo("root", ("system:masters",))
    assert allowed(_lister({}), root, Attributes("delete", "apps", "deployments"))


def test_impersonated_service_account_gets_its_groups() -> None:
    user = UserInfo.impersonated("system:serviceaccount:flux-system:x", [])
    assert user.groups == (
        "system:serviceaccounts",
        "system:serviceaccounts:flux-system",
        "system:authenticated",
    )


def test_forbidden_message_shapes() -> None:
    user = UserInfo("bob")
    assert forbidden_message(user, Attributes("get", "", "pods", "log", "ns", "p")) == (
        'pods "p" is forbidden: User "bob" cannot get resource "pods/log" in API group "" in '
        'the namespace "ns"'
    )
    assert forbidden_message(
        user, Attributes("list", "helm.toolkit.fluxcd.io", "helmreleases")
    ) == (
        'helmreleases.helm.toolkit.fluxcd.io is forbidden: User "bob" cannot list resource '
        '"helmreleases" in API group "helm.toolkit.fluxcd.io" at the cluster scope'
    )
