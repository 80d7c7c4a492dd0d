"""The writer: the one task that owns the store while recording, committing records in batches.

Reflectors `submit` records into a bounded queue (a full queue pushes back on the watch
streams instead of growing without end). The writer takes whatever has accumulated, up to
`max_batch`, and commits it in one transaction, so the batch size follows the load: one row
when the cluster is quiet, thousands during a storm. `flush` returns once everything submitted
before it is committed.

Once a second (`CHECKPOINT_EVERY_NS`) after a commit, the writer starts a checkpoint beside it
(`Store.checkpoint`: the WAL copied into the database file, with its fsyncs, off the commit
path) and goes on committing; one runs at a time, the next at once after one that could not
copy the whole WAL (commits came meanwhile), and a failed one fails the writer as a failed
write does.

`last_objects` reads recorded objects back (a relist's unseen deletions need the last state of
objects the reflectors keep only a digest of). It is asked through the queue, not on a second
connection: the queue is first in, first out, so every change submitted before the question is
committed before it is answered, including those still waiting in the queue when it was asked,
and the connection keeps one owner.
"""

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from stswatch.record.records import ChangeRecord, GapRecord, MarkRecord, Record
from stswatch.record.writable_store import Store


@dataclass(frozen=True)
class _Flush:
    done: asyncio.Future[None] = field(compare=False)


@dataclass(frozen=True)
class _Recall:
    uids: tuple[str, ...]
    done: asyncio.Future[dict[str, str]] = field(compare=False)


@dataclass(frozen=True)
class _Close:
    pass


@dataclass(frozen=True)
class _Beat:
    pass


# Told of each committed batch: its changes, its gaps, and when it was committed (wall ns).
OnCommit = Callable[[Sequence[ChangeRecord], Sequence[GapRecord], int], None]
_Item = Record | _Flush | _Recall | _Close | _Beat
_YIELD_EVERY = 50  # records between chances for the writer to run (see `Writer.submit`)
CHECKPOINT_EVERY_NS = 1_000_000_000  # between background checkpoints, while commits come


@dataclass
class WriterTally:
    """What the writer committed so far in this run."""

    changes: int = 0
    relisted: int = 0
    gaps: int = 0
    marks: int = 0
    batches: int = 0
    checkpoints: int = 0  # background checkpoints finished


class WriterClosedError(RuntimeError):
    """A record or flush arrived after the writer stopped."""


