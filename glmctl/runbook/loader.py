"""Load a runbook and check all of it before anything runs.

Every problem ends as ONE :class:`RunbookError` (a :class:`~glmctl.errors.UsageError`,
exit 2) whose message starts with ``FILE:LINE:COL:`` pointing at the offending key or
value, and names the nearest valid choice where there is one: broken YAML, an unknown key,
an unknown step (``uses``), a missing or wrong step parameter, an undeclared ``params.X``,
a ``profile.`` field that the profile does not have, a ``steps.ID`` that is not a step,
a ``needs`` cycle, a mutating step not declared ``mutating: true``.

The YAML is read with ruamel's round-trip loader because it keeps the line and column of
every key, value and list item; pydantic then checks shapes, and its error locations are
mapped back onto those positions.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

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

Location = tuple[str | int, ...]
STEP_FIELDS = ("status", "summary", "outputs")


class RunbookError(UsageError):
    """A runbook that cannot be run: one message, with the file, line and column."""

    def __init__(
        self, source: str, line: int, column: int, message: str, *, hint: str | None = None
    ) -> None:
        super().__init__(f"{source}:{line}:{column}: {message}", hint=hint)
        self.source = source
        self.line = line
        self.column = column
        self.detail = message


def load_runbook(
    path: Path,
    *,
    registry: StepRegistry | None = None,
    profile: Any = None,
) -> Runbook:
    """Read and validate the runbook at ``path``.

    ``profile`` (a pydantic model or a mapping) is used to check ``profile.`` references;
    None skips those checks (``runbook validate`` without a profile).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"runbook {path} is not UTF-8 text") from None
    except OSError as error:
        raise UsageError(
            f"cannot read runbook {path}: {error.strerror or error}",
            hint="Check the path; `glmctl runbook list` shows the runbooks glmctl can find.",
        ) from None
    return parse_runbook(text, str(path), registry=registry, profile=profile)


def parse_runbook(
    text: str,
    source: str,
    *,
    registry: StepRegistry | None = None,
    profile: Any = None,
) -> Runbook:
    """Validate runbook YAML ``text``; ``source`` is the name used in error messages."""
    checker = _Checker(source, registry or default_registry(), profile)
    return checker.check(text)


