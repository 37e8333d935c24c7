"""The guide's post-deployment tests (``glmctl smoke``): does the deployed system work?

Authentik and 1Password Connect are reached through the API server's service proxy
(``Cluster.proxy``) with the run's own credentials, or Authentik at ``--authentik-url``.
Secret values (the admin token, OIDC client secrets) are read because the checks need
them, and never leave this module: they are compared by SHA-256 digest, and results carry
names only. The two steps that change the cluster (a temporary Service for service
discovery, a one-off ``pg_isready`` Job) label what they create
``app.kubernetes.io/managed-by: glmctl-smoke``, delete it when they end however they end,
and the first step of the next run removes and reports what a killed run left behind.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from glmctl.cluster import resources
from glmctl.cluster.client import Cluster
from glmctl.cluster.jobs import JobPhase, job_state
from glmctl.config import OidcClient, SecretMapping
from glmctl.errors import ApiError, NotFound
from glmctl.steps._text import clip, plural
from glmctl.steps.registry import StepContext, StepResult, step

Obj = dict[str, Any]

MANAGED_BY = "app.kubernetes.io/managed-by"
SMOKE_MANAGER = "glmctl-smoke"
RUN_LABEL = "glmctl.io/smoke-run"
SMOKE_SELECTOR = f"{MANAGED_BY}={SMOKE_MANAGER}"
_POLL_SECONDS = 0.5


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def digest(value: str) -> str:
    """The SHA-256 of a secret value: what two secrets are compared by."""
    return hashlib.sha256(value.encode()).hexdigest()


def _secret_values(cluster: Cluster, namespace: str, name: str) -> dict[str, str] | None:
    secret = cluster.get_or_none(resources.SECRET, name, namespace)
    if secret is None:
        return None
    values: dict[str, str] = {}
    for key, raw in (secret.get("data") or {}).items():
        try:
            values[str(key)] = base64.b64decode(str(raw or "")).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            values[str(key)] = ""
    return values


# --- Authentik ---------------------------------------------------------------------------


class AuthentikParams(_Params):
    """Where Authentik answers and where its admin token is kept."""

    url: str = ""
    """Authentik's base URL (``--authentik-url``); empty: through the service proxy."""
    service: str = "authentik-server"
    namespace: str = "authentik"
    port: int = 9000
    token_secret: str = "authentik-admin-token"
    token_key: str = "token"


class _Authentik:
    """GET requests to Authentik's API with the admin token from its Secret."""

    def __init__(self, ctx: StepContext, params: AuthentikParams) -> None:
        self.params = params
        self.cluster = ctx.cluster
        self.ctx = ctx
        values = _secret_values(self.cluster, params.namespace, params.token_secret)
        self.token = (values or {}).get(params.token_key)
        via = params.url or (
            f"service {params.namespace}/{params.service}:{params.port} (API server proxy)"
        )
        self.via = via

    def get(self, path: str) -> tuple[int, Any]:
        bearer = f"Bearer {self.token}" if self.token else None
        if self.params.url:
            return _url_get(self.params.url.rstrip("/") + path, bearer, self.ctx.remaining())
        answer = self.cluster.proxy(
            self.params.namespace,
            self.params.service,
            self.params.port,
            path,
            upstream_authorization=bearer,
        )
        if answer.no_endpoints:
            return 503, None
        return answer.status, answer.json()

    def results(self, path: str) -> list[Obj] | str:
        """A list endpoint's ``results``, or one sentence saying why there are none."""
        status, body = self.get(path)
        if status != 200 or not isinstance(body, dict):
            return _http_problem(status, self.via)
        return [r for r in body.get("results") or [] if isinstance(r, dict)]


