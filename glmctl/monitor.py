"""Following a deploy until its outcome is known: ``glmctl monitor`` and ``redeploy``'s wait.

Two halves, kept apart so the decisions are tested without a server:

* :class:`Follower` is a pure state machine. It is fed list snapshots and watch events
  (plain dicts) and answers, at any moment, which objects it follows, how each stands,
  which new Kubernetes events concern them, and the verdict: READY, FAILED or WAITING.
* :func:`follow` drives it with the cluster layer: one list, then one watch per
  (kind, namespace) the follower asks for, each in its own thread, all feeding one queue.
  A dropped watch reconnects from the last resourceVersion it saw (so no update is lost);
  a 410 (version expired) lists again and hands the follower a fresh snapshot.

What is followed: the lifecycle Kustomization and HelmRelease, every ``dependsOn`` of
theirs (transitively) that is not Ready when first seen, and the Jobs matching the
lifecycle label selector in the release's namespace (the chart's Helm hooks).

The verdict, checked after every change:

* FAILED when a followed Flux object fails terminally (Stalled, or Ready=False with a
  terminal reason such as InstallFailed / UpgradeFailed / RetriesExceeded, see
  :func:`glmctl.cluster.flux.is_terminal_failure`), or a followed Job has failed while the
  HelmRelease is not Ready — waiting longer cannot help, unlike ``kubectl wait
  --for=condition=complete`` which waits out its timeout on a failed Job;
* READY when every followed Flux object exists and is Ready at its current generation,
  has handled its last reconcile request (``reconcile.fluxcd.io/requestedAt``), and no
  followed Job is still running;
* WAITING otherwise (a suspended Kustomization waits: resuming it is the operator's call).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from glmctl.cluster import flux, resources
from glmctl.cluster.jobs import JobPhase, job_state
from glmctl.cluster.resources import ResourceType
from glmctl.errors import ClusterUnreachable, Forbidden, TimedOut

if TYPE_CHECKING:
    from glmctl.cluster.client import Cluster
    from glmctl.config import Profile

Obj = dict[str, Any]
Key = tuple[str, str, str]
"""(kind, namespace, name) of a followed object."""

log = logging.getLogger("glmctl.monitor")

DEFAULT_TIMEOUT_SECONDS = 600.0
"""How long ``glmctl monitor`` waits when ``--timeout`` is not given: a HelmRelease's
default ``spec.timeout`` is 5 m, and an install may retry once after it."""

WATCH_SECONDS = 30
"""Server-side length of one watch; the follower renews it from the last version seen."""

RECONNECT_ATTEMPTS = 4
"""Consecutive watch requests that may fail to open before the cluster counts as gone."""

MAX_PENDING_EVENTS = 1000


class Verdict(StrEnum):
    """How the deploy stands: known good, known bad, or not known yet."""

    READY = "ready"
    FAILED = "failed"
    WAITING = "waiting"
    INTERRUPTED = "interrupted"
    """Ctrl-C ended the wait; the outcome holds the last state seen."""


class Role(StrEnum):
    """Why an object is followed."""

    TARGET = "target"
    DEPENDENCY = "dependency"
    JOB = "job"


@dataclass(frozen=True)
class MonitorTargets:
    """What to follow: the profile's names (``from_profile``; the defaults live in
    ``glmctl.config`` only). ``job_selector`` picks the chart's Jobs (Helm hooks) in
    ``job_namespace``.
    """

    kustomization_namespace: str
    kustomization_name: str
    helmrelease_namespace: str
    helmrelease_name: str
    job_namespace: str
    job_selector: str

    @classmethod
    def from_profile(cls, profile: Profile) -> MonitorTargets:
        """Names from a :class:`glmctl.config.Profile`. Hooks run in the release's namespace."""
        kustomization = profile.flux.lifecycle_kustomization
        release = profile.flux.helm_release
        return cls(
            kustomization_namespace=kustomization.namespace,
            kustomization_name=kustomization.name,
            helmrelease_namespace=release.namespace,
            helmrelease_name=release.name,
            job_namespace=release.namespace,
            job_selector=profile.selectors.lifecycle,
        )

    @property
    def kustomization(self) -> Key:
        return ("Kustomization", self.kustomization_namespace, self.kustomization_name)

    @property
    def helmrelease(self) -> Key:
        return ("HelmRelease", self.helmrelease_namespace, self.helmrelease_name)


