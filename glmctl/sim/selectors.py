"""Label and field selectors as the API server parses and applies them.

Written independently of glmctl's client side on purpose (see ``glmctl.sim``). Syntax of
label selectors follows apimachinery's ``labels.Parse``: comma-separated requirements
``key``, ``!key``, ``key=v``, ``key==v``, ``key!=v``, ``key in (a,b)``,
``key notin (a,b)``, ``key>n``, ``key<n``; whitespace around tokens is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]

_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
_PREFIX = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_KEY_RE = re.compile(rf"^({_PREFIX}/)?{_NAME}$")
_VALUE_RE = re.compile(rf"^({_NAME})?$")


class SelectorError(ValueError):
    """A selector the server cannot parse (answered as 400 BadRequest)."""


@dataclass(frozen=True)
class Requirement:
    """One label requirement: ``op`` is one of exists, !, =, !=, in, notin, gt, lt."""

    key: str
    op: str
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return present
        if self.op == "!":
            return not present
        if self.op in ("=", "in"):
            return present and value in self.values
        if self.op in ("!=", "notin"):
            return not present or value not in self.values
        if self.op in ("gt", "lt"):
            try:
                number = int(value or "")
            except ValueError:
                return False
            bound = int(self.values[0])
            return number > bound if self.op == "gt" else number < bound
        raise AssertionError(self.op)


@dataclass(frozen=True)
class LabelSelector:
    """A parsed label selector; the empty selector matches everything."""

    requirements: tuple[Requirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)


_TOKEN_RE = re.compile(r"\s*(==|!=|=|\(|\)|,|!|>|<|[^\s=!(),<>]+)")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN_RE.match(text, pos)
        if m is None:  # pragma: no cover - the pattern accepts any non-space character
            raise SelectorError(f"unable to parse requirement: {text[pos:]!r}")
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


def _check_key(key: str) -> str:
    if not _KEY_RE.match(key) or len(key.split("/")[-1]) > 63:
        raise SelectorError(
            f"unable to parse requirement: invalid label key {key!r}: name part must consist "
            "of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character"
        )
    return key


def _check_value(value: str) -> str:
    if not _VALUE_RE.match(value):
        raise SelectorError(
            f"unable to parse requirement: invalid label value: {value!r}: a valid label "
            "must be an empty string or consist of alphanumeric characters, '-', '_' or '.'"
        )
    return value


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise SelectorError("unable to parse requirement: unexpected end of selector")
        self.pos += 1
        return tok

    def parse(self) -> LabelSelector:
        reqs: list[Requirement] = []
        while self.peek() is not None:
            reqs.append(self.requirement())
            tok = self.peek()
            if tok is None:
                break
            if tok != ",":
                raise SelectorError(f"found '{tok}', expected: ',' or end of selector")
            self.take()
            if self.peek() is None:
                raise SelectorError("found end of selector, expected: identifier")
        return LabelSelector(tuple(reqs))

    def requirement(self) -> Requirement:
        tok = self.take()
        if tok == "!":
            return Requirement(_check_key(self.take()), "!")
        key = _check_key(tok)
        op = self.peek()
        if op is None or op == ",":
            return Requirement(key, "exists")
        self.take()
        if op in ("=", "=="):
            return Requirement(key, "=", (self.value(),))
        if op == "!=":
            return Requirement(key, "!=", (self.value(),))
        if op in ("in", "notin"):
            return Requirement(key, op, self.value_set())
        if op in (">", "<"):
            bound = self.take()
            if not bound.lstrip("-").isdigit():
                raise SelectorError(
                    f"unable to parse requirement: for 'gt', 'lt' operators, "
                    f"the value must be an integer: {bound!r}"
                )
            return Requirement(key, "gt" if op == ">" else "lt", (bound,))
        raise SelectorError(
            f"unable to parse requirement: found '{op}', expected: in, notin, =, ==, !=, gt, lt"
        )

    def value(self) -> str:
        tok = self.peek()
        if tok is None or tok == ",":
            return ""
        return _check_value(self.take())

    def value_set(self) -> tuple[str, ...]:
        if self.take() != "(":
            raise SelectorError("unable to parse requirement: expected '(' after set operator")
        values: list[str] = []
        while True:
            tok = self.take()
            if tok == ")":
                break
            if tok == ",":
                if not values:
                    values.append("")
                continue
            values.append(_check_value(tok))
        if not values:
            raise SelectorError(
                "unable to parse requirement: for 'in', 'notin' operators, "
                "values set can't be empty"
            )
        return tuple(values)


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse ``labelSelector=``; raises :class:`SelectorError` as the server's 400 would."""
    if not text or not text.strip():
        return LabelSelector()
    return _Parser(text).parse()


