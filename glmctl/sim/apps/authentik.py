"""Authentik's API (``/api/v3/...``), as far as ``glmctl smoke`` calls it.

Paths and JSON shapes follow Authentik's OpenAPI schema: list endpoints answer
``{"pagination": {...}, "results": [...]}``; a bad bearer token is 401 with a ``detail``;
no token is 403. State is computed on every read from the cluster, so it matches the
cluster on a healthy scenario without being written twice:

* the admin token is the one in Secret ``authentik/authentik-admin-token`` (key
  ``token``), unless the scenario sets ``apps.authentik.adminToken``;
* the OAuth2 providers and applications (``grafana``, ``dashboard``) take their
  ``client_id``/``client_secret`` from the ``*-oidc-secret`` Secrets, minus
  ``missingProviders``;
* the external outpost's ``config.authentik_host`` is the HelmRelease's
  ``global.authentikHost`` (or ``outpost.config``);
* the proxy providers are what the service-discovery controller made: one per Service
  labelled ``authentik.io/proxy: "enabled"`` once it is ``discovery.delay`` old, and only
  while the controller's service account may list services (its ClusterRoleBinding).
  Computed on read rather than by a ticking controller: nothing to schedule, no race with
  the tests, and the delay still makes glmctl wait for it. The one thing a pure read
  cannot know, that a provider was made for a Service now gone, is kept in the app's
  memory, so ``discovery.cleansUp: false`` leaves orphans as the broken controller would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import datetime

from glmctl.sim import rbac
from glmctl.sim.apps import AppWorld, Reply, json_reply, paginated
from glmctl.sim.contracts import Obj
from glmctl.sim.scenario import parse_duration

_OIDC_DEFAULTS = (
    {"name": "grafana", "secret": "authentik/grafana-oidc-secret"},
    {"name": "dashboard", "secret": "authentik/dashboard-oidc-secret"},
)
_DISCOVERY_ACCOUNT = ("flux-system", "gitops-lifecycle-management")
_RELEASE = ("flux-system", "gitops-lifecycle-management")


def handle(
    method: str, path: str, headers: Mapping[str, str], body: bytes, world: AppWorld
) -> Reply:
    """One request to Authentik's API."""
    del body
    auth = headers.get("authorization", "")
    if not auth:
        return json_reply(403, {"detail": "Authentication credentials were not provided."})
    scheme, _, token = auth.partition(" ")
    expected = _admin_token(world)
    if scheme.lower() != "bearer" or not token or expected is None or token != expected:
        return json_reply(401, {"detail": "Token invalid/expired"})
    if method != "GET":
        return json_reply(405, {"detail": f'Method "{method}" not allowed.'})
    route = path.split("?", 1)[0].rstrip("/") + "/"
    if route == "/api/v3/core/users/me/":
        return json_reply(200, _me())
    if route == "/api/v3/providers/oauth2/":
        return json_reply(200, paginated(_oauth2_providers(world)))
    if route == "/api/v3/core/applications/":
        return json_reply(200, paginated(_applications(world)))
    if route == "/api/v3/outposts/instances/":
        return json_reply(200, paginated(_outposts(world)))
    if route == "/api/v3/providers/proxy/":
        return json_reply(200, paginated(_proxy_providers(world)))
    return json_reply(404, {"detail": "Not found."})


def _admin_token(world: AppWorld) -> str | None:
    override = world.behaviour.get("adminToken")
    if override is not None:
        return str(override)
    return world.secret_value("authentik", "authentik-admin-token", "token")


def _me() -> Obj:
    user = {
        "pk": 1,
        "username": "akadmin",
        "name": "authentik Default Admin",
        "is_active": True,
        "is_superuser": True,
        "groups": [],
        "email": "",
        "avatar": "",
        "uid": hashlib.sha256(b"akadmin").hexdigest(),
        "settings": {},
        "type": "internal",
        "system_permissions": [],
    }
    return {"user": user}


def _oidc(world: AppWorld) -> list[Obj]:
    configured = world.behaviour.get("oidc")
    entries = configured if isinstance(configured, list) else list(_OIDC_DEFAULTS)
    missing = set(world.behaviour.get("missingProviders") or ())
    return [dict(e) for e in entries if str(e.get("name")) not in missing]


