"""The store: migrations, refusals that leave files untouched, batched writes the loader reads."""

import os
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from stswatch.errors import CorruptStoreError, SchemaTooNewError, StoreWriteError
from stswatch.record.records import ChangeRecord, GapRecord, MarkRecord, object_digest
from stswatch.record.writable_store import Store, open_store
from stswatch.reports.recording import load_recording
from stswatch.store_contract import CHANGE_COLUMNS, SCHEMA_VERSION

MakeChange = Callable[..., ChangeRecord]
StartSession = Callable[[Store], Awaitable[tuple[int, int]]]


async def test_new_store_is_migrated_in_wal_mode(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "s.db")
    await store.close()
    conn = sqlite3.connect(tmp_path / "s.db")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"session", "run", "change", "gap", "mark"} <= tables
    conn.close()
    # Opening again applies nothing twice.
    store = await open_store(tmp_path / "s.db")
    await store.close()


async def test_written_rows_load_through_the_reading_side(
    tmp_path: Path, make_change: MakeChange, start_session: StartSession
) -> None:
    path = tmp_path / "s.db"
    store = await open_store(path)
    session_id, run_id = await start_session(store)
    gap = GapRecord("Pod", "410 Gone", "5", "9", 10, 20)
    mark = MarkRecord("scale to 3", '{"replicas": 3}', 30, 31)
    await store.write_batch(
        session_id=session_id,
        run_id=run_id,
        written_wall_ns=99,
        changes=[make_change(), make_change(event="MODIFIED", rv="2")],
        gaps=[gap],
        marks=[mark],
    )
    await store.end_run(run_id=run_id, now_wall_ns=100, reason="duration")
    known = await store.known_objects(session_id=session_id)
    assert [(k.name, k.resource_version) for k in known] == [("redis-0", "2")]
    assert await store.last_versions(session_id=session_id) == {"Pod": "2"}
    await store.close()

    recording = load_recording(path, "s1")
    assert [c.event for c in recording.changes] == ["ADDED", "MODIFIED"]
    assert recording.changes[0].object["metadata"]["name"] == "redis-0"
    assert recording.changes[0].written_wall_ns == 99
    assert recording.gaps[0].from_resource_version == "5"
    assert recording.marks[0].detail == {"replicas": 3}
    assert recording.runs[0].end_reason == "duration"


def _changes_in_the_database_file_alone(path: Path, copy: Path) -> int:
    """The changes a copy of the database file holds without its WAL: what checkpoints copied."""
    shutil.copyfile(path, copy)
    conn = sqlite3.connect(copy)
    try:
        return int(conn.execute("SELECT count(*) FROM change").fetchone()[0])
    finally:
        conn.close()
        copy.unlink()


async def test_a_checkpoint_copies_the_commits_into_the_database_file_beside_the_writer(
    tmp_path: Path, make_change: MakeChange, start_session: StartSession
) -> None:
    path = tmp_path / "s.db"
    store = await open_store(path)
    session_id, run_id = await start_session(store)
    assert await store.checkpoint()  # the schema and the session into the file
    changes = [make_change(f"redis-{i}") for i in range(3)]
    await store.write_batch(
        session_id=session_id, run_id=run_id, written_wall_ns=99, changes=changes
    )
    # The writer's own automatic checkpoint waits for far more WAL than one batch.
    assert _changes_in_the_database_file_alone(path, tmp_path / "copy.db") == 0
    assert await store.checkpoint()  # the whole WAL copied: the next commit starts it over
    assert _changes_in_the_database_file_alone(path, tmp_path / "copy.db") == 3
    await store.write_batch(
        session_id=session_id, run_id=run_id, written_wall_ns=100, changes=[make_change("web-0")]
    )
    await store.close()
    assert not path.with_name("s.db-wal").exists()  # the writer's connection closed last
    assert [c.name for c in load_recording(path, "s1").changes] == [
        "redis-0",
        "redis-1",
        "redis-2",
        "web-0",
    ]


async def test_the_known_state_is_a_digest_and_the_object_is_read_back(
    tmp_path: Path, make_change: MakeChange, start_session: StartSession
) -> None:
    store = await open_store(tmp_path / "s.db")
    session_id, run_id = await start_session(store)
    first, newest = make_change(), make_change(event="MODIFIED", rv="2")
    gone = make_change("redis-1")
    await store.write_batch(
        session_id=session_id,
        run_id=run_id,
        written_wall_ns=1,
        changes=[first, gone, newest, make_change("redis-1", event="DELETED", rv="3")],
    )
    [known] = await store.known_objects(session_id=session_id)
    assert (known.uid, known.resource_version) == ("uid-redis-0", "2")
    assert known.digest == object_digest(newest.object_json.encode())
    assert known.digest != object_digest(first.object_json.encode())
    found = await store.last_objects(session_id=session_id, uids=["uid-redis-0", "uid-nope"])
    assert found == {"uid-redis-0": newest.object_json}
    await store.close()


