"""The one place glmctl runs external programs (kubectl, flux, helm, git, exec credential
plugins; glmctl itself for the demo), with ``subprocess``.

(``sh`` did this until it was measured: importing it cost 60 ms of every cluster command's
start-up, for what ``Popen`` with a new session and ``communicate(timeout=)`` does.)

Every command line is logged at debug before it runs, output is captured (streamed only
for the demo's own glmctl commands), and a missing program is an answer (``None`` / exit 127), not
an exception: glmctl works without ``flux`` and ``helm`` and only mentions them in hints.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shlex
import shutil
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

from glmctl.errors import TimedOut

log = logging.getLogger("glmctl.execs")

KNOWN_TOOLS = ("kubectl", "flux", "helm", "git")
DRAIN_SECONDS = 5.0
_VERSION_ARGS = {
    "kubectl": ("version", "--client", "-o", "json"),
    "flux": ("version", "--client"),
    "helm": ("version", "--short"),
    "git": ("--version",),
}
_VERSION_PATTERN = re.compile(r"v?(\d+\.\d+(?:\.\d+)?[0-9A-Za-z.+-]*)")


@dataclass(frozen=True)
class ToolResult:
    """What a program did: its exit code and captured output."""

    command: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        """Exit code 0."""
        return self.exit_code == 0

    @property
    def command_line(self) -> str:
        """The command as a shell would show it (for logs, reports and hints)."""
        return shlex.join(self.command)


def find_tool(name: str) -> str | None:
    """The program's path on PATH, or None when it is not installed."""
    return shutil.which(name)


def run_tool(
    name: str,
    *args: str,
    timeout: float = 60.0,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> ToolResult:
    """Run ``name args...`` and capture its output; exit 127 when the program is absent.

    ``env`` replaces the environment (exec credential plugins get ``KUBERNETES_EXEC_INFO``).
    Raises TimedOut when it runs longer than ``timeout`` seconds (the process is killed).
    """
    command = (name, *args)
    log.debug("run: %s", shlex.join(command))
    path = find_tool(name)
    if path is None:
        return ToolResult(command, 127, "", f"{name}: command not found")
    import subprocess

    try:
        process = subprocess.Popen(
            [path, *args],
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,  # its own process group: a timeout kills the children too
        )
    except OSError as error:  # not executable, or gone since find_tool
        return ToolResult(command, 126, "", f"{name}: {error.strerror or error}")
    feed = stdin.encode() if stdin is not None else None
    try:
        out, err = process.communicate(feed, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process.pid)
        out, err = _drain(process)
        raise ProgramTimedOut(
            f"{shlex.join(command)} did not finish within {timeout:g} seconds; it was stopped.",
            hint="Run it by hand to see where it hangs.",
            stderr=_text(err),
        ) from None
    code = process.returncode
    return ToolResult(command, 128 - code if code < 0 else code, _text(out), _text(err))


def _drain(process: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """What a killed program wrote; a grandchild that left its process group and holds
    the pipes open must not make glmctl wait, so this waits a few seconds at most."""
    import subprocess

    try:
        return process.communicate(timeout=DRAIN_SECONDS)
    except subprocess.TimeoutExpired:
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
        process.wait()
        return b"", b""


class ProgramTimedOut(TimedOut):
    """A program ran past its time and was killed; ``stderr`` is what it said until then."""

    def __init__(self, message: str, *, hint: str | None = None, stderr: str = "") -> None:
        super().__init__(message, hint=hint)
        self.stderr = stderr


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run_glmctl(
    args: Sequence[str], *, stdout: IO[str], stderr: IO[str], env: Mapping[str, str]
) -> int:
    """Run ``glmctl ARGS`` in a child process (this interpreter's ``-m glmctl``) with its
    output going straight to ``stdout``/``stderr``; its exit code. ``glmctl demo`` runs each
    command this way, as the user would type it."""
    import subprocess
    import sys

    command = (sys.executable, "-m", "glmctl", *args)
    log.debug("run: %s", shlex.join(command))
    done = subprocess.run(command, stdout=stdout, stderr=stderr, env=dict(env), check=False)
    return done.returncode


def tool_version(name: str) -> str | None:
    """The installed version of kubectl, flux, helm or git (``1.30.2``), or None if absent.

    A program's answer is kept in the cache directory, keyed by the program's real path,
    size, modification time and inode: starting a 60 MB Go binary costs 30 to 50 ms, the
    longest single wait of ``preflight``, and the answer only changes when the file does.
    """
    path = find_tool(name)
    if path is None:
        return None
    signature = _file_signature(path)
    versions = _cached_versions()
    if signature is not None and signature in versions:
        return versions[signature]
    found = _ask_version(name)
    if signature is not None and found is not None:  # a failure may pass: ask again next time
        _remember_version(versions, signature, found)
    return found


def _ask_version(name: str) -> str | None:
    """Run the program's version command and read its answer."""
    args = _VERSION_ARGS.get(name, ("--version",))
    try:
        result = run_tool(name, *args, timeout=15.0)
    except TimedOut:
        return None
    if not result.ok:
        return None
    return parse_version(name, result.stdout)


def _file_signature(path: str) -> str | None:
    """What identifies this build of a program: real path, size, mtime and inode."""
    real = os.path.realpath(path)
    try:
        stat = os.stat(real)
    except OSError:
        return None
    return f"{real}:{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"


def _version_cache_file() -> Path:
    from glmctl.userdirs import cache_dir

    return cache_dir() / "tool-versions.json"


def _cached_versions() -> dict[str, str]:
    """The remembered versions; an unreadable or foreign cache file is an empty one."""
    import json

    try:
        data = json.loads(_version_cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: value for key, value in data.items() if isinstance(value, str) and value}


def _remember_version(versions: dict[str, str], signature: str, version: str) -> None:
    """Add one answer and write the cache.

    Entries whose program is gone or changed are dropped. Failing to write only costs the
    next run the same 40 ms, so it is logged at debug and otherwise ignored.
    """
    import json

    from glmctl.repo.atomic import write_atomic

    kept = {key: value for key, value in versions.items() if _still_there(key)}
    kept[signature] = version
    target = _version_cache_file()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, json.dumps(kept, indent=1, sort_keys=True) + "\n")
    except OSError as error:
        log.debug("could not write %s: %s", target, error)


def _still_there(signature: str) -> bool:
    path = signature.rsplit(":", 3)[0]
    return _file_signature(path) == signature


def parse_version(name: str, output: str) -> str | None:
    """Pick the version out of a tool's version output."""
    if name == "kubectl":
        import json

        try:
            client = json.loads(output).get("clientVersion") or {}
            found = str(client.get("gitVersion", "")).lstrip("v")
            if found:
                return found
        except (ValueError, AttributeError):
            pass
    match = _VERSION_PATTERN.search(output)
    return match.group(1) if match else None


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value or "")


def git_ls_files(root: Path) -> list[str] | None:
    """Repo-relative paths git would commit under ``root``, or None outside a work tree.

    Tracked plus untracked-but-not-ignored: what Flux would see after cloning.
    """
    result = run_tool(
        "git",
        "-C",
        str(root),
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
        "--deduplicate",
    )
    if not result.ok:
        log.debug("git ls-files failed in %s: %s", root, result.stderr.strip())
        return None
    return [entry for entry in result.stdout.split("\0") if entry]


def git_toplevel(start: Path) -> Path | None:
    """The git work tree containing ``start``, or None."""
    result = run_tool("git", "-C", str(start), "rev-parse", "--show-toplevel")
    text = result.stdout.strip() if result.ok else ""
    return Path(text) if text else None