@dataclass(frozen=True)
class ObjectState:
    """One row of the monitor's table.

    ``state`` is one word: Ready / NotReady / Unknown / NotFound for Flux objects, Running /
    Complete / Failed for Jobs. ``failed`` says it ends the wait with exit 1.
    """

    kind: str
    namespace: str
    name: str
    role: Role
    found: bool
    ready: bool
    state: str
    reason: str = ""
    message: str = ""
    suspended: bool = False
    failed: bool = False

    @property
    def ref(self) -> str:
        """``Kind/namespace/name``."""
        return f"{self.kind}/{self.namespace}/{self.name}"


@dataclass(frozen=True)
class SeenEvent:
    """A Kubernetes Event about a followed object, seen while following."""

    kind: str
    namespace: str
    name: str
    type: str
    reason: str
    message: str
    count: int = 1
    last_seen: str = ""

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.namespace}/{self.name}"

    @property
    def warning(self) -> bool:
        return self.type == "Warning"


@dataclass(frozen=True)
class MonitorUpdate:
    """What ``on_update`` receives after every change: all rows, what changed, new events."""

    objects: tuple[ObjectState, ...]
    changed: tuple[ObjectState, ...]
    new_events: tuple[SeenEvent, ...]
    verdict: Verdict
    summary: str
    elapsed: float


@dataclass(frozen=True)
class MonitorOutcome:
    """How following ended. ``exit_code``: 0 READY, 1 FAILED, 4 still WAITING (timed out),
    130 INTERRUPTED (Ctrl-C)."""

    verdict: Verdict
    summary: str
    objects: tuple[ObjectState, ...]
    events: tuple[SeenEvent, ...] = ()
    elapsed: float = 0.0
    timeout: float = 0.0

    @property
    def exit_code(self) -> int:
        return {
            Verdict.READY: 0,
            Verdict.FAILED: 1,
            Verdict.WAITING: 4,
            Verdict.INTERRUPTED: 130,
        }[self.verdict]


class FollowInterrupted(KeyboardInterrupt):
    """Ctrl-C while following. Still a KeyboardInterrupt, so a caller that does not care
    (``redeploy``) stops as before; ``glmctl monitor`` catches it to show ``outcome``, the
    last state seen with the verdict INTERRUPTED, instead of ending in silence."""

    def __init__(self, outcome: MonitorOutcome) -> None:
        super().__init__(outcome.summary)
        self.outcome = outcome


@dataclass(frozen=True)
class Stream:
    """One list+watch the follower needs: a kind in a namespace, optionally by label."""

    rt: ResourceType
    namespace: str
    label_selector: str | None = None

    def describe(self) -> str:
        selector = f" -l {self.label_selector}" if self.label_selector else ""
        return f"{self.rt.display} -n {self.namespace}{selector}"


_FLUX_KINDS = {"Kustomization": resources.KUSTOMIZATION, "HelmRelease": resources.HELMRELEASE}


