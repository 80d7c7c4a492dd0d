"""The writer: batches follow the load, flush means committed, failures reach the waiters."""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from stswatch.errors import StoreWriteError
from stswatch.record.records import ChangeRecord, MarkRecord
from stswatch.record.writable_store import Store, open_store
from stswatch.record.writer import Writer, WriterClosedError
from stswatch.reports.recording import load_recording

MakeChange = Callable[..., ChangeRecord]
StartSession = Callable[[Store], Awaitable[tuple[int, int]]]


async def test_a_burst_is_written_in_few_batches_and_flush_means_committed(
    tmp_path: Path, make_change: MakeChange, start_session: StartSession
) -> None:
    store = await open_store(tmp_path / "s.db")
    session_id, run_id = await start_session(store)
    writer = Writer(store, session_id=session_id, run_id=run_id, max_batch=500)
    task = asyncio.create_task(writer.run())
    for i in range(1200):
        await writer.submit(make_change(f"redis-{i}"))
    await writer.submit(MarkRecord("burst done", "{}", 1, 1))
    await writer.flush()
    assert writer.tally.changes == 1200
    assert writer.tally.marks == 1
    assert writer.tally.batches <= 4
    await writer.close()
    await asyncio.wait_for(task, 5)
    with pytest.raises(WriterClosedError):
        await writer.submit(make_change())
    await store.close()
    recording = load_recording(tmp_path / "s.db", "s1")
    assert [c.name for c in recording.changes] == [f"redis-{i}" for i in range(1200)]


async def test_the_writer_checkpoints_beside_its_commits_once_a_second(
    tmp_path: Path, make_change: MakeChange, start_session: StartSession
) -> None:
    store = await open_store(tmp_path / "s.db")
    session_id, run_id = await start_session(store)
    seconds = iter(range(10_000))
    writer = Writer(
        store,
        session_id=session_id,
        run_id=run_id,
        clock=lambda: next(seconds) * 1_000_000_000,  # a second passes at each look
    )
    task = asyncio.create_task(writer.run())
    for i in range(5):
        await writer.submit(make_change(f"redis-{i}"))
        await writer.flush()
    await writer.close()
    await asyncio.wait_for(task, 10)
    # One checkpoint at a time: a commit while one runs starts none.
    assert 1 <= writer.tally.checkpoints <= writer.tally.batches == 5
    await store.close()
    recording = load_recording(tmp_path / "s.db", "s1")
    assert [c.name for c in recording.changes] == [f"redis-{i}" for i in range(5)]


async def test_a_writer_on_a_still_clock_never_checkpoints_beside_its_commits(
    tmp_path: Path, make_change: MakeChange, start_session: StartSession
) -> None:
    store = await open_store(tmp_path / "s.db")
    session_id, run_id = await start_session(store)
    writer = Writer(store, session_id=session_id, run_id=run_id, clock=lambda: 7)
    task = asyncio.create_task(writer.run())
    for i in range(5):
        await writer.submit(make_change(f"redis-{i}"))
        await writer.flush()
    await writer.close()
    await asyncio.wait_for(task, 10)
    assert (writer.tally.batches, writer.tally.checkpoints) == (5, 0)
    await store.close()


async def test_close_drains_the_queue(
    tmp_path: Path, make_change: MakeChange, start_session: StartSession
) -> None:
    store = await open_store(tmp_path / "s.db")
    session_id, run_id = await start_session(store)
    writer = Writer(store, session_id=session_id, run_id=run_id)
    for i in range(10):
        await writer.submit(make_change(f"redis-{i}"))
    await writer.close()
    await asyncio.wait_for(writer.run(), 5)
    assert writer.tally.changes == 10
    await store.close()


@pytest.mark.parametrize("waiter", ["flush", "read-back"])
async def test_a_store_failure_reaches_flush_and_the_task(
    tmp_path: Path, make_change: MakeChange, start_session: StartSession, waiter: str
) -> None:
    store = await open_store(tmp_path / "s.db")
    session_id, run_id = await start_session(store)
    pages = (await store._conn.execute_fetchall("PRAGMA page_count"))[0][0]
    await store._conn.execute(f"PRAGMA max_page_count = {pages}")
    writer = Writer(store, session_id=session_id, run_id=run_id)
    task = asyncio.create_task(writer.run())
    for i in range(2000):
        await writer.submit(make_change(f"redis-{i}"))

    async def wait() -> None:
        if waiter == "flush":
            await writer.flush()
        else:
            await writer.last_objects(["uid-redis-0"])

    with pytest.raises(StoreWriteError):
        await wait()
    with pytest.raises(StoreWriteError):
        await task
    with pytest.raises(WriterClosedError):
        await wait()
    await store.close()


async def test_last_objects_reads_back_what_is_still_queued(
    tmp_path: Path, make_change: MakeChange, start_session: StartSession
) -> None:
    store = await open_store(tmp_path / "s.db")
    session_id, run_id = await start_session(store)
    writer = Writer(store, session_id=session_id, run_id=run_id)
    task = asyncio.create_task(writer.run())
    newest = make_change("redis-1", event="MODIFIED", rv="7")
    for change in (make_change("redis-0"), make_change("redis-1"), newest):
        await writer.submit(change)  # queued, not flushed: the read-back commits them first
    found = await writer.last_objects(["uid-redis-1", "uid-redis-0", "uid-never"])
    assert found == {
        "uid-redis-1": newest.object_json,
        "uid-redis-0": make_change("redis-0").object_json,
    }
    assert writer.tally.changes == 3
    await writer.close()
    await asyncio.wait_for(task, 5)
    await store.close()