def test_a_change_record_is_the_change_columns_a_batch_does_not_share_in_order() -> None:
    # A batch binds each ChangeRecord as it is, beside the session, run and write time.
    fields = ["object" if f == "object_json" else f for f in ChangeRecord._fields]
    assert fields == [
        c for c in CHANGE_COLUMNS if c not in ("session_id", "run_id", "written_wall_ns")
    ]


@pytest.mark.parametrize("count", [1, 3, 1024, 1025, 2345])
async def test_a_batch_keeps_every_change_in_submit_order_and_nothing_more(
    tmp_path: Path, make_change: MakeChange, start_session: StartSession, count: int
) -> None:
    # A statement holds a power of two rows or 2,000, the rest NULL: 3 rows go in a statement of
    # 4, 2,345 in one of 2,000 and one of 512. Ids must follow the input, and no NULL row is kept.
    path = tmp_path / "s.db"
    store = await open_store(path)
    session_id, run_id = await start_session(store)
    names = [f"redis-{i}" for i in range(count)]
    await store.write_batch(
        session_id=session_id,
        run_id=run_id,
        written_wall_ns=7,
        changes=[make_change(name, rv=str(i)) for i, name in enumerate(names)],
    )
    await store.close()
    changes = load_recording(path, "s1").changes
    assert [c.name for c in changes] == names
    assert [c.resource_version for c in changes] == [str(i) for i in range(count)]
    assert {(c.written_wall_ns, c.observed, c.event) for c in changes} == {(7, "watch", "ADDED")}
    assert changes[-1].object["metadata"]["uid"] == f"uid-redis-{count - 1}"
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*), min(session_id), max(run_id) FROM change").fetchone() == (
        count,
        session_id,
        run_id,
    )
    conn.close()


async def test_resuming_a_session_reuses_it_and_reports_the_killed_run(
    tmp_path: Path, start_session: StartSession
) -> None:
    store = await open_store(tmp_path / "s.db")
    session_id, run_id = await start_session(store)
    await store.write_batch(session_id=session_id, run_id=run_id, written_wall_ns=1, changes=[])
    again = await store.begin_session(name="s1", scope={}, now_wall_ns=5)
    assert again.resumed
    assert again.id == session_id
    assert again.scope == {"namespace": "lab"}
    _, second = await start_session(store)
    previous = await store.previous_run(session_id=session_id, run_id=second)
    assert previous is not None
    assert not previous.closed
    assert previous.last_wall_ns == 2  # no activity: its start
    await store.close()


async def test_newer_schema_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    path = tmp_path / "newer.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNewError, match="newer"):
        await open_store(path)
    assert path.read_bytes() == before
    assert not (tmp_path / "newer.db-wal").exists()


async def test_corrupt_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    before = path.read_bytes()
    with pytest.raises(CorruptStoreError):
        await open_store(path)
    assert path.read_bytes() == before


async def test_damaged_pages_are_reported_as_corrupt(
    tmp_path: Path, make_change: MakeChange, start_session: StartSession
) -> None:
    path = tmp_path / "damaged.db"
    store = await open_store(path)
    session_id, run_id = await start_session(store)
    await store.write_batch(
        session_id=session_id,
        run_id=run_id,
        written_wall_ns=1,
        changes=[make_change(f"redis-{i}") for i in range(200)],
    )
    await store.close()
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")  # the header says the page size
    data[page : page * 3] = os.urandom(page * 2)  # scribble over table and index pages
    path.write_bytes(bytes(data))
    before = path.read_bytes()
    with pytest.raises(CorruptStoreError):
        await open_store(path)
    assert path.read_bytes() == before


async def test_unwritable_location_is_a_store_write_error(tmp_path: Path) -> None:
    with pytest.raises(StoreWriteError):
        await open_store(tmp_path / "missing-dir" / "s.db")


async def test_full_disk_fails_the_batch_and_keeps_what_was_committed(
    tmp_path: Path, make_change: MakeChange, start_session: StartSession
) -> None:
    path = tmp_path / "s.db"
    store = await open_store(path)
    session_id, run_id = await start_session(store)
    await store.write_batch(
        session_id=session_id, run_id=run_id, written_wall_ns=1, changes=[make_change("kept")]
    )
    pages = (await store._conn.execute_fetchall("PRAGMA page_count"))[0][0]
    await store._conn.execute(f"PRAGMA max_page_count = {pages}")
    big = [make_change(f"redis-{i}") for i in range(2000)]
    with pytest.raises(StoreWriteError, match="full"):
        await store.write_batch(
            session_id=session_id, run_id=run_id, written_wall_ns=2, changes=big
        )
    await store.close()
    assert [c.name for c in load_recording(path, "s1").changes] == ["kept"]
