"""The recorder: one session run, from scope check to the last committed batch.

It opens (or resumes) the session, starts one reflector per watched kind and the writer in
task groups, and stops on `stop()`, on the duration, or on the first failure. Stopping drains:
reflectors are cancelled first, then the writer commits everything already queued, then the run
row is closed. A resumed session first replays what the store last knew into each reflector, so
the downtime becomes one gap per kind, closed by a relist diff.
"""

import asyncio
import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson
import psutil
import structlog

from stswatch.errors import StoreError, StswatchError, UsageError, WaitTimeoutError, first_failure
from stswatch.kube.api import TRANSIENT_ERRORS
from stswatch.kube.cluster import Cluster
from stswatch.kube.kinds import STATEFUL_SET, WATCHED_KINDS, Kind
from stswatch.record.holder import Holder, host_identity
from stswatch.record.lease import SessionLease
from stswatch.record.permissions import check_permissions
from stswatch.record.records import GapRecord, MarkRecord, Record
from stswatch.record.reflector import (
    DEFAULT_TIMEOUTS,
    Observer,
    PendingGap,
    Reflector,
    WatchEvents,
    WatchTimeouts,
)
from stswatch.record.scope import Membership, NamespaceWorld, RecordScope, StatefulSetWorld
from stswatch.record.writable_store import KnownObject, SessionRow, Store, open_store
from stswatch.record.writer import OnCommit, Writer, WriterClosedError
from stswatch.version import __version__

log = structlog.get_logger(__name__)

# One recorder per session: the run's claim is refreshed with every commit and at least every
# HEARTBEAT_S; a claim not refreshed for STALE_AFTER_S (or whose pid died, on this host) is
# taken over by the next recorder, the downtime becoming a gap.
HEARTBEAT_S = 5.0
_RELEASE_FAILURES: tuple[type[BaseException], ...] = (StswatchError, *TRANSIENT_ERRORS)
STALE_AFTER_S = 30.0


class ScopeMismatchError(UsageError):
    """A session is being resumed with a different scope than it was recorded with."""


@dataclass(frozen=True)
class RecordSummary:
    """What one run of the recorder did."""

    session: str
    run_id: int
    resumed: bool
    previous_run_closed: bool | None  # None: nothing to resume
    changes: int
    relisted: int  # changes recovered by relist diffs (after a 410 or the downtime)
    gaps: int
    marks: int
    seconds: float
    end_reason: str


@dataclass(frozen=True)
class OpeningGap:
    """Why a new session does not begin at the beginning: the stretch before its first list
    (a continuous recorder's previous piece ended, or was pruned), recorded once it is synced."""

    reason: str
    from_wall_ns: int


@dataclass(frozen=True)
class _RunStart:
    session: SessionRow
    run_id: int
    previous_run_closed: bool | None
    reflectors: list[Reflector]


