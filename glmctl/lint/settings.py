"""The ``lint:`` section of ``glmctl.yaml``: rules switched off by path, bootstrap Secrets."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RuleDisable(BaseModel):
    """Switch ``rule`` off for files matching any of ``paths`` (glob, repo-relative)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    paths: list[str] = Field(default_factory=lambda: ["**"])


class ExternalSecret(BaseModel):
    """A Secret created outside the repository (e.g. at bootstrap) that lint should trust."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: str
    name: str
    keys: list[str] = Field(default_factory=list)


class ExternalObject(BaseModel):
    """An object created outside the repository (a bootstrap source, a hand-applied CRD
    instance) that references may name; ``namespace`` unset matches any namespace."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    name: str
    namespace: str | None = None


class LintSettings(BaseModel):
    """Lint's part of the profile."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    disable: list[RuleDisable] = Field(default_factory=list)
    external_secrets: list[ExternalSecret] = Field(default_factory=list)
    external_objects: list[ExternalObject] = Field(default_factory=list)
