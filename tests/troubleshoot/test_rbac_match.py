"""Which role rules let the service account list services (pure, no cluster)."""

from __future__ import annotations

from typing import Any

import pytest

from glmctl.steps.diagnose import role_grants


def role(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "ClusterRole", "rules": list(rules)}


@pytest.mark.parametrize(
    ("rule", "granted"),
    [
        ({"apiGroups": [""], "resources": ["services"], "verbs": ["get", "list"]}, True),
        ({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, True),
        ({"apiGroups": [""], "resources": ["services"], "verbs": ["get", "watch"]}, False),
        ({"apiGroups": ["apps"], "resources": ["services"], "verbs": ["list"]}, False),
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}, False),
        (
            {
                "apiGroups": [""],
                "resources": ["services"],
                "verbs": ["list"],
                "resourceNames": ["authentik"],
            },
            False,
        ),
        ({"nonResourceURLs": ["/healthz"], "verbs": ["get"]}, False),
    ],
)
def test_rules_that_grant_list_services(rule: dict[str, Any], granted: bool) -> None:
    assert role_grants(role(rule), "list", "services") is granted


def test_any_rule_of_the_role_may_grant() -> None:
    rules = (
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["services", "endpoints"], "verbs": ["list"]},
    )
    assert role_grants(role(*rules), "list", "services")


def test_a_role_without_rules_grants_nothing() -> None:
    assert not role_grants({"kind": "Role"}, "list", "services")
