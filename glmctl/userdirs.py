"""Where glmctl keeps files of its own (not a repository's): its state and its cache.

Both follow the XDG base directories (through ``platformdirs``) and each has an override
for tests and for people who want them elsewhere: ``$GLMCTL_STATE_DIR`` (the journal and
recovery locks: losing it loses history) and ``$GLMCTL_CACHE_DIR`` (answers that can be
worked out again, such as a tool's version: deleting it only costs time).
"""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR_ENV = "GLMCTL_STATE_DIR"
CACHE_DIR_ENV = "GLMCTL_CACHE_DIR"


def state_dir() -> Path:
    """``$GLMCTL_STATE_DIR``, else the XDG state directory's ``glmctl``."""
    override = os.environ.get(STATE_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs

    return platformdirs.user_state_path("glmctl")


def cache_dir() -> Path:
    """``$GLMCTL_CACHE_DIR``, else the XDG cache directory's ``glmctl``."""
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override)
    import platformdirs

    return platformdirs.user_cache_path("glmctl")
