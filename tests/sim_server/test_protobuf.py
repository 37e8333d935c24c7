"""The protobuf envelope decoder, on bodies built here from the public field numbers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from glmctl.sim.api.protobuf import object_from_protobuf
from glmctl.sim.store import ApiError


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _field(number: int, payload: bytes | str | int) -> bytes:
    if isinstance(payload, int):
        return _varint(number << 3) + _varint(payload)
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint(number << 3 | 2) + _varint(len(data)) + data


def _envelope(api_version: str, kind: str, message: bytes) -> bytes:
    type_meta = _field(1, api_version) + _field(2, kind)
    return b"k8s\x00" + _field(1, type_meta) + _field(2, message)


def test_a_secret_with_data_string_data_and_labels() -> None:
    metadata = _field(1, "creds") + _field(11, _field(1, "app") + _field(2, "web"))
    secret = (
        _field(1, metadata)
        + _field(2, _field(1, "user") + _field(2, b"admin"))
        + _field(3, "Opaque")
        + _field(4, _field(1, "token") + _field(2, "t0k"))
    )
    assert object_from_protobuf(_envelope("v1", "Secret", secret)) == {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "creds", "labels": {"app": "web"}},
        "data": {"user": "YWRtaW4="},
        "type": "Opaque",
        "stringData": {"token": "t0k"},
    }


def test_a_deployment_with_replicas_selector_and_containers() -> None:
    labels = _field(1, "app") + _field(2, "web")
    container = _field(1, "nginx") + _field(2, "nginx:1.27") + _field(3, "run")
    template = _field(1, _field(11, labels)) + _field(2, _field(2, container))
    spec = _field(1, 3) + _field(2, _field(1, labels)) + _field(3, template)
    body = _envelope("apps/v1", "Deployment", _field(1, _field(1, "web")) + _field(2, spec))
    decoded = object_from_protobuf(body)
    assert decoded is not None
    assert decoded["spec"] == {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27", "command": ["run"]}]},
        },
    }


def test_a_kind_without_a_field_map_is_left_to_the_caller() -> None:
    assert object_from_protobuf(_envelope("v1", "ResourceQuota", b"")) is None


def test_a_body_without_the_envelope_is_a_bad_request() -> None:
    with pytest.raises(ApiError) as caught:
        object_from_protobuf(b"{}")
    assert caught.value.code == 400


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(["Secret", "Job", "Deployment", "Namespace"]), junk=st.binary())
def test_any_bytes_decode_or_are_a_bad_request(kind: str, junk: bytes) -> None:
    try:
        decoded = object_from_protobuf(_envelope("v1", kind, junk))
    except ApiError as err:
        assert err.code == 400
    else:
        assert decoded is not None and decoded["kind"] == kind