class Follower:
    """The pure state machine: snapshots and watch events in, rows and a verdict out.

    Not thread-safe: one thread (the driver's) feeds it.
    """

    def __init__(self, targets: MonitorTargets) -> None:
        self.targets = targets
        self._objects: dict[Key, Obj] = {}
        self._jobs: dict[Key, Obj] = {}
        self._listed: set[Stream] = set()
        self._dependencies: dict[Key, bool] = {}  # decided: True = followed
        self._seen_events: set[tuple[str, int]] = set()
        self._pending_events: list[Obj] = []
        self._job_stream = Stream(resources.JOB, targets.job_namespace, targets.job_selector)

    # -- input ---------------------------------------------------------------------------

    def reset(self, stream: Stream, items: Iterable[Obj], *, initial: bool = False) -> None:
        """A list of ``stream``: replaces what was known of it (deletions in a gap included).

        ``initial`` marks the first list of an event stream: those events happened before
        following began and are not shown as new.
        """
        items = list(items)
        if stream.rt.kind == "Event":
            for item in items:
                self._event(item, announce=not initial)
            self._listed.add(stream)
            return
        store = self._jobs if stream.rt.kind == "Job" else self._objects
        for key in [k for k in store if k[0] == stream.rt.kind and k[1] == stream.namespace]:
            del store[key]
        for item in items:
            store[_key_of(item, stream.rt.kind)] = item
        self._listed.add(stream)

    def apply(self, stream: Stream, event_type: str, obj: Obj) -> None:
        """One watch event (ADDED, MODIFIED, DELETED) of ``stream``."""
        if stream.rt.kind == "Event":
            if event_type != "DELETED":
                self._event(obj, announce=True)
            return
        store = self._jobs if stream.rt.kind == "Job" else self._objects
        key = _key_of(obj, stream.rt.kind)
        if event_type == "DELETED":
            store.pop(key, None)
        elif event_type in ("ADDED", "MODIFIED"):
            store[key] = obj

    def _event(self, obj: Obj, *, announce: bool) -> None:
        metadata = obj.get("metadata") or {}
        seen = (str(metadata.get("uid") or metadata.get("name")), int(obj.get("count") or 1))
        if seen in self._seen_events:
            return
        self._seen_events.add(seen)
        if announce:
            self._pending_events.append(obj)
            del self._pending_events[:-MAX_PENDING_EVENTS]

    # -- what to watch ------------------------------------------------------------------

    def wanted(self) -> list[Stream]:
        """Every stream the follower needs, in a stable order (it grows with dependencies)."""
        self._decide_dependencies()
        flux_streams: dict[Stream, None] = {}
        namespaces: dict[str, None] = {}
        for kind, namespace, _ in self._followed_flux_keys(include_undecided=True):
            flux_streams[Stream(_FLUX_KINDS[kind], namespace)] = None
            namespaces[namespace] = None
        namespaces[self.targets.job_namespace] = None
        streams = [*flux_streams, self._job_stream]
        streams.extend(Stream(resources.EVENT, namespace) for namespace in namespaces)
        return streams

    def listed(self, stream: Stream) -> bool:
        return stream in self._listed

    # -- output ---------------------------------------------------------------------------

    def rows(self) -> tuple[ObjectState, ...]:
        """The followed objects: targets, then dependencies, then Jobs by name."""
        self._decide_dependencies()
        release = self._objects.get(self.targets.helmrelease)
        rows = [self._flux_row(key, role) for key, role in self._followed_flux()]
        for key in sorted(self._jobs):
            rows.append(_job_row(key, self._jobs[key], release))
        return tuple(rows)

    def verdict(self) -> tuple[Verdict, str]:
        """The verdict and one sentence saying why."""
        rows = self.rows()
        failed = [row for row in rows if row.failed]
        if failed:
            return Verdict.FAILED, "Failed: " + _explain(failed) + "."
        waiting = [row for row in rows if not row.ready]
        if not waiting:
            return Verdict.READY, f"All {len(rows)} objects Ready."
        return Verdict.WAITING, "Waiting for " + _explain(waiting) + "."

    def take_new_events(self) -> tuple[SeenEvent, ...]:
        """Events about followed objects seen since the last call, oldest first."""
        followed = {(row.kind, row.namespace, row.name) for row in self.rows()}
        taken: list[SeenEvent] = []
        kept: list[Obj] = []
        for obj in self._pending_events:
            event = _seen_event(obj)
            if (event.kind, event.namespace, event.name) in followed:
                taken.append(event)
            else:
                kept.append(obj)  # its object may be followed later (it arrived first)
        self._pending_events = kept
        return tuple(sorted(taken, key=lambda e: e.last_seen))

    # -- internals ------------------------------------------------------------------------

    def _followed_flux(self) -> list[tuple[Key, Role]]:
        found = [(self.targets.kustomization, Role.TARGET), (self.targets.helmrelease, Role.TARGET)]
        found.extend(
            (key, Role.DEPENDENCY) for key, followed in self._dependencies.items() if followed
        )
        return found

    def _followed_flux_keys(self, *, include_undecided: bool) -> list[Key]:
        keys = [key for key, _ in self._followed_flux()]
        if include_undecided:
            keys.extend(self._undecided())
        return keys

    def _undecided(self) -> list[Key]:
        """Dependencies of followed objects not yet judged (a target is never one: cycles)."""
        targets = (self.targets.kustomization, self.targets.helmrelease)
        return [
            dep
            for key, _ in self._followed_flux()
            if key in self._objects
            for dep in _dependency_keys(key[0], self._objects[key])
            if dep not in self._dependencies and dep not in targets
        ]

    def _decide_dependencies(self) -> None:
        """A dependency is followed when it is not Ready the first time it can be judged,
        i.e. once its (kind, namespace) has been listed. Decisions are never revised."""
        changed = True
        while changed:
            changed = False
            for dep in self._undecided():
                if Stream(_FLUX_KINDS[dep[0]], dep[1]) in self._listed:
                    obj = self._objects.get(dep)
                    self._dependencies[dep] = obj is None or not _settled(obj)
                    changed = True

    def _flux_row(self, key: Key, role: Role) -> ObjectState:
        kind, namespace, name = key
        obj = self._objects.get(key)
        if obj is None:
            listed = Stream(_FLUX_KINDS[kind], namespace) in self._listed
            return ObjectState(
                kind,
                namespace,
                name,
                role,
                found=False,
                ready=False,
                state="NotFound" if listed else "Unknown",
                reason="NotFound" if listed else "",
                message="not found (yet)" if listed else "not read yet",
            )
        state = flux.readiness(obj)
        pending = _pending_request(obj)
        ready = state.ready and not pending
        reason, message = state.reason, state.message
        if state.ready and pending:
            reason, message = "ReconcileRequested", "a reconcile was requested and not yet handled"
        return ObjectState(
            kind,
            namespace,
            name,
            role,
            found=True,
            ready=ready,
            state="Ready" if ready else state.label,
            reason=reason,
            message=message,
            suspended=state.suspended,
            failed=flux.is_terminal_failure(obj) and not pending,
        )


