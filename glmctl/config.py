"""The cluster profile: every name glmctl looks for, with the deployment guide's as defaults.

A cluster laid out like ``reference/deployment-guide.md`` needs no configuration at all.
Anything else is overridden in a ``glmctl.yaml`` found upward from the working directory
(or named with ``--config``). Nested sections merge field by field with the defaults;
lists replace the default list as a whole. Unknown keys and wrong types are errors that
name the file, line and column, because a typo silently ignored would make glmctl check
the wrong object and report success.

The loader also remembers where each value came from ("default" or "file:line") so that
``glmctl config show`` can answer "why is it looking at that namespace?".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from glmctl.errors import ConfigError
from glmctl.lint.settings import LintSettings
from glmctl.paths import check_relative
from glmctl.suggest import closest, ranked

PROFILE_FILE_NAME = "glmctl.yaml"

RepoPath = Annotated[str, AfterValidator(check_relative)]
"""A path inside the GitOps repository: relative to its root, POSIX, no ``..``."""
DEFAULT_SOURCE = "default"


FLUX_NAMESPACE = "flux-system"
"""Where Flux lives (``flux install``'s default): the default of every namespace below that
holds Flux objects, and of step parameters that name one. The one place this name is set."""


class _Section(BaseModel):
    """Base of every profile model: immutable, and a misspelt key is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ObjectRef(_Section):
    """A namespaced Kubernetes object by name."""

    name: str
    namespace: str


class HelmReleaseRef(_Section):
    """The Flux HelmRelease and the Helm release it manages.

    ``release_name`` and ``storage_namespace`` are where Helm keeps its
    ``sh.helm.release.v1.*`` Secrets; Flux defaults them to the HelmRelease's own name and
    namespace, which is what the guide's ``helm list -n flux-system`` shows.
    """

    name: str = "gitops-lifecycle-management"
    namespace: str = FLUX_NAMESPACE
    release_name: str = "gitops-lifecycle-management"
    storage_namespace: str = FLUX_NAMESPACE


class FluxSettings(_Section):
    """The Flux objects of the lifecycle deployment and those around it."""

    lifecycle_kustomization: ObjectRef = ObjectRef(
        name="infrastructure-gitops-lifecycle-management", namespace=FLUX_NAMESPACE
    )
    helm_release: HelmReleaseRef = HelmReleaseRef()
    prerequisites: tuple[str, ...] = (
        "infrastructure-sources",
        "infrastructure-external-secrets",
        "infrastructure-onepassword-connect",
        "infrastructure-authentik",
    )
    """Kustomizations (in the flux namespace) that must be Ready before deploying."""
    dependents: tuple[str, ...] = ("infrastructure-authentik-outpost-config",)
    """Kustomizations that depend on the lifecycle one (the guide's outpost-config)."""


class Namespaces(_Section):
    """The namespaces the guide's commands look in."""

    identity: str = "authentik"
    onepassword: str = "onepassword-connect"
    flux: str = FLUX_NAMESPACE


class Component(_Section):
    """A chart component verified by its pods' label selector."""

    name: str
    selector: str


class Selectors(_Section):
    """Label selectors, in kubectl's ``-l`` syntax."""

    lifecycle: str = "app.kubernetes.io/name=gitops-lifecycle-management"
    components: tuple[Component, ...] = (
        Component(name="database-init", selector="app.kubernetes.io/component=database-init"),
        Component(
            name="service-discovery", selector="app.kubernetes.io/component=service-discovery"
        ),
    )
    onepassword: str = "app.kubernetes.io/name=onepassword-connect"


class SecretStoreRef(_Section):
    """The External Secrets store every ExternalSecret of the chart reads from."""

    kind: str = "ClusterSecretStore"
    name: str = "onepassword-connect"


class SecretMapping(_Section):
    """One 1Password item → ExternalSecret → Kubernetes Secret, with the keys it must hold.

    Only key names live here, never values.
    """

    item: str
    external_secret: str
    secret: str
    namespace: str
    keys: tuple[str, ...] = ()


def _secret(item: str, name: str, namespace: str, *keys: str) -> SecretMapping:
    return SecretMapping(
        item=item, external_secret=name, secret=name, namespace=namespace, keys=keys
    )


# The guide lists items and Secrets but not namespaces or keys: these are defaults to
# override in glmctl.yaml where a cluster differs.
_DEFAULT_SECRETS = (
    _secret("home-ops-authentik-admin-token", "authentik-admin-token", "authentik", "token"),
    _secret(
        "home-ops-authentik-external-outpost-config",
        "authentik-outpost-config",
        "authentik",
        "token",
    ),
    _secret(
        "home-ops-grafana-oidc-client-secret",
        "grafana-oidc-secret",
        "authentik",
        "client-id",
        "client-secret",
    ),
    _secret(
        "home-ops-dashboard-oidc-client-secret",
        "dashboard-oidc-secret",
        "authentik",
        "client-id",
        "client-secret",
    ),
    _secret(
        "home-ops-postgresql-superuser-credentials",
        "postgresql-admin-credentials",
        "home-automation",
        "username",
        "password",
    ),
)


class ExternalSecretsSettings(_Section):
    """The store and the ExternalSecret → Secret mapping the chart creates."""

    store: SecretStoreRef = SecretStoreRef()
    mappings: tuple[SecretMapping, ...] = _DEFAULT_SECRETS


class JobFile(_Section):
    """A Job and the file in the outpost-config kustomization that defines it."""

    name: str
    file: RepoPath


def _job(name: str) -> JobFile:
    return JobFile(name=name, file=f"{name}-job.yaml")


class JobSettings(_Section):
    """The old one-shot Jobs: those the chart replaced and the one that stays."""

    replaced: tuple[JobFile, ...] = tuple(
        _job(name)
        for name in (
            "enhanced-token-setup",
            "grafana-oidc-setup",
            "dashboard-oidc-setup",
            "cleanup-duplicate-tokens",
        )
    )
    kept: tuple[JobFile, ...] = (_job("radius-outpost-config"),)


class RepoSettings(_Section):
    """Paths in the GitOps repository, relative to its root (POSIX separators)."""

    outpost_kustomization: RepoPath = "infrastructure/authentik-outpost-config/kustomization.yaml"
    """The kustomization.yaml whose ``resources`` list the replaced jobs."""
    outpost_flux_kustomization: RepoPath = "clusters/home-ops/infrastructure/outpost-config.yaml"
    """The Flux Kustomization file whose ``spec.healthChecks`` name those jobs."""


class RbacSettings(_Section):
    """Who the chart's controller runs as, for ``kubectl auth can-i --as``."""

    service_account: str = "system:serviceaccount:flux-system:gitops-lifecycle-management"


class ServiceDiscoverySettings(_Section):
    """The label that asks the service-discovery controller for an Authentik proxy."""

    proxy_label: str = "authentik.io/proxy=enabled"


class HookSettings(_Section):
    """Helm hook Jobs: removed by Kubernetes this long after they finish."""

    ttl_seconds: int = Field(default=300, ge=0)


class MonitoringSettings(_Section):
    """Whether the chart's ServiceMonitor is expected, and its name."""

    enabled: bool = True
    service_monitor: str = "gitops-lifecycle-management"


class ServiceRef(_Section):
    """An in-cluster Service reached through the API server's service proxy."""

    name: str
    namespace: str
    port: int = Field(ge=1, le=65535)


class OidcClient(_Section):
    """An Authentik OAuth2 provider/application and the Secret holding its client id/secret."""

    name: str
    secret: str
    namespace: str = "authentik"


class SmokeSettings(_Section):
    """What ``glmctl smoke`` talks to and expects: the guide's "Post-Deployment Testing"
    and "Key Configuration Values". Secret values are never read into results."""

    authentik: ServiceRef = ServiceRef(name="authentik-server", namespace="authentik", port=9000)
    admin_token_secret: str = "authentik-admin-token"
    admin_token_key: str = "token"
    oidc_clients: tuple[OidcClient, ...] = (
        OidcClient(name="grafana", secret="grafana-oidc-secret"),
        OidcClient(name="dashboard", secret="dashboard-oidc-secret"),
    )
    outpost: str = "external-outpost"
    connect: ServiceRef = ServiceRef(
        name="onepassword-connect", namespace="onepassword-connect", port=8080
    )
    discovery_timeout_seconds: int = Field(default=60, ge=1)
    database_namespace: str = "home-automation"
    database_secret: str = "postgresql-admin-credentials"
    database_keys: tuple[str, ...] = ("username", "password")
    pg_image: str = "postgres:16-alpine"
    domain: str = "k8s.home.geoffdavis.com"
    authentik_host: str = "http://authentik-server.authentik.svc.cluster.local:9000"
    reconcile_interval: str = "5m"
    postgres_host: str = "homeassistant-postgresql-rw.home-automation.svc.cluster.local"


class RunbookSettings(_Section):
    """Runbooks of your own, looked up before the shipped ones (and named when they run)."""

    dir: str | None = None
    """A directory of runbooks; relative to this file. ``./runbooks`` is never searched
    unless named here or with ``--runbook-dir``."""


class Profile(_Section):
    """Everything glmctl needs to know about a cluster that the guide names."""

    flux: FluxSettings = FluxSettings()
    namespaces: Namespaces = Namespaces()
    selectors: Selectors = Selectors()
    external_secrets: ExternalSecretsSettings = ExternalSecretsSettings()
    jobs: JobSettings = JobSettings()
    repo: RepoSettings = RepoSettings()
    rbac: RbacSettings = RbacSettings()
    service_discovery: ServiceDiscoverySettings = ServiceDiscoverySettings()
    hooks: HookSettings = HookSettings()
    monitoring: MonitoringSettings = MonitoringSettings()
    smoke: SmokeSettings = SmokeSettings()
    lint: LintSettings = LintSettings()
    runbooks: RunbookSettings = RunbookSettings()

    def in_flux_namespace(self, namespace: str) -> Profile:
        """This profile with its Flux objects looked for in ``namespace`` (``-n``, as the
        flux CLI's): the lifecycle Kustomization, the prerequisites, the HelmRelease and
        the Helm release storage. The workloads' namespaces stay as configured."""
        flux = self.flux
        release = flux.helm_release.model_copy(
            update={"namespace": namespace, "storage_namespace": namespace}
        )
        lifecycle = flux.lifecycle_kustomization.model_copy(update={"namespace": namespace})
        return self.model_copy(
            update={
                "flux": flux.model_copy(
                    update={"lifecycle_kustomization": lifecycle, "helm_release": release}
                ),
                "namespaces": self.namespaces.model_copy(update={"flux": namespace}),
            }
        )


@dataclass(frozen=True)
class ProfileValue:
    """One leaf of the effective profile, for display."""

    path: str
    value: Any
    source: str


@dataclass(frozen=True)
class LoadedProfile:
    """The effective profile, the file it came from, and where each leaf's value came from.

    ``sources`` maps field paths (``flux.helm_release.name``, ``jobs.replaced[0].file``)
    to ``"default"`` or ``"<file>:<line>"``; a path absent from it is a default.
    """

    profile: Profile
    path: Path | None = None
    sources: Mapping[str, str] = field(default_factory=dict)

    def source_of(self, field_path: str) -> str:
        """Where the value at ``field_path`` (or the list or section holding it) came from."""
        probe = field_path
        while probe:
            if probe in self.sources:
                return self.sources[probe]
            probe = _parent_path(probe)
        return DEFAULT_SOURCE

    def values(self) -> list[ProfileValue]:
        """Every leaf of the profile in declaration order, with its source."""
        data = self.profile.model_dump(mode="json")
        return [
            ProfileValue(path, value, self.source_of(path)) for path, value in _leaves(data, "")
        ]


def find_profile_file(start: Path) -> Path | None:
    """The nearest ``glmctl.yaml`` in ``start`` or a parent directory, like git finds .git."""
    here = start.resolve()
    for directory in (here, *here.parents):
        candidate = directory / PROFILE_FILE_NAME
        if candidate.is_file():
            return candidate
    return None


def load_profile(path: Path | None, *, cwd: Path | None = None) -> LoadedProfile:
    """Load ``path`` (``--config``), else the file found upward from ``cwd``, else defaults.

    A relative ``path`` is relative to ``cwd`` when one is given.
    """
    if path is not None and cwd is not None and not path.is_absolute():
        path = cwd / path
    if path is None:
        path = find_profile_file(cwd if cwd is not None else Path.cwd())
        if path is None:
            return LoadedProfile(Profile())
    elif not path.is_file():
        raise ConfigError(
            f"the profile file {path} does not exist.",
            hint="Check the --config path, or omit it to use glmctl.yaml found upward.",
        )
    from glmctl.safeyaml import read_text

    text = read_text(path, f"the profile file {path}")
    loaded = parse_profile(text, str(path), path=path)
    folder = loaded.profile.runbooks.dir
    if folder and not Path(folder).is_absolute():  # relative to the file, not to where we are
        runbooks = RunbookSettings(dir=str(path.parent / folder))
        loaded = replace(loaded, profile=loaded.profile.model_copy(update={"runbooks": runbooks}))
    return loaded


def parse_profile(text: str, label: str, *, path: Path | None = None) -> LoadedProfile:
    """Parse profile ``text``; ``label`` names it in errors and sources (usually its path)."""
    document = _load_yaml(text, label)
    if document is None:
        return LoadedProfile(Profile(), path=path)
    if not isinstance(document, dict):
        raise ConfigError(
            f"{label}:1:1: the profile must be a mapping of sections, "
            f"not a {type(document).__name__}.",
            hint=_valid_keys_hint(Profile, None),
        )
    merged = _merge(Profile().model_dump(), _plain(document))
    try:
        profile = Profile.model_validate(merged)
    except ValidationError as error:
        raise _config_error(error, document, label) from None
    sources = {field_path: f"{label}:{line}" for field_path, line in _file_leaf_lines(document, "")}
    return LoadedProfile(profile, path=path, sources=sources)


YAML_SYNTAX_HINT = "Fix the YAML syntax at that line (indentation, a missing colon, quotes)."


def _load_yaml(text: str, label: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from glmctl.safeyaml import check_yaml, depth_error

    check_yaml(text, label)
    try:
        return YAML(typ="rt").load(text)
    except RecursionError:
        raise depth_error(label) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{label}:{mark.line + 1}:{mark.column + 1}" if mark else label
        problem = error.problem or error.context or "invalid YAML"
        raise ConfigError(
            f"{where}: not valid YAML: {problem}.",
            hint=YAML_SYNTAX_HINT,
        ) from None
    except YAMLError as error:
        raise ConfigError(f"{label}: not valid YAML: {error}.") from None


def _plain(node: Any) -> Any:
    """ruamel's round-trip types as plain Python values, so validation sees builtins."""
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def _merge(defaults: Any, override: Any) -> Any:
    """Sections merge key by key; anything else (lists, scalars) replaces the default."""
    if isinstance(defaults, dict) and isinstance(override, dict):
        merged = dict(defaults)
        for key, value in override.items():
            merged[key] = _merge(defaults[key], value) if key in defaults else value
        return merged
    return override


def _leaves(data: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict) and data:
        for key, value in data.items():
            yield from _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list) and any(isinstance(item, dict) for item in data):
        for index, item in enumerate(data):
            yield from _leaves(item, f"{prefix}[{index}]")
    else:
        yield prefix, data


def _file_leaf_lines(node: Any, prefix: str) -> Iterator[tuple[str, int]]:
    """(field path, 1-based line) for every value the file sets.

    Sections are not values (their other fields keep their defaults); a list is one,
    since it replaces the default list whole, and so is each field of its items.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        for key, value in node.items():
            child = f"{prefix}.{key}" if prefix else str(key)
            if not isinstance(value, dict):
                yield child, node.lc.key(key)[0] + 1
            yield from _file_leaf_lines(value, child)
    elif isinstance(node, CommentedSeq):
        for index, item in enumerate(node):
            child = f"{prefix}[{index}]"
            yield child, node.lc.item(index)[0] + 1
            yield from _file_leaf_lines(item, child)


def _parent_path(field_path: str) -> str:
    if field_path.endswith("]"):
        return field_path[: field_path.rindex("[")]
    return field_path.rpartition(".")[0]


def _config_error(error: ValidationError, document: Any, label: str) -> ConfigError:
    """The first validation problem as one sentence pointing at the offending key."""
    problems = error.errors(include_url=False)
    first = problems[0]
    loc = tuple(first["loc"])
    line, column = _position(document, loc)
    where = f"{label}:{line}:{column}"
    field_path = _format_loc(loc)
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    if first["type"] == "extra_forbidden":
        parent = _model_at(Profile, loc[:-1])
        unknown = str(loc[-1])
        valid = ranked(unknown, _field_names(parent))
        guess = closest(unknown, valid, n=1)
        suggestion = f"; did you mean {guess[0]!r}?" if guess else "."
        section = _format_loc(loc[:-1]) or "the top level"
        return ConfigError(
            f"{where}: unknown key {unknown!r} in {section}{suggestion}{more}",
            hint=f"Valid keys there: {', '.join(valid)}.",
        )
    message = str(first["msg"]).rstrip(".")
    hint = "Run `glmctl config show` without this file to see every field's default value."
    if first["type"] == "missing":
        model = _model_at(Profile, loc[:-1])
        required = [
            name
            for name, info in (model.model_fields if model else {}).items()
            if info.is_required()
        ]
        hint = f"Each item there needs: {', '.join(required)}." if required else hint
    return ConfigError(f"{where}: {field_path}: {message}{more}.", hint=hint)


def _position(document: Any, loc: tuple[Any, ...]) -> tuple[int, int]:
    """1-based line and column of the deepest node of ``loc`` that the file contains."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    line, column = 0, 0
    node = document
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line, column = node.lc.key(part)
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, column = node.lc.item(part)
            node = node[part]
        else:
            break
    return line + 1, column + 1


def _format_loc(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _model_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``loc``, if any."""
    for part in loc:
        if model is None:
            return None
        if isinstance(part, int):
            continue
        info = model.model_fields.get(str(part))
        model = _model_of(info.annotation) if info is not None else None
    return model


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) is not None:
        for argument in get_args(annotation):
            found = _model_of(argument)
            if found is not None:
                return found
    return None


def _field_names(model: type[BaseModel] | None) -> list[str]:
    return list(model.model_fields) if model is not None else []


def _valid_keys_hint(model: type[BaseModel] | None, key: Any) -> str | None:
    names = _field_names(model)
    if not names:
        return None
    ordered = ranked(str(key), names) if key is not None else names
    return f"Valid keys there: {', '.join(ordered)}."
