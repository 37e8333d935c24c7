"""What can be done about a diagnosis, as data: the actions ``glmctl troubleshoot`` offers.

One place decides which action fits which state (:func:`actions_for`), what each changes
(:func:`plan_for`: a :class:`~glmctl.plan.Plan`, carried out by
:func:`glmctl.recovery.execute.carry_out` like every other mutation: shown, confirmed,
journaled) and what state it promises, which :func:`verify` then waits for (a watch
through the cluster gateway, with a timeout) and reports as come or not.

The commands an operator would type for the same thing (``flux resume …``, ``kubectl
annotate … force-sync=…``) are written here too, and :mod:`glmctl.advice` quotes them, so
the advice printed and the action offered never disagree.

* resume a suspended Kustomization or HelmRelease (``spec.suspend: false`` and a
  reconcile request, as ``flux resume`` does) → Flux handled the request;
* reconcile (``reconcile.fluxcd.io/requestedAt``) → ``status.lastHandledReconcileAt``;
* force a HelmRelease upgrade (``reconcile.fluxcd.io/forceAt`` with the same value as
  ``requestedAt``, as ``flux reconcile hr --force`` writes; helm-controller ignores a
  ``forceAt`` that differs) → ``status.lastHandledForceAt``;
* force-sync ExternalSecrets (a new ``force-sync`` annotation value: ESO refreshes an
  ExternalSecret whose labels or annotations changed) → Ready, refreshed since the request;
* delete a stuck Job (by name, uid and resourceVersion) → gone;
* redeploy / rollback → the ``glmctl redeploy`` / ``glmctl rollback`` commands themselves,
  which plan, confirm, journal and (redeploy) wait on their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from glmctl.cluster.flux import condition_is_true
from glmctl.plan import Plan, object_item
from glmctl.steps._text import plural

if TYPE_CHECKING:
    from glmctl.cluster.client import Cluster
    from glmctl.config import Profile

Obj = dict[str, Any]
ActionKind = Literal[
    "resume", "reconcile", "force-upgrade", "force-sync", "delete-job", "redeploy", "rollback"
]
REQUESTED_AT = "reconcile.fluxcd.io/requestedAt"
FORCE_AT = "reconcile.fluxcd.io/forceAt"
FORCE_SYNC = "force-sync"
FLUX_OWNER_NAME = "kustomize.toolkit.fluxcd.io/name"
FLUX_OWNER_NAMESPACE = "kustomize.toolkit.fluxcd.io/namespace"
COMMANDS: frozenset[ActionKind] = frozenset({"redeploy", "rollback"})
"""Actions that are glmctl commands of their own (they plan, confirm and journal)."""

TOPIC_ACTIONS: dict[str, tuple[ActionKind, ...]] = {
    "helmrelease": ("resume", "force-upgrade", "reconcile", "redeploy", "rollback"),
    "external-secrets": ("force-sync", "resume", "reconcile"),
    "service-discovery": ("resume", "force-upgrade", "reconcile"),
    "onepassword": ("force-sync",),
    "old-jobs": ("resume", "reconcile", "delete-job"),
    "failed-pods": (),
}
"""Which actions fit after which topic's diagnosis, in the order they are offered."""


# --------------------------------------------------------------------------- commands


def resume_command(kind: str, name: str, namespace: str) -> str:
    """``flux resume`` for a Flux object."""
    return f"flux resume {kind.lower()} {name} -n {namespace}"


def reconcile_command(kind: str, name: str, namespace: str, *, force: bool = False) -> str:
    """``flux reconcile`` for a Flux object (``--force``: a one-off Helm upgrade)."""
    return f"flux reconcile {kind.lower()} {name} -n {namespace}" + (" --force" if force else "")


def force_sync_command(name: str, namespace: str) -> str:
    """External Secrets' documented way to refresh an ExternalSecret now."""
    return (
        f"kubectl annotate externalsecret {name} -n {namespace} force-sync=$(date +%s) --overwrite"
    )


# --------------------------------------------------------------------------- the state


