"""Finding and loading the kubeconfig the way kubectl does, with errors an operator can act on.

Order (kubectl's): ``--kubeconfig`` (that one file, which must exist); else ``$KUBECONFIG``
as a list separated by ``os.pathsep`` whose existing files are merged (the first file to
define a context, cluster, user or ``current-context`` wins); else ``~/.kube/config``;
else the in-cluster service account. The result is a :class:`CredentialSource` that can
load fresh :class:`~glmctl.cluster.transport.Credentials` as often as needed: a 401
re-runs exec plugins and re-reads token files by loading again.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glmctl.cluster.transport import (
    Credentials,
    credentials_from_kubeconfig,
    in_cluster_credentials,
)
from glmctl.errors import KubeconfigError

IN_CLUSTER = "in-cluster"
_SERVICE_HOST_ENV = "KUBERNETES_SERVICE_HOST"
_LOGIN_HINT = "Pass --kubeconfig PATH, set KUBECONFIG, or create ~/.kube/config."


@dataclass(frozen=True)
class CredentialSource:
    """Where credentials come from: kubeconfig files (merged) and a context, or in-cluster."""

    paths: tuple[Path, ...]
    context: str
    user: str
    server: str
    in_cluster: bool = False
    files: tuple[tuple[Path, dict[str, Any]], ...] = field(default=(), compare=False, repr=False)

    def credentials(self, *, timeout: float | None = None) -> Credentials:
        """This context's credentials, loaded now.

        Loading runs exec plugins and reads token files, so calling this again after a 401
        picks up refreshed credentials. glmctl runs the exec plugin itself: within
        ``timeout`` seconds (what is left of ``--timeout``), killed after, its failures
        one sentence.
        """
        if self.in_cluster:
            return in_cluster_credentials(self.server)
        merged = _merge(list(self.files))
        owners: dict[tuple[str, str], Path] = merged["_owners"]
        context = _entry(merged, "contexts", self.context)
        cluster_name = str(context.get("cluster", ""))
        cluster = _entry(merged, "clusters", cluster_name)
        user = _entry(merged, "users", self.user)
        if isinstance(user.get("exec"), dict):
            owner = owners[("users", self.user)]
            spec = user["exec"]
            user = {k: v for k, v in user.items() if k != "exec"}
            user.update(run_exec_plugin(spec, user=self.user, base=owner.parent, timeout=timeout))
        cluster_file = owners.get(("clusters", cluster_name))
        user_file = owners.get(("users", self.user))
        return credentials_from_kubeconfig(
            self.server,
            cluster,
            user,
            cluster_base=cluster_file.parent if cluster_file else Path.cwd(),
            user_base=user_file.parent if user_file else Path.cwd(),
            user_name=self.user,
        )


def _entry(merged: dict[str, Any], section: str, name: str) -> dict[str, Any]:
    """The body of the named ``clusters``/``contexts``/``users`` entry ({} when absent)."""
    body = _ENTRY_BODY[section]
    for item in merged[section]:
        if item.get("name") == name:
            value = item.get(body)
            return dict(value) if isinstance(value, dict) else {}
    return {}


EXEC_DEFAULT_TIMEOUT = 120.0
"""Seconds an exec credential plugin may take when ``--timeout`` is not given."""


def run_exec_plugin(spec: Any, *, user: str, base: Path, timeout: float | None) -> dict[str, str]:
    """Run a kubeconfig ``exec`` credential plugin; its credential as kubeconfig user fields.

    Every failure is a KubeconfigError (exit 3) naming the plugin, with what it wrote on
    stderr as the hint; running past ``timeout`` kills it (ProgramTimedOut, exit 4).
    """
    import base64
    import json

    from glmctl.execs import ProgramTimedOut, run_tool

    if not isinstance(spec, dict) or not isinstance(spec.get("command"), str):
        raise KubeconfigError(f"the exec credential plugin of user {user!r} names no command.")
    command = spec["command"]
    if "/" in command and not Path(command).is_absolute():
        command = str(base / command)  # kubectl: relative to the kubeconfig's directory
    args = [str(arg) for arg in spec.get("args") or [] if isinstance(arg, str | int | float)]
    env = dict(os.environ)
    for item in spec.get("env") or []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            env[item["name"]] = str(item.get("value", ""))
    api_version = str(spec.get("apiVersion", "client.authentication.k8s.io/v1"))
    info = {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
    env["KUBERNETES_EXEC_INFO"] = json.dumps(info)
    named = f"the exec credential plugin {spec['command']!r} of user {user!r}"
    budget = EXEC_DEFAULT_TIMEOUT if timeout is None else max(timeout, 0.1)
    try:
        result = run_tool(command, *args, timeout=budget, env=env, cwd=base)
    except ProgramTimedOut as error:
        raise ProgramTimedOut(
            f"{named} did not answer within {budget:g} seconds; it was stopped.",
            hint=_stderr_hint(error.stderr) or "Run it by hand to see where it waits.",
        ) from None
    if result.exit_code == 127 and result.stderr.endswith("command not found"):
        install = spec.get("installHint")
        raise KubeconfigError(
            f"{named} is not installed (not found on PATH).",
            hint=str(install).strip() if isinstance(install, str) and install.strip() else None,
        )
    if not result.ok:
        raise KubeconfigError(
            f"{named} failed with exit code {result.exit_code}.",
            hint=_stderr_hint(result.stderr),
        )
    try:
        answer = json.loads(result.stdout)
        status = answer["status"]
        if not isinstance(status, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise KubeconfigError(
            f"{named} did not print an ExecCredential (JSON with a status).",
            hint=_stderr_hint(result.stderr),
        ) from None
    token = status.get("token")
    if isinstance(token, str) and token:
        return {"token": token}
    cert, key = status.get("clientCertificateData"), status.get("clientKeyData")
    if isinstance(cert, str) and isinstance(key, str):
        return {
            "client-certificate-data": base64.b64encode(cert.encode()).decode(),
            "client-key-data": base64.b64encode(key.encode()).decode(),
        }
    raise KubeconfigError(
        f"{named} printed an ExecCredential with neither a token nor a client certificate.",
        hint=_stderr_hint(result.stderr),
    )


def _stderr_hint(stderr: str) -> str | None:
    """What the plugin wrote on stderr, as one line (the last 300 characters)."""
    from glmctl.sanitize import escape_text

    text = " ".join(stderr.split())
    if not text:
        return None
    return "the plugin said: " + escape_text(text[-300:])


def resolve(
    kubeconfig: Path | None,
    context: str | None,
    *,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> CredentialSource:
    """Pick the kubeconfig files and the context as kubectl would; raise KubeconfigError."""
    env = os.environ if environ is None else environ
    paths = _candidate_paths(kubeconfig, env, home)
    if not paths:
        if env.get(_SERVICE_HOST_ENV):
            return _in_cluster(env)
        raise KubeconfigError(
            "no kubeconfig found: --kubeconfig was not given, KUBECONFIG is not set, "
            f"{_default_path(home)} does not exist, and this is not a pod in a cluster.",
            hint=_LOGIN_HINT,
        )
    files = [(path, _read_yaml(path)) for path in paths]
    return _from_files(files, context)


def _candidate_paths(
    kubeconfig: Path | None, env: Mapping[str, str], home: Path | None
) -> tuple[Path, ...]:
    if kubeconfig is not None:
        path = kubeconfig.expanduser()
        if not path.is_file():
            raise KubeconfigError(
                f"kubeconfig file {path} does not exist.",
                hint="Check the path given to --kubeconfig.",
            )
        return (path,)
    listed = env.get("KUBECONFIG", "")
    if listed:
        entries = [Path(p).expanduser() for p in listed.split(os.pathsep) if p]
        existing = tuple(dict.fromkeys(p for p in entries if p.is_file()))
        if not existing:
            raise KubeconfigError(
                "none of the files listed in KUBECONFIG exist: "
                + ", ".join(str(p) for p in entries)
                + ".",
                hint="Fix KUBECONFIG, or unset it to use ~/.kube/config.",
            )
        return existing
    default = _default_path(home)
    return (default,) if default.is_file() else ()


def _default_path(home: Path | None) -> Path:
    return (home or Path.home()) / ".kube" / "config"


def _read_yaml(path: Path) -> dict[str, Any]:
    from glmctl.safeyaml import read_text, safe_load

    label = f"kubeconfig {path}"
    text = read_text(path, label, error=KubeconfigError)
    try:
        loaded = safe_load(text, label, error=KubeconfigError)
    except KubeconfigError as error:
        error.hint = error.hint or "Fix the file, or point --kubeconfig at another one."
        raise
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise KubeconfigError(f"kubeconfig {path} is not a YAML mapping.")
    _check_shape(path, loaded)
    return loaded


_ENTRY_BODY = {"clusters": "cluster", "contexts": "context", "users": "user"}


def _check_shape(path: Path, config: dict[str, Any]) -> None:
    """The parts of a kubeconfig glmctl reads have the types kubectl expects, or one sentence."""
    hint = "Fix the file (`kubectl config view` shows how kubectl reads it)."
    current = config.get("current-context")
    if current is not None and not isinstance(current, str):
        raise KubeconfigError(f"kubeconfig {path}: current-context is not a string.", hint=hint)
    for section, body in _ENTRY_BODY.items():
        entries = config.get(section)
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise KubeconfigError(
                f"kubeconfig {path}: {section} is a {_kind(entries)}, not a list.", hint=hint
            )
        for index, item in enumerate(entries):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise KubeconfigError(
                    f"kubeconfig {path}: {section}[{index}] is not a mapping with a name.",
                    hint=hint,
                )
            value = item.get(body)
            if value is not None and not isinstance(value, dict):
                raise KubeconfigError(
                    f"kubeconfig {path}: {section}[{index}].{body} is a {_kind(value)}, "
                    "not a mapping.",
                    hint=hint,
                )
            for key, field_value in (value or {}).items():
                if key in _STRING_FIELDS and not isinstance(field_value, str | None):
                    raise KubeconfigError(
                        f"kubeconfig {path}: {section}[{index}].{body}.{key} is a "
                        f"{_kind(field_value)}, not a string.",
                        hint=hint,
                    )


_STRING_FIELDS = frozenset(
    {"server", "cluster", "user", "namespace", "token", "tokenFile", "certificate-authority"}
    | {"certificate-authority-data", "client-certificate", "client-certificate-data"}
    | {"client-key", "client-key-data", "username", "password", "proxy-url", "tls-server-name"}
)


def _kind(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "string", int: "number", float: "number"}.get(
        type(value), type(value).__name__
    )


def _from_files(files: list[tuple[Path, dict[str, Any]]], context: str | None) -> CredentialSource:
    merged = _merge(files)
    contexts = {c["name"]: c.get("context") or {} for c in merged["contexts"]}
    where = ", ".join(str(p) for p, _ in files)
    chosen = context or merged.get("current-context") or ""
    if not contexts:
        raise KubeconfigError(f"the kubeconfig ({where}) defines no contexts.", hint=_LOGIN_HINT)
    if not chosen:
        raise KubeconfigError(
            f"the kubeconfig ({where}) has no current-context; available contexts: "
            + ", ".join(sorted(contexts))
            + ".",
            hint="Pass one with --context, or run `kubectl config use-context NAME`.",
        )
    if chosen not in contexts:
        raise KubeconfigError(
            f"context {chosen!r} is not in the kubeconfig ({where}); available contexts: "
            + ", ".join(sorted(contexts))
            + ".",
            hint="Pass one of them with --context.",
        )
    entry = contexts[chosen]
    clusters = {c["name"]: c.get("cluster") or {} for c in merged["clusters"]}
    cluster_name = str(entry.get("cluster", ""))
    if cluster_name not in clusters:
        raise KubeconfigError(
            f"context {chosen!r} names cluster {cluster_name!r}, which the kubeconfig "
            "does not define.",
            hint="Fix the context's cluster entry in the kubeconfig.",
        )
    server = str(clusters[cluster_name].get("server", ""))
    if not server:
        raise KubeconfigError(f"cluster {cluster_name!r} in the kubeconfig has no server URL.")
    return CredentialSource(
        paths=tuple(p for p, _ in files),
        context=chosen,
        user=str(entry.get("user", "")),
        server=server.rstrip("/"),
        files=tuple(files),
    )


def _merge(files: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    """kubectl's merge: the first file that sets a named entry or a key wins."""
    merged: dict[str, Any] = {"clusters": [], "contexts": [], "users": []}
    owners: dict[tuple[str, str], Path] = {}
    for path, config in files:
        for section in ("clusters", "contexts", "users"):
            for item in config.get(section) or []:
                name = item.get("name") if isinstance(item, dict) else None
                if not isinstance(name, str) or (section, name) in owners:
                    continue
                owners[(section, name)] = path
                merged[section].append(item)
        if not merged.get("current-context") and config.get("current-context"):
            merged["current-context"] = config["current-context"]
    merged["_owners"] = owners
    return merged


def _in_cluster(env: Mapping[str, str]) -> CredentialSource:
    host = env.get(_SERVICE_HOST_ENV, "")
    port = env.get("KUBERNETES_SERVICE_PORT", "443")
    host = f"[{host}]" if ":" in host else host
    return CredentialSource(
        paths=(),
        context=IN_CLUSTER,
        user="serviceaccount",
        server=f"https://{host}:{port}",
        in_cluster=True,
    )


def context_names(
    kubeconfig: Path | None,
    *,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> list[str]:
    """The contexts the kubeconfig files define (kubectl's files and merge), for TAB
    completion of ``--context``; raises KubeconfigError as :func:`resolve` does."""
    env = os.environ if environ is None else environ
    files = [(path, _read_yaml(path)) for path in _candidate_paths(kubeconfig, env, home)]
    return [str(entry["name"]) for entry in _merge(files)["contexts"]]
