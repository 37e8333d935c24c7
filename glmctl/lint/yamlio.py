"""YAML documents with line numbers and duplicate keys reported, not raised.

Why not ruamel round-trip: on 5,000 small manifests it takes ~19 s on this machine, while
libyaml's composer (PyYAML's C binding) builds the node tree in ~0.4 s. Lint needs line
numbers and duplicate keys, both of which the node tree gives; it never writes YAML back,
so comments and order (ruamel's strength) do not matter here. Inline suppression comments
are read from the raw text instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

try:  # libyaml is almost always there; the pure-Python loader is the slow fallback
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_ScalarNode = yaml.ScalarNode
_MappingNode = yaml.MappingNode
_SequenceNode = yaml.SequenceNode
# A plain scalar is a string unless it starts like a number/special form or is one of the
# YAML 1.1 words for booleans and null; only those go through the regex resolver.
_MAYBE_TYPED_START = frozenset("0123456789-+.~<=")
_TYPED_WORDS = frozenset(
    {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE"}
    | {"on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL"}
)


class _Loader(_BaseLoader):
    """libyaml's composer with a cheaper tag resolver.

    The composer asks Python to resolve every scalar's tag, and the stock resolver runs a
    list of regexes each time; most scalars in manifests are names, which this answers
    without a regex. Path resolvers are never registered, so their hooks do nothing.
    """

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if (
            kind is yaml.ScalarNode
            and implicit[0]
            and value
            and value[0] not in _MAYBE_TYPED_START
            and value not in _TYPED_WORDS
        ):
            return _STR
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


class YMap(dict[str, Any]):
    """A mapping that remembers where it and each of its keys start (1-based lines)."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """Line of ``key`` when present, else the mapping's own line."""
        return self.key_lines.get(key, self.line)


class YList(list[Any]):
    """A sequence that remembers where it and each of its items start (1-based lines)."""

    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        """Line of item ``index`` when present, else the sequence's own line."""
        return self.item_lines[index] if 0 <= index < len(self.item_lines) else self.line


@dataclass(frozen=True)
class DuplicateKey:
    """A key that occurs twice in one mapping: YAML says undefined, Kubernetes takes the last."""

    key: str
    line: int
    column: int
    first_line: int
    parent_key: str | None


@dataclass(frozen=True)
class Document:
    """One YAML document of a file: its value, where it starts and ends, its duplicate keys."""

    value: Any
    start_line: int
    end_line: int
    duplicates: tuple[DuplicateKey, ...] = ()


@dataclass(frozen=True)
class ParseError:
    """Why a file is not YAML, and where."""

    message: str
    line: int
    column: int


@dataclass(frozen=True)
class Parsed:
    """All documents of one file; on a parse error, the documents before it and the error."""

    documents: tuple[Document, ...]
    error: ParseError | None = None


@dataclass
class _Converter:
    """Turns a composed node tree into YMap/YList/scalars, memoising aliases.

    Memoising by node identity keeps anchors shared (and recursive aliases finite).
    """

    duplicates: list[DuplicateKey] = field(default_factory=list)
    seen: dict[int, Any] = field(default_factory=dict)

    def convert(self, node: yaml.Node, parent_key: str | None = None) -> Any:
        cls = node.__class__
        if cls is _ScalarNode:
            return node.value if node.tag == _STR else _scalar(node)
        known = self.seen.get(id(node))
        if known is not None:
            return known
        if cls is _MappingNode or isinstance(node, yaml.MappingNode):
            return self._mapping(node, parent_key)  # type: ignore[arg-type]
        if cls is _SequenceNode or isinstance(node, yaml.SequenceNode):
            return self._sequence(node, parent_key)  # type: ignore[arg-type]
        return _scalar(node)

    def _mapping(self, node: yaml.MappingNode, parent_key: str | None) -> YMap:
        result = YMap()
        result.line = node.start_mark.line + 1
        key_lines: dict[str, int] = {}
        result.key_lines = key_lines
        self.seen[id(node)] = result
        explicit: dict[str, int] = {}
        for key_node, value_node in node.value:
            tag = key_node.tag
            if tag == _MERGE:
                self._merge(result, self.convert(value_node, parent_key))
                continue
            key = key_node.value if tag == _STR else _key_text(self.convert(key_node))
            line = key_node.start_mark.line + 1
            if key in explicit:
                column = key_node.start_mark.column + 1
                self.duplicates.append(DuplicateKey(key, line, column, explicit[key], parent_key))
            explicit[key] = line
            if value_node.__class__ is _ScalarNode and value_node.tag == _STR:
                result[key] = value_node.value
            else:
                result[key] = self.convert(value_node, key)
            key_lines[key] = line
        return result

    @staticmethod
    def _merge(result: YMap, merged: Any) -> None:
        """``<<: *base``: keys the mapping does not set itself come from the merged ones."""
        for source in merged if isinstance(merged, list) else [merged]:
            if isinstance(source, YMap) and source is not result:
                for key, value in source.items():
                    result.setdefault(key, value)
                    result.key_lines.setdefault(key, source.line_of(key))

    def _sequence(self, node: yaml.SequenceNode, parent_key: str | None) -> YList:
        result = YList()
        result.line = node.start_mark.line + 1
        item_lines: list[int] = []
        result.item_lines = item_lines
        self.seen[id(node)] = result
        convert = self.convert
        for item in node.value:
            result.append(convert(item, parent_key))
            item_lines.append(item.start_mark.line + 1)
        return result