# -- pure helpers ---------------------------------------------------------------------------


def _key_of(obj: Obj, kind: str) -> Key:
    metadata = obj.get("metadata") or {}
    return (kind, str(metadata.get("namespace") or ""), str(metadata.get("name") or ""))


def _dependency_keys(kind: str, obj: Obj) -> list[Key]:
    return [(kind, namespace, name) for namespace, name in flux.depends_on(obj)]


def _pending_request(obj: Obj) -> bool:
    """A reconcile was requested and the controller has not acted on it yet, so the status
    describes the previous attempt. A suspended object never acts on one: ignored there."""
    requested = flux.reconcile_requested_at(obj)
    return (
        requested is not None
        and not flux.reconcile_handled(obj, requested)
        and not flux.is_suspended(obj)
    )


def _settled(obj: Obj) -> bool:
    """Ready at its current generation with no reconcile request outstanding."""
    return flux.readiness(obj).ready and not _pending_request(obj)


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _from_earlier_attempt(job: Obj, release: Obj | None) -> bool:
    """The Job was created before the release's pending reconcile request: it belongs to
    the attempt that request replaces (Helm deletes it before running the hook again)."""
    if release is None or not _pending_request(release):
        return False
    requested = _parse_time(flux.reconcile_requested_at(release))
    created = _parse_time((job.get("metadata") or {}).get("creationTimestamp"))
    return requested is not None and created is not None and created < requested


