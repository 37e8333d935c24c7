"""The machine-output contract: every ``-o json|yaml`` document, as pydantic models.

One document per command run, with ``apiVersion: glmctl.io/v1`` and a ``kind``, camelCase
keys and RFC 3339 UTC timestamps (``docs/output.md``). ``glmctl schema [KIND]`` prints the
JSON Schema generated from these models, so the schema and the output cannot drift apart.

The models live in :mod:`glmctl.contract.models` (which imports pydantic); this package
imports nothing, so naming it costs ``glmctl --help`` nothing.
"""

from typing import Final

API_VERSION: Final = "glmctl.io/v1"