def _url_get(url: str, bearer: str | None, remaining: float | None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if bearer:
        request.add_header("Authorization", bearer)
    timeout = min(remaining, 15.0) if remaining else 15.0
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
            status = int(response.status)
    except urllib.error.HTTPError as error:
        raw, status = error.read(), int(error.code)
    except (urllib.error.URLError, OSError) as error:
        return 0, str(getattr(error, "reason", error))
    try:
        return status, json.loads(raw) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return status, None


def _http_problem(status: int, via: str) -> str:
    if status == 0:
        return f"Authentik could not be reached at {via}"
    if status == 503:
        return f"Authentik has no ready endpoint behind {via} (503)"
    if status in (401, 403):
        return f"Authentik refused the admin token ({status})"
    return f"Authentik answered {status} at {via}"


def _authentik_hint(status: int) -> str:
    if status in (401, 403):
        return (
            "The token in the Secret is not a valid Authentik API token: rotate it in "
            "Authentik and in 1Password together, then force-sync the ExternalSecret "
            "(`kubectl annotate externalsecret authentik-admin-token -n authentik "
            "force-sync=$(date +%s) --overwrite`). Through the API server's service proxy "
            "a real cluster drops the token: give --authentik-url."
        )
    return "Check the Authentik pods (`kubectl get pods -n authentik`) and its Service."


@step("smoke.authentik_token", params=AuthentikParams)
def authentik_token(ctx: StepContext, params: AuthentikParams) -> StepResult:
    """Authentik accepts the admin token from its Secret (``/api/v3/core/users/me/``)."""
    client = _Authentik(ctx, params)
    secret = f"{params.namespace}/{params.token_secret}"
    if not client.token:
        return StepResult.failed(
            f"no admin token: Secret {secret} has no key {params.token_key!r}",
            hint="Check the ExternalSecret authentik-admin-token (`glmctl verify`).",
            command=f"kubectl get secret {params.token_secret} -n {params.namespace}",
        )
    status, body = client.get("/api/v3/core/users/me/")
    if status == 200 and isinstance(body, dict):
        user = (body.get("user") or {}).get("username", "?")
        return StepResult.passed(
            f"Authentik accepts the admin token from {secret} (user {user})",
            details=(f"via {client.via}",),
        )
    return StepResult.failed(
        _http_problem(status, client.via) + f"; token from Secret {secret}",
        hint=_authentik_hint(status),
    )


class OidcParams(AuthentikParams):
    """The OIDC clients whose provider, application and client secret must match."""

    clients: list[OidcClient] = Field(min_length=1)


@step("smoke.authentik_oidc", params=OidcParams)
def authentik_oidc(ctx: StepContext, params: OidcParams) -> StepResult:
    """Each OIDC client has its provider and application, and its client secret matches."""
    client = _Authentik(ctx, params)
    providers = client.results("/api/v3/providers/oauth2/")
    applications = client.results("/api/v3/core/applications/")
    if isinstance(providers, str) or isinstance(applications, str):
        problem = providers if isinstance(providers, str) else str(applications)
        return StepResult.failed(problem, hint=_authentik_hint(401 if "refused" in problem else 0))
    by_name = {str(p.get("name")): p for p in providers}
    app_slugs = {str(a.get("slug")) for a in applications} | {
        str(a.get("name")).lower() for a in applications
    }
    details: list[str] = []
    failing: list[str] = []
    for oidc in params.clients:
        line = _check_oidc(ctx.cluster, oidc, by_name.get(oidc.name), oidc.name in app_slugs)
        details.append(line)
        if not line.endswith("match"):
            failing.append(oidc.name)
    if not failing:
        return StepResult.passed(
            f"{plural(len(params.clients), 'OIDC client')}: providers, applications and "
            "client secrets match",
            details=tuple(details),
        )
    return StepResult.failed(
        f"OIDC client(s) not as expected: {', '.join(failing)}",
        details=tuple(details),
        hint="The chart's OIDC setup hook creates them: read its log "
        "(`kubectl logs -n flux-system job/gitops-lifecycle-management-auth-setup`) or run "
        "the hooks again with `glmctl redeploy`. A client secret that differs means "
        "1Password and Authentik disagree: update one, then force-sync the ExternalSecret.",
    )


def _check_oidc(cluster: Cluster, oidc: OidcClient, provider: Obj | None, has_app: bool) -> str:
    label = f"{oidc.name}:"
    if provider is None:
        return f"{label} no OAuth2 provider named {oidc.name} in Authentik"
    if not has_app:
        return f"{label} provider exists, but no application {oidc.name}"
    values = _secret_values(cluster, oidc.namespace, oidc.secret)
    if values is None:
        return f"{label} Secret {oidc.namespace}/{oidc.secret} not found"
    same_id = values.get("client-id") == str(provider.get("client_id", ""))
    same_secret = digest(values.get("client-secret", "")) == digest(
        str(provider.get("client_secret", ""))
    )
    if not same_id or not same_secret:
        which = [n for n, ok in (("client id", same_id), ("client secret", same_secret)) if not ok]
        return (
            f"{label} {' and '.join(which)} differ between Authentik and Secret "
            f"{oidc.namespace}/{oidc.secret} (compared by SHA-256)"
        )
    return f"{label} provider and application exist; client id and secret (SHA-256) match"


class OutpostParams(AuthentikParams):
    """The external outpost and the Authentik host its configuration must carry."""

    outpost: str
    authentik_host: str


@step("smoke.authentik_outpost", params=OutpostParams)
def authentik_outpost(ctx: StepContext, params: OutpostParams) -> StepResult:
    """The external outpost exists and its configuration (authentik_host) is applied."""
    client = _Authentik(ctx, params)
    outposts = client.results("/api/v3/outposts/instances/")
    if isinstance(outposts, str):
        return StepResult.failed(
            outposts, hint=_authentik_hint(401 if "refused" in outposts else 0)
        )
    names = {str(o.get("name")): o for o in outposts}
    found = names.get(params.outpost)
    if found is None:
        return StepResult.failed(
            f"no outpost named {params.outpost} in Authentik",
            details=(f"outposts: {', '.join(sorted(names)) or 'none'}",),
            hint="The external outpost is configured by radius-outpost-config and the "
            "outpost-config Kustomization: check it is Ready (`glmctl status`).",
        )
    host = str((found.get("config") or {}).get("authentik_host", ""))
    if host != params.authentik_host:
        return StepResult.failed(
            f"outpost {params.outpost}: authentik_host is {host or 'empty'}, "
            f"expected {params.authentik_host}",
            hint="Its configuration was not applied: check the authentik-outpost-config "
            "Secret and reconcile infrastructure-authentik-outpost-config.",
        )
    return StepResult.passed(
        f"outpost {params.outpost} exists; authentik_host {host}",
        details=(f"{plural(len(found.get('providers') or []), 'provider')} assigned",),
    )


# --- service discovery -------------------------------------------------------------------


class DiscoveryParams(AuthentikParams):
    """The temporary Service: where, its label, and how long to wait for the provider."""

    run_id: str = Field(pattern=r"^[a-z0-9]{1,12}$")
    service_namespace: str = "default"
    proxy_label: str = "authentik.io/proxy=enabled"
    timeout_seconds: float = Field(default=60, gt=0)


def _temporary_service(params: DiscoveryParams) -> Obj:
    key, _, value = params.proxy_label.partition("=")
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": f"glmctl-smoke-{params.run_id}",
            "namespace": params.service_namespace,
            "labels": {MANAGED_BY: SMOKE_MANAGER, RUN_LABEL: params.run_id, key: value},
            "annotations": {"glmctl.io/purpose": "glmctl smoke service-discovery test"},
        },
        "spec": {
            "type": "ClusterIP",
            "selector": {RUN_LABEL: params.run_id},
            "ports": [{"name": "http", "port": 80, "targetPort": 8080}],
        },
    }


