"""One exception root for everything a user can cause or meet.

Every error carries the exit code it maps to and a one-sentence message written for the
operator, plus an optional hint saying what to do next. The single boundary in
``glmctl.cli.main`` turns them into a printed line and an exit status; nothing else in the
package prints errors or calls ``sys.exit``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The documented, stable exit statuses of every glmctl command."""

    OK = 0
    CHECK_FAILED = 1
    USAGE = 2
    CLUSTER = 3
    TIMEOUT = 4
    INTERNAL = 70
    INTERRUPTED = 130


class GlmctlError(Exception):
    """Root of glmctl's errors: a sentence for the operator and the exit code it implies."""

    exit_code: ExitCode = ExitCode.CHECK_FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(GlmctlError):
    """The command line, a config file or a runbook is wrong; nothing was run."""

    exit_code = ExitCode.USAGE


class ConfigError(UsageError):
    """``glmctl.yaml`` (or another input file) is malformed; names file and line."""


class CheckFailed(GlmctlError):
    """A check or action did not succeed; the cluster answered, the answer was bad."""

    exit_code = ExitCode.CHECK_FAILED


class TimedOut(GlmctlError):
    """A wait ran out of time before the outcome was known."""

    exit_code = ExitCode.TIMEOUT


class ClusterError(GlmctlError):
    """Base of errors that come from talking to the Kubernetes API."""

    exit_code = ExitCode.CLUSTER

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.reason = reason


class ClusterUnreachable(ClusterError):
    """No answer from the API server: wrong address, server down, network dropped."""


class KubeconfigError(ClusterError):
    """The kubeconfig is missing, unreadable, or names a context that does not exist."""


class Unauthorized(ClusterError):
    """The server rejected our credentials (HTTP 401), even after reloading them."""


class Forbidden(ClusterError):
    """RBAC denied a request (HTTP 403); the message names the verb and resource.

    Exit 1, not 3: the cluster is reachable and knows who we are; what it answered is that
    this user may not do this, a finding like any failed check (``preflight`` reports
    each missing permission). 401, unreachable and a failing server are exit 3.
    """

    exit_code = ExitCode.CHECK_FAILED


class NotFound(ClusterError):
    """The object asked for does not exist (HTTP 404)."""

    exit_code = ExitCode.CHECK_FAILED


class Conflict(ClusterError):
    """The object changed since we read it (HTTP 409), or a precondition did not hold."""

    exit_code = ExitCode.CHECK_FAILED


class CrdNotInstalled(ClusterError):
    """The kind asked for is not served by the cluster: its CRD is not installed."""

    exit_code = ExitCode.CHECK_FAILED


class ApiError(ClusterError):
    """Any other API failure, with the HTTP status and reason from the ``Status`` body."""


class ServerFailed(ApiError):
    """The API server answered 5xx or 429 on every attempt the retry policy allows: it
    cannot be used now (exit 3, like unreachable)."""