def _oauth2_providers(world: AppWorld) -> list[Obj]:
    providers = []
    for pk, entry in enumerate(_oidc(world), start=1):
        namespace, _, secret = str(entry["secret"]).partition("/")
        name = str(entry["name"])
        providers.append(
            {
                "pk": pk,
                "name": name,
                "authorization_flow": "default-provider-authorization-implicit-consent",
                "client_type": "confidential",
                "client_id": world.secret_value(namespace, secret, "client-id") or "",
                "client_secret": world.secret_value(namespace, secret, "client-secret") or "",
                "redirect_uris": [
                    {"matching_mode": "strict", "url": f"https://{name}.example/oauth/callback"}
                ],
                "assigned_application_slug": name,
                "assigned_application_name": name.capitalize(),
            }
        )
    return providers


def _applications(world: AppWorld) -> list[Obj]:
    return [
        {
            "pk": hashlib.sha256(str(p["name"]).encode()).hexdigest()[:32],
            "name": p["assigned_application_name"],
            "slug": p["assigned_application_slug"],
            "provider": p["pk"],
            "provider_obj": {"pk": p["pk"], "name": p["name"]},
        }
        for p in _oauth2_providers(world)
    ]


def _outposts(world: AppWorld) -> list[Obj]:
    settings = dict(world.behaviour.get("outpost") or {})
    config = settings.get("config")
    if config is None:
        release = world.store.get("helm.toolkit.fluxcd.io", "helmreleases", *_RELEASE) or {}
        values = (release.get("spec") or {}).get("values") or {}
        host = ((values.get("global") or {}).get("authentikHost")) or ""
        config = {
            "authentik_host": host,
            "authentik_host_insecure": False,
            "log_level": "info",
            "kubernetes_namespace": "authentik",
        }
    embedded = {
        "pk": "0f3a9c52-embedded",
        "name": "authentik Embedded Outpost",
        "type": "proxy",
        "providers": [],
        "managed": "goauthentik.io/outposts/embedded",
        "config": {"authentik_host": "", "log_level": "info"},
    }
    if settings.get("missing"):
        return [embedded]
    external = {
        "pk": "5b1e7d40-external",
        "name": str(settings.get("name", "external-outpost")),
        "type": "proxy",
        "providers": [p["pk"] for p in _proxy_providers(world)],
        "managed": None,
        "token_identifier": "ak-outpost-external-outpost-api",
        "config": config,
    }
    return [embedded, external]


def _proxy_providers(world: AppWorld) -> list[Obj]:
    settings = dict(world.behaviour.get("discovery") or {})
    label_key, _, label_value = str(settings.get("label", "authentik.io/proxy=enabled")).partition(
        "="
    )
    delay = world.scaled(settings.get("delay", "2s"), parse_duration("2s"))
    now = world.now()
    working = settings.get("creates", True) is not False and _may_list_services(world)
    current: dict[str, Obj] = {}
    for svc in world.store.list("", "services"):
        meta = svc.get("metadata") or {}
        if (meta.get("labels") or {}).get(label_key) != label_value:
            continue
        created = _timestamp(str(meta.get("creationTimestamp", "")))
        if created is not None and now < created + delay:
            continue
        current[f"{meta.get('namespace')}/{meta.get('name')}"] = svc
    with world.lock:
        made: dict[str, Obj] = world.memory.setdefault("providers", {})
        if working:
            for key, svc in current.items():
                made.setdefault(key, _provider_for(svc, len(made) + 100))
            if settings.get("cleansUp", True) is not False:
                for key in [k for k in made if k not in current]:
                    del made[key]
        return [dict(p) for p in made.values()]


def _provider_for(svc: Obj, pk: int) -> Obj:
    meta = svc.get("metadata") or {}
    namespace, name = str(meta.get("namespace")), str(meta.get("name"))
    port = ((svc.get("spec") or {}).get("ports") or [{}])[0].get("port", 80)
    return {
        "pk": pk,
        "name": f"{namespace}-{name}",
        "internal_host": f"http://{name}.{namespace}.svc.cluster.local:{port}",
        "external_host": f"https://{name}.example",
        "mode": "proxy",
        "authorization_flow": "default-provider-authorization-implicit-consent",
    }


def _may_list_services(world: AppWorld) -> bool:
    namespace, name = _DISCOVERY_ACCOUNT
    user = rbac.UserInfo.service_account(namespace, name)
    return rbac.allowed(world.store.list, user, rbac.Attributes("list", "", "services"))


def _timestamp(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