def _plan_discovery(ctx: StepContext, params: DiscoveryParams) -> StepResult:
    name = _temporary_service(params)["metadata"]["name"]
    return StepResult.skipped(
        f"would create Service {params.service_namespace}/{name} labelled "
        f"{params.proxy_label}, wait for its proxy provider, then delete it",
    )


@step(
    "smoke.service_discovery",
    params=DiscoveryParams,
    mutating=True,
    plan=_plan_discovery,
)
def service_discovery(ctx: StepContext, params: DiscoveryParams) -> StepResult:
    """A labelled temporary Service gets a proxy provider, which goes when the Service does."""
    from glmctl.journal import Journal, PlannedChange

    client = _Authentik(ctx, params)
    manifest = _temporary_service(params)
    name = manifest["metadata"]["name"]
    where = f"{params.service_namespace}/{name}"
    provider = f"{params.service_namespace}-{name}"
    first = client.results("/api/v3/providers/proxy/")
    if isinstance(first, str):
        return StepResult.failed(first, hint=_authentik_hint(401 if "refused" in first else 0))
    entry = Journal().begin(
        ctx.cluster.context_name,
        ["smoke", "service-discovery"],
        [
            PlannedChange(
                id="create",
                action="create",
                kind="Service",
                name=name,
                namespace=params.service_namespace,
                api_version="v1",
                detail=f"temporary, labelled {params.proxy_label}",
            ),
            PlannedChange(
                id="delete",
                action="delete",
                kind="Service",
                name=name,
                namespace=params.service_namespace,
                api_version="v1",
                detail="the temporary Service, when the test ends",
            ),
        ],
        command_name="smoke",
    )
    details = [f"temporary Service {where} (journal {entry.id})"]
    outcome = "failed"
    try:
        ctx.cluster.create(manifest)
        entry.mark_done("create")
        appeared = _wait_until(ctx, params.timeout_seconds, lambda: provider in _names(client))
        if not appeared:
            return StepResult.failed(
                f"no proxy provider for {where} within {params.timeout_seconds:g} s",
                details=tuple(details),
                hint="The service-discovery controller does not act on labelled Services: "
                "check its logs and RBAC (`glmctl troubleshoot service-discovery`).",
            )
        details.append(f"proxy provider {provider} created")
        _delete_service(ctx.cluster, params.service_namespace, name)
        entry.mark_done("delete")
        gone = _wait_until(ctx, params.timeout_seconds, lambda: provider not in _names(client))
        if not gone:
            return StepResult.failed(
                f"proxy provider {provider} still exists {params.timeout_seconds:g} s after "
                f"its Service was deleted",
                details=tuple(details),
                hint="Orphaned providers are not cleaned up: check "
                "serviceDiscovery.discovery.cleanupOrphaned in the HelmRelease values and "
                "the controller's logs; delete the provider in Authentik by hand.",
            )
        details.append(f"proxy provider {provider} removed after the Service was deleted")
        outcome = "passed"
        return StepResult.passed(
            "a labelled Service got its proxy provider, removed with the Service",
            details=tuple(details),
        )
    finally:
        _delete_service(ctx.cluster, params.service_namespace, name)
        if not entry.progress("delete").done:
            entry.mark_done("delete")
        entry.finish(outcome)


