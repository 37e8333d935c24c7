"""Shell completion for bash, zsh and fish: the scripts, and the answers they ask for.

The scripts are small and ours (``completions/`` holds them, written by
``make completions``; ``glmctl completion SHELL`` prints one). At TAB time a script runs
``glmctl`` with ``_GLMCTL_COMPLETE`` set and the words of the command line up to the
cursor as arguments; :func:`answer` prints one candidate a line (or ``:files`` to let the
shell complete a path). The candidates come from the command tree typer builds, so a new
command or option completes without regenerating anything, plus the value completers in
:data:`VALUE_COMPLETERS` (topics, runbooks, scenarios, contexts, journal IDs, schema kinds,
and Kustomization names read from the cluster with a short timeout, silently).

Usage: ``python -m glmctl.cli.completions write DIR``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHELLS = {"bash": "glmctl.bash", "zsh": "_glmctl", "fish": "glmctl.fish"}
PROG_NAME = "glmctl"
FILES = ":files"
"""The answer that means: let the shell complete a file name here."""
CLUSTER_TIMEOUT_SECONDS = 1.5
"""How long a TAB may wait for names from the cluster before it gives up (silently)."""

BASH_SCRIPT = """\
# bash completion for glmctl (glmctl completion bash)
_glmctl_complete() {
    local cur="${COMP_WORDS[COMP_CWORD]}" line
    local -a answers=()
    while IFS= read -r line; do answers+=("$line"); done < <(
        _GLMCTL_COMPLETE=bash "${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null
    )
    if [[ "${answers[0]}" == ":files" ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
        compopt -o filenames 2>/dev/null
    else
        COMPREPLY=("${answers[@]}")
    fi
}
complete -o default -F _glmctl_complete glmctl
"""

ZSH_SCRIPT = """\
#compdef glmctl
# zsh completion for glmctl (glmctl completion zsh)
_glmctl() {
    local -a answers
    answers=("${(@f)$(_GLMCTL_COMPLETE=zsh "${words[1]}" "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    if [[ "${answers[1]}" == ":files" ]]; then
        _files
    elif (( ${#answers} )) && [[ -n "${answers[1]}" ]]; then
        compadd -- "${answers[@]}"
    fi
}
if [[ "$funcstack[1]" == "_glmctl" ]]; then
    _glmctl "$@"
else
    compdef _glmctl glmctl
fi
"""

FISH_SCRIPT = """\
# fish completion for glmctl (glmctl completion fish)
function __glmctl_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l answers (env _GLMCTL_COMPLETE=fish $words[1] $words[2..-1] 2>/dev/null)
    if test "$answers[1]" = ":files"
        __fish_complete_path (commandline -ct)
    else
        printf '%s\\n' $answers
    end
end
complete -c glmctl -f -a '(__glmctl_complete)'
"""

SCRIPTS = {"bash": BASH_SCRIPT, "zsh": ZSH_SCRIPT, "fish": FISH_SCRIPT}


def completion_script(shell: str) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    return SCRIPTS[shell]


def write_all(directory: Path) -> list[Path]:
    """Write every shell's script into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for shell, filename in SHELLS.items():
        path = directory / filename
        path.write_text(completion_script(shell), encoding="utf-8")
        written.append(path)
    return written


# -- answering ------------------------------------------------------------------------------


@dataclass
class Position:
    """Where the cursor is: the command reached, the global options given, what is asked."""

    path: list[str] = field(default_factory=list)
    command: Any = None
    given: dict[str, str] = field(default_factory=dict)
    """Global value options already on the line (``--kubeconfig``, ``--context``)."""
    value_of: str | None = None
    """The option whose value is being completed."""
    argument: Any = None
    """The positional parameter being completed, if any."""


Completer = Callable[[Position, str], list[str]]


def answer(words: Sequence[str]) -> list[str]:
    """The candidates for the last of ``words`` (the words after ``glmctl``, the last one
    being completed, possibly empty). Never raises: a failing completer offers nothing."""
    try:
        return _answer(list(words) or [""])
    except Exception:  # TAB must never print a traceback into the shell
        return []


def _answer(words: list[str]) -> list[str]:
    import typer

    from glmctl.cli.app import app

    *before, current = words
    root = typer.main.get_group(app)
    globals_ = _options(root)
    position = _locate(root, globals_, before)
    if position.value_of is not None:
        return _values(position, position.value_of, current, globals_)
    if current.startswith("-"):
        names = [*_option_names(position.command), *_option_names(root), "--help"]
        return _matching(dict.fromkeys(names), current)
    subcommands = getattr(position.command, "commands", None)
    if position.command is root:
        from glmctl.cli.commands import COMMANDS

        return _matching(COMMANDS, current)
    if subcommands is not None:
        return _matching([name for name, sub in subcommands.items() if not sub.hidden], current)
    if position.argument is not None:
        return _values(position, position.argument.name, current, globals_)
    return []


def _locate(root: Any, globals_: Mapping[str, Any], before: Sequence[str]) -> Position:
    """Walk the words before the cursor: subcommands, options and their values, arguments."""
    from glmctl.cli.commands import load_command

    position = Position(command=root)
    arguments = 0
    pending: str | None = None
    for word in before:
        if pending is not None:
            if pending in globals_:
                position.given[_long(globals_[pending])] = word
            pending = None
            continue
        if word.startswith("-") and word != "-":
            name, sep, value = word.partition("=")
            option = globals_.get(name) or _options(position.command).get(name)
            if option is not None and not _is_flag(option):
                if sep:
                    if name in globals_:
                        position.given[_long(option)] = value
                else:
                    pending = name
            continue
        commands = getattr(position.command, "commands", None)
        if commands is not None:
            found = load_command(word) if position.command is root else commands.get(word)
            if found is not None:
                position.command = found
                position.path.append(word)
                arguments = 0
                continue
        arguments += 1
    position.value_of = pending
    parameters = [p for p in getattr(position.command, "params", []) if _is_argument(p)]
    if parameters:
        index = min(arguments, len(parameters) - 1)
        last = parameters[index]
        if arguments < len(parameters) or last.nargs == -1:
            position.argument = last
    return position


def _values(
    position: Position,
    name: str,
    current: str,
    globals_: Mapping[str, Any],
) -> list[str]:
    option = globals_.get(name) or _options(position.command).get(name)
    key = _long(option) if option is not None else name
    completer = VALUE_COMPLETERS.get((" ".join(position.path), key)) or VALUE_COMPLETERS.get(
        ("", key)
    )
    if completer is not None:
        found = completer(position, current)
        return found if found == [FILES] else _matching(found, current)
    choices = getattr(getattr(option, "type", None), "choices", None)
    if choices:
        return _matching([str(choice) for choice in choices], current)
    return []


# -- the command tree ----------------------------------------------------------------------


def _options(command: Any) -> dict[str, Any]:
    """Every spelling of every option of ``command`` (``-o`` and ``--output`` alike)."""
    found: dict[str, Any] = {}
    for parameter in getattr(command, "params", []):
        if _is_argument(parameter):
            continue
        for name in [*parameter.opts, *parameter.secondary_opts]:
            found[name] = parameter
    return found


def _option_names(command: Any) -> list[str]:
    """Long names of the visible options (the short ones are for typing, not for menus)."""
    names: list[str] = []
    for parameter in getattr(command, "params", []):
        if _is_argument(parameter) or getattr(parameter, "hidden", False):
            continue
        names.extend(n for n in [*parameter.opts, *parameter.secondary_opts] if n.startswith("--"))
    return names


def _is_argument(parameter: Any) -> bool:
    return getattr(parameter, "param_type_name", "") == "argument"


def _is_flag(option: Any) -> bool:
    return bool(getattr(option, "is_flag", False) or getattr(option, "count", False))


def _long(option: Any) -> str:
    """The option's long name (``--output`` for ``-o``), or its parameter name."""
    longs = [name for name in option.opts if name.startswith("--")]
    return longs[0] if longs else str(option.name)


def _matching(candidates: Any, current: str) -> list[str]:
    return [str(name) for name in candidates if str(name).startswith(current)]


# -- value completers ----------------------------------------------------------------------


def _files(position: Position, current: str) -> list[str]:
    return [FILES]


def _formats(position: Position, current: str) -> list[str]:
    from glmctl.context import OutputFormat

    return [f.value for f in OutputFormat]


def _contexts(position: Position, current: str) -> list[str]:
    from glmctl.cluster.kubeconfig import context_names

    kubeconfig = position.given.get("--kubeconfig")
    return context_names(Path(kubeconfig) if kubeconfig else None)


def _topics(position: Position, current: str) -> list[str]:
    from glmctl.troubleshoot import topic_names

    return topic_names()


def _smoke_topics(position: Position, current: str) -> list[str]:
    from glmctl.cli.smoke_cmd import TOPICS

    return [*TOPICS, "all"]


def _runbooks(position: Position, current: str) -> list[str]:
    from glmctl.runbook.locate import list_runbooks

    return list(dict.fromkeys(file.name for file in list_runbooks()))


def _scenarios(position: Position, current: str) -> list[str]:
    from glmctl.sim.scenario import list_scenarios

    return [name for name, _ in list_scenarios()]


def _journal_ids(position: Position, current: str) -> list[str]:
    from glmctl.journal import Journal

    return [summary.id for summary in Journal().list()]


def _kinds(position: Position, current: str) -> list[str]:
    from glmctl.contract.schema import kind_names

    return kind_names()


def _shells(position: Position, current: str) -> list[str]:
    return list(SHELLS)


def _kustomizations(position: Position, current: str) -> list[str]:
    """Kustomization names from the cluster the line points at; nothing if it does not
    answer within :data:`CLUSTER_TIMEOUT_SECONDS`."""
    from glmctl.cluster.client import Cluster
    from glmctl.cluster.resources import KUSTOMIZATION
    from glmctl.context import GlobalOptions

    kubeconfig = position.given.get("--kubeconfig")
    options = GlobalOptions(
        kubeconfig=Path(kubeconfig) if kubeconfig else None,
        context=position.given.get("--context"),
        timeout=CLUSTER_TIMEOUT_SECONDS,
    )
    with Cluster.from_options(options) as cluster:
        objects = cluster.list(KUSTOMIZATION)
    names = (str((obj.get("metadata") or {}).get("name", "")) for obj in objects)
    return sorted({name for name in names if name})


VALUE_COMPLETERS: dict[tuple[str, str], Completer] = {
    ("", "--output"): _formats,
    ("", "--context"): _contexts,
    ("", "--kubeconfig"): _files,
    ("", "--config"): _files,
    ("", "--repo"): _files,
    ("", "--scenario"): _scenarios,
    ("lint", "repo"): _files,
    ("troubleshoot", "topic"): _topics,
    ("smoke", "topic"): _smoke_topics,
    ("runbook show", "runbook"): _runbooks,
    ("runbook run", "runbook"): _runbooks,
    ("runbook validate", "runbooks"): _runbooks,
    ("journal show", "entry_id"): _journal_ids,
    ("journal restore", "entry_id"): _journal_ids,
    ("schema", "kind"): _kinds,
    ("completion", "shell"): _shells,
    ("status", "kustomization"): _kustomizations,
}
"""(command path, option long name or argument name) → its values; "" matches any command."""


def answer_from_environment(argv: Sequence[str]) -> int:
    """Print the candidates for ``argv`` (what the scripts pass), one a line; exit 0."""
    for candidate in answer(argv):
        print(candidate)
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through `make completions`
    if len(sys.argv) != 3 or sys.argv[1] != "write":
        print("usage: python -m glmctl.cli.completions write DIR", file=sys.stderr)
        raise SystemExit(2)
    for written_path in write_all(Path(sys.argv[2])):
        print(written_path)
