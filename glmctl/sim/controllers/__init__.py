"""Simulated controllers: what gives the simulated cluster life.

Each controller mimics the real one where glmctl can see it: kustomize-controller and
helm-controller (Flux), the Job controller (with its TTL-after-finished), and the External
Secrets operator. They touch the world only through :class:`SimStore`, reconcile when the
real controller would (a ``reconcile.fluxcd.io/requestedAt`` annotation that differs from
``status.lastHandledReconcileAt``, a new ``generation``, an elapsed interval; never while
suspended) and settle to the outcome the scenario's ``behaviours`` set.

Flux's readiness rules are written here again, on purpose, without glmctl's client code.
Every duration (intervals, delays, TTLs) is multiplied by the scenario's ``timeScale`` so
tests can pass a ten-minute interval in a moment. Controllers write only when something
changed: a write emits a watch event, and the server ticks them every ~50 ms.

One module per controller; ``base`` holds what they share and ``workloads`` the pod and
Deployment statuses a kubelet and the Deployment controller would write.
"""

from __future__ import annotations

from glmctl.sim.contracts import Controller, Scenario
from glmctl.sim.controllers.base import World
from glmctl.sim.controllers.deployment import DeploymentController, ReplicaSetController
from glmctl.sim.controllers.externalsecret import ExternalSecretController
from glmctl.sim.controllers.helmrelease import HelmReleaseController
from glmctl.sim.controllers.job import JobController
from glmctl.sim.controllers.kustomization import KustomizationController
from glmctl.sim.controllers.namespace import NamespaceController


def build_controllers(scenario: Scenario) -> list[Controller]:
    """The controllers that bring ``scenario`` to life, sharing one view of its behaviours."""
    world = World(scenario)
    return [
        KustomizationController(world),
        HelmReleaseController(world),
        JobController(world),
        ExternalSecretController(world),
        DeploymentController(world),
        ReplicaSetController(world),
        NamespaceController(world),
    ]