def _names(client: _Authentik) -> set[str]:
    found = client.results("/api/v3/providers/proxy/")
    return set() if isinstance(found, str) else {str(p.get("name")) for p in found}


def _wait_until(ctx: StepContext, seconds: float, check: Callable[[], bool]) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while True:
        if check():
            return True
        if time.monotonic() >= deadline or ctx.wait(_POLL_SECONDS):
            return False


def _delete_service(cluster: Cluster, namespace: str, name: str) -> None:
    with contextlib.suppress(NotFound):
        cluster.delete(resources.SERVICE, name, namespace)


class SweepParams(_Params):
    """Nothing to set: leftovers are found by their label in every namespace."""


def sweep(cluster: Cluster, run_id: str | None = None) -> list[str]:
    """Delete what smoke runs left behind (only ``run_id``'s when given); ``kind ns/name``
    of each object deleted."""
    selector = SMOKE_SELECTOR + (f",{RUN_LABEL}={run_id}" if run_id else "")
    removed: list[str] = []
    for rt in (resources.SERVICE, resources.JOB):
        for obj in cluster.list(rt, None, label_selector=selector):
            meta = obj.get("metadata") or {}
            try:
                cluster.delete(rt, str(meta["name"]), str(meta["namespace"]))
            except NotFound:
                continue
            removed.append(f"{rt.kind} {meta['namespace']}/{meta['name']}")
    return removed