@dataclass(frozen=True)
class Scene:
    """The objects the actions are chosen from, as read from the cluster."""

    flux_objects: tuple[Obj, ...] = ()
    """The lifecycle Kustomization, the Kustomizations that apply the replaced jobs, and
    the HelmRelease (those that exist)."""
    external_secrets: tuple[Obj, ...] = ()
    jobs: tuple[Obj, ...] = ()
    """The replaced jobs that exist."""


def read_scene(cluster: Cluster, profile: Profile) -> Scene:
    """Read what :func:`actions_for` weighs: a handful of GETs and one list of Jobs."""
    from glmctl.cluster import resources

    flux = profile.flux
    lifecycle = cluster.get_or_none(
        resources.KUSTOMIZATION,
        flux.lifecycle_kustomization.name,
        flux.lifecycle_kustomization.namespace,
    )
    release = cluster.get_or_none(
        resources.HELMRELEASE, flux.helm_release.name, flux.helm_release.namespace
    )
    replaced = {job.name for job in profile.jobs.replaced}
    jobs = tuple(
        job
        for job in cluster.list(resources.JOB, profile.namespaces.identity)
        if _meta(job).get("name") in replaced
    )
    owners: list[Obj] = []
    seen = {_ref(lifecycle)} if lifecycle else set()
    for job in jobs:
        labels = _meta(job).get("labels") or {}
        name = labels.get(FLUX_OWNER_NAME)
        namespace = labels.get(FLUX_OWNER_NAMESPACE) or flux.lifecycle_kustomization.namespace
        if name and (namespace, name) not in seen:
            seen.add((namespace, name))
            owner = cluster.get_or_none(resources.KUSTOMIZATION, name, namespace)
            if owner is not None:
                owners.append(owner)
    externals = []
    if cluster.is_served(resources.EXTERNALSECRET):
        for mapping in profile.external_secrets.mappings:
            found = cluster.get_or_none(
                resources.EXTERNALSECRET, mapping.external_secret, mapping.namespace
            )
            if found is not None:
                externals.append(found)
    flux_objects = tuple(obj for obj in (lifecycle, *owners, release) if obj is not None)
    return Scene(flux_objects, tuple(externals), jobs)


# --------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class Action:
    """One thing the operator may have glmctl do now, and what it promises."""

    kind: ActionKind
    title: str
    promise: str
    command: str
    """What an operator would type for the same (shown with the plan)."""
    targets: tuple[Obj, ...] = ()


def actions_for(topic: str, scene: Scene) -> list[Action]:
    """The actions that fit ``topic``'s diagnosis in ``scene``, in the order offered."""
    from glmctl.cluster import flux

    found: dict[ActionKind, list[Action]] = {kind: [] for kind in TOPIC_ACTIONS.get(topic, ())}

    def offer(action: Action) -> None:
        if action.kind in found:
            found[action.kind].append(action)

    for obj in scene.flux_objects:
        kind, name, namespace = _kind_name_ns(obj)
        state = flux.readiness(obj)
        if state.suspended:
            if not flux.suspend_note(obj):  # glmctl rollback's suspension: rollback --undo
                offer(
                    Action(
                        "resume",
                        f"Resume {kind} {namespace}/{name} (suspended: Flux ignores it)",
                        f"Flux reconciles {kind} {name} again",
                        resume_command(kind, name, namespace),
                        (obj,),
                    )
                )
            continue
        if state.ready:
            continue
        offer(
            Action(
                "reconcile",
                f"Reconcile {kind} {namespace}/{name} now",
                f"Flux handles the reconcile request on {kind} {name}",
                reconcile_command(kind, name, namespace),
                (obj,),
            )
        )
        if kind == "HelmRelease" and not (state.reconciling and not state.stalled):
            offer(
                Action(
                    "force-upgrade",
                    f"Force a one-off upgrade of HelmRelease {namespace}/{name}",
                    f"helm-controller handles the forced upgrade of {name}",
                    reconcile_command(kind, name, namespace, force=True),
                    (obj,),
                )
            )
            offer(
                Action(
                    "redeploy",
                    "Redeploy cleanly (glmctl redeploy: delete the HelmRelease and the "
                    "lifecycle's Jobs, reconcile, wait)",
                    "the HelmRelease is Ready again",
                    "glmctl redeploy",
                )
            )
            offer(
                Action(
                    "rollback",
                    "Roll back (glmctl rollback: suspend the lifecycle, re-enable the old jobs)",
                    "the lifecycle Kustomization is suspended and the old jobs re-enabled",
                    "glmctl rollback",
                )
            )
    unsynced = tuple(es for es in scene.external_secrets if not condition_is_true(es, "Ready"))
    if unsynced:
        names = ", ".join(_meta(es).get("name", "?") for es in unsynced)
        first = _kind_name_ns(unsynced[0])
        offer(
            Action(
                "force-sync",
                f"Force-sync {plural(len(unsynced), 'ExternalSecret')} ({names})",
                "each ExternalSecret is synced again (Ready, refreshed after the request)",
                force_sync_command(first[1], first[2]),
                unsynced,
            )
        )
    from glmctl.cluster.jobs import job_state

    stuck = tuple(
        job
        for job in scene.jobs
        if not job_state(job).finished and not (_meta(job).get("labels") or {}).get(FLUX_OWNER_NAME)
    )
    if stuck:
        names = ", ".join(_meta(job).get("name", "?") for job in stuck)
        namespace = _kind_name_ns(stuck[0])[2]
        offer(
            Action(
                "delete-job",
                f"Delete {plural(len(stuck), 'stuck Job')} in {namespace} ({names})",
                "the Jobs are gone",
                f"kubectl delete job -n {namespace} {names.replace(',', '')}",
                stuck,
            )
        )
    return [action for actions in found.values() for action in actions]


