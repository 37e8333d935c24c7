"""The small expression language of ``when:`` and ``${{ ... }}``: safe, no ``eval``.

An expression is parsed with Python's own parser (``ast``) and then only a short list of
node kinds is accepted: names rooted at ``params``, ``profile`` or ``steps``; attribute and
constant-index access; string, number, boolean and null literals (``true``/``false``/``null``
or the Python spellings); lists of literals; comparisons (``== != < <= > >= in not in``);
``and``, ``or``, ``not``. Anything else (calls, arithmetic, lambdas, comprehensions, dunder
names) is refused when the runbook is loaded, so evaluation can only look values up and
compare them.

Because every reference is known after parsing, the loader can check each one (an unknown
parameter, profile field or step id) before anything runs, and the engine can order steps
by the references between them.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

ROOTS = ("params", "profile", "steps")
LITERAL_NAMES: Mapping[str, Any] = {
    "true": True,
    "false": False,
    "null": None,
    "True": True,
    "False": False,
    "None": None,
}
TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
MAX_LENGTH = 2000
"""Expressions are short comparisons; a longer one is a mistake (or an attack on the parser)."""

PathPart = str | int


class ExpressionError(Exception):
    """An expression that cannot be parsed, or names something that does not exist.

    ``offset`` is the column inside the expression text, for the loader's error position.
    """

    def __init__(self, message: str, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class EvaluationError(Exception):
    """A well-formed expression that could not be evaluated with the run's values."""