def _plan_sweep(ctx: StepContext, params: SweepParams) -> StepResult:
    return StepResult.skipped(f"would delete leftovers labelled {SMOKE_SELECTOR}")


@step("smoke.leftovers", params=SweepParams, mutating=True, plan=_plan_sweep)
def leftovers(ctx: StepContext, params: SweepParams) -> StepResult:
    """Leftovers of an earlier, killed smoke run are removed and reported."""
    removed = sweep(ctx.cluster)
    if removed:
        return StepResult.warning(
            f"removed {plural(len(removed), 'leftover')} of an earlier smoke run",
            details=tuple(removed),
        )
    return StepResult.passed("no leftovers of earlier smoke runs")


# --- 1Password Connect and the ExternalSecrets -------------------------------------------


class ConnectParams(_Params):
    """The Connect Service."""

    service: str = "onepassword-connect"
    namespace: str = "onepassword-connect"
    port: int = 8080


@step("smoke.connect_health", params=ConnectParams)
def connect_health(ctx: StepContext, params: ConnectParams) -> StepResult:
    """1Password Connect answers /heartbeat, and /health lists every dependency ACTIVE."""
    target = (params.namespace, params.service, params.port)
    via = f"service {params.namespace}/{params.service}:{params.port}"
    hint = (
        "Check the Connect pods and logs (`kubectl logs -n onepassword-connect "
        "-l app.kubernetes.io/name=onepassword-connect`) and its credentials Secret."
    )
    beat = ctx.cluster.proxy(*target, "/heartbeat")
    if beat.status != 200:
        why = "has no ready endpoint" if beat.no_endpoints else f"answered {beat.status}"
        return StepResult.failed(f"1Password Connect {why} on /heartbeat ({via})", hint=hint)
    health = ctx.cluster.proxy(*target, "/health").json()
    if not isinstance(health, dict):
        return StepResult.failed(f"1Password Connect /health is not JSON ({via})", hint=hint)
    details = []
    unhealthy = []
    for dependency in health.get("dependencies") or []:
        service, status = dependency.get("service"), dependency.get("status")
        message = dependency.get("message") or ""
        details.append(clip(f"{service}: {status}" + (f" ({message})" if message else "")))
        if status != "ACTIVE":
            unhealthy.append(f"{service} {status}")
    version = f"{health.get('name', 'Connect')} {health.get('version', '')}".strip()
    if unhealthy:
        return StepResult.failed(
            f"1Password Connect is unhealthy: {', '.join(unhealthy)}",
            details=tuple(details),
            hint=hint,
        )
    return StepResult.passed(
        f"{version}: heartbeat ok, {plural(len(details), 'dependency', 'dependencies')} ACTIVE",
        details=tuple(details),
    )


class ItemParams(_Params):
    """The profile's ExternalSecret → 1Password item mapping and the store they must use."""

    mappings: list[SecretMapping] = Field(min_length=1)
    store_name: str
    store_kind: str


