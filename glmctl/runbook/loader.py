"""Load a runbook and check all of it before anything runs.

Every problem found is reported, not only the first: the loader collects them and raises
ONE :class:`RunbookError` (a :class:`~glmctl.errors.UsageError`, exit 2) whose message has
one line per problem, ``FILE:LINE:COL: message``, sorted by position, each pointing at
the offending key or value and naming the nearest valid choice where there is one: an
unknown key, an unknown step (``uses``), a missing or wrong step parameter, an undeclared
``params.X``, a ``profile.`` field that the profile does not have, a ``steps.ID`` that is
not a step, a ``needs`` cycle, a mutating step not declared ``mutating: true``. Broken
YAML is the exception: nothing after it can be trusted, so it is the only error reported.

Positions come from ruamel's round-trip loader, which keeps the line and column of every
key, value and list item; pydantic then checks shapes, and its error locations are mapped
back onto those positions. But ruamel is slow (about 50 ms with its import, a tenth of a
``preflight``) and a runbook that loads at all is almost always valid, so the check runs
first on libyaml's fast reading of the same text (``safeyaml.load_core``, YAML 1.2 values
as ruamel gives them) and only a runbook with a problem, or a scalar the two could read
differently, is read again with ruamel to say where.

A step whose shape is wrong is left out of the later checks, and the ids and parameter
names written in the file still count as declared, so one mistake does not come back as a
cascade of others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as data_field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from glmctl.config import YAML_SYNTAX_HINT
from glmctl.errors import UsageError
from glmctl.runbook.expr import (
    EvaluationError,
    ExpressionError,
    Reference,
    lookup,
    parse_expression,
    parse_templates,
)
from glmctl.runbook.graph import condition_expression, find_cycle, step_dependencies
from glmctl.runbook.model import Parameter, ParameterType, Runbook, Step
from glmctl.steps.registry import StepRegistry, StepSpec, default_registry
from glmctl.suggest import did_you_mean

if TYPE_CHECKING:
    from glmctl.config import Profile

    ProfileLike = Profile | Mapping[str, Any]

Location = tuple[str | int, ...]
STEP_FIELDS = ("status", "summary", "outputs")

# What people write when they know GitHub Actions steps, whose shape runbooks borrow.
KEY_SYNONYMS = {
    "name": "title",
    "if": "when",
    "depends_on": "needs",
    "args": "with",
    "params": "with",
    "parameters": "with",
    "continue-on-error": "continue_on_failure",
    "continue_on_error": "continue_on_failure",
    "timeout-minutes": "timeout",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a runbook: where (1-based), what, and what to do about it."""

    line: int
    column: int
    message: str
    hint: str | None = data_field(default=None, compare=False)


class RunbookError(UsageError):
    """A runbook that cannot be run: every problem found, one line each, in file order.

    ``line``, ``column`` and ``detail`` are those of the first problem; ``problems`` has
    them all. The hint gathers the problems' distinct hints.
    """

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        ordered = sorted(problems, key=lambda p: (p.line, p.column))
        hints = dict.fromkeys(p.hint for p in ordered if p.hint)
        super().__init__(
            "\n".join(f"{source}:{p.line}:{p.column}: {p.message}" for p in ordered),
            hint="\n".join(hints) or None,
        )
        self.source = source
        self.problems = tuple(ordered)
        self.line = ordered[0].line
        self.column = ordered[0].column
        self.detail = ordered[0].message


def load_runbook(
    path: Path,
    *,
    registry: StepRegistry | None = None,
    profile: ProfileLike | None = None,
) -> Runbook:
    """Read and validate the runbook at ``path``.

    ``profile`` (a pydantic model or a mapping) is used to check ``profile.`` references;
    None skips those checks (``runbook validate`` without a profile).
    """
    from glmctl.safeyaml import read_text

    try:
        text = read_text(path, f"runbook {path}", error=UsageError)
    except UsageError as error:
        error.hint = error.hint or (
            "Check the path; `glmctl runbook list` shows the runbooks glmctl can find."
        )
        raise
    return parse_runbook(text, str(path), registry=registry, profile=profile)


