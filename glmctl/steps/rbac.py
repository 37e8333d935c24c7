"""RBAC: ``kubectl auth can-i`` for each thing a runbook will do, as the user or another.

One SelfSubjectAccessReview per question, a fixed list: the request count follows the
runbook, not the cluster. ``as`` impersonates (the chart's service account, say), which
needs the ``impersonate`` permission, exactly as with kubectl.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from glmctl.steps.registry import StepContext, StepResult, step


class AccessCheck(BaseModel):
    """One question: may VERB RESOURCE (``plural`` or ``plural.group``) in NAMESPACE?"""

    model_config = ConfigDict(extra="forbid", frozen=True)

    verb: str
    resource: str
    namespace: str | None = None
    subresource: str | None = None

    @property
    def plural(self) -> str:
        """The resource's plural name."""
        return self.resource.partition(".")[0]

    @property
    def group(self) -> str:
        """The API group ("" for the core group)."""
        return self.resource.partition(".")[2]

    def kubectl(self, as_user: str | None) -> str:
        """The equivalent ``kubectl auth can-i`` command line."""
        resource = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        where = f" -n {self.namespace}" if self.namespace else " --all-namespaces"
        who = f" --as={as_user}" if as_user else ""
        return f"kubectl auth can-i {self.verb} {resource}{where}{who}"

    def sentence(self) -> str:
        """``patch kustomizations.kustomize.toolkit.fluxcd.io in flux-system``."""
        where = f" in {self.namespace}" if self.namespace else " in all namespaces"
        sub = f"/{self.subresource}" if self.subresource else ""
        return f"{self.verb} {self.resource}{sub}{where}"


class CanIParams(BaseModel):
    """The questions, and who to ask them for (``as``: a user or ``system:serviceaccount:``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    checks: list[AccessCheck] = Field(min_length=1)
    as_user: str | None = Field(default=None, alias="as")
    hint: str | None = None


@step("rbac.can_i", params=CanIParams, outputs={"denied"})
def can_i(ctx: StepContext, params: CanIParams) -> StepResult:
    """Each ``kubectl auth can-i`` question is answered yes (the ones answered no are named)."""
    cluster = ctx.cluster
    answers = []
    for check in params.checks:
        review = cluster.can_i(
            check.verb,
            check.plural,
            group=check.group,
            namespace=check.namespace,
            subresource=check.subresource,
            as_user=params.as_user,
        )
        answers.append((check, review))
    denied = [check for check, review in answers if not review.allowed]
    who = params.as_user or "you"
    details = tuple(
        f"{'yes' if review.allowed else 'no'}: {check.sentence()}"
        + (f" ({review.reason})" if review.reason and not review.allowed else "")
        for check, review in answers
    )
    outputs = {"denied": [check.sentence() for check in denied]}
    if not denied:
        return StepResult.passed(
            f"{who} may do all {len(answers)} checked actions"
            if len(answers) > 1
            else f"{who} may {answers[0][0].sentence()}",
            details=details,
            command=params.checks[0].kubectl(params.as_user),
            outputs=outputs,
        )
    return StepResult.failed(
        f"{who} may not " + "; nor ".join(check.sentence() for check in denied),
        details=details,
        hint=params.hint
        or "Ask a cluster admin to grant these permissions (a Role or ClusterRole bound to "
        f"{who}), then run this again.",
        command=denied[0].kubectl(params.as_user),
        outputs=outputs,
    )