def plan_for(action: Action, now: datetime) -> Plan:
    """The plan that carries ``action`` out, stamped ``now`` (the value verify waits for)."""
    from glmctl.cluster.flux import format_requested_at

    stamp = format_requested_at(now)
    requested: Obj = {"metadata": {"annotations": {REQUESTED_AT: stamp}}}
    items = []
    for obj in action.targets:
        if action.kind == "resume":
            patch = {**requested, "spec": {"suspend": False}}
            items.append(object_item("resume", obj, detail="spec.suspend: false", patch=patch))
        elif action.kind == "reconcile":
            detail = f"requestedAt {stamp}"
            items.append(object_item("reconcile", obj, detail=detail, patch=requested))
        elif action.kind == "force-upgrade":
            patch = {"metadata": {"annotations": {REQUESTED_AT: stamp, FORCE_AT: stamp}}}
            items.append(object_item("annotate", obj, detail=f"forceAt {stamp}", patch=patch))
        elif action.kind == "force-sync":
            patch = {"metadata": {"annotations": {FORCE_SYNC: stamp}}}
            items.append(object_item("annotate", obj, detail=f"force-sync={stamp}", patch=patch))
        elif action.kind == "delete-job":
            items.append(object_item("delete", obj, detail="stuck; deleted with its pods"))
    notes = (f"Same as: {action.command}", f"Then waits until {action.promise}.")
    return Plan(command=f"troubleshoot {action.kind}", items=tuple(items), notes=notes)


def stamp_of(plan: Plan) -> str:
    """The request stamp a plan from :func:`plan_for` carries."""
    for item in plan.items:
        annotations = ((item.patch or {}).get("metadata") or {}).get("annotations") or {}
        for key in (REQUESTED_AT, FORCE_SYNC):
            if key in annotations:
                return str(annotations[key])
    return ""


# --------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class Verification:
    """Whether the promised state came, per target, in words."""

    came: bool
    lines: tuple[str, ...]


