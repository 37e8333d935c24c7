"""Authentication, impersonation, RBAC authorization and the access reviews."""

from __future__ import annotations

from typing import Any

from glmctl.sim import rbac
from glmctl.sim.api.base import HandlerBase
from glmctl.sim.store import ApiError, bad_request

Obj = dict[str, Any]


class AuthMixin(HandlerBase):
    """The authentication and authorization gates, and whoami/can-i."""

    def _authenticate(self) -> rbac.UserInfo:
        header = self.headers.get("Authorization") or ""
        scheme, _, token = header.partition(" ")
        user = self.state.users.get(token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        return self._impersonate(user)

    def _impersonate(self, user: rbac.UserInfo) -> rbac.UserInfo:
        as_user = self.headers.get("Impersonate-User")
        as_groups = self.headers.get_all("Impersonate-Group") or []
        if not as_user:
            if as_groups:
                raise bad_request("requested impersonation of groups without a user")
            return user
        target = rbac.UserInfo.impersonated(as_user, as_groups)
        checks = []
        parts = as_user.split(":")
        if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"]:
            checks.append(
                rbac.Attributes("impersonate", "", "serviceaccounts", "", parts[2], parts[3])
            )
        else:
            checks.append(rbac.Attributes("impersonate", "", "users", name=as_user))
        checks += [rbac.Attributes("impersonate", "", "groups", name=g) for g in as_groups]
        for attrs in checks:
            if not rbac.allowed(self.state.lister, user, attrs):
                raise ApiError(
                    403,
                    "Forbidden",
                    rbac.forbidden_message(user, attrs),
                    details={"name": attrs.name, "kind": attrs.resource},
                )
        return target

    def _authorize(self, user: rbac.UserInfo, attrs: rbac.Attributes) -> None:
        if rbac.allowed(self.state.lister, user, attrs):
            return
        details: Obj = {"name": attrs.name, "kind": attrs.resource}
        if attrs.group:
            details["group"] = attrs.group
        raise ApiError(403, "Forbidden", rbac.forbidden_message(user, attrs), details=details)

    # --- routing -------------------------------------------------------------------

    def _who_am_i(self, user: rbac.UserInfo) -> None:
        """SelfSubjectReview (``kubectl auth whoami``); its request body carries nothing."""
        review = {
            "kind": "SelfSubjectReview",
            "apiVersion": "authentication.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "status": {"userInfo": {"username": user.name, "groups": list(user.groups)}},
        }
        self._send_json(201, review)

    def _access_review(self, user: rbac.UserInfo) -> None:
        body = self._read_body()
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        spec = body.get("spec") or {}
        res, non_res = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
        if res:
            attrs = rbac.Attributes(
                verb=str(res.get("verb", "")),
                group=str(res.get("group", "")),
                resource=str(res.get("resource", "")),
                subresource=str(res.get("subresource", "")),
                namespace=str(res.get("namespace", "")),
                name=str(res.get("name", "")),
            )
        elif non_res:
            attrs = rbac.Attributes(
                verb=str(non_res.get("verb", "")), path=str(non_res.get("path", ""))
            )
        else:
            raise ApiError(
                422,
                "Invalid",
                'SelfSubjectAccessReview.authorization.k8s.io "" is '
                'invalid: spec.resourceAttributes: Invalid value: "null": exactly '
                "one of nonResourceAttributes or resourceAttributes must be specified",
            )
        allowed = rbac.allowed(self.state.lister, user, attrs)
        status: Obj = {"allowed": allowed}
        if allowed and rbac.MASTERS not in user.groups:
            status["reason"] = "RBAC: allowed by a binding in the simulated cluster"
        review = {
            "kind": "SelfSubjectAccessReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "spec": spec,
            "status": status,
        }
        self._send_json(201, review)

    def _rules_review(self, user: rbac.UserInfo) -> None:
        """SelfSubjectRulesReview (``kubectl auth can-i --list``): every rule bound to the
        user in the namespace, split into resource and non-resource rules."""
        body = self._read_body()
        spec = (body.get("spec") if isinstance(body, dict) else None) or {}
        namespace = str(spec.get("namespace") or "")
        rules = rbac.applicable_rules(self.state.lister, user, namespace)
        if rbac.MASTERS in user.groups:  # bound to cluster-admin on a real cluster
            rules = [
                {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
                {"verbs": ["*"], "nonResourceURLs": ["*"]},
                *rules,
            ]
        resource_rules, non_resource_rules = [], []
        for rule in rules:
            if rule.get("nonResourceURLs"):
                non_resource_rules.append(
                    {"verbs": rule.get("verbs") or [], "nonResourceURLs": rule["nonResourceURLs"]}
                )
            else:
                entry: Obj = {
                    "verbs": rule.get("verbs") or [],
                    "apiGroups": rule.get("apiGroups") or [],
                    "resources": rule.get("resources") or [],
                }
                if rule.get("resourceNames"):
                    entry["resourceNames"] = rule["resourceNames"]
                resource_rules.append(entry)
        review = {
            "kind": "SelfSubjectRulesReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "spec": {"namespace": namespace} if namespace else {},
            "status": {
                "resourceRules": resource_rules,
                "nonResourceRules": non_resource_rules,
                "incomplete": False,
            },
        }
        self._send_json(201, review)
