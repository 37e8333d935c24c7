"""Decoding the Kubernetes protobuf envelope for the bodies kubectl sends only as protobuf."""

from __future__ import annotations

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


def _pb_strings(message: bytes, names: dict[int, str]) -> Obj:
    fields = _protobuf_fields(message)
    out: Obj = {}
    for number, name in names.items():
        values = fields.get(number)
        if values and isinstance(values[0], bytes):
            out[name] = values[0].decode()
    return out


def _pb_message(fields: dict[int, list[bytes | int]], number: int) -> bytes | None:
    values = fields.get(number)
    return values[0] if values and isinstance(values[0], bytes) else None


def access_review_from_protobuf(raw: bytes) -> Obj:
    """The SelfSubjectAccessReview in kubectl's protobuf body (``auth can-i`` posts it
    with the typed client, which does not fall back to JSON)."""
    try:
        if not raw.startswith(b"k8s\x00"):
            raise ValueError("missing the k8s protobuf envelope")
        unknown = _protobuf_fields(raw[4:])
        review = _protobuf_fields(_pb_message(unknown, 2) or b"")
        spec = _protobuf_fields(_pb_message(review, 2) or b"")
        out: Obj = {}
        resource = _pb_message(spec, 1)
        if resource is not None:
            out["resourceAttributes"] = _pb_strings(
                resource,
                {
                    1: "namespace",
                    2: "verb",
                    3: "group",
                    4: "version",
                    5: "resource",
                    6: "subresource",
                    7: "name",
                },
            )
        non_resource = _pb_message(spec, 2)
        if non_resource is not None:
            out["nonResourceAttributes"] = _pb_strings(non_resource, {1: "path", 2: "verb"})
    except (ValueError, IndexError, UnicodeDecodeError) as err:
        raise bad_request(f"the protobuf body could not be decoded: {err}") from err
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": out}
