"""Global options: accepted anywhere on the command line, like kubectl's.

Typer only knows options of the group they are declared on, so ``main`` moves every
global option to the front before parsing (``glmctl status --context x`` works as
``glmctl --context x status``). Subcommands therefore never declare these names.
"""

from __future__ import annotations

# Options that take a value, and flags that do not. Short aliases included.
VALUE_OPTIONS = frozenset({"--context", "--kubeconfig", "--config", "-o", "--output", "--timeout"})
FLAG_OPTIONS = frozenset({"--dry-run", "--yes", "-y", "-v", "--verbose", "--no-color", "--debug"})


def hoist_global_options(args: list[str]) -> list[str]:
    """Return ``args`` with global options (and their values) moved before the subcommand.

    Stops at ``--``: what follows is positional. A value option at the very end with no
    value is left in place so that the parser reports it.
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
            elif index + 1 < len(args):
                hoisted.extend(args[index : index + 2])
                index += 1
            else:
                rest.append(token)
        elif token in FLAG_OPTIONS or _is_repeated_verbose(token):
            hoisted.append(token)
        else:
            rest.append(token)
        index += 1
    return hoisted + rest


def _is_repeated_verbose(token: str) -> bool:
    return len(token) > 2 and token.startswith("-v") and set(token[1:]) == {"v"}
