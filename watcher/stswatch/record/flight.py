"""The continuous recorder ("flight recorder"): record until stopped, in bounded pieces.

`record --continuous --dir DIR` runs this. In order:

1. the permissions every scope and the Lease need are checked (`check_permissions`) before
   DIR or any store file exists: a missing verb is one error naming it, exit 5;
2. with `--lease-namespace`, the Lease (`SessionLease`, the standard mechanism of Kubernetes
   controllers) is waited for: a standby polls it and is not ready; the holder renews it for as
   long as it records, and stops writing (back to standby) once it cannot;
3. the holder records one piece at a time (`stswatch.record.pieces`): one `Recorder` per scope
   into the piece's store, sessions named after their namespace (`all-namespaces` for -A). A
   piece ends at the end of its period (a UTC day by default) or at its size cap; the next
   begins with a fresh list and, first, a gap per kind (`piece roll`) from the previous
   piece's last write to its own first list, so a roll is never a silent gap. A restarted
   recorder (or a standby taking over the same DIR) resumes the newest piece when it is still
   in its period and under its cap: the downtime is a `recorder down` gap closed by a relist
   diff, so no (uid, resourceVersion) is recorded twice;
4. retention (`--retain`, `--max-size`) deletes whole pieces, oldest first, never the one being
   written; the oldest piece left then holds a `retention` gap per kind (history before it was
   pruned), so a verdict that reaches back into that stretch is inconclusive, never failed;
5. a store that cannot be written (SQLITE_FULL, ENOSPC, an I/O error) ends the piece's runs
   (a transaction is all or nothing: what is committed stays readable); the recorder logs it,
   counts it, lets retention free what it may, waits (1 s doubling to `backoff_max_s`) and
   resumes the piece, the stretch a `disk full` gap. It never exits for it.
"""

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import structlog

from stswatch.errors import (
    ClusterError,
    CorruptStoreError,
    SessionHeldError,
    StoreWriteError,
    StswatchError,
)
from stswatch.kube.api import TRANSIENT_ERRORS
from stswatch.kube.cluster import Cluster
from stswatch.kube.kinds import WATCHED_KINDS, Kind
from stswatch.record.holder import Holder, host_identity
from stswatch.record.lease import LEASE_DURATION_S, SessionLease
from stswatch.record.metrics import FlightMetrics
from stswatch.record.permissions import check_permissions
from stswatch.record.pieces import (
    DAY_S,
    Piece,
    delete_piece,
    list_pieces,
    may_resume,
    new_piece,
    roll_reason,
    to_prune,
)
from stswatch.record.recorder import STALE_AFTER_S, OpeningGap, Recorder, RecordSummary
from stswatch.record.reflector import DEFAULT_TIMEOUTS, WatchTimeouts
from stswatch.record.scope import RecordScope
from stswatch.record.writable_store import open_store

log = structlog.get_logger(__name__)

DEFAULT_PIECE_BYTES = 256 * 2**20
_WAITABLE: tuple[type[BaseException], ...] = (ClusterError, *TRANSIENT_ERRORS)
_RELEASE_FAILURES: tuple[type[BaseException], ...] = (StswatchError, *TRANSIENT_ERRORS)
LEASE_NAME = "stswatch-recorder"


@dataclass(frozen=True)
class FlightConfig:
    """What `record --continuous` was asked for."""

    directory: Path
    scopes: tuple[RecordScope, ...]
    retain_s: float | None = None
    max_bytes: int | None = None
    piece_every_s: float = DAY_S
    piece_bytes: int = DEFAULT_PIECE_BYTES
    lease_namespace: str | None = None
    lease_name: str = LEASE_NAME
    lease_duration_s: int = LEASE_DURATION_S
    keep_env: bool = False
    timeouts: WatchTimeouts = DEFAULT_TIMEOUTS
    kinds: tuple[Kind, ...] = WATCHED_KINDS
    check_every_s: float = 1.0
    retention_every_s: float = 30.0
    backoff_max_s: float = 60.0
    duration_s: float | None = None


