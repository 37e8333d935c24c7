"""Label and field selectors, parsed and applied as the API server does."""

from __future__ import annotations

import pytest

from glmctl.sim.selectors import SelectorError, parse_field_selector, parse_label_selector

LABELS = {"app": "web", "tier": "frontend", "release": "3"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("", True),
        ("app=web", True),
        ("app==web", True),
        ("app=db", False),
        ("app!=db", True),
        ("missing!=x", True),
        ("app in (web, db)", True),
        ("app in (db)", False),
        ("app notin (db,cache)", True),
        ("missing notin (x)", True),
        ("app", True),
        ("missing", False),
        ("!missing", True),
        ("!app", False),
        ("app=web,tier=frontend", True),
        ("app=web, tier=backend", False),
        ("release>2", True),
        ("release<3", False),
        ("example.com/owner", False),
        ("tier in (frontend),!canary,app", True),
        ("app=", False),
    ],
)
def test_label_selector_matches(selector: str, expected: bool) -> None:
    assert parse_label_selector(selector).matches(LABELS) is expected


def test_empty_value_matches_an_empty_label() -> None:
    assert parse_label_selector("flag=").matches({"flag": ""})
    assert parse_label_selector("flag in (,x)").matches({"flag": ""})


@pytest.mark.parametrize(
    "selector",
    ["app=web,", "app in web", "app in ()", "-bad=x", "app=web=x", "a b", "release>x", "app=!"],
)
def test_malformed_label_selectors_are_errors(selector: str) -> None:
    with pytest.raises(SelectorError):
        parse_label_selector(selector)


POD = {
    "metadata": {"name": "p1", "namespace": "authentik"},
    "spec": {"nodeName": "n1"},
    "status": {"phase": "Failed"},
}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("status.phase=Failed", True),
        ("status.phase==Failed", True),
        ("status.phase!=Failed", False),
        ("metadata.name=p1,metadata.namespace=authentik", True),
        ("metadata.namespace=default", False),
        ("spec.nodeName=n1", True),
        ("status.podIP=", True),
    ],
)
def test_pod_field_selectors(selector: str, expected: bool) -> None:
    assert parse_field_selector(selector, "", "pods").matches(POD) is expected


def test_event_field_selectors_cover_what_kubectl_describe_sends() -> None:
    event = {
        "metadata": {"name": "e", "namespace": "ns"},
        "involvedObject": {"kind": "Pod", "name": "p1", "namespace": "ns", "uid": "u1"},
    }
    selector = parse_field_selector(
        "involvedObject.name=p1,involvedObject.namespace=ns,involvedObject.kind=Pod,"
        "involvedObject.uid=u1",
        "",
        "events",
    )
    assert selector.matches(event)


def test_unsupported_field_is_an_error_naming_it() -> None:
    with pytest.raises(SelectorError, match=r"field label not supported: status\.phase"):
        parse_field_selector("status.phase=Failed", "batch", "jobs")


def test_escaped_comma_in_a_field_value() -> None:
    obj = {"metadata": {"name": "a,b"}}
    assert parse_field_selector(r"metadata.name=a\,b", "", "pods").matches(obj)


def test_exact_name_lets_a_list_skip_the_scan() -> None:
    assert parse_field_selector("metadata.name=x", "", "pods").exact_name() == "x"
    assert parse_field_selector("metadata.name!=x", "", "pods").exact_name() is None
