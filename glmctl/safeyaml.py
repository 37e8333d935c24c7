"""The one gate every YAML input passes before it is built into Python objects.

Config, runbooks, scenarios and kubeconfigs come from places an attacker or a careless
commit can reach. A YAML parser happily builds a 9-level alias bomb (a few hundred bytes
that expand to hundreds of millions of nodes when copied), recurses once per nesting level
(5,000 ``[`` is a ``RecursionError``) and keeps the last of two equal keys. So before any
loader builds a tree, :func:`check_yaml` walks libyaml's *event stream* once — linear in the
text, no recursion, no tree — and refuses:

* text over a size bound (checked before reading, by :func:`read_text`);
* nesting deeper than :data:`MAX_DEPTH`;
* aliases that would expand to more than :data:`MAX_ALIAS_NODES` nodes in total;
* a key given twice in one mapping.

Each refusal is one sentence naming ``file:line``. The loaders then parse as before (ruamel
where they need positions), knowing the tree is small. A syntax error found by the scan is
left to the loader, so its message stays the one each loader already words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from glmctl.errors import ConfigError, GlmctlError

MAX_BYTES = 16 * 1024 * 1024
"""The largest YAML file glmctl reads (config, runbook, kubeconfig, scenario)."""
MAX_DEPTH = 100
"""Deeper nesting than this is refused: no real input comes near it."""
MAX_ALIAS_NODES = 100_000
"""Nodes that aliases may add in total when expanded: an alias bomb passes this fast."""

_HINT = "glmctl refuses YAML that could exhaust memory or recursion; fix the file."


@dataclass
class _Frame:
    """One open mapping or sequence while the events stream by."""

    is_mapping: bool
    anchor: str | None
    line: int
    size: int = 1
    expect_key: bool = True
    key: str | None = None
    keys: set[str] = field(default_factory=set)


def read_text(
    path: Path,
    label: str | None = None,
    *,
    error: type[GlmctlError] = ConfigError,
    max_bytes: int = MAX_BYTES,
) -> str:
    """The UTF-8 text of ``path``, refused in one sentence when too large, unreadable or binary."""
    where = label or str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise error(
                f"{where}: the file is {size:,} bytes; glmctl reads at most {max_bytes:,}.",
                hint=_HINT,
            )
        data = path.read_bytes()
    except OSError as failure:
        raise error(f"cannot read {where}: {failure.strerror or failure}.") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as failure:
        line = data[: failure.start].count(b"\n") + 1
        raise error(
            f"{where} is not UTF-8 text (line {line}, byte {failure.start}); is it a binary file?"
        ) from None


@dataclass(frozen=True)
class YamlProblem:
    """Why a YAML text is refused, and where (1-based)."""

    line: int
    column: int
    message: str
    hint: str = _HINT


class _Refused(Exception):
    def __init__(self, problem: YamlProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def check_yaml(
    text: str,
    label: str,
    *,
    error: type[GlmctlError] = ConfigError,
    max_bytes: int = MAX_BYTES,
) -> None:
    """Refuse ``text`` if it is too large, too deep, an alias bomb or has a duplicate key.

    Raises ``error`` (ConfigError, exit 2, unless the caller says otherwise) naming
    ``label:line:column``. Syntax errors are not reported here: the caller's loader words them.
    """
    problem = find_problem(text, max_bytes=max_bytes)
    if problem is not None:
        raise error(
            f"{label}:{problem.line}:{problem.column}: {problem.message}", hint=problem.hint
        )


def find_problem(text: str, *, max_bytes: int = MAX_BYTES) -> YamlProblem | None:
    """The first reason to refuse ``text``, or None: one pass over libyaml's events."""
    import yaml

    if len(text) > max_bytes:
        return YamlProblem(1, 1, f"the text is {len(text):,} characters; at most {max_bytes:,}.")
    loader_class: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    stack: list[_Frame] = []
    anchors: dict[str, int] = {}
    expanded = 0
    try:
        for event in yaml.parse(text, Loader=loader_class):
            mark = event.start_mark
            line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            if isinstance(event, yaml.DocumentStartEvent):
                anchors.clear()
            elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                if len(stack) >= MAX_DEPTH:
                    return YamlProblem(
                        line, column, f"YAML nested more than {MAX_DEPTH} levels deep."
                    )
                is_mapping = isinstance(event, yaml.MappingStartEvent)
                stack.append(_Frame(is_mapping, event.anchor, line))
            elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                done = stack.pop()
                if done.anchor:
                    anchors[done.anchor] = done.size
                _child_done(stack, done.size, None, line, column)
            elif isinstance(event, yaml.ScalarEvent):
                if event.anchor:
                    anchors[event.anchor] = 1
                _child_done(stack, 1, str(event.value), line, column)
            elif isinstance(event, yaml.AliasEvent):
                if any(frame.anchor == event.anchor for frame in stack):
                    return YamlProblem(
                        line,
                        column,
                        f"the alias *{event.anchor} refers to a node that contains it "
                        "(a recursive structure).",
                    )
                size = anchors.get(str(event.anchor), 1)
                expanded += size
                if expanded > MAX_ALIAS_NODES:
                    return YamlProblem(
                        line,
                        column,
                        f"YAML aliases expand to more than {MAX_ALIAS_NODES:,} nodes "
                        "(an alias bomb?).",
                    )
                _child_done(stack, size, None, line, column)
    except _Refused as refused:
        return refused.problem
    except yaml.MarkedYAMLError as failure:
        if "nesting depth" in str(failure.problem):  # libyaml stops at 1,000 levels itself
            mark = failure.problem_mark
            line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            return YamlProblem(line, column, f"YAML nested more than {MAX_DEPTH} levels deep.")
        return None  # a syntax error: the loader that follows reports it in its own words
    except yaml.YAMLError:
        return None
    return None