class Writer:
    """Commits submitted records in batched transactions; run `run()` as one task."""

    def __init__(
        self,
        store: Store,
        *,
        session_id: int,
        run_id: int,
        max_batch: int = 2000,
        queue_size: int = 20_000,
        clock: Callable[[], int] = time.time_ns,
        holding: bool = False,
        on_commit: OnCommit | None = None,
    ) -> None:
        self._store = store
        self._on_commit = on_commit
        self._holding = holding
        self._session_id = session_id
        self._run_id = run_id
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=queue_size)
        self._clock = clock
        self._stopped = False
        self._submitted = 0
        self._failure: BaseException | None = None
        self._checkpoint: asyncio.Task[bool] | None = None
        self._checkpointed_ns = clock()
        self._behind = False  # the last checkpoint left part of the WAL uncopied
        self.tally = WriterTally()

    @property
    def backlog(self) -> int:
        """Records waiting to be written."""
        return self._queue.qsize()

    async def submit(self, record: Record) -> None:
        """Queue one record; waits while the queue is full.

        A producer that has no other reason to wait (lines already buffered, a page of a list)
        lets the writer run every `_YIELD_EVERY` records once a full batch waits: the writer
        then commits in its thread while the producer decodes, instead of after it.
        """
        self._check_open()
        try:
            self._queue.put_nowait(record)  # the common case, without a coroutine per record
        except asyncio.QueueFull:
            await self._queue.put(record)
            return
        self._submitted += 1
        if self._submitted % _YIELD_EVERY == 0 and self._queue.qsize() >= self._max_batch:
            await asyncio.sleep(0)

    async def flush(self) -> None:
        """Return once everything submitted before this call is committed."""
        self._check_open()
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Flush(done))
        await done

    async def last_objects(self, uids: Sequence[str]) -> dict[str, str]:
        """The newest recorded object JSON of each of `uids` in the session, by uid.

        Everything submitted before this call is committed first, so a change still in the
        queue is read back too. A uid never submitted in the session is missing from the answer.
        """
        self._check_open()
        done: asyncio.Future[dict[str, str]] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Recall(tuple(uids), done))
        return await done

    async def beat(self) -> None:
        """Prove the run alive: refresh its claim on the session even when nothing changes."""
        self._check_open()
        await self._queue.put(_Beat())

    async def close(self) -> None:
        """Ask the writer to commit what is queued and stop."""
        if not self._stopped:
            self._stopped = True
            await self._queue.put(_Close())

    async def run(self) -> None:
        """Write batches until closed; on a store failure, fail pending flushes and raise."""
        batch: list[_Item] = []
        try:
            while True:
                batch = [await self._queue.get()]
                # A read-back ends the batch: it is answered once all before it is committed.
                while (
                    len(batch) < self._max_batch
                    and not self._queue.empty()
                    and not isinstance(batch[-1], _Recall)
                ):
                    batch.append(self._queue.get_nowait())
                if await self._write(batch):
                    break
            if self._checkpoint is not None:
                await asyncio.wait([self._checkpoint])
                self._checkpoint_done()
        except BaseException as exc:
            self._stopped = True
            self._failure = exc
            self._fail_pending(exc, batch)
            raise
        finally:
            # The store may close once this returns: never with a checkpoint still running.
            if self._checkpoint is not None and not self._checkpoint.done():
                await asyncio.wait([self._checkpoint])

    def _checkpoint_after(self, committed_ns: int) -> None:
        """Start a background checkpoint if none runs, and the last began long enough ago or
        left part of the WAL uncopied."""
        if self._checkpoint is not None:
            if not self._checkpoint.done():
                return
            self._checkpoint_done()
        if self._behind or committed_ns - self._checkpointed_ns >= CHECKPOINT_EVERY_NS:
            self._checkpointed_ns = committed_ns
            self._checkpoint = asyncio.create_task(self._store.checkpoint(), name="checkpoint")

    def _checkpoint_done(self) -> None:
        """Count the finished checkpoint; raise its failure (the writer fails with it)."""
        task, self._checkpoint = self._checkpoint, None
        if task is not None:
            self._behind = not task.result()
            self.tally.checkpoints += 1

    def _check_open(self) -> None:
        if self._failure is not None:
            raise WriterClosedError(f"the writer failed: {self._failure}") from self._failure
        if self._stopped:
            raise WriterClosedError("the writer is closed")

    async def _write(self, batch: list[_Item]) -> bool:
        changes: list[ChangeRecord] = []
        gaps: list[GapRecord] = []
        marks: list[MarkRecord] = []
        waiting: list[_Flush] = []
        recalls: list[_Recall] = []
        closing = beat = False
        for item in batch:
            if isinstance(item, ChangeRecord):
                changes.append(item)
            elif isinstance(item, GapRecord):
                gaps.append(item)
            elif isinstance(item, MarkRecord):
                marks.append(item)
            elif isinstance(item, _Flush):
                waiting.append(item)
            elif isinstance(item, _Recall):
                recalls.append(item)
            elif isinstance(item, _Beat):
                beat = True
            else:
                closing = True
        if changes or gaps or marks or (beat and self._holding):
            written = self._clock()
            await self._store.write_batch(
                session_id=self._session_id,
                run_id=self._run_id,
                written_wall_ns=written,
                changes=changes,
                gaps=gaps,
                marks=marks,
                holding=self._holding,
            )
            self.tally.changes += len(changes)
            self.tally.relisted += sum(1 for c in changes if c.observed == "relist")
            self.tally.gaps += len(gaps)
            self.tally.marks += len(marks)
            self.tally.batches += 1 if changes or gaps or marks else 0
            if self._on_commit is not None and (changes or gaps):
                self._on_commit(changes, gaps, written)
            self._checkpoint_after(written)
        for flush in waiting:
            if not flush.done.done():
                flush.done.set_result(None)
        for recall in recalls:
            found = await self._store.last_objects(session_id=self._session_id, uids=recall.uids)
            if not recall.done.done():
                recall.done.set_result(found)
        return closing

    def _fail_pending(self, exc: BaseException, batch: list[_Item]) -> None:
        error = exc if isinstance(exc, Exception) else WriterClosedError("the writer stopped")
        while not self._queue.empty():
            batch.append(self._queue.get_nowait())
        for item in batch:
            if isinstance(item, _Flush | _Recall) and not item.done.done():
                item.done.set_exception(error)
