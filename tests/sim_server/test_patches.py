"""Merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch."""

from __future__ import annotations

from typing import Any

import pytest

from glmctl.sim.patches import PatchError, json_patch, merge_patch, strategic_merge_patch

DOC: dict[str, Any] = {
    "metadata": {"name": "x", "labels": {"a": "1", "b": "2"}},
    "spec": {"list": [1, 2, 3], "nested": {"k": "v"}},
}


# RFC 7386 appendix A examples
@pytest.mark.parametrize(
    ("target", "patch", "result"),
    [
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_rfc_examples(target: Any, patch: Any, result: Any) -> None:
    assert merge_patch(target, patch) == result


def test_merge_patch_leaves_its_input_alone() -> None:
    before = repr(DOC)
    merge_patch(DOC, {"metadata": {"labels": {"a": None}}})
    assert repr(DOC) == before


def test_json_patch_operations() -> None:
    ops = [
        {"op": "add", "path": "/metadata/labels/c", "value": "3"},
        {"op": "remove", "path": "/metadata/labels/a"},
        {"op": "replace", "path": "/spec/nested/k", "value": "w"},
        {"op": "add", "path": "/spec/list/-", "value": 4},
        {"op": "add", "path": "/spec/list/0", "value": 0},
        {"op": "move", "from": "/spec/nested", "path": "/spec/moved"},
        {"op": "copy", "from": "/metadata/name", "path": "/spec/name"},
        {"op": "test", "path": "/spec/name", "value": "x"},
        {"op": "add", "path": "/metadata/annotations", "value": {"a~b/c": "1"}},
        {"op": "replace", "path": "/metadata/annotations/a~0b~1c", "value": "2"},
    ]
    assert json_patch(DOC, ops) == {
        "metadata": {"name": "x", "labels": {"b": "2", "c": "3"}, "annotations": {"a~b/c": "2"}},
        "spec": {"list": [0, 1, 2, 3, 4], "moved": {"k": "w"}, "name": "x"},
    }
    assert DOC["spec"]["list"] == [1, 2, 3]


def test_a_failed_test_operation_is_a_conflicting_error() -> None:
    with pytest.raises(PatchError) as err:
        json_patch(DOC, [{"op": "test", "path": "/metadata/name", "value": "y"}])
    assert err.value.conflict


@pytest.mark.parametrize(
    "ops",
    [
        [{"op": "remove", "path": "/missing"}],
        [{"op": "replace", "path": "/metadata/missing", "value": 1}],
        [{"op": "add", "path": "/spec/list/9", "value": 1}],
        [{"op": "add", "path": "/nope/deeper", "value": 1}],
        [{"op": "frobnicate", "path": "/spec"}],
        [{"op": "add", "path": "/spec/x"}],
        {"op": "add"},
    ],
)
def test_invalid_json_patches(ops: Any) -> None:
    with pytest.raises(PatchError):
        json_patch(DOC, ops)


def test_strategic_merge_merges_containers_by_name_and_unions_finalizers() -> None:
    pod = {
        "metadata": {"finalizers": ["a"]},
        "spec": {
            "containers": [
                {"name": "app", "image": "app:1", "env": [{"name": "X", "value": "1"}]},
                {"name": "sidecar", "image": "side:1"},
            ],
            "tolerations": [{"key": "a"}],
        },
    }
    patch = {
        "metadata": {"finalizers": ["b"]},
        "spec": {
            "containers": [
                {"name": "app", "env": [{"name": "Y", "value": "2"}]},
                {"name": "sidecar", "$patch": "delete"},
                {"name": "new", "image": "new:1"},
            ],
            "tolerations": [{"key": "b"}],
            "$setElementOrder/containers": [{"name": "app"}, {"name": "new"}],
        },
    }
    assert strategic_merge_patch(pod, patch) == {
        "metadata": {"finalizers": ["a", "b"]},
        "spec": {
            "containers": [
                {
                    "name": "app",
                    "image": "app:1",
                    "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}],
                },
                {"name": "new", "image": "new:1"},
            ],
            "tolerations": [{"key": "b"}],
        },
    }


def test_strategic_merge_directives() -> None:
    doc = {"metadata": {"finalizers": ["a", "b"], "labels": {"x": "1"}}, "spec": {"m": {"k": 1}}}
    patch = {
        "metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "labels": {"x": None}},
        "spec": {"m": {"$patch": "replace", "j": 2}},
    }
    assert strategic_merge_patch(doc, patch) == {
        "metadata": {"finalizers": ["b"], "labels": {}},
        "spec": {"m": {"j": 2}},
    }