def _key_text(key: Any) -> str:
    return key if isinstance(key, str) else str(key)


_TRUE = frozenset({"true", "yes", "on", "y"})


def _scalar(node: yaml.Node) -> Any:
    """Scalars as Kubernetes sees them, closely enough for lint (strings stay strings)."""
    value = str(node.value)
    tag = node.tag or ""
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return value.lower() in _TRUE
    if tag.endswith(":int"):
        digits = value.replace("_", "")
        try:
            if len(digits.lstrip("+-")) > 1 and digits.lstrip("+-")[0] == "0" and digits.isdigit():
                return int(digits, 8)  # YAML 1.1 octal (0600), as go-yaml reads it
            return int(digits, 0)
        except ValueError:
            return value
    if tag.endswith(":float"):
        try:
            return float(value.replace("_", ""))
        except ValueError:
            return value
    return value


class _RedefiningLoader(yaml.SafeLoader):
    """The pure-Python composer, letting an anchor be defined again (YAML 1.2 and go-yaml,
    which Flux uses, allow it: an alias names the latest definition). libyaml's composer
    refuses, so files that redefine an anchor (rare) are parsed again with this one."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if not self.check_event(yaml.AliasEvent):
            anchor = getattr(self.peek_event(), "anchor", None)  # type: ignore[no-untyped-call]
            if anchor is not None:
                self.anchors.pop(anchor, None)
        return super().compose_node(parent, index)


def parse_documents(text: str) -> Parsed:
    """Every document of ``text``; never raises on bad YAML, returns the error instead."""
    parsed = _parse(text, _Loader)
    if parsed.error is not None and "found duplicate anchor" in parsed.error.message:
        return _parse(text, _RedefiningLoader)
    return parsed


def _parse(text: str, loader_class: type[Any]) -> Parsed:
    documents: list[Document] = []
    loader = loader_class(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:  # pragma: no cover - check_node said there is one
                break
            converter = _Converter()
            value = converter.convert(node)
            documents.append(
                Document(
                    value=value,
                    start_line=node.start_mark.line + 1,
                    end_line=node.end_mark.line + 1,
                    duplicates=tuple(converter.duplicates),
                )
            )
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        return Parsed(tuple(documents), ParseError(_message(error), line, column))
    except (yaml.YAMLError, RecursionError, ValueError) as error:
        return Parsed(tuple(documents), ParseError(f"not valid YAML: {error}", 1, 1))
    finally:
        loader.dispose()
    return Parsed(tuple(documents))


def _message(error: yaml.MarkedYAMLError) -> str:
    """The problem first, then what the parser was doing (with its line) in brackets."""
    problem = (error.problem or "not valid YAML").strip()
    context = (error.context or "").strip()
    if context and error.context_mark is not None and error.context_mark is not error.problem_mark:
        context = f"{context} at line {error.context_mark.line + 1}"
    return f"{problem} ({context})" if context else problem


_SUPPRESS = re.compile(r"#\s*glmctl:\s*ignore\[([^\]]*)\]")


def suppressions(lines: list[str]) -> dict[int, frozenset[str]]:
    """Rule ids silenced per line: ``# glmctl: ignore[a, b]`` on the line, or alone above it."""
    result: dict[int, frozenset[str]] = {}
    for index, text in enumerate(lines, start=1):
        if "glmctl" not in text:
            continue
        match = _SUPPRESS.search(text)
        if not match:
            continue
        ids = frozenset(part.strip() for part in match.group(1).split(",") if part.strip())
        result[index] = result.get(index, frozenset()) | ids
        if text.lstrip().startswith("#"):
            result[index + 1] = result.get(index + 1, frozenset()) | ids
    return result
