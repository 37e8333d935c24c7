"""Where runbooks are found, by name: those asked for, the user's, then glmctl's own.

Search order (the first runbook of a name wins, so an operator can override a shipped
runbook by copying it):

1. the directories asked for: ``--runbook-dir DIR``, then the profile's ``runbooks.dir``;
2. ``$XDG_CONFIG_HOME/glmctl/runbooks/`` (``~/.config/glmctl/runbooks/`` on Linux);
3. the runbooks shipped with glmctl: ``glmctl/_runbooks`` inside an installed wheel, or the
   repository's top-level ``runbooks/`` in an editable install or a source checkout.

``./runbooks/`` in the working directory is *not* searched: a commit to the repository an
operator stands in must not silently replace the shipped checks (a one-step "verify" that
always passes). When a runbook that is not the shipped one runs, the command names its
file (:func:`override_note`).

A runbook's name is its file name without ``.yaml``/``.yml``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import glmctl
from glmctl.errors import UsageError
from glmctl.suggest import did_you_mean

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class RunbookFile:
    """A runbook file found on the search path."""

    name: str
    path: Path
    origin: str
    shadowed: bool = False


def shipped_runbooks_dir() -> Path | None:
    """The directory of runbooks that came with glmctl (wheel or source checkout)."""
    packaged = resources.files(glmctl).joinpath("_runbooks")
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(glmctl.__file__).resolve().parent.parent / "runbooks"
    return checkout if checkout.is_dir() else None


def user_runbooks_dir() -> Path:
    """``runbooks/`` in glmctl's user configuration directory."""
    from platformdirs import user_config_path

    return user_config_path("glmctl") / "runbooks"


def search_path(asked: Sequence[Path] = ()) -> list[tuple[str, Path]]:
    """(origin, directory) pairs in the order names are looked up; missing ones included.

    ``asked`` are the directories the operator named (``--runbook-dir``, ``runbooks.dir``).
    """
    shipped = shipped_runbooks_dir()
    candidates = [
        *(("asked", directory) for directory in asked),
        ("user", user_runbooks_dir()),
    ]
    found: list[tuple[str, Path]] = []
    for origin, directory in candidates:
        if shipped is not None and _same(directory, shipped):
            continue  # working inside glmctl's own checkout
        found.append((origin, directory))
    if shipped is not None:
        found.append(("shipped", shipped))
    return found


def list_runbooks(path: list[tuple[str, Path]] | None = None) -> list[RunbookFile]:
    """Every runbook file on the search path; later ones of an existing name are shadowed."""
    seen: set[str] = set()
    files: list[RunbookFile] = []
    for origin, directory in path if path is not None else search_path():
        if not directory.is_dir():
            continue
        for file in sorted(directory.iterdir()):
            if file.suffix not in SUFFIXES or not file.is_file():
                continue
            files.append(RunbookFile(file.stem, file, origin, shadowed=file.stem in seen))
            seen.add(file.stem)
    return files


def find_runbook(name_or_path: str, path: list[tuple[str, Path]] | None = None) -> Path:
    """The file for a runbook name, or the path itself when given a file.

    Anything with a YAML suffix or a path separator is a file path; otherwise it is a
    name looked up on the search path. Not found is a :class:`UsageError` with the
    nearest names.
    """
    candidate = Path(name_or_path)
    if candidate.suffix in SUFFIXES or "/" in name_or_path or candidate.is_file():
        if candidate.is_file():
            return candidate
        raise UsageError(
            f"runbook file {name_or_path} does not exist",
            hint="Give a runbook file, or a name from `glmctl runbook list`.",
        )
    available = [f for f in list_runbooks(path) if not f.shadowed]
    for file in available:
        if file.name == name_or_path:
            return file.path
    names = [f.name for f in available]
    close = did_you_mean(name_or_path, names)
    suggestion = f" ({close})" if close else ""
    raise UsageError(
        f"no runbook named {name_or_path}{suggestion}",
        hint="`glmctl runbook list` shows the runbooks glmctl can find, and where.",
    )


def override_note(path: Path) -> str | None:
    """A sentence naming ``path`` when it is not one of the shipped runbooks, else None."""
    shipped = shipped_runbooks_dir()
    if shipped is not None and _same(path.parent, shipped):
        return None
    return f"running runbook {path.stem} from {path.absolute()}, not the one shipped with glmctl."


def _same(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve()
    except OSError:
        return False
