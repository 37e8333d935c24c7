"""The command-line layer: typer commands that parse, call the core, render, and exit.

Modules here import nothing heavy at module level (no ``kubernetes``, no ``rich``, no
``pydantic``): ``glmctl --help`` must stay fast. Work happens inside the command bodies.
"""

COMPLETE_VAR = "_GLMCTL_COMPLETE"
"""Set by the completion scripts (``glmctl completion SHELL``) when they ask for candidates;
here so that checking for it costs the start-up of every command nothing."""
