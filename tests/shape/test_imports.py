"""Data flows one way: cli → runbook → steps → cluster. Nothing below imports what is above
it, whether at the top of a module, inside a function, or for type checking only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import glmctl

PACKAGE = Path(glmctl.__file__).parent

#: package → the glmctl packages it must never import.
FORBIDDEN = {
    "cluster": ("glmctl.cli", "glmctl.runbook", "glmctl.steps", "glmctl.render"),
    "steps": ("glmctl.cli", "glmctl.runbook", "glmctl.render"),
    "runbook": ("glmctl.cli", "glmctl.render"),
    "render": ("glmctl.cli",),
    "recovery": ("glmctl.cli",),
    "repo": ("glmctl.cli", "glmctl.runbook", "glmctl.steps", "glmctl.render"),
    "lint": ("glmctl.cli", "glmctl.runbook", "glmctl.steps", "glmctl.render"),
}
#: Top-level modules below the CLI: none of them may import it.
CORE_MODULES = ("config", "context", "errors", "execs", "journal", "monitor", "plan", "status")


def imported_modules(path: Path) -> set[str]:
    """Every ``glmctl...`` module ``path`` imports, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name == "glmctl" or name.startswith("glmctl.")}


def rules() -> list[tuple[Path, tuple[str, ...]]]:
    checked = [
        (path, forbidden)
        for package, forbidden in FORBIDDEN.items()
        for path in sorted((PACKAGE / package).rglob("*.py"))
    ]
    checked += [(PACKAGE / f"{name}.py", ("glmctl.cli",)) for name in CORE_MODULES]
    return checked


@pytest.mark.parametrize(
    ("path", "forbidden"), rules(), ids=[str(p.relative_to(PACKAGE)) for p, _ in rules()]
)
def test_no_upward_imports(path: Path, forbidden: tuple[str, ...]) -> None:
    upward = sorted(
        name
        for name in imported_modules(path)
        if any(name == top or name.startswith(f"{top}.") for top in forbidden)
    )
    assert upward == []


def test_the_rule_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from glmctl.cli.globals import VALUE_OPTIONS\n")
    assert imported_modules(sample) == {"glmctl.cli.globals"}


def test_only_execs_runs_programs() -> None:
    """``subprocess``, ``sh`` and ``os.system`` appear in ``execs.py`` only (the simulator
    and its real engine, which supervises etcd and the API server as long-lived children,
    are programs of their own; the tests are not glmctl's runtime)."""
    runners = {"subprocess", "sh"}
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("sim", "realcluster") or str(relative) == "execs.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            if any(name.split(".")[0] in runners for name in names):
                offenders.append(str(relative))
    assert offenders == []