def parse_runbook(
    text: str,
    source: str,
    *,
    registry: StepRegistry | None = None,
    profile: ProfileLike | None = None,
) -> Runbook:
    """Validate runbook YAML ``text``; ``source`` is the name used in error messages."""
    registry = registry or default_registry()
    try:
        return _Checker(source, registry, profile).check(text, fast=True)
    except _NeedPositions:
        return _Checker(source, registry, profile).check(text, fast=False)


class _NeedPositions(Exception):
    """The fast pass met a problem (or a scalar it will not guess at): read with ruamel."""


class _Checker:
    """One validation pass over one document, collecting every problem it finds."""

    def __init__(self, source: str, registry: StepRegistry, profile: ProfileLike | None) -> None:
        self.source = source
        self.registry = registry
        self.profile = profile
        self.root: Any = None
        self.problems: list[Problem] = []
        self.parameters: list[tuple[int, Parameter]] = []
        self.steps: list[tuple[int, Step]] = []
        self.parameter_names: list[str] = []
        self.step_ids: list[str] = []

    # -- entry point ---------------------------------------------------------------------

    def check(self, text: str, *, fast: bool) -> Runbook:
        self.root = self._parse_fast(text) if fast else self._parse_yaml(text)
        runbook = self._check_shape()
        self._check_parameters()
        self._check_unique_ids()
        for index, step in self.steps:
            self._check_step(index, step)
        self._check_cycles()
        if self.problems or runbook is None:
            raise RunbookError(self.source, self.problems)
        return runbook.model_copy(update={"source": self.source})

    # -- YAML and shape ------------------------------------------------------------------

    def _parse_fast(self, text: str) -> dict[str, Any]:
        """The text as plain data without positions; any doubt raises _NeedPositions."""
        import yaml

        from glmctl.safeyaml import NotPlainEnough, find_problem, load_core

        if find_problem(text) is not None:
            raise _NeedPositions
        try:
            data = load_core(text)
        except (yaml.YAMLError, NotPlainEnough, RecursionError, ValueError) as error:
            raise _NeedPositions from error
        if not isinstance(data, dict):
            raise _NeedPositions
        return data

    def _parse_yaml(self, text: str) -> Any:
        from ruamel.yaml import YAML
        from ruamel.yaml.error import MarkedYAMLError, YAMLError

        from glmctl.safeyaml import depth_error, find_problem

        refused = find_problem(text)
        if refused is not None:
            found = Problem(refused.line, refused.column, refused.message, refused.hint)
            raise RunbookError(self.source, [found])
        try:
            data = YAML(typ="rt").load(text)
        except RecursionError:
            raise depth_error(self.source) from None
        except MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = " ".join(p for p in (error.context, error.problem) if p)
            raise RunbookError(
                self.source, [Problem(line, column, f"invalid YAML: {problem}", YAML_SYNTAX_HINT)]
            ) from None
        except YAMLError as error:
            raise RunbookError(
                self.source, [Problem(1, 1, f"invalid YAML: {error}", YAML_SYNTAX_HINT)]
            ) from None
        if not isinstance(data, dict):
            raise RunbookError(
                self.source,
                [Problem(1, 1, "a runbook is a mapping with name, description and steps")],
            )
        return data

    def _check_shape(self) -> Runbook | None:
        """The whole runbook if its shape is right; else None, with each shape problem
        added, and the parameters and steps that are right on their own kept for the
        checks that follow."""
        self._collect_declared_names()
        if "source" in self.root:  # set by the loader, never by the file
            self._add(("source",), "unknown key `source`", at_key=True)
        plain = _plain(self.root)
        try:
            runbook = Runbook.model_validate(plain)
        except ValidationError as error:
            self._add_shape_problems(error)
            self.parameters = _valid_items(plain.get("parameters"), Parameter)
            self.steps = _valid_items(plain.get("steps"), Step)
            return None
        self.parameters = list(enumerate(runbook.parameters))
        self.steps = list(enumerate(runbook.steps))
        return runbook

    def _collect_declared_names(self) -> None:
        """Step ids and parameter names as written, even in an entry with other mistakes."""
        for key, names, attribute in (
            ("steps", self.step_ids, "id"),
            ("parameters", self.parameter_names, "name"),
        ):
            entries = self.root.get(key)
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and isinstance(entry.get(attribute), str):
                    names.append(str(entry[attribute]))

    def _add_shape_problems(self, error: ValidationError) -> None:
        """One problem per place: a union type's alternatives all fail at the same value."""
        seen: set[tuple[Location, str | int | None]] = set()
        for problem in error.errors():
            location: Location = tuple(problem["loc"])
            kind = problem["type"]
            anchor = self._anchor(location)
            key = (anchor, location[-1] if kind == "missing" and location else None)
            if key in seen:
                continue
            seen.add(key)
            if kind == "extra_forbidden":
                self._add_unknown_key(location)
                continue
            self._add(location, self._shape_message(kind, location, anchor, problem["msg"]))

    def _add_unknown_key(self, location: Location) -> None:
        name = str(location[-1])
        allowed = _allowed_keys(location)
        self._add(
            location,
            f"{self._where(location)}unknown key `{name}`" + _suggest_key(name, allowed),
            at_key=True,
            hint=f"{_what_has_keys(location)} keys are: {', '.join(allowed)}." if allowed else None,
        )

    def _shape_message(self, kind: str, location: Location, anchor: Location, message: str) -> str:
        where = self._where(location)
        if kind == "missing":
            return f"{where}missing required key `{location[-1] if location else ''}`"
        message = message.removeprefix("Value error, ")
        dotted = ".".join(str(p) for p in anchor if not isinstance(p, int))
        return f"{where}`{dotted}`: {message}" if dotted else f"{where}{message}"

    def _anchor(self, location: Location) -> Location:
        """The longest start of ``location`` that exists in the file (pydantic adds the
        names of union alternatives, which the file does not have)."""
        node = self.root
        for depth, part in enumerate(location):
            if not _has(node, part):
                return location[:depth]
            node = node[part]
        return location

    def _where(self, location: Location) -> str:
        """``step `id`: `` when the location is inside a step that has an id."""
        if len(location) >= 2 and location[0] == "steps" and isinstance(location[1], int):
            try:
                step_id = self.root["steps"][location[1]]["id"]
            except (KeyError, IndexError, TypeError):
                return f"step {location[1] + 1}: "
            return f"step `{step_id}`: "
        if len(location) >= 2 and location[0] == "parameters" and isinstance(location[1], int):
            return f"parameter {location[1] + 1}: "
        return ""

    # -- parameters and ids ------------------------------------------------------------------

    def _check_parameters(self) -> None:
        seen: set[str] = set()
        for index, parameter in self.parameters:
            if parameter.name in seen:
                self._add(
                    ("parameters", index, "name"), f"parameter `{parameter.name}` is declared twice"
                )
            seen.add(parameter.name)
            if parameter.default is not None:
                try:
                    coerce_parameter(parameter, parameter.default)
                except ValueError as error:
                    self._add(
                        ("parameters", index, "default"), f"default of `{parameter.name}`: {error}"
                    )

    def _check_unique_ids(self) -> None:
        seen: set[str] = set()
        for index, step in self.steps:
            if step.id in seen:
                self._add(("steps", index, "id"), f"step id `{step.id}` is used twice")
            seen.add(step.id)

    # -- one step ------------------------------------------------------------------------

    def _check_step(self, index: int, step: Step) -> None:
        here: Location = ("steps", index)
        spec = self.registry.get(step.uses)
        if spec is None:
            self._add(
                (*here, "uses"),
                f"step `{step.id}`: unknown step `{step.uses}`"
                + _did_you_mean(step.uses, self.registry.names()),
                hint="`glmctl runbook steps` lists every step glmctl knows.",
            )
        else:
            self._check_mutating(here, step, spec)
            self._check_with(here, step, spec)
        self._check_with_references(here, step)
        self._check_when(here, step)
        self._check_needs(here, step)

    def _check_mutating(self, here: Location, step: Step, spec: StepSpec) -> None:
        if spec.mutating and step.mutating is not True:
            self._add(
                (*here, "mutating") if step.mutating is not None else (*here, "uses"),
                f"step `{step.id}`: `{spec.name}` changes the cluster or repository; "
                "declare it with `mutating: true`",
            )
        if not spec.mutating and step.mutating:
            self._add(
                (*here, "mutating"),
                f"step `{step.id}`: `{spec.name}` changes nothing; remove `mutating: true`",
            )

    def _check_with(self, here: Location, step: Step, spec: StepSpec) -> None:
        """Keys must be parameters of the step; values must fit, unless they are templates."""
        model = spec.params_model
        accepted = _model_keys(model)
        for key in step.with_:
            if key not in accepted:
                self._add(
                    (*here, "with", key),
                    f"step `{step.id}`: `{spec.name}` has no parameter `{key}`"
                    + _did_you_mean(key, sorted(accepted)),
                    at_key=True,
                )
        known = {key: value for key, value in step.with_.items() if key in accepted}
        try:
            model.model_validate(known)
        except ValidationError as error:
            for problem in error.errors():
                self._add_parameter_problem(here, step, spec, known, problem)

    def _add_parameter_problem(
        self, here: Location, step: Step, spec: StepSpec, values: dict[str, Any], problem: Any
    ) -> None:
        location: Location = tuple(problem["loc"])
        if problem["type"] == "missing":
            self._add(
                (*here, "with") if "with" in self._node(here) else here,
                f"step `{step.id}`: `{spec.name}` needs parameter `{location[0]}`",
            )
            return
        if location and _is_templated(values, location):
            return
        message = problem["msg"].removeprefix("Value error, ")
        if not location:  # the parameters as a whole (a model validator) are wrong
            self._add(
                (*here, "with") if "with" in self._node(here) else here,
                f"step `{step.id}`: parameters of `{spec.name}`: {message}",
            )
            return
        dotted = ".".join(str(p) for p in location)
        self._add(
            (*here, "with", *location),
            f"step `{step.id}`: parameter `{dotted}` of `{spec.name}`: {message}",
        )

    def _check_with_references(self, here: Location, step: Step) -> None:
        for location, text in _strings(step.with_, ()):
            try:
                parts = parse_templates(text)
            except ExpressionError as error:
                self._add((*here, "with", *location), error.message, offset=error.offset)
                continue
            for part in parts:
                for reference in part.expression.references:
                    self._check_reference(step, reference, (*here, "with", *location))

    def _check_when(self, here: Location, step: Step) -> None:
        conditions = step.conditions()
        for position, condition in enumerate(conditions):
            location: Location = (
                (*here, "when", position) if isinstance(step.when, list) else (*here, "when")
            )
            text = condition_expression(condition)
            shift = condition.index(text) if text in condition else 0
            try:
                expression = parse_expression(text)
            except ExpressionError as error:
                self._add(
                    location, f"step `{step.id}`: {error.message}", offset=shift + error.offset
                )
                continue
            for reference in expression.references:
                self._check_reference(step, reference, location)

    def _check_needs(self, here: Location, step: Step) -> None:
        for position, needed in enumerate(step.needs):
            if needed == step.id:
                self._add((*here, "needs", position), f"step `{step.id}` cannot need itself")
            elif needed not in self.step_ids:
                self._add(
                    (*here, "needs", position),
                    f"step `{step.id}`: needs unknown step `{needed}`"
                    + _did_you_mean(needed, self.step_ids),
                )

    # -- references ------------------------------------------------------------------------

    def _check_reference(self, step: Step, reference: Reference, location: Location) -> None:
        if reference.root == "params":
            message = self._params_reference_problem(reference)
        elif reference.root == "profile":
            message = self._profile_reference_problem(reference)
        else:
            message = self._steps_reference_problem(step, reference)
        if message:
            self._add(location, f"step `{step.id}`: {message}")

    def _params_reference_problem(self, reference: Reference) -> str | None:
        names = self.parameter_names
        if not reference.path:
            return "use params.NAME, not params alone"
        name = str(reference.path[0])
        if name not in names:
            declared = ", ".join(names) if names else "none"
            return f"`{reference}`: no parameter `{name}` is declared" + (
                _did_you_mean(name, names) or f" (declared: {declared})"
            )
        return None

    def _profile_reference_problem(self, reference: Reference) -> str | None:
        if self.profile is None:
            return None
        value = self.profile
        walked = "profile"
        for part in reference.path:
            try:
                value = lookup(value, part)
            except EvaluationError:
                choices = _field_names(value)
                return f"`{reference}`: the profile has no `{walked}.{part}`" + _did_you_mean(
                    str(part), choices
                )
            walked += f".{part}"
        return None

    def _steps_reference_problem(self, step: Step, reference: Reference) -> str | None:
        ids = self.step_ids
        if not reference.path:
            return "use steps.ID.status, steps.ID.summary or steps.ID.outputs.KEY"
        target = str(reference.path[0])
        if target == step.id:
            return f"`{reference}`: a step cannot refer to itself"
        if target not in ids:
            return f"`{reference}`: no step has id `{target}`" + _did_you_mean(target, ids)
        if len(reference.path) < 2 or reference.path[1] not in STEP_FIELDS:
            field_name = reference.path[1] if len(reference.path) > 1 else ""
            return (
                f"`{reference}`: a step has "
                + ", ".join(STEP_FIELDS)
                + _did_you_mean(str(field_name), list(STEP_FIELDS))
            )
        if reference.path[1] == "outputs" and len(reference.path) > 2:
            return self._outputs_problem(reference, target)
        return None

    def _outputs_problem(self, reference: Reference, target: str) -> str | None:
        uses = next((s.uses for _, s in self.steps if s.id == target), None)
        spec = self.registry.get(uses) if uses is not None else None
        key = str(reference.path[2])
        if spec is None or spec.outputs is None or key in spec.outputs:
            return None
        return (
            f"`{reference}`: `{spec.name}` has no output `{key}`"
            + _did_you_mean(key, sorted(spec.outputs))
            + (f" (outputs: {', '.join(sorted(spec.outputs))})" if spec.outputs else "")
        )

    def _check_cycles(self) -> None:
        """Among the steps whose references parse; unknown steps and a step that names
        itself are reported already."""
        ids = [step.id for _, step in self.steps]
        edges: dict[str, frozenset[str]] = {}
        for _, step in self.steps:
            try:
                edges[step.id] = (step_dependencies(step).all & frozenset(ids)) - {step.id}
            except ExpressionError:
                continue
        cycle = find_cycle(ids, edges)
        if cycle:
            index, first = next((i, s) for i, s in self.steps if s.id == cycle[0])
            self._add(
                ("steps", index, "needs") if first.needs else ("steps", index),
                "steps depend on each other in a cycle: " + " → ".join(cycle),
            )

    # -- positions -----------------------------------------------------------------------

    def _node(self, location: Location) -> Any:
        node = self.root
        for part in location:
            node = node[part]
        return node

    def _add(
        self,
        location: Location,
        message: str,
        *,
        at_key: bool = False,
        offset: int = 0,
        hint: str | None = None,
    ) -> None:
        line, column = _position(self.root, location, at_key=at_key)
        self.problems.append(Problem(line, column + offset, message, hint))