class Recorder:
    """Records one session; `run()` it as a task, `stop()` it, read its summary."""

    def __init__(
        self,
        *,
        cluster: Cluster,
        db_path: Path,
        session: str,
        scope: RecordScope,
        keep_env: bool = False,
        timeouts: WatchTimeouts = DEFAULT_TIMEOUTS,
        kinds: tuple[Kind, ...] = WATCHED_KINDS,
        observer: Observer | None = None,
        holder: Holder | None = None,
        lease: SessionLease | None = None,
        on_commit: OnCommit | None = None,
        watch_events: WatchEvents | None = None,
        resume_reason: str = "recorder down",
        opening_gap: OpeningGap | None = None,
    ) -> None:
        self._cluster = cluster
        self._on_commit = on_commit
        self._watch_events = watch_events
        self._resume_reason = resume_reason
        self._opening_gap = opening_gap
        self._opening_pending = False
        self._db_path = db_path
        self._session = session
        self._scope = scope
        self._keep_env = keep_env
        self._timeouts = timeouts
        self._kinds = kinds
        self._observer = observer
        self._holder = holder or this_process()
        self._lease = lease
        self._stop_requested = asyncio.Event()
        self._stop_reason = "signal"
        self._synced = asyncio.Event()
        self._finished = asyncio.Event()
        self._failure: BaseException | None = None
        self._writer: Writer | None = None
        self.reflectors: list[Reflector] = []

    async def run(self, *, duration: float | None = None) -> RecordSummary:
        """Record until stopped or `duration` seconds have passed; return what was done."""
        started = time.monotonic()
        try:
            await check_permissions(
                self._cluster.api,
                server=self._cluster.server_url,
                scope=self._scope,
                kinds=self._kinds,
                lease_namespace=self._lease.namespace if self._lease is not None else None,
            )
            membership = await self._membership()
            if self._lease is not None:
                await self._lease.acquire()
            try:
                store = await open_store(self._db_path)
                try:
                    return await self._run_in(store, membership, duration=duration, started=started)
                finally:
                    await store.close()
            finally:
                if self._lease is not None:
                    await self._release_lease(self._lease)
        except BaseException as exc:
            self._failure = exc
            raise
        finally:
            self._finished.set()

    async def _release_lease(self, lease: SessionLease) -> None:
        try:
            await lease.release()
        except _RELEASE_FAILURES as exc:
            log.warning("could not release the session's Lease", lease=lease.name, error=str(exc))

    async def wait_synced(self, timeout: float) -> None:  # noqa: ASYNC109 (the agreed API)
        """Return once every reflector has listed and is watching."""
        waiters = {
            asyncio.ensure_future(self._synced.wait()),
            asyncio.ensure_future(self._finished.wait()),
        }
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if self._synced.is_set():
            return
        if self._failure is not None:
            raise self._failure
        if self._finished.is_set():
            raise RuntimeError("the recorder stopped before it was synced")
        raise WaitTimeoutError(f"the recorder was not synced after {timeout:g} s")

    @property
    def synced(self) -> bool:
        """Every reflector has listed and is watching."""
        return self._synced.is_set()

    async def record_gap(self, reason: str, *, from_wall_ns: int, to_wall_ns: int) -> None:
        """Record one gap of every watched kind (such as history pruned); returns once committed."""
        writer = self._running_writer()
        for kind in self._kinds:
            await writer.submit(GapRecord(kind.name, reason, None, None, from_wall_ns, to_wall_ns))
        await writer.flush()

    async def mark(self, label: str, detail: dict[str, Any]) -> None:
        """Record a labelled moment; returns once it is committed."""
        writer = self._running_writer()
        record = MarkRecord(
            label, orjson.dumps(detail).decode(), time.time_ns(), time.monotonic_ns()
        )
        await writer.submit(record)
        await writer.flush()

    async def flush(self) -> None:
        """Return once everything received so far is committed."""
        await self._running_writer().flush()

    def stop(self, *, reason: str = "signal") -> None:
        """Ask the run to stop: it drains, commits and closes, then `run()` returns."""
        self._stop_reason = reason
        self._stop_requested.set()

    def _running_writer(self) -> Writer:
        if self._writer is None:
            raise RuntimeError("the recorder is not running yet")
        return self._writer

    async def _membership(self) -> Membership:
        """Check that the scope exists on the cluster, and decide what belongs to it."""
        namespace = self._scope.namespace
        if namespace is not None:
            await self._cluster.get(
                f"/api/v1/namespaces/{namespace}", what=f"namespace {namespace!r}"
            )
        if self._scope.statefulset is None or namespace is None:
            return NamespaceWorld(namespace=self._scope.list_namespace)
        name = self._scope.statefulset
        statefulset = await self._cluster.get(
            f"{STATEFUL_SET.list_path(namespace=namespace)}/{name}",
            what=f"StatefulSet {name!r} in namespace {namespace!r}",
        )
        return StatefulSetWorld(namespace=namespace, statefulset=statefulset)

    async def _run_in(
        self, store: Store, membership: Membership, *, duration: float | None, started: float
    ) -> RecordSummary:
        start = await self._start(store, membership)
        writer = Writer(
            store,
            session_id=start.session.id,
            run_id=start.run_id,
            holding=True,
            on_commit=self._on_commit,
        )
        self._writer = writer
        self.reflectors = start.reflectors
        reason = "error"
        try:
            reason = await self._record(writer, start.reflectors, duration=duration)
        except BaseException as exc:
            failure = first_failure(exc)
            reason = (
                "cancelled" if isinstance(failure, asyncio.CancelledError) else f"error: {failure}"
            )
            if failure is not exc:
                raise failure from exc
            raise
        finally:
            try:
                await store.end_run(run_id=start.run_id, now_wall_ns=time.time_ns(), reason=reason)
            except StoreError as exc:
                log.error("could not close the run row", error=str(exc))
        tally = writer.tally
        summary = RecordSummary(
            session=self._session,
            run_id=start.run_id,
            resumed=start.session.resumed,
            previous_run_closed=start.previous_run_closed,
            changes=tally.changes,
            relisted=tally.relisted,
            gaps=tally.gaps,
            marks=tally.marks,
            seconds=time.monotonic() - started,
            end_reason=reason,
        )
        log.info("recording stopped", **asdict(summary))
        return summary

    async def _start(self, store: Store, membership: Membership) -> _RunStart:
        """Open or resume the session, start a run row, and build each kind's reflector."""
        now = time.time_ns()
        scope = self._scope.as_json()
        session = await store.begin_session(name=self._session, scope=scope, now_wall_ns=now)
        if session.scope != scope:
            raise ScopeMismatchError(
                f"session {self._session!r} records {session.scope}, not {scope}; "
                "record it with the same scope, or use a new session name"
            )
        run_id = await store.start_run(
            session_id=session.id,
            now_wall_ns=now,
            server_url=self._cluster.server_url,
            server_version=self._cluster.server_version,
            stswatch_version=__version__,
            keep_env=self._keep_env,
            holder=self._holder,
        )
        known: dict[str, list[KnownObject]] = {}
        gaps: dict[str, PendingGap] = {}
        closed: bool | None = None
        if session.resumed:
            previous = await store.previous_run(session_id=session.id, run_id=run_id)
            closed = previous.closed if previous is not None else None
            since = previous.last_wall_ns if previous is not None else now
            for obj in await store.known_objects(session_id=session.id):
                known.setdefault(obj.kind, []).append(obj)
            versions = await store.last_versions(session_id=session.id)
            gaps = {
                k.name: PendingGap(self._resume_reason, versions.get(k.name), since)
                for k in self._kinds
            }
            log.info(
                "resuming session",
                session=self._session,
                previous_run_closed=closed,
                known_objects=sum(len(v) for v in known.values()),
            )
        reflectors = [
            Reflector(
                api=self._cluster.api,
                kind=kind,
                namespace=self._scope.list_namespace,
                sink=self._submit,
                recall=self._recall,
                membership=membership,
                keep_env=self._keep_env,
                timeouts=self._timeouts,
                known=known.get(kind.name),
                pending_gap=gaps.get(kind.name),
                observer=self._observer,
                watch_events=self._watch_events,
            )
            for kind in self._kinds
        ]
        self._opening_pending = not session.resumed and self._opening_gap is not None
        return _RunStart(session, run_id, closed, reflectors)

    async def _submit(self, record: Record) -> None:
        await self._running_writer().submit(record)

    async def _recall(self, uids: Sequence[str]) -> dict[str, str]:
        return await self._running_writer().last_objects(uids)

    async def _record(
        self, writer: Writer, reflectors: list[Reflector], *, duration: float | None
    ) -> str:
        """Run the writer and the reflectors until stopped; drain the writer last."""
        async with asyncio.TaskGroup() as outer:
            outer.create_task(writer.run(), name="writer")
            try:
                async with asyncio.TaskGroup() as watching:
                    tasks = [
                        watching.create_task(r.run(), name=f"reflector {r.kind.name}")
                        for r in reflectors
                    ]
                    tasks.append(watching.create_task(self._announce_synced(reflectors)))
                    tasks.append(watching.create_task(_keep_alive(writer), name="heartbeat"))
                    if self._lease is not None:
                        tasks.append(watching.create_task(self._lease.keep(), name="lease"))
                    reason = await self._until_stopped(duration)
                    for task in tasks:
                        task.cancel()
            finally:
                with contextlib.suppress(WriterClosedError):
                    await self._record_opening_gap()
                    await self._record_open_gaps(reflectors)
                await writer.close()
        return reason

    async def _record_open_gaps(self, reflectors: list[Reflector]) -> None:
        """The gaps no relist closed before the run stopped (a resumed run stopped before every
        kind was listed again, a relist after 410 Gone cut short): each recorded up to now, so
        what its kind did meanwhile is known to be missing, never taken as unchanged."""
        now = time.time_ns()
        for reflector in reflectors:
            gap = reflector.open_gap
            if gap is not None:
                record = GapRecord(
                    reflector.kind.name, gap.reason, gap.from_resource_version, None,
                    gap.from_wall_ns, now,
                )  # fmt: skip
                await self._submit(record)

    async def _record_opening_gap(self) -> None:
        """Once, in a new session with an opening gap: from where the previous piece stopped
        to now (its first list done, or the run stopping before it was)."""
        if not self._opening_pending or self._opening_gap is None:
            return
        self._opening_pending = False
        gap = self._opening_gap
        now = time.time_ns()
        for kind in self._kinds:
            await self._submit(GapRecord(kind.name, gap.reason, None, None, gap.from_wall_ns, now))

    async def _announce_synced(self, reflectors: list[Reflector]) -> None:
        for reflector in reflectors:
            await reflector.synced.wait()
        await self._record_opening_gap()
        self._synced.set()
        log.info("synced: listed every kind, now watching", kinds=len(reflectors))

    async def _until_stopped(self, duration: float | None) -> str:
        try:
            await asyncio.wait_for(self._stop_requested.wait(), timeout=duration)
        except TimeoutError:
            return "duration"
        return self._stop_reason


def this_process() -> Holder:
    """This recorder process, as the holder of the session it records."""
    return Holder(
        host=host_identity(),
        pid=os.getpid(),
        stale_after_ns=int(STALE_AFTER_S * 1e9),
        pid_alive=psutil.pid_exists,
    )


async def _keep_alive(writer: Writer) -> None:
    """Refresh the run's claim on its session while nothing else is committed."""
    while True:
        await asyncio.sleep(HEARTBEAT_S)
        await writer.beat()
