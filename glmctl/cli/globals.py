"""Global options: accepted anywhere on the command line, like kubectl's.

Typer only knows options of the group they are declared on, so ``main`` moves every
global option to the front before parsing (``glmctl status --context x`` works as
``glmctl --context x status``). Subcommands therefore never declare these names.
"""

from __future__ import annotations

from glmctl.errors import UsageError

# Options that take a value, and flags that do not. Short aliases included.
VALUE_OPTIONS = frozenset(
    {"--context", "--kubeconfig", "--config", "-o", "--output", "--timeout", "--runbook-dir"}
)
FLAG_OPTIONS = frozenset({"--dry-run", "--yes", "-y", "-v", "--verbose", "--no-color", "--debug"})
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