def _child_done(stack: list[_Frame], size: int, scalar: str | None, line: int, column: int) -> None:
    """Account a finished node to its parent; a mapping's keys alternate with values."""
    if not stack:
        return
    parent = stack[-1]
    parent.size += size
    if not parent.is_mapping:
        return
    if parent.expect_key and scalar is not None and scalar != "<<":
        if scalar in parent.keys:
            raise _Refused(
                YamlProblem(
                    line,
                    column,
                    f"duplicate key {scalar!r}: it appears twice in the mapping that starts "
                    f"at line {parent.line}.",
                    "Remove one of them: YAML would keep only the last, silently.",
                )
            )
        parent.keys.add(scalar)
    parent.expect_key = not parent.expect_key


def depth_error(label: str, error: type[GlmctlError] = ConfigError) -> GlmctlError:
    """What a loader raises when its parser recursed too deep despite the scan."""
    return error(f"{label}: YAML nested too deeply to read.", hint=_HINT)


def safe_load(
    text: str, label: str, *, error: type[GlmctlError] = ConfigError, max_bytes: int = MAX_BYTES
) -> Any:
    """One YAML document as plain Python data (PyYAML's safe loader), after :func:`check_yaml`.

    For inputs that need no positions (kubeconfigs). Syntax errors are one sentence with
    ``label:line``.
    """
    import yaml

    check_yaml(text, label, error=error, max_bytes=max_bytes)
    loader_class: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader_class)  # the safe loader class
    except yaml.MarkedYAMLError as failure:
        mark = failure.problem_mark or failure.context_mark
        where = f"{label}:{mark.line + 1}" if mark is not None else label
        problem = failure.problem or failure.context or "invalid YAML"
        raise error(f"{where}: not valid YAML: {problem}.") from None
    except yaml.YAMLError as failure:
        raise error(f"{label}: not valid YAML: {failure}.") from None
    except (RecursionError, ValueError, OverflowError) as failure:
        raise error(f"{label}: not valid YAML: {failure}.") from None


class NotPlainEnough(ValueError):
    """A scalar the fast loader will not guess at: YAML 1.1 and 1.2 (and ruamel) read it
    differently (``017``, ``0x1F``, ``1_000``, ``2024-01-01``, ``=``)."""


_CORE_LOADER: Any = None
_AMBIGUOUS = (
    r"^(?:[-+]?0[0-9_box]"  # leading zeros, 0b/0o/0x
    r"|[-+]?[0-9.][0-9.eE+-]*_"  # digit-group underscores
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"  # timestamps
    r"|=$)"
)


def load_core(text: str) -> Any:
    """One YAML document as plain data, read by libyaml under YAML 1.2's core schema —
    the values ruamel's round-trip loader gives, at a fraction of its cost.

    Only ``true``/``false`` are booleans (not 1.1's ``yes``/``on``), only ``null``/``~``/empty
    is null, and numbers are plain decimals; a scalar whose reading differs between YAML
    versions raises :class:`NotPlainEnough`, so the caller reads the text the slow way.
    Call :func:`check_yaml` (or :func:`find_problem`) first. Syntax errors raise
    ``yaml.YAMLError``.
    """
    import yaml

    return yaml.load(text, Loader=_core_loader())  # a safe loader subclass


def _core_loader() -> Any:
    global _CORE_LOADER
    if _CORE_LOADER is not None:
        return _CORE_LOADER
    import re

    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class CoreLoader(base):  # type: ignore[misc]
        """libyaml with the YAML 1.2 core schema's implicit types (see load_core)."""

    CoreLoader.yaml_implicit_resolvers = {}  # none of PyYAML's YAML 1.1 ones

    def refuse(loader: Any, node: Any) -> Any:
        raise NotPlainEnough(f"{node.value!r} reads differently in YAML 1.1 and 1.2")

    digits = list("-+0123456789")
    resolvers = (
        ("tag:glmctl:ambiguous", _AMBIGUOUS, [*digits, ".", "="]),
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", digits),
        (
            "tag:yaml.org,2002:float",
            r"^(?:[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
            r"|[-+]?[0-9]+[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
            [*digits, "."],
        ),
        ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),
    )
    for tag, pattern, first in resolvers:
        CoreLoader.add_implicit_resolver(tag, re.compile(pattern), first)
    CoreLoader.add_constructor("tag:glmctl:ambiguous", refuse)
    CoreLoader.add_constructor("tag:yaml.org,2002:timestamp", refuse)
    _CORE_LOADER = CoreLoader
    return CoreLoader