def coerce_parameter(parameter: Parameter, value: Any) -> Any:
    """``value`` converted to the parameter's type; strings from ``--param`` are parsed."""
    from pydantic import TypeAdapter

    targets: dict[ParameterType, Any] = {
        ParameterType.STRING: str,
        ParameterType.INTEGER: int,
        ParameterType.NUMBER: float,
        ParameterType.BOOLEAN: bool,
        ParameterType.LIST: list[str],
    }
    if parameter.type is ParameterType.LIST and isinstance(value, str):
        value = [item.strip() for item in value.split(",") if item.strip()]
    if parameter.type is ParameterType.STRING and not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    try:
        return TypeAdapter(targets[parameter.type]).validate_python(value)
    except ValidationError:
        raise ValueError(f"expected {parameter.type.value}, got {value!r}") from None


def _position(root: Any, location: Location, *, at_key: bool) -> tuple[int, int]:
    """1-based line and column of ``location`` in the ruamel tree (nearest existing node)."""
    if not hasattr(root, "lc"):  # the fast pass's plain data: positions need ruamel
        raise _NeedPositions
    line, column = root.lc.line, root.lc.col
    node = root
    for index, part in enumerate(location):
        last = index == len(location) - 1
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            marks = _marks(node)
            line, column = marks.key(part) if (last and at_key) else marks.value(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            line, column = _marks(node).item(part)
            node = node[part]
        else:
            break
    return line + 1, column + 1


def _has(node: Any, part: str | int) -> bool:
    """Whether ``node[part]`` exists in the loaded YAML."""
    if isinstance(node, dict):
        return part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _plain(node: Any) -> Any:
    """The ruamel tree as plain dicts, lists, str, int, float and bool.

    ruamel's round-trip types (CommentedMap, ScalarFloat, FoldedScalarString ...) carry
    formatting that the model has no use for; positions stay in the tree kept for errors.
    """
    if isinstance(node, dict):
        return {_plain(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _marks(node: Any) -> Any:
    """ruamel's line/column record of a loaded mapping or sequence."""
    return node.lc


def _is_templated(values: dict[str, Any], location: Location) -> bool:
    """Whether the value at ``location`` (or one above it) is a ``${{ }}`` template.

    Templated values are only known at run time, so the engine checks them then.
    """
    from glmctl.runbook.expr import has_template

    node: Any = values
    for part in location:
        if has_template(node) and isinstance(node, str):
            return True
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return has_template(node)
    return has_template(node)


def _strings(value: Any, location: Location) -> Iterable[tuple[Location, str]]:
    if isinstance(value, str):
        yield location, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, (*location, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, (*location, index))


def _model_keys(model: type[BaseModel]) -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        keys.add(field.alias or name)
        if model.model_config.get("populate_by_name"):
            keys.add(name)
    return keys


def _allowed_keys(location: Location) -> list[str]:
    if len(location) == 1:
        return sorted(k for k in _model_keys(Runbook) if k != "source")
    if location[0] == "steps":
        return sorted(k for k in _model_keys(Step) if k != "with_")
    if location[0] == "parameters":
        return sorted(_model_keys(Parameter))
    return []


def _what_has_keys(location: Location) -> str:
    """Whose keys ``_allowed_keys`` lists, as the start of a sentence."""
    if len(location) > 1 and location[0] == "steps":
        return "A step's"
    if len(location) > 1 and location[0] == "parameters":
        return "A parameter's"
    return "A runbook's"


def _suggest_key(name: str, allowed: Sequence[str]) -> str:
    """The nearest spelling, else the key that means what a GitHub Actions habit wrote."""
    close = _did_you_mean(name, allowed)
    if close:
        return close
    synonym = KEY_SYNONYMS.get(name)
    return f" (did you mean `{synonym}`?)" if synonym in allowed else ""


def _valid_items(entries: Any, model: type[BaseModel]) -> list[tuple[int, Any]]:
    """The entries of a list that are valid ``model``s on their own, with their index.

    Unknown keys (reported already) are left out first: a step with a misspelt key still
    has its ``uses``, ``with`` and references checked.
    """
    keys = _model_keys(model)
    valid: list[tuple[int, Any]] = []
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict):
            entry = {key: value for key, value in entry.items() if key in keys}
        try:
            valid.append((index, model.model_validate(entry)))
        except ValidationError:
            continue
    return valid


def _field_names(value: Any) -> list[str]:
    if isinstance(value, BaseModel):
        return list(type(value).model_fields)
    if isinstance(value, dict):
        return [str(k) for k in value]
    return []


def _did_you_mean(name: str, choices: Sequence[str]) -> str:
    suggestion = did_you_mean(name, choices, quote="`")
    return f" ({suggestion})" if suggestion else ""


def bind_parameters(runbook: Runbook, supplied: Mapping[str, Any]) -> dict[str, Any]:
    """The runbook's parameter values: ``supplied`` (strings are parsed) over defaults.

    An unknown name, a missing required parameter or a value of the wrong type is a
    :class:`UsageError` naming the parameter; nothing has run yet.
    """
    names = [p.name for p in runbook.parameters]
    for name in supplied:
        if runbook.parameter(name) is None:
            raise UsageError(
                f"runbook {runbook.name} has no parameter `{name}`"
                + (_did_you_mean(name, names) or f" (parameters: {', '.join(names) or 'none'})"),
                hint=f"`glmctl runbook show {runbook.name}` lists its parameters.",
            )
    bound: dict[str, Any] = {}
    for parameter in runbook.parameters:
        if parameter.name in supplied:
            try:
                bound[parameter.name] = coerce_parameter(parameter, supplied[parameter.name])
            except ValueError as error:
                raise UsageError(
                    f"parameter `{parameter.name}` of runbook {runbook.name}: {error}"
                ) from None
        elif parameter.required:
            raise UsageError(
                f"runbook {runbook.name} needs parameter `{parameter.name}`",
                hint=f"Pass it with --param {parameter.name}=VALUE.",
            )
        else:
            bound[parameter.name] = coerce_parameter(parameter, parameter.default)
    return bound
