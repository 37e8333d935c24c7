"""What to run next about a Flux object: one function from its state to the advice.

``glmctl status`` (its "Next:" lines) and the troubleshooting runbooks (through the
``next_command`` output of ``flux.kustomizations_ready`` / ``flux.helmrelease_ready``,
used by their diagnoses' ``command_from``) both take their next command from here, so two
commands never give different advice for the same state. The commands for Flux actions
(``flux resume …``) are written once, in :mod:`glmctl.actions`, which also offers them as
actions in ``glmctl troubleshoot``: advice quoted and action offered are the same.

The rules, first that applies:

* suspended by ``glmctl rollback`` (its ``glmctl.io/suspended-by`` annotation is on the
  object) → ``glmctl rollback --undo``: the undo resumes exactly such an object, journal
  or not; suspended otherwise → ``flux resume KIND NAME -n NS`` (``rollback --undo``
  would leave it suspended);
* Ready → nothing;
* still reconciling (or its spec not yet observed) → ``glmctl monitor``;
* a failed HelmRelease → ``glmctl troubleshoot helmrelease``;
* anything else that failed → ``kubectl describe``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from glmctl.cluster.flux import Readiness

UNDO_COMMAND = "glmctl rollback --undo"


@dataclass(frozen=True)
class Advice:
    """A command to run next and why, in words for the operator."""

    command: str
    why: str


def for_flux_state(
    kind: str,
    name: str,
    namespace: str,
    *,
    suspended: bool,
    suspend_note: str,
    ready: bool,
    progressing: bool,
    failure: str,
) -> Advice | None:
    """The advice for an existing Flux object in this state (see the module docstring).

    ``suspend_note`` is :func:`glmctl.cluster.flux.suspend_note` ("" unless glmctl's
    rollback suspended it); ``failure`` the reason or status to quote when it failed.
    """
    where = f"{kind}/{name}"
    if suspended:
        if suspend_note:
            return Advice(UNDO_COMMAND, f"{where} was {suspend_note}; --undo resumes it")
        from glmctl.actions import resume_command

        return Advice(
            resume_command(kind, name, namespace),
            f"{where} is suspended, not by glmctl rollback: Flux does not reconcile it",
        )
    if ready:
        return None
    if progressing:
        return Advice("glmctl monitor", f"{where} is still reconciling")
    if kind == "HelmRelease":
        return Advice("glmctl troubleshoot helmrelease", f"{where} failed: {failure}")
    return Advice(
        f"kubectl describe {kind.lower()} {name} -n {namespace}", f"{where} failed: {failure}"
    )


def for_flux_object(obj: dict[str, Any]) -> Advice | None:
    """:func:`for_flux_state` for an object as the API returned it."""
    from glmctl.cluster import flux

    metadata = obj.get("metadata") or {}
    state = flux.readiness(obj)
    return for_flux_state(
        str(obj.get("kind", "")),
        str(metadata.get("name", "")),
        str(metadata.get("namespace", "")),
        suspended=state.suspended,
        suspend_note=flux.suspend_note(obj),
        ready=state.ready,
        progressing=is_progressing(state) or state.label == "Unknown",
        failure=state.reason or state.label,
    )


def is_progressing(state: Readiness) -> bool:
    """Still being worked on: reconciling or its spec not yet observed, and not stalled."""
    return bool((state.reconciling or state.stale) and not state.stalled)


def after_rollback(outpost: dict[str, Any] | None, suspended: set[str]) -> Advice:
    """What to run once a rollback's edit is pushed: have Flux apply the Kustomization
    that applies the re-enabled jobs (``outpost``, found by its ``spec.path``) — never
    ``glmctl monitor``, which would wait on the lifecycle Kustomization just suspended.

    ``suspended`` names the Kustomizations suspended now (in ``outpost``'s namespace). A
    dependency on one of them holds ``outpost`` back: Flux applies nothing while a
    dependency's generation is not reconciled (DependencyNotReady), so that is said instead
    of a command that cannot reach its promise.
    """
    if outpost is None:
        return Advice(
            "flux get kustomizations -A",
            "no Flux Kustomization in the lifecycle's namespace applies the outpost-config "
            "directory; find the one that does",
        )
    metadata = outpost.get("metadata") or {}
    name, namespace = str(metadata.get("name", "")), str(metadata.get("namespace", ""))
    if name in suspended:
        return Advice(
            f"kubectl get kustomization {name} -n {namespace}",
            f"Kustomization {name} is suspended too (--dependents), so Flux applies nothing "
            "until `glmctl rollback --undo`; its state",
        )
    from glmctl.cluster.flux import depends_on

    held = [dep for dep_ns, dep in depends_on(outpost) if dep_ns == namespace and dep in suspended]
    if held:
        return Advice(
            f"kubectl get kustomization {name} -n {namespace}",
            f"Kustomization {name} waits on the suspended {held[0]} it depends on, so Flux "
            "applies nothing (DependencyNotReady) until that dependsOn entry is removed from "
            "its file and pushed, or `glmctl rollback --undo` resumes it; its state",
        )
    return Advice(
        f"flux reconcile kustomization {name} -n {namespace} --with-source",
        f"Flux applies the re-enabled jobs through Kustomization {name}",
    )
