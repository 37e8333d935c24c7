"""Scenario files: the simulated cluster's objects, pod logs and controller behaviours.

A scenario file is multi-document YAML: the first document is a header (``name``,
``description``, optional ``base``, ``remove``, ``pending``, ``behaviours``, ``logs``), every
following document is a manifest. ``base`` names another scenario whose objects, logs and
behaviours this one starts from, so a failure scenario says only what differs from the
healthy cluster. ``glmctl/sim/scenarios/README.md`` documents the format.

Timestamps in scenarios are relative (``!ago 5m``) and resolved when the file is loaded, so a
job that "completed 90 seconds ago" is 90 seconds old whenever the simulator starts.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from glmctl.errors import ConfigError, UsageError
from glmctl.safeyaml import check_yaml, depth_error, read_text
from glmctl.sim.contracts import Obj, Scenario
from glmctl.sim.helm_storage import derive_release_secrets

GENERATED = "generated"
"""The scenario name that asks for :func:`glmctl.sim.generate.generate_scenario`."""

HEADER_KEYS = frozenset({"name", "description", "base", "remove", "pending", "behaviours", "logs"})
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "ClusterSecretStore",
        "Node",
        "PersistentVolume",
        "StorageClass",
    }
)
_KIND_ORDER = {"CustomResourceDefinition": 0, "Namespace": 1}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str | int | float) -> float:
    """Seconds in a Go-style duration (``1h30m``, ``90s``, ``500ms``); a number is seconds.

    Scenario files and Flux specs write durations the way Go prints them, so one parser
    reads both.
    """
    if isinstance(text, int | float):
        return float(text)
    stripped = text.strip()
    pos, total = 0, 0.0
    for match in _DURATION.finditer(stripped):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(stripped) or not stripped:
        raise ValueError(f"not a duration: {text!r} (write e.g. 90s, 5m, 1h30m)")
    return total


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with second precision, as the API server writes timestamps."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class _Ago:
    """A ``!ago DURATION`` tag, resolved to a timestamp once the load time is known."""

    seconds: float


@dataclass(frozen=True)
class ObjectRef:
    """Which object a header's ``remove``/``pending`` entry means: kind, namespace, name."""

    kind: str
    namespace: str
    name: str

    @classmethod
    def parse(cls, entry: Any, where: str) -> ObjectRef:
        """Read ``Kind/namespace/name``, ``Kind/name`` or a mapping with those keys."""
        if isinstance(entry, str):
            parts = entry.split("/")
            if len(parts) == 3:
                return cls(parts[0], parts[1], parts[2])
            if len(parts) == 2:
                return cls(parts[0], "", parts[1])
        elif isinstance(entry, dict) and {"kind", "name"} <= set(entry):
            return cls(str(entry["kind"]), str(entry.get("namespace", "")), str(entry["name"]))
        raise ConfigError(
            f"{where}: {entry!r} is not an object reference.",
            hint="Write Kind/namespace/name (or Kind/name for cluster-scoped objects).",
        )

    def matches(self, obj: Obj) -> bool:
        """True when ``obj`` is the object this reference names."""
        meta = obj.get("metadata", {})
        return (
            obj.get("kind") == self.kind
            and meta.get("name") == self.name
            and meta.get("namespace", "") == self.namespace
        )


def object_key(obj: Obj) -> tuple[str, str, str, str]:
    """Identity of a manifest: API group, kind, namespace, name."""
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    meta = obj.get("metadata", {})
    return (group, str(obj.get("kind", "")), str(meta.get("namespace", "")), str(meta["name"]))


def scenario_names() -> list[str]:
    """Names of the scenarios shipped in the package (fragments starting with ``_`` omitted)."""
    return sorted(name for name in _shipped_files() if not name.startswith("_"))


def list_scenarios() -> list[tuple[str, str]]:
    """Every shipped scenario's name and description, plus the generated one."""
    found = [(name, _read_header(name)[0].get("description", "")) for name in scenario_names()]
    found.append((GENERATED, "A big healthy cluster for benchmarks; size it with --size k,h,p."))
    return found


def load_scenario(name_or_path: str) -> Scenario:
    """Load a shipped scenario by name, or a scenario file by path; resolve ``base`` chains.

    An unknown name is a usage error naming the valid ones, closest first.
    """
    if name_or_path == GENERATED:
        from glmctl.sim.generate import generate_scenario

        return generate_scenario(50, 20, 200)
    now = datetime.now(UTC)
    parts = _load_parts(name_or_path, now, seen=())
    objects = sort_objects(parts.objects)
    objects.extend(derive_release_secrets(objects, parts.pending))
    behaviours = dict(parts.behaviours)
    behaviours["pending"] = parts.pending
    return Scenario(
        name=parts.name,
        description=parts.description,
        objects=objects,
        logs=parts.logs,
        behaviours=behaviours,
    )