def _job_row(key: Key, job: Obj, release: Obj | None) -> ObjectState:
    """A Job's row. A failed Job fails the wait, unless it is history: the release is Ready
    already (the Job's TTL has not removed it yet), or a reconcile requested after the
    Job was created will run the hooks again."""
    state = job_state(job)
    history = (release is not None and _settled(release)) or _from_earlier_attempt(job, release)
    failed = state.phase is JobPhase.FAILED
    if state.reason or state.message:
        message = state.message
    elif state.phase is JobPhase.RUNNING:
        message = f"{state.active} pod(s) active"
    else:
        message = state.describe()
    return ObjectState(
        key[0],
        key[1],
        key[2],
        Role.JOB,
        found=True,
        ready=state.phase is JobPhase.COMPLETE or (failed and history),
        state=str(state.phase),
        reason=state.reason,
        message=message,
        failed=failed and not history,
    )


def _seen_event(obj: Obj) -> SeenEvent:
    from glmctl.cluster.events import event_from

    involved = obj.get("involvedObject") or {}
    namespace = str(involved.get("namespace") or (obj.get("metadata") or {}).get("namespace") or "")
    event = event_from(obj)
    return SeenEvent(
        kind=str(involved.get("kind") or ""),
        namespace=namespace,
        name=str(involved.get("name") or ""),
        type=event.type,
        reason=event.reason,
        message=event.message,
        count=event.count,
        last_seen=event.last_seen,
    )


def _explain(rows: list[ObjectState]) -> str:
    """The objects in one phrase: each with state and reason; the message too when alone."""
    phrases = []
    for row in rows:
        details = [row.reason] if row.reason else []
        if row.suspended:
            details.append("suspended, resume it to reconcile")
        if len(rows) == 1 and _first_line(row.message):
            details.append(_first_line(row.message))
        detail = ": ".join(details)
        phrases.append(f"{row.kind}/{row.name} {row.state}" + (f" ({detail})" if detail else ""))
    return "; ".join(phrases)


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


# -- the driver -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reset:
    stream: Stream
    items: list[Obj]


@dataclass(frozen=True)
class _Change:
    stream: Stream
    type: str
    object: Obj


@dataclass(frozen=True)
class _Failure:
    error: BaseException


_Message = _Reset | _Change | _Failure


@dataclass
class _Watcher:
    """One list+watch stream in a daemon thread; reconnects and relists by itself."""

    cluster: Cluster
    stream: Stream
    version: str
    inbox: queue.Queue[_Message]
    stop: threading.Event
    deadline: float
    clock: Callable[[], float]
    thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> None:
        self.thread = threading.Thread(
            target=self._run, name=f"monitor-watch {self.stream.describe()}", daemon=True
        )
        self.thread.start()

    def _run(self) -> None:
        from glmctl.cluster.client import WatchExpired

        failures = 0
        while not self.stop.is_set() and self.clock() < self.deadline:
            try:
                events = self._open()
                failures = 0
                for event in events:
                    if event.resource_version:
                        self.version = event.resource_version
                    if event.type != "BOOKMARK":
                        self.inbox.put(_Change(self.stream, event.type, event.object))
                    if self.stop.is_set():
                        return
            except WatchExpired:
                log.debug("watch %s expired; listing again", self.stream.describe())
                if not self._relist():
                    return
            except ClusterUnreachable as error:
                failures += 1
                log.debug("watch %s dropped (%s); reconnecting", self.stream.describe(), error)
                if failures >= RECONNECT_ATTEMPTS:
                    self.inbox.put(_Failure(error))
                    return
                self.stop.wait(min(0.1 * 2 ** (failures - 1), 2.0))
            except Forbidden as error:
                if self.stream.rt.kind != "Event":  # events are optional, the rest is not
                    self.inbox.put(_Failure(error))
                return
            except BaseException as error:  # reported to the driver, which re-raises it
                self.inbox.put(_Failure(error))
                return

    def _open(self) -> Iterable[Any]:
        remaining = self.deadline - self.clock()
        seconds = max(1, min(WATCH_SECONDS, int(remaining + 0.999)))
        return self.cluster.watch(
            self.stream.rt,
            self.stream.namespace,
            label_selector=self.stream.label_selector,
            resource_version=self.version,
            timeout_seconds=seconds,
        )

    def _relist(self) -> bool:
        try:
            listed = list_stream(self.cluster, self.stream)
        except BaseException as error:
            self.inbox.put(_Failure(error))
            return False
        self.version = listed.resource_version
        self.inbox.put(_Reset(self.stream, listed.items))
        return True