@dataclass(frozen=True)
class Reference:
    """A path like ``steps.crds.outputs.missing``: root, then the parts after it."""

    root: str
    path: tuple[PathPart, ...]
    offset: int = 0

    def __str__(self) -> str:
        text = self.root
        for part in self.path:
            text += f".{part}" if isinstance(part, str) else f"[{part}]"
        return text


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its source text, tree and the references it makes."""

    text: str
    tree: ast.expr
    references: tuple[Reference, ...]

    def evaluate(self, scope: Mapping[str, Any]) -> Any:
        """The value of this expression, with ``scope`` mapping each root to its value."""
        return _evaluate(self.tree, scope)


def parse_expression(text: str) -> Expression:
    """Parse and check ``text``; raise :class:`ExpressionError` for anything not allowed."""
    source = text.strip()
    lead = len(text) - len(text.lstrip())
    if not source:
        raise ExpressionError("empty expression", lead)
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression longer than {MAX_LENGTH} characters", lead)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # e.g. an invalid escape: an error, not a warning
            tree = ast.parse(source, mode="eval").body
    except (DeprecationWarning, SyntaxWarning) as warning:
        raise ExpressionError(f"invalid expression: {warning}", lead) from None
    except SyntaxError as error:
        offset = (error.offset or 1) - 1
        raise ExpressionError(f"invalid expression: {error.msg}", lead + offset) from None
    except (ValueError, RecursionError, MemoryError) as error:
        raise ExpressionError(f"invalid expression: {error}", lead) from None
    references: list[Reference] = []
    try:
        _check(tree, references, lead)
    except RecursionError:
        raise ExpressionError("expression nested too deeply", lead) from None
    return Expression(text=source, tree=tree, references=tuple(references))


@dataclass(frozen=True)
class TemplatePart:
    """One ``${{ expr }}`` inside a string, with where it starts in that string."""

    expression: Expression
    start: int
    end: int


def parse_templates(text: str) -> list[TemplatePart]:
    """Every ``${{ ... }}`` in ``text``, parsed; offsets in errors are relative to ``text``."""
    parts: list[TemplatePart] = []
    for match in TEMPLATE.finditer(text):
        try:
            expression = parse_expression(match.group(1))
        except ExpressionError as error:
            raise ExpressionError(error.message, match.start(1) + error.offset) from None
        parts.append(TemplatePart(expression, match.start(), match.end()))
    if "${{" in TEMPLATE.sub("", text):
        raise ExpressionError("`${{` without a closing `}}`", text.index("${{"))
    return parts


def has_template(value: Any) -> bool:
    """True when ``value`` (or anything inside it) contains a ``${{ ... }}``."""
    if isinstance(value, str):
        return "${{" in value
    if isinstance(value, Mapping):
        return any(has_template(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(has_template(item) for item in value)
    return False


def render_value(value: Any, scope: Mapping[str, Any]) -> Any:
    """Replace every ``${{ ... }}`` in ``value`` (recursively) with what it evaluates to.

    A string that is exactly one template keeps the value's type (a list stays a list);
    a template inside a longer string is formatted into it.
    """
    if isinstance(value, str):
        parts = parse_templates(value)
        if not parts:
            return value
        if len(parts) == 1 and parts[0].start == 0 and parts[0].end == len(value):
            return parts[0].expression.evaluate(scope)
        pieces: list[str] = []
        position = 0
        for part in parts:
            pieces.append(value[position : part.start])
            pieces.append(_format(part.expression.evaluate(scope)))
            position = part.end
        pieces.append(value[position:])
        return "".join(pieces)
    if isinstance(value, Mapping):
        return {key: render_value(item, scope) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [render_value(item, scope) for item in value]
    return value


class UnsetOutputs(Mapping[str, Any]):
    """The outputs of a step that failed or did not run: every key reads as null.

    A step after a ``continue_on_failure`` step may still name its outputs; they resolve
    to null (an empty string inside text) instead of failing the later step, which can
    test for them in ``when``.
    """

    def __init__(self, known: Mapping[str, Any]) -> None:
        self._known = dict(known)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str)

    def __getitem__(self, key: str) -> Any:
        return self._known.get(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)


def lookup(value: Any, part: PathPart) -> Any:
    """One step down a path: a mapping key, a model or dataclass field, a list index.

    Only data is reachable: no methods, no private or dunder attributes.
    """
    if isinstance(part, int):
        if isinstance(value, Sequence) and not isinstance(value, str):
            try:
                return value[part]
            except IndexError:
                raise EvaluationError(f"index {part} is out of range") from None
        raise EvaluationError(f"cannot index {type(value).__name__} with [{part}]")
    if isinstance(value, Mapping):
        if part in value:
            return value[part]
        raise EvaluationError(f"no key `{part}`")
    if isinstance(value, BaseModel) and part in type(value).model_fields:
        return getattr(value, part)
    if (
        dataclasses.is_dataclass(value)
        and not isinstance(value, type)
        and part in {f.name for f in dataclasses.fields(value)}
    ):
        return getattr(value, part)
    raise EvaluationError(f"no field `{part}`")


def _format(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(_format(item) for item in value)
    return str(value)


_COMPARISONS: Mapping[type[ast.cmpop], str] = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
}


def _check(node: ast.expr, references: list[Reference], lead: int) -> None:
    """Accept only the node kinds the language has; collect references on the way."""
    column = lead + getattr(node, "col_offset", 0)
    if isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, references, lead)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
        _check(node.operand, references, lead)
    elif isinstance(node, ast.Compare):
        for op in node.ops:
            if type(op) not in _COMPARISONS:
                raise ExpressionError(f"`{type(op).__name__}` is not supported", column)
        _check(node.left, references, lead)
        for comparator in node.comparators:
            _check(comparator, references, lead)
    elif isinstance(node, ast.Constant):
        if not isinstance(node.value, str | int | float | bool | type(None)):
            raise ExpressionError("only strings, numbers, booleans and null", column)
    elif isinstance(node, ast.List | ast.Tuple):
        for element in node.elts:
            _check(element, references, lead)
    elif isinstance(node, ast.Name) and node.id in LITERAL_NAMES:
        return
    elif isinstance(node, ast.Name | ast.Attribute | ast.Subscript):
        references.append(_reference(node, lead))
    else:
        raise ExpressionError(
            f"`{ast.unparse(node)}` is not allowed here: expressions compare values of "
            "params, profile and steps with == != < <= > >= in, and combine them with "
            "and/or/not",
            column,
        )


def _reference(node: ast.expr, lead: int) -> Reference:
    """Turn ``steps.x.outputs['k']`` into a :class:`Reference`, refusing anything else."""
    column = lead + node.col_offset
    parts: list[PathPart] = []
    current = node
    while not isinstance(current, ast.Name):
        if isinstance(current, ast.Attribute):
            parts.append(current.attr)
            current = current.value
        elif isinstance(current, ast.Subscript) and isinstance(current.slice, ast.Constant):
            key = current.slice.value
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise ExpressionError("an index must be a string or an integer", column)
            parts.append(key)
            current = current.value
        else:
            raise ExpressionError(
                f"`{ast.unparse(node)}` is not a reference like params.NAME, "
                "profile.FIELD or steps.ID.outputs.KEY",
                column,
            )
    if current.id not in ROOTS:
        raise ExpressionError(
            f"unknown name `{current.id}`: references start with params., profile. or steps.",
            column,
        )
    path = tuple(reversed(parts))
    for part in path:
        if isinstance(part, str) and part.startswith("_"):
            raise ExpressionError(f"`{part}`: names starting with _ are not reachable", column)
    return Reference(root=current.id, path=path, offset=column)


def _evaluate(node: ast.expr, scope: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And):
            result: Any = True
            for value in node.values:
                result = _evaluate(value, scope)
                if not result:
                    return result
            return result
        result = False
        for value in node.values:
            result = _evaluate(value, scope)
            if result:
                return result
        return result
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, scope)
        return (not operand) if isinstance(node.op, ast.Not) else -operand
    if isinstance(node, ast.Compare):
        left = _evaluate(node.left, scope)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = _evaluate(comparator, scope)
            if not _compare(op, left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple):
        return [_evaluate(element, scope) for element in node.elts]
    if isinstance(node, ast.Name) and node.id in LITERAL_NAMES:
        return LITERAL_NAMES[node.id]
    reference = _reference(node, 0)
    found = scope.get(reference.root)
    walked = reference.root
    for part in reference.path:
        try:
            found = lookup(found, part)
        except EvaluationError as error:
            raise EvaluationError(f"{walked}: {error}") from None
        walked += f".{part}" if isinstance(part, str) else f"[{part}]"
    return found


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool:
    try:
        if isinstance(op, ast.Eq):
            return bool(left == right)
        if isinstance(op, ast.NotEq):
            return bool(left != right)
        if isinstance(op, ast.Lt):
            return bool(left < right)
        if isinstance(op, ast.LtE):
            return bool(left <= right)
        if isinstance(op, ast.Gt):
            return bool(left > right)
        if isinstance(op, ast.GtE):
            return bool(left >= right)
        if isinstance(op, ast.In):
            return bool(left in right)
        return bool(left not in right)
    except TypeError:
        symbol = _COMPARISONS[type(op)]
        raise EvaluationError(
            f"cannot compare {type(left).__name__} {symbol} {type(right).__name__}"
        ) from None