class _Checker:
    """One validation pass over one document; raises at the first problem."""

    def __init__(self, source: str, registry: StepRegistry, profile: Any) -> None:
        self.source = source
        self.registry = registry
        self.profile = profile
        self.root: Any = None

    # -- entry point ---------------------------------------------------------------------

    def check(self, text: str) -> Runbook:
        self.root = self._parse_yaml(text)
        runbook = self._check_shape()
        self._check_parameters(runbook)
        self._check_unique_ids(runbook)
        for index, step in enumerate(runbook.steps):
            self._check_step(runbook, index, step)
        self._check_cycles(runbook)
        return runbook.model_copy(update={"source": self.source})

    # -- YAML and shape ------------------------------------------------------------------

    def _parse_yaml(self, text: str) -> Any:
        from ruamel.yaml import YAML
        from ruamel.yaml.error import MarkedYAMLError, YAMLError

        try:
            data = YAML(typ="rt").load(text)
        except MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = " ".join(p for p in (error.context, error.problem) if p)
            raise RunbookError(self.source, line, column, f"invalid YAML: {problem}") from None
        except YAMLError as error:
            raise RunbookError(self.source, 1, 1, f"invalid YAML: {error}") from None
        if not isinstance(data, dict):
            raise RunbookError(
                self.source, 1, 1, "a runbook is a mapping with name, description and steps"
            )
        return data

    def _check_shape(self) -> Runbook:
        if "source" in self.root:  # set by the loader, never by the file
            raise self._error(("source",), "unknown key `source`", at_key=True)
        try:
            return Runbook.model_validate(_plain(self.root))
        except ValidationError as error:
            first = error.errors()[0]
            location: Location = tuple(first["loc"])
            raise self._error(
                location,
                self._shape_message(first["type"], location, first["msg"]),
                at_key=first["type"] == "extra_forbidden",
            ) from None

    def _shape_message(self, kind: str, location: Location, message: str) -> str:
        where = self._where(location)
        name = location[-1] if location else ""
        if kind == "missing":
            return f"{where}missing required key `{name}`"
        if kind == "extra_forbidden":
            allowed = _allowed_keys(location)
            return f"{where}unknown key `{name}`{_did_you_mean(str(name), allowed)}"
        message = message.removeprefix("Value error, ")
        dotted = ".".join(str(p) for p in location if not isinstance(p, int))
        return f"{where}`{dotted}`: {message}" if dotted else f"{where}{message}"

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

    def _check_parameters(self, runbook: Runbook) -> None:
        seen: set[str] = set()
        for index, parameter in enumerate(runbook.parameters):
            if parameter.name in seen:
                raise self._error(
                    ("parameters", index, "name"), f"parameter `{parameter.name}` is declared twice"
                )
            seen.add(parameter.name)
            if parameter.default is not None:
                try:
                    coerce_parameter(parameter, parameter.default)
                except ValueError as error:
                    raise self._error(
                        ("parameters", index, "default"), f"default of `{parameter.name}`: {error}"
                    ) from None

    def _check_unique_ids(self, runbook: Runbook) -> None:
        seen: set[str] = set()
        for index, step in enumerate(runbook.steps):
            if step.id in seen:
                raise self._error(("steps", index, "id"), f"step id `{step.id}` is used twice")
            seen.add(step.id)

    # -- one step ------------------------------------------------------------------------

    def _check_step(self, runbook: Runbook, index: int, step: Step) -> None:
        here: Location = ("steps", index)
        spec = self.registry.get(step.uses)
        if spec is None:
            raise self._error(
                (*here, "uses"),
                f"step `{step.id}`: unknown step `{step.uses}`"
                + _did_you_mean(step.uses, self.registry.names()),
                hint="`glmctl runbook steps` lists every step glmctl knows.",
            )
        self._check_mutating(here, step, spec)
        self._check_with(here, step, spec)
        self._check_with_references(runbook, here, step)
        self._check_when(runbook, here, step)
        self._check_needs(runbook, here, step)

    def _check_mutating(self, here: Location, step: Step, spec: StepSpec) -> None:
        if spec.mutating and step.mutating is not True:
            raise self._error(
                (*here, "mutating") if step.mutating is not None else (*here, "uses"),
                f"step `{step.id}`: `{spec.name}` changes the cluster or repository; "
                "declare it with `mutating: true`",
            )
        if not spec.mutating and step.mutating:
            raise self._error(
                (*here, "mutating"),
                f"step `{step.id}`: `{spec.name}` changes nothing; remove `mutating: true`",
            )

    def _check_with(self, here: Location, step: Step, spec: StepSpec) -> None:
        """Keys must be parameters of the step; values must fit, unless they are templates."""
        model = spec.params_model
        accepted = _model_keys(model)
        for key in step.with_:
            if key not in accepted:
                raise self._error(
                    (*here, "with", key),
                    f"step `{step.id}`: `{spec.name}` has no parameter `{key}`"
                    + _did_you_mean(key, sorted(accepted)),
                    at_key=True,
                )
        try:
            model.model_validate(step.with_)
        except ValidationError as error:
            for problem in error.errors():
                location: Location = tuple(problem["loc"])
                missing = problem["type"] == "missing"
                if not missing and location and _is_templated(step.with_, location):
                    continue
                if missing:
                    name = location[0] if location else "?"
                    raise self._error(
                        (*here, "with") if "with" in self._node(here) else here,
                        f"step `{step.id}`: `{spec.name}` needs parameter `{name}`",
                    ) from None
                dotted = ".".join(str(p) for p in location)
                message = problem["msg"].removeprefix("Value error, ")
                raise self._error(
                    (*here, "with", *location),
                    f"step `{step.id}`: parameter `{dotted}` of `{spec.name}`: {message}",
                ) from None

    def _check_with_references(self, runbook: Runbook, here: Location, step: Step) -> None:
        for location, text in _strings(step.with_, ()):
            try:
                parts = parse_templates(text)
            except ExpressionError as error:
                raise self._error(
                    (*here, "with", *location), error.message, offset=error.offset
                ) from None
            for part in parts:
                for reference in part.expression.references:
                    self._check_reference(
                        runbook, step, reference, (*here, "with", *location), in_with=True
                    )

    def _check_when(self, runbook: Runbook, here: Location, step: Step) -> None:
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
                raise self._error(
                    location, f"step `{step.id}`: {error.message}", offset=shift + error.offset
                ) from None
            for reference in expression.references:
                self._check_reference(runbook, step, reference, location, in_with=False)

    def _check_needs(self, runbook: Runbook, here: Location, step: Step) -> None:
        ids = [s.id for s in runbook.steps]
        for position, needed in enumerate(step.needs):
            if needed == step.id:
                raise self._error(
                    (*here, "needs", position), f"step `{step.id}` cannot need itself"
                )
            if needed not in ids:
                raise self._error(
                    (*here, "needs", position),
                    f"step `{step.id}`: needs unknown step `{needed}`" + _did_you_mean(needed, ids),
                )

    # -- references ------------------------------------------------------------------------

    def _check_reference(
        self,
        runbook: Runbook,
        step: Step,
        reference: Reference,
        location: Location,
        *,
        in_with: bool,
    ) -> None:
        def fail(message: str) -> RunbookError:
            return self._error(location, f"step `{step.id}`: {message}")

        if reference.root == "params":
            self._check_params_reference(runbook, reference, fail)
        elif reference.root == "profile":
            self._check_profile_reference(reference, fail)
        else:
            self._check_steps_reference(runbook, step, reference, fail)

    def _check_params_reference(self, runbook: Runbook, reference: Reference, fail: Any) -> None:
        names = [p.name for p in runbook.parameters]
        if not reference.path:
            raise fail("use params.NAME, not params alone")
        name = str(reference.path[0])
        if name not in names:
            declared = ", ".join(names) if names else "none"
            raise fail(
                f"`{reference}`: no parameter `{name}` is declared"
                + (_did_you_mean(name, names) or f" (declared: {declared})")
            )

    def _check_profile_reference(self, reference: Reference, fail: Any) -> None:
        if self.profile is None:
            return
        value = self.profile
        walked = "profile"
        for part in reference.path:
            try:
                value = lookup(value, part)
            except EvaluationError:
                choices = _field_names(value)
                raise fail(
                    f"`{reference}`: the profile has no `{walked}.{part}`"
                    + _did_you_mean(str(part), choices)
                ) from None
            walked += f".{part}"

    def _check_steps_reference(
        self, runbook: Runbook, step: Step, reference: Reference, fail: Any
    ) -> None:
        ids = [s.id for s in runbook.steps]
        if not reference.path:
            raise fail("use steps.ID.status, steps.ID.summary or steps.ID.outputs.KEY")
        target = str(reference.path[0])
        if target == step.id:
            raise fail(f"`{reference}`: a step cannot refer to itself")
        if target not in ids:
            raise fail(f"`{reference}`: no step has id `{target}`" + _did_you_mean(target, ids))
        if len(reference.path) < 2 or reference.path[1] not in STEP_FIELDS:
            field = reference.path[1] if len(reference.path) > 1 else ""
            raise fail(
                f"`{reference}`: a step has "
                + ", ".join(STEP_FIELDS)
                + _did_you_mean(str(field), list(STEP_FIELDS))
            )
        if reference.path[1] == "outputs" and len(reference.path) > 2:
            spec = self.registry.get(runbook.step(target).uses)
            key = str(reference.path[2])
            if spec is not None and spec.outputs is not None and key not in spec.outputs:
                raise fail(
                    f"`{reference}`: `{spec.name}` has no output `{key}`"
                    + _did_you_mean(key, sorted(spec.outputs))
                    + (f" (outputs: {', '.join(sorted(spec.outputs))})" if spec.outputs else "")
                )

    def _check_cycles(self, runbook: Runbook) -> None:
        ids = [s.id for s in runbook.steps]
        edges = {s.id: step_dependencies(s).all for s in runbook.steps}
        cycle = find_cycle(ids, edges)
        if cycle:
            first = cycle[0]
            index = ids.index(first)
            raise self._error(
                ("steps", index, "needs") if runbook.steps[index].needs else ("steps", index),
                "steps depend on each other in a cycle: " + " → ".join(cycle),
            )

    # -- positions -----------------------------------------------------------------------

    def _node(self, location: Location) -> Any:
        node = self.root
        for part in location:
            node = node[part]
        return node

    def _error(
        self,
        location: Location,
        message: str,
        *,
        at_key: bool = False,
        offset: int = 0,
        hint: str | None = None,
    ) -> RunbookError:
        line, column = _position(self.root, location, at_key=at_key)
        return RunbookError(self.source, line, column + offset, message, hint=hint)


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


def _field_names(value: Any) -> list[str]:
    if isinstance(value, BaseModel):
        return list(type(value).model_fields)
    if isinstance(value, dict):
        return [str(k) for k in value]
    return []


def _did_you_mean(name: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return " (did you mean " + " or ".join(f"`{c}`" for c in close) + "?)"


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