def with_time_scale(scenario: Scenario, scale: float) -> Scenario:
    """The same scenario with every controller delay, interval and TTL multiplied by ``scale``.

    Tests use a small scale so that a 300 s TTL or a 10 m interval passes in a moment.
    """
    behaviours = dict(scenario.behaviours)
    behaviours["timeScale"] = scale
    return replace(scenario, behaviours=behaviours)


def sort_objects(objects: Iterable[Obj]) -> list[Obj]:
    """CRDs first, then Namespaces, then the rest in file order: the order they can be created."""
    return sorted(objects, key=lambda obj: _KIND_ORDER.get(str(obj.get("kind")), 2))


def validate_object(obj: Obj, where: str) -> None:
    """Reject a manifest the API server would reject for want of identity."""
    if not isinstance(obj, dict):
        raise ConfigError(f"{where}: a manifest must be a mapping.")
    missing = [key for key in ("apiVersion", "kind", "metadata") if not obj.get(key)]
    if missing:
        raise ConfigError(f"{where}: manifest lacks {', '.join(missing)}.")
    if not isinstance(obj["apiVersion"], str) or not isinstance(obj["kind"], str):
        raise ConfigError(f"{where}: a manifest's apiVersion and kind are strings.")
    meta = obj["metadata"]
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise ConfigError(f"{where}: manifest {obj['kind']} has no metadata.name.")
    namespaced = obj["kind"] not in CLUSTER_SCOPED_KINDS
    if meta.get("namespace") is not None and not isinstance(meta["namespace"], str):
        raise ConfigError(f"{where}: {obj['kind']} {meta['name']}: metadata.namespace is text.")
    if namespaced and not meta.get("namespace"):
        raise ConfigError(f"{where}: {obj['kind']} {meta['name']} needs metadata.namespace.")
    if not namespaced and meta.get("namespace"):
        raise ConfigError(f"{where}: {obj['kind']} {meta['name']} is cluster-scoped.")


@dataclass
class _Parts:
    name: str
    description: str
    objects: list[Obj]
    pending: list[Obj]
    logs: dict[str, str]
    behaviours: dict[str, Any]


def _load_parts(name_or_path: str, now: datetime, seen: tuple[str, ...]) -> _Parts:
    if name_or_path in seen:
        chain = " -> ".join((*seen, name_or_path))
        raise ConfigError(f"scenario base chain loops: {chain}.")
    header, manifests, where = _read_file(name_or_path, now)
    _check_header(header, where)
    unknown = sorted(set(header) - HEADER_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown header key(s) {', '.join(unknown)}.",
            hint=f"Valid keys: {', '.join(sorted(HEADER_KEYS))}.",
        )
    if "base" in header:
        parts = _load_parts(str(header["base"]), now, (*seen, name_or_path))
    else:
        parts = _Parts("", "", [], [], {}, {})
    for entry in header.get("remove") or []:
        ref = ObjectRef.parse(entry, f"{where}: remove")
        parts.objects = _take(parts.objects, ref, where, "remove")[0]
    for entry in header.get("pending") or []:
        ref = ObjectRef.parse(entry, f"{where}: pending")
        parts.objects, taken = _take(parts.objects, ref, where, "pending")
        parts.pending.extend(_strip_server_fields(obj) for obj in taken)
    for index, manifest in enumerate(manifests, start=2):
        validate_object(manifest, f"{where} (document {index})")
        key = object_key(manifest)
        parts.objects = [obj for obj in parts.objects if object_key(obj) != key]
        parts.pending = [obj for obj in parts.pending if object_key(obj) != key]
        parts.objects.append(manifest)
    parts.name = str(header.get("name", Path(name_or_path).stem))
    parts.description = str(header.get("description", parts.description))
    parts.logs = {**parts.logs, **(header.get("logs") or {})}
    parts.behaviours = _deep_merge(parts.behaviours, header.get("behaviours") or {})
    return parts


_HEADER_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str, int, float),
    "description": (str, int, float),
    "base": (str,),
    "remove": (list,),
    "pending": (list,),
    "behaviours": (dict,),
    "logs": (dict,),
}


def _check_header(header: dict[Any, Any], where: str) -> None:
    """The header's values have the shapes the loader reads, or one sentence (exit 2)."""
    for key in header:
        if not isinstance(key, str):
            raise ConfigError(f"{where}: header keys are words, not {key!r}.")
    for key, kinds in _HEADER_TYPES.items():
        value = header.get(key)
        if value is not None and not isinstance(value, kinds):
            wanted = " or ".join(kind.__name__ for kind in kinds)
            raise ConfigError(f"{where}: header {key} must be a {wanted}.")
    for pod, text in (header.get("logs") or {}).items():
        if not isinstance(pod, str) or not isinstance(text, str):
            raise ConfigError(f"{where}: logs maps namespace/pod to text, not {pod!r}.")


