"""The runbook as validated, frozen data: what the YAML means once the loader accepts it.

Shape checks live here (types, unknown keys, id syntax); checks that need the step
registry, the profile or the whole runbook (step names, parameters of each step,
references, cycles) live in :mod:`glmctl.runbook.loader`, which reports every error with
the file, line and column it came from.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ParameterType(StrEnum):
    """The types a runbook parameter may have; ``--param k=v`` strings are converted."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    LIST = "list"


class Parameter(BaseModel):
    """A value the operator may pass with ``--param NAME=VALUE``; required without a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: ParameterType = ParameterType.STRING
    default: Any = None
    description: str = ""

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, value: str) -> str:
        return _identifier(value, "a parameter name")

    @property
    def required(self) -> bool:
        """No default means the operator must pass it."""
        return self.default is None


class Step(BaseModel):
    """One step of a runbook: which registered step it uses, with what, and when."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str
    uses: str
    title: str | None = None
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")
    when: bool | str | list[str] | None = None
    skip_reason: str | None = Field(default=None, min_length=1)
    """What the checklist says when ``when`` is false (default: which condition was)."""
    needs: list[str] = Field(default_factory=list)
    retries: int = Field(default=0, ge=0, le=100)
    retry_delay: float = Field(default=2.0, ge=0.0)
    timeout: float | None = Field(default=None, gt=0.0)
    continue_on_failure: bool = False
    mutating: bool | None = None

    @field_validator("id")
    @classmethod
    def _id_is_identifier(cls, value: str) -> str:
        return _identifier(value, "a step id")

    @property
    def label(self) -> str:
        """What a person sees for this step: its title, else its id."""
        return self.title or self.id

    def conditions(self) -> list[str]:
        """``when`` as a list of expressions that must all be true (empty: always run)."""
        if self.when is None or self.when is True:
            return []
        if self.when is False:
            return ["false"]
        if isinstance(self.when, str):
            return [self.when]
        return list(self.when)


class Runbook(BaseModel):
    """A named, described list of steps with the parameters they may use."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    parameters: list[Parameter] = Field(default_factory=list)
    steps: list[Step] = Field(min_length=1)
    source: str | None = Field(default=None, exclude=True)

    def step(self, step_id: str) -> Step:
        """The step with ``step_id`` (the loader guarantees ids are unique)."""
        for candidate in self.steps:
            if candidate.id == step_id:
                return candidate
        raise KeyError(step_id)

    def parameter(self, name: str) -> Parameter | None:
        """The declared parameter ``name``, or None."""
        return next((p for p in self.parameters if p.name == name), None)


def _identifier(value: str, what: str) -> str:
    if not IDENTIFIER.match(value):
        raise ValueError(
            f"{what} is letters, digits and underscores, not starting with a digit "
            f"(it is used in expressions such as steps.ID.status): {value!r}"
        )
    return value
