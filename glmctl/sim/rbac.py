"""Authorization the way the RBAC authorizer decides it, from the Role, ClusterRole,
RoleBinding and ClusterRoleBinding objects in the store.

Used both for ordinary requests (403 Forbidden with the real message) and to answer
SelfSubjectAccessReviews, so ``kubectl auth can-i`` and a real request always agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
Lister = Callable[[str, str], list[Obj]]  # (group, plural) -> stored objects (references)

RBAC_GROUP = "rbac.authorization.k8s.io"
MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"

# What every authenticated user may do regardless of bindings (system:basic-user,
# system:discovery and system:public-info-viewer in a real cluster).
_BASE_RULES: tuple[Obj, ...] = (
    {
        "apiGroups": ["authorization.k8s.io"],
        "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
        "verbs": ["create"],
    },
    {
        "apiGroups": ["authentication.k8s.io"],
        "resources": ["selfsubjectreviews"],
        "verbs": ["create"],
    },
    {
        "nonResourceURLs": [
            "/api",
            "/api/*",
            "/apis",
            "/apis/*",
            "/version",
            "/version/",
            "/openapi",
            "/openapi/*",
            "/healthz",
            "/livez",
            "/readyz",
        ],
        "verbs": ["get"],
    },
)


@dataclass(frozen=True)
class UserInfo:
    """Who is asking: the authenticated (or impersonated) user and their groups."""

    name: str
    groups: tuple[str, ...] = (AUTHENTICATED,)

    @classmethod
    def service_account(cls, namespace: str, name: str) -> UserInfo:
        return cls(
            f"system:serviceaccount:{namespace}:{name}",
            ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", AUTHENTICATED),
        )

    @classmethod
    def impersonated(cls, name: str, groups: Iterable[str]) -> UserInfo:
        """The user an ``Impersonate-User``/``Impersonate-Group`` request acts as."""
        parts = name.split(":")
        if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"]:
            sa = cls.service_account(parts[2], parts[3])
            return cls(sa.name, tuple(dict.fromkeys([*sa.groups, *groups])))
        extra = [g for g in groups if g != AUTHENTICATED]
        return cls(name, (*extra, AUTHENTICATED))


@dataclass(frozen=True)
class Attributes:
    """One request to authorize: a resource request or (with ``path``) a non-resource one."""

    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str | None = None


def _matches(values: Iterable[str], wanted: str) -> bool:
    return any(v == "*" or v == wanted for v in values)


def _resource_matches(rule: Obj, attrs: Attributes) -> bool:
    resources = rule.get("resources") or []
    combined = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    for r in resources:
        if r in ("*", combined):
            return True
        if attrs.subresource and r == f"*/{attrs.subresource}":
            return True
    return False


def _path_matches(rule: Obj, path: str) -> bool:
    for pattern in rule.get("nonResourceURLs") or []:
        if pattern == "*" or pattern == path:
            return True
        if pattern.endswith("*") and path.startswith(pattern[:-1]):
            return True
    return False


def rule_allows(rule: Obj, attrs: Attributes) -> bool:
    if not _matches(rule.get("verbs") or [], attrs.verb):
        return False
    if attrs.path is not None:
        return _path_matches(rule, attrs.path)
    if not _matches(rule.get("apiGroups") or [], attrs.group):
        return False
    if not _resource_matches(rule, attrs):
        return False
    names = rule.get("resourceNames") or []
    return not names or (bool(attrs.name) and attrs.name in names)


def _subject_matches(subject: Obj, user: UserInfo, binding_namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name")
    if kind == "User":
        return bool(name == user.name)
    if kind == "Group":
        return name in user.groups
    if kind == "ServiceAccount":
        namespace = subject.get("namespace") or binding_namespace
        return user.name == f"system:serviceaccount:{namespace}:{name}"
    return False


def _role_rules(lister: Lister, ref: Obj, namespace: str) -> list[Obj]:
    kind, name = ref.get("kind"), ref.get("name")
    plural = "clusterroles" if kind == "ClusterRole" else "roles"
    for role in lister(RBAC_GROUP, plural):
        meta = role.get("metadata") or {}
        if meta.get("name") != name:
            continue
        if plural == "roles" and meta.get("namespace") != namespace:
            continue
        return list(role.get("rules") or [])
    return []


def applicable_rules(lister: Lister, user: UserInfo, namespace: str) -> list[Obj]:
    """Every rule bound to ``user``: cluster-wide, plus ``namespace``'s RoleBindings."""
    rules: list[Obj] = list(_BASE_RULES)
    for binding in lister(RBAC_GROUP, "clusterrolebindings"):
        if any(_subject_matches(s, user, "") for s in binding.get("subjects") or []):
            rules.extend(_role_rules(lister, binding.get("roleRef") or {}, ""))
    if namespace:
        for binding in lister(RBAC_GROUP, "rolebindings"):
            bound_ns = (binding.get("metadata") or {}).get("namespace", "")
            if bound_ns != namespace:
                continue
            if any(_subject_matches(s, user, bound_ns) for s in binding.get("subjects") or []):
                rules.extend(_role_rules(lister, binding.get("roleRef") or {}, bound_ns))
    return rules


def allowed(lister: Lister, user: UserInfo, attrs: Attributes) -> bool:
    if MASTERS in user.groups:
        return True
    return any(rule_allows(r, attrs) for r in applicable_rules(lister, user, attrs.namespace))


def forbidden_message(user: UserInfo, attrs: Attributes) -> str:
    """The authorizer's sentence, e.g. ``pods is forbidden: User "x" cannot list resource
    "pods" in API group "" in the namespace "ns"``."""
    if attrs.path is not None:
        return f'forbidden: User "{user.name}" cannot {attrs.verb.lower()} path "{attrs.path}"'
    qualified = f"{attrs.resource}.{attrs.group}" if attrs.group else attrs.resource
    subject = f'{qualified} "{attrs.name}"' if attrs.name else qualified
    resource = f"{attrs.resource}/{attrs.subresource}" if attrs.subresource else attrs.resource
    scope = f'in the namespace "{attrs.namespace}"' if attrs.namespace else "at the cluster scope"
    return (
        f'{subject} is forbidden: User "{user.name}" cannot {attrs.verb} resource '
        f'"{resource}" in API group "{attrs.group}" {scope}'
    )