def _take(objects: list[Obj], ref: ObjectRef, where: str, what: str) -> tuple[list[Obj], list[Obj]]:
    kept = [obj for obj in objects if not ref.matches(obj)]
    taken = [obj for obj in objects if ref.matches(obj)]
    if not taken:
        raise ConfigError(
            f"{where}: {what} names {ref.kind}/{ref.namespace}/{ref.name}, "
            "which the base scenario does not have."
        )
    return kept, taken


def _strip_server_fields(obj: Obj) -> Obj:
    """The manifest as it sits in git: no status, nothing the API server fills in."""
    clean = copy.deepcopy(obj)
    clean.pop("status", None)
    meta = clean.get("metadata", {})
    for key in ("uid", "resourceVersion", "generation", "creationTimestamp", "managedFields"):
        meta.pop(key, None)
    return clean


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _shipped_files() -> dict[str, Any]:
    folder = resources.files("glmctl.sim") / "scenarios"
    return {
        entry.name.removesuffix(".yaml"): entry
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }


SCENARIO_MAX_BYTES = 256 * 1024 * 1024
"""Scenario files copy whole clusters, so they may be larger than other YAML inputs."""


def _locate(name_or_path: str) -> tuple[str, str]:
    """The text of a scenario and a label for messages; unknown names are usage errors."""
    shipped = _shipped_files()
    if name_or_path in shipped:
        return shipped[name_or_path].read_text(encoding="utf-8"), f"scenario {name_or_path}"
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} or "/" in name_or_path:
        try:
            return read_text(path, str(path), max_bytes=SCENARIO_MAX_BYTES), str(path)
        except ConfigError as error:
            error.hint = "Check the path, or name a shipped scenario (glmctl sim scenarios)."
            raise
    valid = [*scenario_names(), GENERATED]
    close = difflib.get_close_matches(name_or_path, valid, n=2)
    guess = f", did you mean {' or '.join(close)}?" if close else "."
    raise UsageError(
        f"unknown scenario {name_or_path!r}{guess}",
        hint=f"Valid scenarios: {', '.join(valid)} (`glmctl sim scenarios` describes them); "
        "or give the path of a scenario YAML file.",
    )


def _read_header(name_or_path: str) -> tuple[dict[str, Any], str]:
    """Only the first document: listing scenarios need not parse every manifest."""
    text, where = _locate(name_or_path)
    first = re.split(r"^---\s*$", text, maxsplit=1, flags=re.MULTILINE)[0]
    documents = [doc for doc in _parse_yaml(first, where) if doc is not None]
    header = documents[0] if documents and isinstance(documents[0], dict) else {}
    return _resolve_times(header, datetime.now(UTC)), where


def _read_file(name_or_path: str, now: datetime) -> tuple[dict[str, Any], list[Obj], str]:
    text, where = _locate(name_or_path)
    documents = [doc for doc in _parse_yaml(text, where) if doc is not None]
    if not documents or not isinstance(documents[0], dict):
        raise ConfigError(f"{where}: the first YAML document must be the scenario header.")
    resolved = [_resolve_times(doc, now) for doc in documents]
    return resolved[0], resolved[1:], where


def _parse_yaml(text: str, where: str) -> Iterator[Any]:
    from ruamel.yaml import YAML
    from ruamel.yaml.constructor import SafeConstructor
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    class _ScenarioConstructor(SafeConstructor):
        pass

    def construct_ago(constructor: SafeConstructor, node: Any) -> _Ago:
        value = constructor.construct_scalar(node)
        try:
            return _Ago(parse_duration(str(value)))
        except ValueError as error:
            line = node.start_mark.line + 1
            raise ConfigError(f"{where}:{line}: {error}.") from error

    _ScenarioConstructor.add_constructor("!ago", construct_ago)
    yaml = YAML(typ="safe", pure=True)
    yaml.Constructor = _ScenarioConstructor
    check_yaml(text, where, max_bytes=SCENARIO_MAX_BYTES)
    try:
        yield from list(yaml.load_all(text))
    except RecursionError:
        raise depth_error(where) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(
            f"{where}{line}: invalid YAML: {error.problem or error.context}.",
            hint="Fix the YAML syntax at that line.",
        ) from error
    except YAMLError as error:  # the reader's complaints (a control character) carry no mark
        raise ConfigError(
            f"{where}: invalid YAML: {' '.join(str(error).split())}.",
            hint="Fix the YAML syntax.",
        ) from error


def _resolve_times(value: Any, now: datetime) -> Any:
    if isinstance(value, _Ago):
        return format_timestamp(now - timedelta(seconds=value.seconds))
    if isinstance(value, dict):
        return {key: _resolve_times(item, now) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve_times(item, now) for item in value]
    return value