def list_stream(cluster: Cluster, stream: Stream) -> Any:
    """One list of ``stream`` with its resourceVersion (a ``ListResult``)."""
    return cluster.list_with_version(
        stream.rt, stream.namespace, label_selector=stream.label_selector
    )


def follow(
    cluster: Cluster,
    targets: MonitorTargets,
    timeout: float,
    on_update: Callable[[MonitorUpdate], None] | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> MonitorOutcome:
    """Follow ``targets`` with watches until READY, FAILED, or ``timeout`` seconds pass.

    Returns the outcome (its ``exit_code`` is 0 / 1 / 4); never raises for a failed or
    timed-out deploy. ``timeout=0`` reads the current state once and does not watch
    (``glmctl monitor --once``); ``math.inf`` waits without limit (``--timeout 0``). When
    the cluster connection has a budget of its own (``Timeouts.total``, the global
    ``--timeout``), the wait ends when that runs out, too.
    Ctrl-C raises :class:`FollowInterrupted` carrying the outcome so far. ``on_update``
    is called from the calling thread after the first read and after every change, with
    all rows, the changed ones and the new events. Cluster errors (unreachable for good,
    forbidden) raise as usual.

    ``glmctl redeploy`` calls this after requesting a reconcile: a pending
    ``reconcile.fluxcd.io/requestedAt`` keeps an object WAITING until handled, so the old
    Ready condition (or the old failure) cannot end the wait early.
    """
    return _Session(cluster, targets, timeout, on_update, clock).run()


class _Session:
    """One call of :func:`follow`: the follower, the watcher threads and their queue."""

    def __init__(
        self,
        cluster: Cluster,
        targets: MonitorTargets,
        timeout: float,
        on_update: Callable[[MonitorUpdate], None] | None,
        clock: Callable[[], float],
    ) -> None:
        self.cluster = cluster
        self.on_update = on_update
        self.clock = clock
        self.started = clock()
        wait = max(0.0, timeout)
        budget = cluster.remaining()  # the connection's own --timeout budget, if any
        if budget is not None and budget < wait:
            wait, timeout = budget, round(budget, 1)
        self.timeout = timeout
        self.deadline = self.started + wait
        self.follower = Follower(targets)
        self.inbox: queue.Queue[_Message] = queue.Queue()
        self.stop = threading.Event()
        self.versions: dict[Stream, str] = {}
        self.watched: set[Stream] = set()
        self.events: list[SeenEvent] = []
        self.previous: dict[str, ObjectState] = {}

    def run(self) -> MonitorOutcome:
        try:
            self.list_new_streams()
            verdict = self.publish()
            self.wait_while(verdict)
        except KeyboardInterrupt:
            raise FollowInterrupted(self.outcome(interrupted=True)) from None
        finally:
            self.stop.set()
        return self.outcome()

    def wait_while(self, verdict: Verdict) -> None:
        """Take changes until the verdict is known or the deadline passes."""
        try:
            while verdict is Verdict.WAITING and self.timeout > 0:
                self.start_watchers()  # only now: a known outcome needs no watch at all
                remaining = self.deadline - self.clock()
                if remaining <= 0:
                    return
                try:
                    message = self.inbox.get(timeout=min(remaining, 1.0))
                except queue.Empty:
                    continue
                for item in _drain(message, self.inbox):
                    self.take(item)
                self.list_new_streams()
                verdict = self.publish()
        except TimedOut:
            # The connection's budget (--timeout) ran out in the middle of a request: that
            # is this wait's own deadline, so it ends as a timed-out wait, with its state.
            if self.clock() < self.deadline:
                raise

    def list_new_streams(self) -> None:
        """List every stream the follower wants and has not seen (dependencies add some)."""
        while True:
            missing = [s for s in self.follower.wanted() if not self.follower.listed(s)]
            if not missing:
                return
            for stream in missing:
                try:
                    listed = list_stream(self.cluster, stream)
                except Forbidden:
                    if stream.rt.kind != "Event":
                        raise
                    # Events are a courtesy: without RBAC for them the verdict is the same.
                    log.debug("may not list events in %s; following without them", stream)
                    self.follower.reset(stream, [], initial=True)
                    continue
                self.follower.reset(stream, listed.items, initial=True)
                self.versions[stream] = listed.resource_version

    def start_watchers(self) -> None:
        for stream, version in self.versions.items():
            if stream not in self.watched:
                self.watched.add(stream)
                _Watcher(
                    self.cluster,
                    stream,
                    version,
                    self.inbox,
                    self.stop,
                    self.deadline,
                    self.clock,
                ).start()

    def take(self, item: _Message) -> None:
        if isinstance(item, _Failure):
            raise item.error
        if isinstance(item, _Reset):
            self.follower.reset(item.stream, item.items)
        else:
            self.follower.apply(item.stream, item.type, item.object)

    def publish(self) -> Verdict:
        """Tell ``on_update`` what changed (if anything did); return the verdict."""
        rows = self.follower.rows()
        changed = tuple(row for row in rows if self.previous.get(row.ref) != row)
        self.previous = {row.ref: row for row in rows}
        fresh = self.follower.take_new_events()
        self.events.extend(fresh)
        verdict, summary = self.follower.verdict()
        if self.on_update is not None and (changed or fresh):
            elapsed = self.clock() - self.started
            self.on_update(MonitorUpdate(rows, changed, fresh, verdict, summary, elapsed))
        return verdict

    def outcome(self, *, interrupted: bool = False) -> MonitorOutcome:
        verdict, summary = self.follower.verdict()
        if interrupted:
            verdict, summary = Verdict.INTERRUPTED, f"Interrupted. {summary}"
        elif verdict is Verdict.WAITING and self.timeout > 0:
            summary = f"Timed out after {_seconds(self.timeout)}. {summary}"
        return MonitorOutcome(
            verdict=verdict,
            summary=summary,
            objects=self.follower.rows(),
            events=tuple(self.events),
            elapsed=self.clock() - self.started,
            timeout=self.timeout,
        )


def _drain(first: _Message, inbox: queue.Queue[_Message]) -> list[_Message]:
    """The message just received and every one already queued behind it."""
    found = [first]
    while True:
        try:
            found.append(inbox.get_nowait())
        except queue.Empty:
            return found


def _seconds(value: float) -> str:
    return f"{value:g} s"


__all__ = [
    "DEFAULT_TIMEOUT_SECONDS",
    "FollowInterrupted",
    "Follower",
    "MonitorOutcome",
    "MonitorTargets",
    "MonitorUpdate",
    "ObjectState",
    "Role",
    "SeenEvent",
    "Stream",
    "Verdict",
    "follow",
]