@step("smoke.externalsecret_items", params=ItemParams)
def externalsecret_items(ctx: StepContext, params: ItemParams) -> StepResult:
    """Every ExternalSecret of the profile reads the expected 1Password item from the store."""
    details = []
    failing = []
    for mapping in params.mappings:
        label = f"{mapping.namespace}/{mapping.external_secret}"
        found = ctx.cluster.get_or_none(
            resources.EXTERNALSECRET, mapping.external_secret, mapping.namespace
        )
        if found is None:
            details.append(f"{label}: not found")
            failing.append(label)
            continue
        spec = found.get("spec") or {}
        keys = {str((d.get("remoteRef") or {}).get("key")) for d in spec.get("data") or []} | {
            str((d.get("extract") or {}).get("key")) for d in spec.get("dataFrom") or []
        }
        keys.discard("None")
        store = spec.get("secretStoreRef") or {}
        problems = []
        if keys != {mapping.item}:
            problems.append(f"reads {', '.join(sorted(keys)) or 'nothing'}, not {mapping.item}")
        if store.get("name") != params.store_name or store.get("kind", "SecretStore") != (
            params.store_kind
        ):
            problems.append(f"uses {store.get('kind')} {store.get('name')}")
        if problems:
            details.append(f"{label}: " + "; ".join(problems))
            failing.append(label)
        else:
            details.append(f"{label}: item {mapping.item}")
    if failing:
        return StepResult.failed(
            f"{len(failing)} ExternalSecret(s) not pointing at the expected item: "
            + ", ".join(failing),
            details=tuple(details),
            hint="Compare with the guide's 1Password Integration list "
            "(external_secrets.mappings in glmctl.yaml).",
        )
    return StepResult.passed(
        f"{plural(len(params.mappings), 'ExternalSecret')} read the expected 1Password items",
        details=tuple(details),
    )


# --- database ----------------------------------------------------------------------------


class SecretKeysParams(_Params):
    """A Secret that must hold these keys (names only are reported)."""

    name: str
    namespace: str
    keys: list[str] = Field(min_length=1)


@step("smoke.secret_keys", params=SecretKeysParams)
def secret_keys(ctx: StepContext, params: SecretKeysParams) -> StepResult:
    """The credentials Secret has the expected keys (names only)."""
    secret = ctx.cluster.get_or_none(resources.SECRET, params.name, params.namespace)
    command = f"kubectl get secret {params.name} -n {params.namespace}"
    if secret is None:
        return StepResult.failed(
            f"Secret {params.namespace}/{params.name} not found",
            hint="Check its ExternalSecret (`glmctl verify`).",
            command=command,
        )
    present = sorted((secret.get("data") or {}).keys())
    missing = [k for k in params.keys if k not in present]
    if missing:
        return StepResult.failed(
            f"Secret {params.namespace}/{params.name} lacks {', '.join(missing)}",
            details=(f"keys: {', '.join(present) or 'none'}",),
            command=command,
        )
    return StepResult.passed(
        f"Secret {params.namespace}/{params.name} has {', '.join(params.keys)}", command=command
    )


class PgParams(_Params):
    """The one-off connectivity Job."""

    run_id: str = Field(pattern=r"^[a-z0-9]{1,12}$")
    namespace: str
    host: str
    image: str = Field(min_length=1)
    ttl_seconds: int = Field(default=300, ge=0)
    timeout_seconds: float = Field(default=120, gt=0)


def _pg_job(params: PgParams) -> Obj:
    labels = {MANAGED_BY: SMOKE_MANAGER, RUN_LABEL: params.run_id}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": f"glmctl-smoke-pg-{params.run_id}",
            "namespace": params.namespace,
            "labels": labels,
        },
        "spec": {
            "backoffLimit": 0,
            "ttlSecondsAfterFinished": params.ttl_seconds,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "pg-isready",
                            "image": params.image,
                            "command": ["pg_isready", "-h", params.host, "-t", "10"],
                        }
                    ],
                },
            },
        },
    }


def _plan_pg(ctx: StepContext, params: PgParams) -> StepResult:
    return StepResult.skipped(
        f"would run Job glmctl-smoke-pg-{params.run_id} in {params.namespace}: "
        f"pg_isready -h {params.host} ({params.image})"
    )