@dataclass
class FlightSummary:
    """What one continuous recorder process did."""

    pieces: list[str] = field(default_factory=list)
    runs: list[RecordSummary] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    unwritable: int = 0
    handovers: int = 0
    end_reason: str = "signal"


def session_name(scope: RecordScope) -> str:
    """A piece's session for `scope`: its namespace, or `all-namespaces`."""
    return "all-namespaces" if scope.all_namespaces else str(scope.namespace)


class _LeaseLost(Exception):
    """The Lease could not be renewed, or another replica took it."""


class FlightRecorder:
    """Records continuously until `stop()`; `run()` it once."""

    def __init__(
        self,
        *,
        cluster: Cluster,
        config: FlightConfig,
        metrics: FlightMetrics | None = None,
        identity: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._cluster = cluster
        self._config = config
        self.metrics = metrics or FlightMetrics()
        self._identity = identity or f"{socket.gethostname()}/{os.getpid()}"
        self._clock = clock
        self._stopping = asyncio.Event()
        self._stop_reason = "signal"
        self._holding = False
        self._recorders: list[Recorder] = []
        self._current: Piece | None = None
        self._resume_reason = "recorder down"
        self._writing = False
        self.summary = FlightSummary()
        self.metrics.store_bytes.set_function(self._store_bytes)
        self.metrics.pieces.set_function(lambda: len(list_pieces(self._config.directory)))

    @property
    def ready(self) -> bool:
        """Holding the Lease (or none asked for), writing, and every watch synced."""
        recorders = self._recorders
        return (
            self._holding and bool(recorders) and all(r.synced for r in recorders) and self._writing
        )

    def _store_bytes(self) -> float:
        return float(sum(p.size() for p in list_pieces(self._config.directory)))

    @property
    def current_piece(self) -> Path | None:
        """The piece being written, if any."""
        return self._current.path if self._current is not None else None

    def stop(self, *, reason: str = "signal") -> None:
        """Ask the recorder to stop: the piece's runs drain and close, the Lease is released."""
        self._stop_reason = reason
        self._stopping.set()

    async def run(self) -> FlightSummary:
        """Check permissions, then hold the Lease and record pieces until stopped."""
        cfg = self._config
        for scope in cfg.scopes:
            await check_permissions(
                self._cluster.api,
                server=self._cluster.server_url,
                scope=scope,
                kinds=cfg.kinds,
                lease_namespace=cfg.lease_namespace,
            )
        for scope in cfg.scopes:
            if scope.namespace is not None:  # exit 4 for a namespace that is not there, first
                await self._cluster.get(
                    f"/api/v1/namespaces/{scope.namespace}", what=f"namespace {scope.namespace!r}"
                )
        cfg.directory.mkdir(parents=True, exist_ok=True)
        lease = (
            SessionLease(
                self._cluster.api,
                namespace=cfg.lease_namespace,
                session=cfg.lease_name,
                identity=self._identity,
                name=cfg.lease_name,
                duration_s=cfg.lease_duration_s,
            )
            if cfg.lease_namespace is not None
            else None
        )
        deadline = None if cfg.duration_s is None else time.monotonic() + cfg.duration_s
        stopper = asyncio.create_task(self._stop_at(deadline))
        try:
            while not self._stopping.is_set():
                if lease is not None and not await self._acquire(lease):
                    break
                try:
                    await self._hold(lease)
                except (_LeaseLost, SessionHeldError) as exc:
                    log.warning("not the recorder any more: standing by", reason=str(exc))
                    self.summary.handovers += 1
                    await self._pause(min(5.0, cfg.lease_duration_s / 3))
                finally:
                    self._holding = False
                    self.metrics.lease_holder.set(0)
                    if lease is not None:
                        await _release(lease)
        finally:
            stopper.cancel()
        self.summary.end_reason = self._stop_reason
        log.info(
            "continuous recording stopped",
            pieces=len(self.summary.pieces),
            pruned=len(self.summary.pruned),
            unwritable=self.summary.unwritable,
            reason=self._stop_reason,
        )
        return self.summary

    async def _stop_at(self, deadline: float | None) -> None:
        if deadline is None:
            return
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
        self.stop(reason="duration")

    async def _pause(self, seconds: float) -> None:
        """Sleep `seconds`, or less if a stop is asked for."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _acquire(self, lease: SessionLease) -> bool:
        """Wait as a standby until this replica holds the Lease; False: stopped first."""
        waiting_logged = False
        poll = max(1.0, lease.duration_s / 10)
        while not self._stopping.is_set():
            try:
                await lease.acquire()
            except SessionHeldError as exc:
                if not waiting_logged:
                    log.info("standby: another recorder holds the Lease", holder=str(exc))
                    waiting_logged = True
            except _WAITABLE as exc:
                log.warning("could not read the Lease; trying again", error=str(exc))
            else:
                log.info("holding the Lease: recording", lease=f"{lease.namespace}/{lease.name}")
                self._holding = True
                self.metrics.lease_holder.set(1)
                return True
            await self._pause(poll)
        return False

    async def _hold(self, lease: SessionLease | None) -> None:
        """Record pieces while the Lease is held; _LeaseLost when it is not any more."""
        if lease is None:
            self._holding = True
            self.metrics.lease_holder.set(1)
            await self._pieces(lost=asyncio.Event())
            return
        lost = asyncio.Event()
        keeper = asyncio.create_task(lease.keep(), name="lease")
        keeper.add_done_callback(lambda _: lost.set())
        try:
            await self._pieces(lost=lost)
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                failure = await asyncio.gather(keeper, return_exceptions=True)
                if lost.is_set() and isinstance(failure[0], SessionHeldError):
                    raise _LeaseLost(str(failure[0]))

    def _holder(self) -> Holder:
        """This process as a session's holder. With a Lease, the Lease decides who records, so
        an earlier claim in the store is taken over at once; without, the usual rules hold, but
        a claim by this very pid is an earlier run of this process (a piece whose close failed
        on a full disk), never a live recorder."""
        me = os.getpid()
        stale = 1 if self._config.lease_namespace is not None else int(STALE_AFTER_S * 1e9)
        return Holder(
            host=host_identity(),
            pid=me,
            stale_after_ns=stale,
            pid_alive=lambda pid: pid != me and psutil.pid_exists(pid),
        )

    async def _pieces(self, *, lost: asyncio.Event) -> None:
        """Record piece after piece until stopped or the Lease is lost."""
        cfg = self._config
        backoff = 1.0
        opening: OpeningGap | None = None
        while not self._stopping.is_set() and not lost.is_set():
            # Between pieces, before choosing: the newest piece (resumed, or the one the next
            # continues) is kept; the oldest left is told of what went while nothing writes it.
            existing = list_pieces(cfg.directory)
            await self._prune(existing[-1].path if existing else None)
            piece, opening = self._choose_piece(opening)
            self._current = piece
            if piece.name not in self.summary.pieces:
                self.summary.pieces.append(piece.name)
            outcome, failures = await self._record_piece(piece, opening, lost=lost)
            unwritable = [f for f in failures if isinstance(f, StoreWriteError)]
            held = [f for f in failures if isinstance(f, SessionHeldError)]
            unreachable = [f for f in failures if _unreachable(f)]
            others = [f for f in failures if f not in (*unwritable, *held, *unreachable)]
            if others:
                raise others[0]
            if held:
                raise held[0]
            if unreachable and not unwritable:
                # The API server restarting, say: wait and resume, the downtime a gap.
                log.warning(
                    "the cluster did not answer: the piece's runs ended; trying again",
                    piece=piece.name,
                    error=str(unreachable[0]),
                    retry_in_s=backoff,
                )
                await self._pause(backoff)
                backoff = min(backoff * 2, cfg.backoff_max_s)
                opening = None
                continue
            if unwritable:
                self._writing = False
                self.metrics.writing.set(0)
                self.metrics.store_unwritable.inc()
                self.summary.unwritable += 1
                log.error(
                    "the store cannot be written (disk full?): writing stopped, what is "
                    "committed is intact; trying again",
                    piece=piece.name,
                    error=str(unwritable[0]),
                    retry_in_s=backoff,
                )
                self._resume_reason = "disk full: the store could not be written"
                await self._prune(piece.path)
                await self._pause(backoff)
                backoff = min(backoff * 2, cfg.backoff_max_s)
                opening = None  # the same piece resumes (or, over its cap, the next begins)
                continue
            backoff = 1.0
            self._resume_reason = "recorder down"
            if outcome == "corrupt":
                opening = OpeningGap(
                    f"piece roll: {piece.name} could not be read", int(self._clock() * 1e9)
                )
            elif outcome == "roll":
                opening = OpeningGap(
                    f"piece roll: earlier history in {piece.name}",
                    int(piece.last_written_s() * 1e9),
                )
        self._current = None

    def _choose_piece(self, opening: OpeningGap | None) -> tuple[Piece, OpeningGap | None]:
        """The newest piece when it may be resumed, else a new one (opening with a roll gap)."""
        cfg = self._config
        now = self._clock()
        pieces = list_pieces(cfg.directory)
        if opening is None and pieces:
            newest = pieces[-1]
            if may_resume(newest, now_s=now, every_s=cfg.piece_every_s, max_bytes=cfg.piece_bytes):
                return newest, None
            opening = OpeningGap(
                f"piece roll: earlier history in {newest.name}",
                int(newest.last_written_s() * 1e9),
            )
        return new_piece(cfg.directory, now), opening

    async def _record_piece(
        self, piece: Piece, opening: OpeningGap | None, *, lost: asyncio.Event
    ) -> tuple[str, list[BaseException]]:
        """One run per scope into `piece` until it rolls, stops or fails."""
        cfg = self._config
        try:
            # Created and migrated once, before the runs (one per scope) open it side by side.
            await (await open_store(piece.path)).close()
        except StoreWriteError as exc:
            return "failed", [exc]
        except CorruptStoreError as exc:
            # Never a crash loop on a damaged piece, never a user's file destroyed: left as it
            # is, and the recording goes on in a new piece.
            log.error(
                "a piece cannot be read: left as it is, recording on in a new one",
                piece=piece.name,
                error=str(exc),
            )
            return "corrupt", []
        recorders = [
            Recorder(
                cluster=self._cluster,
                db_path=piece.path,
                session=session_name(scope),
                scope=scope,
                keep_env=cfg.keep_env,
                timeouts=cfg.timeouts,
                kinds=cfg.kinds,
                holder=self._holder(),
                on_commit=self.metrics.committed,
                watch_events=self.metrics.watch_event,
                resume_reason=self._resume_reason,
                opening_gap=opening,
            )
            for scope in cfg.scopes
        ]
        self._recorders = recorders
        tasks = [asyncio.create_task(r.run(), name=f"piece {piece.name}") for r in recorders]
        log.info("recording piece", piece=piece.name, sessions=len(recorders))
        outcome = "signal"
        next_retention = time.monotonic() + cfg.retention_every_s
        try:
            while True:
                if self._stopping.is_set():
                    outcome = self._stop_reason
                    break
                if lost.is_set():
                    outcome = "lease lost"
                    break
                if any(t.done() for t in tasks):
                    outcome = "failed"
                    break
                if not self._writing and all(r.synced for r in recorders):
                    # Writing again (after a full disk: once a retry got as far as its lists).
                    self._writing = True
                    self.metrics.writing.set(1)
                now = self._clock()
                why = roll_reason(
                    piece, now_s=now, every_s=cfg.piece_every_s, max_bytes=cfg.piece_bytes
                )
                if why is not None and all(r.synced for r in recorders):
                    self.metrics.rolls.labels(why).inc()
                    log.info("piece complete: rolling", piece=piece.name, cause=why)
                    outcome = "roll"
                    break
                over = cfg.max_bytes is not None and self._store_bytes() > cfg.max_bytes
                if over or time.monotonic() >= next_retention:
                    next_retention = time.monotonic() + cfg.retention_every_s
                    await self._prune(piece.path)
                waiters = [asyncio.ensure_future(self._stopping.wait())]
                waiters.append(asyncio.ensure_future(lost.wait()))
                await asyncio.wait(
                    [*waiters, *tasks],
                    timeout=cfg.check_every_s,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for waiter in waiters:
                    waiter.cancel()
        finally:
            for recorder in recorders:
                recorder.stop(reason=outcome)
            results = await asyncio.gather(*tasks, return_exceptions=True)
            self._recorders = []
        failures: list[BaseException] = []
        for result in results:
            if isinstance(result, RecordSummary):
                self.summary.runs.append(result)
            elif isinstance(result, asyncio.CancelledError):
                raise result
            else:
                failures.append(result)
        return outcome, failures

    async def _prune(self, keep: Path | None) -> None:
        """Delete what retention says (whole oldest pieces, never `keep`, the piece being
        written or about to be); the oldest piece left then says history before it is gone."""
        cfg = self._config
        if cfg.retain_s is None and cfg.max_bytes is None:
            return
        pieces = list_pieces(cfg.directory)
        now = self._clock()
        doomed = to_prune(
            pieces, current=keep, now_s=now, retain_s=cfg.retain_s, max_bytes=cfg.max_bytes
        )
        if not doomed:
            return
        aged = to_prune(pieces, current=keep, now_s=now, retain_s=cfg.retain_s, max_bytes=None)
        for piece in doomed:
            cause = "age" if piece in aged else "size"
            freed = delete_piece(piece)
            self.metrics.retention_deletions.labels(cause).inc()
            self.metrics.retention_bytes.inc(freed)
            self.summary.pruned.append(piece.name)
            log.info("retention deleted a piece", piece=piece.name, cause=cause, freed_bytes=freed)
        left = [p for p in pieces if p not in doomed]
        if not left:
            return
        oldest = left[0]
        reason = (
            f"retention: history before this piece was pruned ({len(doomed)} pieces, "
            f"the last {doomed[-1].name})"
        )
        since = int(doomed[0].start_s * 1e9)
        until = int(oldest.start_s * 1e9)
        try:
            if oldest.path == keep and self._recorders:
                for recorder in self._recorders:
                    await recorder.record_gap(reason, from_wall_ns=since, to_wall_ns=until)
            else:
                await _append_gaps(oldest.path, reason, since, until, self._config.kinds)
        except (StswatchError, RuntimeError) as exc:
            log.warning("could not record the pruning in the oldest piece", error=str(exc))


async def _append_gaps(
    path: Path, reason: str, since: int, until: int, kinds: tuple[Kind, ...]
) -> None:
    """Add one gap per kind to every session of a closed piece, in its last run."""
    store = await open_store(path)
    try:
        names = [k.name for k in kinds]
        await store.append_gaps(reason=reason, from_wall_ns=since, to_wall_ns=until, kinds=names)
    finally:
        await store.close()


def _unreachable(failure: BaseException) -> bool:
    """A failure waiting can fix: the API server did not answer, or answered 5xx."""
    return isinstance(failure, _WAITABLE)


async def _release(lease: SessionLease) -> None:
    try:
        await lease.release()
    except _RELEASE_FAILURES as exc:
        log.warning("could not release the Lease", lease=lease.name, error=str(exc))
