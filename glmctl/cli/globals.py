"""Global options: accepted anywhere on the command line, like kubectl's.

Typer only knows options of the group they are declared on, so ``main`` moves every
global option to the front before parsing (``glmctl status --context x`` works as
``glmctl --context x status``). Subcommands therefore never declare these names.
"""

from __future__ import annotations

import re

from glmctl.context import FLAG_OPTIONS, VALUE_OPTIONS
from glmctl.errors import UsageError

SHORT_VALUE_OPTIONS = frozenset(name for name in VALUE_OPTIONS if not name.startswith("--"))


def hoist_global_options(args: list[str]) -> list[str]:
    """Return ``args`` with global options (and their values) moved before the subcommand.

    Stops at ``--``: what follows is positional. A value option with nothing after it (or
    only ``--``) is a :class:`UsageError`: left in place, the subcommand's parser would
    call it unknown, and hoisted, the root parser would take the subcommand as its value.
    """
    hoisted: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        token = args[index]
        if token == "--":
            rest.extend(args[index:])
            break
        name = token.split("=", 1)[0]
        if name in VALUE_OPTIONS:
            if "=" in token:
                hoisted.append(token)
            elif index + 1 < len(args) and args[index + 1] != "--":
                hoisted.extend(args[index : index + 2])
                index += 1
            else:
                raise UsageError(
                    f"option {token} needs a value",
                    hint=f"Write {token} VALUE (global options may appear anywhere).",
                )
        elif token in FLAG_OPTIONS or _is_repeated_verbose(token) or _is_attached_short(token):
            hoisted.append(token)
        else:
            rest.append(token)
        index += 1
    return hoisted + rest


def _is_repeated_verbose(token: str) -> bool:
    return len(token) > 2 and token.startswith("-v") and set(token[1:]) == {"v"}


def _is_attached_short(token: str) -> bool:
    """``-ojson``: a short value option with its value written right after it."""
    return len(token) > 2 and not token.startswith("--") and token[:2] in SHORT_VALUE_OPTIONS


_DURATION_UNITS = {
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 0.001,
    "us": 1e-6,
    "µs": 1e-6,
    "ns": 1e-9,
}
_DURATION = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)(?:h|ms|m|s|us|µs|ns)")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)")
_PLAIN_SECONDS = re.compile(r"\d+(?:\.\d*)?|\.\d+")


def parse_timeout(text: str) -> float:
    """``--timeout`` in seconds: plain seconds (``90``, ``2.5``) or a Go duration as kubectl
    and flux write them (``90s``, ``5m``, ``1h30m``, ``500ms``). ``0`` means no limit.

    Anything else is a :class:`UsageError` with one sentence (exit 2).
    """
    value = text.strip()
    if _PLAIN_SECONDS.fullmatch(value):
        return float(value)
    if value and re.fullmatch(f"(?:{_DURATION.pattern})+", value):
        return sum(
            float(number) * _DURATION_UNITS[unit] for number, unit in _DURATION_PART.findall(value)
        )
    raise UsageError(
        f"--timeout {text!r} is not a duration",
        hint="Write seconds (90) or a duration such as 90s, 5m, 1h30m or 500ms; 0 means no limit.",
    )
