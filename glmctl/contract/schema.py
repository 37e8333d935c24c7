"""The JSON Schema of the output contract, generated from :mod:`glmctl.contract.models`.

``glmctl schema`` prints the schema of every document (one of the kinds, chosen by
``kind``); ``glmctl schema KIND`` the schema of one. Nothing here is written by hand, so a
field added to a model is in the schema the moment it is in the output.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter

from glmctl.contract import API_VERSION
from glmctl.contract.models import KINDS, Document, kind_name
from glmctl.errors import UsageError

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def kind_names() -> list[str]:
    """Every kind, in documentation order."""
    return [kind_name(model) for model in KINDS]


def find_kind(name: str) -> type[Document]:
    """The model of ``name`` (any letter case); an unknown name is a usage error."""
    by_name = {kind_name(model).lower(): model for model in KINDS}
    found = by_name.get(name.lower())
    if found is not None:
        return found
    from glmctl.suggest import closest

    close = closest(name, kind_names(), n=1)
    guess = f", did you mean {close[0]}?" if close else "."
    raise UsageError(
        f"unknown kind {name!r}{guess}",
        hint=f"Kinds: {', '.join(kind_names())}.",
    )


def schema(kind: str | None = None) -> dict[str, Any]:
    """The JSON Schema (2020-12) of one kind, or of any glmctl document when ``kind`` is None."""
    if kind is not None:
        model = find_kind(kind)
        return {
            "$schema": JSON_SCHEMA_DIALECT,
            **model.model_json_schema(by_alias=True, mode="serialization"),
        }
    union = Annotated[Union[KINDS], Field(discriminator="kind")]  # type: ignore[valid-type]  # noqa: UP007
    generated = TypeAdapter(union).json_schema(by_alias=True, mode="serialization")
    title = f"glmctl {API_VERSION} document"
    return {"$schema": JSON_SCHEMA_DIALECT, "title": title, **generated}