@step("smoke.pg_isready", params=PgParams, mutating=True, plan=_plan_pg)
def pg_isready(ctx: StepContext, params: PgParams) -> StepResult:
    """A one-off, TTL-cleaned Job running ``pg_isready`` reaches PostgreSQL."""
    manifest = _pg_job(params)
    name = manifest["metadata"]["name"]
    command = f"kubectl logs -n {params.namespace} job/{name}"
    ctx.cluster.create(manifest)
    finished: Obj | None = None
    try:

        def done() -> bool:
            nonlocal finished
            job = ctx.cluster.get_or_none(resources.JOB, name, params.namespace)
            if job is not None and job_state(job).finished:
                finished = job
                return True
            return False

        if not _wait_until(ctx, params.timeout_seconds, done) or finished is None:
            return StepResult.failed(
                f"pg_isready Job {name} did not finish within {params.timeout_seconds:g} s",
                hint=f"Is the image {params.image} pullable? `kubectl describe job {name} "
                f"-n {params.namespace}`; set another with --pg-image.",
                command=command,
            )
        log_lines = _job_log(ctx.cluster, params.namespace, name)
        state = job_state(finished)
        if state.phase is JobPhase.COMPLETE:
            return StepResult.passed(
                f"pg_isready -h {params.host}: accepting connections",
                details=tuple(log_lines),
                command=command,
            )
        return StepResult.failed(
            f"pg_isready -h {params.host} failed: PostgreSQL is not reachable",
            details=tuple(log_lines),
            hint="Check the PostgreSQL cluster in home-automation (`kubectl get pods -n "
            "home-automation`) and the host in the HelmRelease's "
            "database.hooks.postgresql.host.",
            command=command,
        )
    finally:
        with contextlib.suppress(NotFound):
            ctx.cluster.delete(resources.JOB, name, params.namespace)


def _job_log(cluster: Cluster, namespace: str, job: str) -> list[str]:
    pods = cluster.list(resources.POD, namespace, label_selector=f"job-name={job}")
    lines: list[str] = []
    for pod in pods:
        pod_name = str((pod.get("metadata") or {}).get("name"))
        try:
            text = cluster.pod_logs(pod_name, namespace, tail_lines=10)
        except ApiError:
            continue
        lines.extend(f"{pod_name}: {clip(line)}" for line in text.splitlines() if line.strip())
    return lines or ["(no log)"]


# --- configuration values ----------------------------------------------------------------


class ConfigParams(_Params):
    """The HelmRelease and the values the guide lists, as the profile expects them."""

    name: str
    namespace: str
    expected: dict[str, str | int]


_VALUE_PATHS = {
    "domain": "global.domain",
    "authentik_host": "global.authentikHost",
    "hook_ttl": "authentication.hooks.ttlSecondsAfterFinished",
    "reconcile_interval": "serviceDiscovery.discovery.reconcileInterval",
    "postgres_host": "database.hooks.postgresql.host",
    "secret_store_name": "externalSecrets.secretStore.name",
    "secret_store_kind": "externalSecrets.secretStore.kind",
}


def value_at(values: Obj, path: str) -> Any:
    """``a.b.c`` in nested mappings, or None."""
    node: Any = values
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


@step("smoke.config_values", params=ConfigParams)
def config_values(ctx: StepContext, params: ConfigParams) -> StepResult:
    """The HelmRelease's values carry the guide's key configuration values."""
    release = ctx.cluster.get_or_none(resources.HELMRELEASE, params.name, params.namespace)
    command = f"kubectl get helmrelease {params.name} -n {params.namespace} -o yaml"
    if release is None:
        return StepResult.failed(
            f"HelmRelease {params.namespace}/{params.name} not found", command=command
        )
    values = (release.get("spec") or {}).get("values") or {}
    details: list[str] = []
    wrong: list[str] = []
    for key, expected in params.expected.items():
        path = _VALUE_PATHS.get(key, key)
        found = value_at(values, path)
        if str(found) == str(expected):
            details.append(f"{path}: {found}")
        else:
            details.append(f"{path}: {found!r}, expected {expected!r}")
            wrong.append(path)
    if wrong:
        return StepResult.failed(
            f"{len(wrong)} value(s) differ from the profile: {', '.join(wrong)}",
            details=tuple(details),
            hint="Fix the HelmRelease's values in git (or the profile's smoke section in "
            "glmctl.yaml if the cluster differs from the guide on purpose).",
            command=command,
        )
    return StepResult.passed(
        f"{plural(len(details), 'value')} as the profile expects",
        details=tuple(details),
        command=command,
    )


__all__: Sequence[str] = ("digest", "sweep", "value_at")