def promised(action: Action, plan: Plan, before: Obj, after: Obj | None) -> str | None:
    """How ``after`` keeps ``action``'s promise (a line to print), or None while it does not.

    ``before`` is the object as planned (``None`` after is a deleted object).
    """
    from glmctl.cluster import flux

    stamp = stamp_of(plan)
    if action.kind == "delete-job":
        return "gone" if after is None else None
    if after is None:
        return None
    if action.kind in ("resume", "reconcile"):
        if not flux.reconcile_handled(after, stamp):
            return None
        state = flux.readiness(after)
        return "reconciled; " + ("Ready" if state.ready else f"{state.label}: {state.reason}")
    if action.kind == "force-upgrade":
        if (after.get("status") or {}).get("lastHandledForceAt") != stamp:
            return None
        state = flux.readiness(after)
        return "forced upgrade handled; " + (
            "Ready" if state.ready else f"{state.label}: {state.reason}"
        )
    if action.kind == "force-sync":
        status = after.get("status") or {}
        moved = status.get("syncedResourceVersion") != (before.get("status") or {}).get(
            "syncedResourceVersion"
        )
        refreshed = _parse(status.get("refreshTime"))
        asked = _parse(stamp)
        if not (condition_is_true(after, "Ready") and moved and refreshed and asked):
            return None
        if refreshed < asked.replace(microsecond=0):
            return None
        return f"synced at {status.get('refreshTime')}"
    return None


def verify(
    action: Action,
    plan: Plan,
    cluster: Cluster,
    *,
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
) -> Verification:
    """Watch each target until it keeps the promise or ``timeout`` passes; say which."""
    deadline = clock() + timeout
    lines: list[str] = []
    came = True
    for obj in action.targets:
        kind, name, namespace = _kind_name_ns(obj)
        shown = f"{kind} {namespace}/{name}"

        def keeps(after: Obj | None, before: Obj = obj) -> str | None:
            return promised(action, plan, before, after)

        kept = _watch_until(cluster, obj, keeps, deadline, clock)
        if kept is None:
            came = False
            lines.append(f"{shown}: not yet after {timeout:g} s ({_now_state(cluster, obj)})")
        else:
            lines.append(f"{shown}: {kept}")
    return Verification(came, tuple(lines))


def _watch_until(
    cluster: Cluster,
    obj: Obj,
    check: Callable[[Obj | None], str | None],
    deadline: float,
    clock: Callable[[], float],
) -> str | None:
    """Get, then watch the one object (by field selector) until ``check`` answers."""
    from glmctl.cluster import resources
    from glmctl.cluster.client import WatchExpired

    rt = resources.for_kind(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
    _kind, name, namespace = _kind_name_ns(obj)
    while True:
        current = cluster.get_or_none(rt, name, namespace)
        answer = check(current)
        if answer is not None:
            return answer
        left = deadline - clock()
        if left <= 0:
            return None
        version = str(_meta(current).get("resourceVersion", "")) if current else None
        try:
            for event in cluster.watch(
                rt,
                namespace,
                field_selector=f"metadata.name={name}",
                resource_version=version or None,
                timeout_seconds=max(1, int(min(left, 60))),  # left may be inf
            ):
                if event.type == "BOOKMARK":
                    continue
                answer = check(None if event.type == "DELETED" else event.object)
                if answer is not None:
                    return answer
                if clock() >= deadline:
                    return None
        except WatchExpired:
            continue
        if clock() >= deadline:
            return None


def _now_state(cluster: Cluster, obj: Obj) -> str:
    from glmctl.cluster import flux, resources

    rt = resources.for_kind(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
    _kind, name, namespace = _kind_name_ns(obj)
    current = cluster.get_or_none(rt, name, namespace)
    if current is None:
        return "gone"
    if current.get("kind") == "Job":
        from glmctl.cluster.jobs import job_state

        return job_state(current).describe()
    state = flux.readiness(current)
    return f"{state.label}" + (f": {state.reason}" if state.reason else "")


# --------------------------------------------------------------------------- small helpers


def _meta(obj: Obj | None) -> Obj:
    return (obj or {}).get("metadata") or {}


def _ref(obj: Obj) -> tuple[str, str]:
    return str(_meta(obj).get("namespace", "")), str(_meta(obj).get("name", ""))


def _kind_name_ns(obj: Obj) -> tuple[str, str, str]:
    meta = _meta(obj)
    return str(obj.get("kind", "?")), str(meta.get("name", "?")), str(meta.get("namespace", ""))


def _parse(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