# --- field selectors -------------------------------------------------------------------

FieldGetter = Callable[[Obj], str | None]


def _path(*keys: str) -> FieldGetter:
    def get(obj: Obj) -> str | None:
        cur: Any = obj
        for k in keys:
            if not isinstance(cur, dict):
                return None
            cur = cur.get(k)
        if cur is None:
            return None
        if isinstance(cur, bool):
            return "true" if cur else "false"
        return str(cur)

    return get


_COMMON_FIELDS: dict[str, FieldGetter] = {
    "metadata.name": _path("metadata", "name"),
    "metadata.namespace": _path("metadata", "namespace"),
}

# The fields each built-in resource supports beyond the common two, as the real server
# registers them (``GetAttrs``/``AddFieldLabelConversionFunc``); anything else is a 400.
_RESOURCE_FIELDS: dict[tuple[str, str], dict[str, FieldGetter]] = {
    ("", "pods"): {
        "status.phase": _path("status", "phase"),
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        "status.podIP": _path("status", "podIP"),
        "status.nominatedNodeName": _path("status", "nominatedNodeName"),
    },
    ("", "events"): {
        "involvedObject.kind": _path("involvedObject", "kind"),
        "involvedObject.namespace": _path("involvedObject", "namespace"),
        "involvedObject.name": _path("involvedObject", "name"),
        "involvedObject.uid": _path("involvedObject", "uid"),
        "involvedObject.apiVersion": _path("involvedObject", "apiVersion"),
        "involvedObject.resourceVersion": _path("involvedObject", "resourceVersion"),
        "involvedObject.fieldPath": _path("involvedObject", "fieldPath"),
        "reason": _path("reason"),
        "reportingComponent": _path("reportingComponent"),
        "source": _path("source", "component"),
        "type": _path("type"),
    },
    ("", "secrets"): {"type": _path("type")},
    ("", "namespaces"): {"status.phase": _path("status", "phase")},
    ("batch", "jobs"): {"status.successful": _path("status", "succeeded")},
}


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    op: str  # "=" or "!="
    value: str
    getter: FieldGetter

    def matches(self, obj: Obj) -> bool:
        actual = self.getter(obj) or ""
        return (actual == self.value) if self.op == "=" else (actual != self.value)


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, obj: Obj) -> bool:
        return all(r.matches(obj) for r in self.requirements)

    def exact_name(self) -> str | None:
        """The name an ``metadata.name=X`` requirement pins, letting lists skip a scan."""
        for r in self.requirements:
            if r.field == "metadata.name" and r.op == "=":
                return r.value
        return None


def _split_unescaped(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            cur.append(text[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return parts


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def supported_fields(group: str, plural: str) -> dict[str, FieldGetter]:
    return {**_COMMON_FIELDS, **_RESOURCE_FIELDS.get((group, plural), {})}


def parse_field_selector(text: str | None, group: str, plural: str) -> FieldSelector:
    """Parse ``fieldSelector=`` for one resource; unsupported fields are a 400 as on a real
    server (``field label not supported: x``)."""
    if not text or not text.strip():
        return FieldSelector()
    fields = supported_fields(group, plural)
    reqs: list[FieldRequirement] = []
    for term in _split_unescaped(text, ","):
        if not term.strip():
            continue
        m = re.match(r"^\s*([^=!\s]+)\s*(==|!=|=)(.*)$", term)
        if m is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        name, op, value = m.group(1), m.group(2), _unescape(m.group(3).strip())
        getter = fields.get(name)
        if getter is None:
            raise SelectorError(f"field label not supported: {name}")
        reqs.append(FieldRequirement(name, "!=" if op == "!=" else "=", value, getter))
    return FieldSelector(tuple(reqs))
