"""Decoding the Kubernetes protobuf envelope for the bodies kubectl sends only as protobuf.

kubectl's typed clients (``create sa|secret|ns|job|deploy|cm|...``, ``auth can-i``) send
``application/vnd.kubernetes.protobuf``: the bytes ``k8s\0`` then a ``runtime.Unknown``
message carrying the apiVersion, kind and the object's own message. The field maps below
are written from the public ``generated.proto`` definitions of k8s.io/api, for the fields
those generators set; a field not listed is ignored, a kind not listed is 415 (the caller's
decision). Responses are always JSON, which kubectl accepts.
"""

from __future__ import annotations

import base64
from typing import Any

from glmctl.sim.store import bad_request

Obj = dict[str, Any]


def _protobuf_fields(data: bytes) -> dict[int, list[bytes | int]]:
    """Decode one protobuf message's fields (varints and length-delimited only)."""
    fields: dict[int, list[bytes | int]] = {}
    pos = 0

    def varint() -> int:
        nonlocal pos
        shift = result = 0
        while True:
            byte = data[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return result
            shift += 7

    while pos < len(data):
        tag = varint()
        number, wire = tag >> 3, tag & 7
        value: bytes | int
        if wire == 0:
            value = varint()
        elif wire == 2:
            size = varint()
            value = data[pos : pos + size]
            pos += size
        elif wire == 5:
            value, pos = data[pos : pos + 4], pos + 4
        elif wire == 1:
            value, pos = data[pos : pos + 8], pos + 8
        else:
            raise bad_request("the protobuf body could not be decoded")
        fields.setdefault(number, []).append(value)
    return fields


# A field: (JSON name, how to decode it, the message's own map when it is a message).
Kind = str
Schema = dict[int, tuple[str, Kind, "Schema | None"]]

_S, _B, _I, _BOOL = "string", "bytes", "int", "bool"
_MSG, _REP_MSG, _REP_S, _MAP_S, _MAP_B = "message", "messages", "strings", "map", "bytemap"

OBJECT_META: Schema = {
    1: ("name", _S, None),
    2: ("generateName", _S, None),
    3: ("namespace", _S, None),
    11: ("labels", _MAP_S, None),
    12: ("annotations", _MAP_S, None),
    14: ("finalizers", _REP_S, None),
}
LABEL_SELECTOR: Schema = {1: ("matchLabels", _MAP_S, None)}
CONTAINER: Schema = {
    1: ("name", _S, None),
    2: ("image", _S, None),
    3: ("command", _REP_S, None),
    4: ("args", _REP_S, None),
    5: ("workingDir", _S, None),
    8: ("resources", _MSG, {}),
    13: ("terminationMessagePath", _S, None),
    14: ("imagePullPolicy", _S, None),
    20: ("terminationMessagePolicy", _S, None),
}
POD_SPEC: Schema = {
    2: ("containers", _REP_MSG, CONTAINER),
    3: ("restartPolicy", _S, None),
    8: ("serviceAccountName", _S, None),
}
POD_TEMPLATE: Schema = {1: ("metadata", _MSG, OBJECT_META), 2: ("spec", _MSG, POD_SPEC)}
JOB_SPEC: Schema = {
    1: ("parallelism", _I, None),
    2: ("completions", _I, None),
    3: ("activeDeadlineSeconds", _I, None),
    6: ("template", _MSG, POD_TEMPLATE),
    7: ("backoffLimit", _I, None),
    8: ("ttlSecondsAfterFinished", _I, None),
    10: ("suspend", _BOOL, None),
}
SERVICE_PORT: Schema = {
    1: ("name", _S, None),
    2: ("protocol", _S, None),
    3: ("port", _I, None),
    4: ("targetPort", _MSG, {2: ("intVal", _I, None), 3: ("strVal", _S, None)}),
    5: ("nodePort", _I, None),
}
POLICY_RULE: Schema = {
    1: ("verbs", _REP_S, None),
    2: ("apiGroups", _REP_S, None),
    3: ("resources", _REP_S, None),
    4: ("resourceNames", _REP_S, None),
    5: ("nonResourceURLs", _REP_S, None),
}
SUBJECT: Schema = {
    1: ("kind", _S, None),
    2: ("apiGroup", _S, None),
    3: ("name", _S, None),
    4: ("namespace", _S, None),
}
ROLE_REF: Schema = {1: ("apiGroup", _S, None), 2: ("kind", _S, None), 3: ("name", _S, None)}
RESOURCE_ATTRIBUTES: Schema = {
    1: ("namespace", _S, None),
    2: ("verb", _S, None),
    3: ("group", _S, None),
    4: ("version", _S, None),
    5: ("resource", _S, None),
    6: ("subresource", _S, None),
    7: ("name", _S, None),
}


def _object(spec: Schema | None = None, **more: tuple[int, str, Kind, Schema | None]) -> Schema:
    schema: Schema = {1: ("metadata", _MSG, OBJECT_META)}
    if spec is not None:
        schema[2] = ("spec", _MSG, spec)
    for number, name, kind, sub in more.values():
        schema[number] = (name, kind, sub)
    return schema


KINDS: dict[str, Schema] = {
    "Namespace": _object({1: ("finalizers", _REP_S, None)}),
    "ServiceAccount": _object(automount=(4, "automountServiceAccountToken", _BOOL, None)),
    "Secret": _object(
        data=(2, "data", _MAP_B, None),
        type=(3, "type", _S, None),
        string_data=(4, "stringData", _MAP_S, None),
        immutable=(5, "immutable", _BOOL, None),
    ),
    "ConfigMap": _object(
        data=(2, "data", _MAP_S, None),
        binary=(3, "binaryData", _MAP_B, None),
        immutable=(4, "immutable", _BOOL, None),
    ),
    "Service": _object(
        {
            1: ("ports", _REP_MSG, SERVICE_PORT),
            2: ("selector", _MAP_S, None),
            3: ("clusterIP", _S, None),
            4: ("type", _S, None),
            11: ("externalName", _S, None),
        }
    ),
    "Job": _object(JOB_SPEC),
    "CronJob": _object(
        {
            1: ("schedule", _S, None),
            3: ("concurrencyPolicy", _S, None),
            4: ("suspend", _BOOL, None),
            5: (
                "jobTemplate",
                _MSG,
                {1: ("metadata", _MSG, OBJECT_META), 2: ("spec", _MSG, JOB_SPEC)},
            ),
        }
    ),
    "Deployment": _object(
        {
            1: ("replicas", _I, None),
            2: ("selector", _MSG, LABEL_SELECTOR),
            3: ("template", _MSG, POD_TEMPLATE),
            4: ("strategy", _MSG, {1: ("type", _S, None)}),
        }
    ),
    "Role": _object(rules=(2, "rules", _REP_MSG, POLICY_RULE)),
    "ClusterRole": _object(rules=(2, "rules", _REP_MSG, POLICY_RULE)),
    "RoleBinding": _object(
        subjects=(2, "subjects", _REP_MSG, SUBJECT), ref=(3, "roleRef", _MSG, ROLE_REF)
    ),
    "ClusterRoleBinding": _object(
        subjects=(2, "subjects", _REP_MSG, SUBJECT), ref=(3, "roleRef", _MSG, ROLE_REF)
    ),
    "SelfSubjectAccessReview": _object(
        {
            1: ("resourceAttributes", _MSG, RESOURCE_ATTRIBUTES),
            2: ("nonResourceAttributes", _MSG, {1: ("path", _S, None), 2: ("verb", _S, None)}),
        }
    ),
    "SelfSubjectRulesReview": _object({1: ("namespace", _S, None)}),
}


def _decode(message: bytes, schema: Schema) -> Obj:
    out: Obj = {}
    for number, values in _protobuf_fields(message).items():
        if number not in schema:
            continue
        name, kind, sub = schema[number]
        last = values[-1]
        if kind == _S:
            out[name] = _bytes(last).decode()
        elif kind == _I:
            out[name] = _int(last)
        elif kind == _BOOL:
            out[name] = bool(_int(last))
        elif kind == _MSG:
            out[name] = _decode(_bytes(last), sub or {})
        elif kind == _REP_MSG:
            out[name] = [_decode(_bytes(v), sub or {}) for v in values]
        elif kind == _REP_S:
            out[name] = [_bytes(v).decode() for v in values]
        else:  # maps: repeated entries {1: key, 2: value}
            entries: dict[str, str] = {}
            for entry in values:
                fields = _protobuf_fields(_bytes(entry))
                key = _bytes(fields.get(1, [b""])[-1]).decode()
                value = _bytes(fields.get(2, [b""])[-1])
                entries[key] = (
                    base64.b64encode(value).decode() if kind == _MAP_B else value.decode()
                )
            out[name] = entries
    return out


def _bytes(value: bytes | int) -> bytes:
    if not isinstance(value, bytes):
        raise ValueError("expected a length-delimited field")
    return value


def _int(value: bytes | int) -> int:
    if not isinstance(value, int):
        raise ValueError("expected a varint field")
    return value - (1 << 64) if value >= 1 << 63 else value


def object_from_protobuf(raw: bytes) -> Obj | None:
    """The object in a protobuf request body, as JSON would carry it; None for a kind this
    simulator has no field map for. 400 when the bytes are not a protobuf envelope."""
    try:
        if not raw.startswith(b"k8s\x00"):
            raise ValueError("missing the k8s protobuf envelope")
        unknown = _protobuf_fields(raw[4:])
        type_meta = _protobuf_fields(_bytes(unknown.get(1, [b""])[-1]))
        api_version = _bytes(type_meta.get(1, [b""])[-1]).decode()
        kind = _bytes(type_meta.get(2, [b""])[-1]).decode()
        schema = KINDS.get(kind)
        if schema is None:
            return None
        obj = _decode(_bytes(unknown.get(2, [b""])[-1]), schema)
    except (ValueError, IndexError, UnicodeDecodeError) as err:
        raise bad_request(f"the protobuf body could not be decoded: {err}") from err
    return {"apiVersion": api_version, "kind": kind, **obj}
