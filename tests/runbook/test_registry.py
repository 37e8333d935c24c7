"""The default step registry imports a step's module only when the step is asked for."""

from __future__ import annotations

import json
import subprocess
import sys

from glmctl.steps.registry import default_registry


def test_every_step_lives_in_the_module_its_name_starts_with() -> None:
    registry = default_registry()
    misplaced = {
        name: spec.run.__module__
        for name in registry.names()
        if (spec := registry.get(name)) is not None
        and spec.run.__module__ != f"glmctl.steps.{name.partition('.')[0]}"
    }
    assert registry.names(), "no steps found"
    assert misplaced == {}


_PROBE = """
import json, sys
from glmctl.steps.registry import default_registry
registry = default_registry()
found = registry.get("tools.versions") is not None
loaded = sorted(m for m in sys.modules if m.startswith("glmctl.steps.") and "._" not in m)
unknown = registry.get("nosuch.step")
everything = len(registry.names())
print(json.dumps({"found": found, "loaded": loaded, "unknown": unknown, "all": everything}))
"""


def test_asking_for_one_step_imports_only_its_module() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    answer = json.loads(done.stdout)
    assert answer["found"] is True
    assert answer["loaded"] == ["glmctl.steps.registry", "glmctl.steps.tools"]
    assert answer["unknown"] is None
    assert answer["all"] == len(default_registry().names())


def test_an_unknown_step_still_gets_suggestions_from_every_module() -> None:
    assert "smoke.secret_keys" in default_registry().nearest("smoke.secret_key")
