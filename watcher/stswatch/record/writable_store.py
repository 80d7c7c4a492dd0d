"""The recording side's SQLite store: open or create it, migrate it, and write rows in batches.

One `Store` wraps one aiosqlite connection; the writer task owns it while recording (see
`writer.py`). The schema comes only from `migrations/NNNN_name.sql`; a store from a newer stswatch
is refused after a read-only look, so its file is left byte for byte as it was. WAL with
`synchronous=NORMAL` means a committed batch survives a kill -9 of the recorder.

Checkpoints (copying the WAL's committed pages into the database file, with an fsync of each)
run beside the writer, not in its commits: `Store.checkpoint` uses a second connection in a
thread of its own, and SQLite's PASSIVE checkpoint neither waits for nor blocks a writer. In the
writer's own commit, SQLite's automatic checkpoint would hold every change behind it for as long
as the fsyncs take: on a disk other jobs were writing to, 60 to 240 ms each time (the lab's
`bench.scale`). The writer connection still checkpoints itself once the WAL reaches
`WRITER_CHECKPOINT_PAGES`, should the background checkpoints not keep up. Durability is the same
either way: a commit is durable once it is in the WAL.
"""

import asyncio
import contextlib
import functools
import itertools
import sqlite3
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast

import aiosqlite
import orjson

from stswatch.errors import SessionHeldError, StoreWriteError
from stswatch.record.holder import Holder, HolderRow
from stswatch.record.records import ChangeRecord, GapRecord, MarkRecord, object_digest
from stswatch.store_contract import (
    CHANGE_COLUMNS,
    check_schema_version,
    list_migrations,
    open_read_only,
    store_errors,
)

_T = TypeVar("_T")

# The writer connection's own automatic checkpoint, a backstop behind `Store.checkpoint`: 4,096
# pages of 16 KiB, 64 MiB of WAL (SQLite's default is 1,000 pages), the WAL's bound as before
# (docs/flight.md: a piece's size counts its WAL). A background checkpoint that copied the whole
# WAL lets the next commit start it over, so it stays below this while they keep up.
WRITER_CHECKPOINT_PAGES = 4096

_SESSION_BY_NAME = "SELECT id, scope FROM session WHERE name = ?"
_INSERT_SESSION = "INSERT INTO session (name, created_wall_ns, scope) VALUES (?, ?, ?)"
_INSERT_RUN = (
    "INSERT INTO run (session_id, started_wall_ns, server_url, server_version, "
    "stswatch_version, keep_env) VALUES (?, ?, ?, ?, ?, ?)"
)
_END_RUN = "UPDATE run SET ended_wall_ns = ?, end_reason = ? WHERE id = ?"
_HOLDER_OF_SESSION = (
    "SELECT run_id, host, pid, since_wall_ns, heartbeat_wall_ns FROM holder WHERE session_id = ?"
)
_CLAIM_SESSION = (
    "INSERT OR REPLACE INTO holder (session_id, run_id, host, pid, since_wall_ns, "
    "heartbeat_wall_ns) VALUES (?, ?, ?, ?, ?, ?)"
)
_HEARTBEAT = "UPDATE holder SET heartbeat_wall_ns = ? WHERE session_id = ? AND run_id = ?"
_RELEASE_SESSION = "DELETE FROM holder WHERE run_id = ?"
# A batch's changes go in as one multi-row statement. What every row of a batch shares (the
# session, the run, the write time) is bound once per statement; each row is a ChangeRecord as it
# is, its fields in the order of the other columns (the object last).
_SHARED_COLUMNS = {"session_id": "?1", "run_id": "?2", "written_wall_ns": "?3"}
_RECORD_COLUMNS = tuple(column for column in CHANGE_COLUMNS if column not in _SHARED_COLUMNS)
_CHANGE_VALUES = "(" + ", ".join("?" * len(_RECORD_COLUMNS)) + ")"
_INSERT_CHANGE = (
    f"INSERT INTO change ({', '.join(CHANGE_COLUMNS)}) SELECT "
    + ", ".join(
        _SHARED_COLUMNS.get(column) or f"column{_RECORD_COLUMNS.index(column) + 1}"
        for column in CHANGE_COLUMNS
    )
    + f" FROM (VALUES {_CHANGE_VALUES}) WHERE column1 IS NOT NULL"
)
# Rows per INSERT statement, at most: a batch of up to 2,000 changes (the writer's default most)
# is one statement (each is a hop of the writer's thread back to the GIL, see `_insert_changes`).
# 2,000 rows of 10 values stay under SQLite's default 32,766 parameters.
_MOST_ROWS = 2000
_INSERT_GAP = (
    "INSERT INTO gap (session_id, run_id, kind, reason, from_resource_version, "
    "to_resource_version, from_wall_ns, to_wall_ns) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_MARK = (
    "INSERT INTO mark (session_id, run_id, label, detail, received_wall_ns, received_mono_ns) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
# The newest change of every object in a session (uids are unique across kinds).
_LAST_CHANGE_PER_OBJECT = (
    "SELECT kind, namespace, name, uid, event, resource_version, object FROM change "
    "WHERE id IN (SELECT max(id) FROM change WHERE session_id = ? GROUP BY uid)"
)
# The newest recorded state of one object (index change_by_uid).
_LAST_OBJECT_OF_UID = (
    "SELECT object FROM change WHERE session_id = ? AND uid = ? ORDER BY id DESC LIMIT 1"
)
_LAST_VERSION_PER_KIND = (
    "SELECT kind, resource_version FROM change "
    "WHERE id IN (SELECT max(id) FROM change WHERE session_id = ? GROUP BY kind)"
)
_RENAME_ROLL_GAPS = (
    "UPDATE gap SET reason = ?, from_wall_ns = min(from_wall_ns, ?) "
    "WHERE session_id = ? AND reason LIKE 'piece roll:%'"
)
_LAST_RUN_PER_SESSION = "SELECT session_id, max(id) FROM run GROUP BY session_id"
_PREVIOUS_RUN = (
    "SELECT id, started_wall_ns, ended_wall_ns FROM run "
    "WHERE session_id = ? AND id < ? ORDER BY id DESC LIMIT 1"
)
_LAST_ACTIVITY_OF_RUN = (
    "SELECT max(t) FROM (SELECT max(received_wall_ns) AS t FROM change WHERE run_id = ? "
    "UNION ALL SELECT max(received_wall_ns) FROM mark WHERE run_id = ?)"
)


@dataclass(frozen=True)
class SessionRow:
    """A session as the recorder needs it: its id, scope, and whether it existed already."""

    id: int
    scope: dict[str, Any]
    resumed: bool


class KnownObject(NamedTuple):
    """The last recorded state of one object that was not deleted, as a relist diff compares it.

    Not the object itself (a few hundred bytes instead of kilobytes): a relist that needs it
    reads it back with `Store.last_objects`, so a recorder's memory does not grow with the
    number of live objects. `digest` is `object_digest` of the recorded object JSON. A
    NamedTuple (immutable, and made per change on the hot path, like `ChangeRecord`).
    """

    kind: str
    namespace: str | None
    name: str
    uid: str
    resource_version: str
    digest: int


@dataclass(frozen=True)
class PreviousRun:
    """How the run before this one ended: when it was last heard of, and whether it closed."""

    id: int
    last_wall_ns: int
    closed: bool


class Store:
    """One open stswatch database; all methods must be awaited from the task that owns it."""

    def __init__(self, conn: aiosqlite.Connection, *, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._checkpointer: sqlite3.Connection | None = None  # opened by the first checkpoint
        self._checkpointing = threading.Lock()  # one checkpoint at a time; close waits for it

    async def close(self) -> None:
        """Close the connections (a no-op error is swallowed: there is nothing left to save).

        The checkpoint connection first: the last connection to close checkpoints the WAL and
        removes it, and that must be the writer's.
        """
        await asyncio.to_thread(self._close_checkpointer)
        with contextlib.suppress(sqlite3.Error, ValueError):
            await self._conn.close()

    async def checkpoint(self) -> bool:
        """Copy the WAL's committed pages into the database file, beside the writer.

        A PASSIVE checkpoint on a second connection, in a thread of its own (so it never waits
        for the writer's thread, nor the writer for it). True when it copied the whole WAL: the
        next commit starts the WAL over instead of growing it.
        """
        with store_errors(self.path, doing="checkpointing the write-ahead log"):
            return await asyncio.to_thread(self._checkpoint_now)

    def _checkpoint_now(self) -> bool:
        with self._checkpointing:
            if self._checkpointer is None:
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA synchronous = NORMAL")  # the writer's: it syncs checkpoints
                self._checkpointer = conn
            busy, wal_frames, copied = self._checkpointer.execute(
                "PRAGMA wal_checkpoint(PASSIVE)"
            ).fetchone()
        return not busy and wal_frames == copied

    def _close_checkpointer(self) -> None:
        with self._checkpointing:
            conn, self._checkpointer = self._checkpointer, None
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()

    async def begin_session(
        self, *, name: str, scope: dict[str, Any], now_wall_ns: int
    ) -> SessionRow:
        """The session called `name`, created if it does not exist yet."""
        with store_errors(self.path, doing=f"opening session {name!r}"):
            rows = await self._conn.execute_fetchall(_SESSION_BY_NAME, (name,))
            for session_id, scope_json in rows:
                return SessionRow(int(session_id), orjson.loads(scope_json), resumed=True)
            cursor = await self._conn.execute(
                _INSERT_SESSION, (name, now_wall_ns, orjson.dumps(scope).decode())
            )
            session_id = cursor.lastrowid
        assert session_id is not None
        return SessionRow(session_id, scope, resumed=False)

    async def start_run(
        self,
        *,
        session_id: int,
        now_wall_ns: int,
        server_url: str,
        server_version: str,
        stswatch_version: str,
        keep_env: bool,
        holder: Holder | None = None,
    ) -> int:
        """Record a new recorder run in the session and return its id.

        With `holder`, the run also claims the session, in the same transaction: a session
        another live recorder holds is refused (SessionHeldError, naming that recorder); a
        claim left by a recorder that died is taken over.
        """
        params = (session_id, now_wall_ns, server_url, server_version, stswatch_version, keep_env)
        with store_errors(self.path, doing="starting a run"):
            outcome = await self._in_thread(_start_run, params, holder, session_id, now_wall_ns)
        if isinstance(outcome, str):
            raise SessionHeldError(outcome)
        return outcome

    async def end_run(self, *, run_id: int, now_wall_ns: int, reason: str) -> None:
        """Close a run with its end time and reason, and give up its claim on the session."""
        with store_errors(self.path, doing="closing the run"):
            await self._in_thread(_end_run, (now_wall_ns, reason, run_id))

    async def previous_run(self, *, session_id: int, run_id: int) -> PreviousRun | None:
        """The run before `run_id` in the session, if any, and when it was last heard of."""
        with store_errors(self.path, doing="reading the previous run"):
            rows = list(await self._conn.execute_fetchall(_PREVIOUS_RUN, (session_id, run_id)))
            if not rows:
                return None
            prev_id, started, ended = rows[0]
            if ended is not None:
                return PreviousRun(prev_id, ended, closed=True)
            activity = list(
                await self._conn.execute_fetchall(_LAST_ACTIVITY_OF_RUN, (prev_id, prev_id))
            )
        last = activity[0][0] if activity and activity[0][0] is not None else started
        return PreviousRun(prev_id, int(last), closed=False)

    async def _in_thread(self, work: Callable[..., _T], *args: Any) -> _T:
        """`work(connection, *args)` in the connection's own thread, in one hop.

        aiosqlite has no public call for this; its `_execute` is what its own methods use.
        """
        run = cast(Callable[..., Awaitable[_T]], self._conn._execute)
        return await run(work, self._conn._conn, *args)

    async def known_objects(self, *, session_id: int) -> list[KnownObject]:
        """Every object whose last recorded change in the session is not a deletion."""
        with store_errors(self.path, doing="reading the last known state"):
            return await self._in_thread(_known_objects, session_id)

    async def last_objects(self, *, session_id: int, uids: Sequence[str]) -> dict[str, str]:
        """The newest recorded object JSON of each of `uids` in the session, by uid.

        A uid never recorded in the session is missing from the answer.
        """
        with store_errors(self.path, doing=f"reading back {len(uids)} recorded objects"):
            return await self._in_thread(_last_objects, session_id, uids)

    async def last_versions(self, *, session_id: int) -> dict[str, str]:
        """The resourceVersion of the newest recorded change of each kind."""
        with store_errors(self.path, doing="reading the last resource versions"):
            rows = await self._conn.execute_fetchall(_LAST_VERSION_PER_KIND, (session_id,))
        return {str(row[0]): str(row[1]) for row in rows}

    async def write_batch(
        self,
        *,
        session_id: int,
        run_id: int,
        written_wall_ns: int,
        changes: Sequence[ChangeRecord],
        gaps: Sequence[GapRecord] = (),
        marks: Sequence[MarkRecord] = (),
        holding: bool = False,
    ) -> None:
        """Write rows in one transaction: all of them are committed, or none.

        `holding`: the run holds the session (see `start_run`); the batch refreshes its
        heartbeat, and is refused (SessionHeldError) if another recorder took the session over.
        """
        gap_rows = [_gap_row(g, session_id, run_id) for g in gaps]
        mark_rows = [_mark_row(m, session_id, run_id) for m in marks]
        shared = (session_id, run_id, written_wall_ns)
        beat = (written_wall_ns, session_id, run_id) if holding else None
        with store_errors(self.path, doing=f"writing {len(changes)} changes"):
            # One hop to the connection's thread for the whole transaction: between awaited
            # statements that thread would idle until the event loop, busy decoding the next
            # events during a storm, came back to it.
            held = await self._in_thread(_write_rows, changes, shared, gap_rows, mark_rows, beat)
        if not held:
            raise SessionHeldError(
                f"session run {run_id} lost its claim: another recorder took the session over "
                "(this one was not heard of for too long); stopping without writing more"
            )

    async def append_gaps(
        self, *, reason: str, from_wall_ns: int, to_wall_ns: int, kinds: Sequence[str]
    ) -> int:
        """Say in every session of a store no recorder writes that history before it is gone
        (a piece before it pruned by retention): its `piece roll` gaps are renamed, else one
        gap per kind is added in the session's last run; how many gaps say it."""
        with store_errors(self.path, doing="recording a gap"):
            return await self._in_thread(_append_gaps, reason, from_wall_ns, to_wall_ns, kinds)


def _append_gaps(
    conn: sqlite3.Connection, reason: str, since: int, until: int, kinds: Sequence[str]
) -> int:
    """`Store.append_gaps` in the connection's thread, in one transaction: a session whose
    history began with a `piece roll` gap has those gaps say `reason` instead (and reach back
    to `since`); any other session gets new gaps."""
    rows: list[tuple[Any, ...]] = []
    told = 0
    with _transaction(conn):
        for session_id, run_id in conn.execute(_LAST_RUN_PER_SESSION).fetchall():
            updated = conn.execute(_RENAME_ROLL_GAPS, (reason, since, session_id)).rowcount
            if updated:
                told += updated
                continue
            rows.extend(
                (session_id, run_id, kind, reason, None, None, since, until) for kind in kinds
            )
        conn.executemany(_INSERT_GAP, rows)
    return told + len(rows)


class _Refused(Exception):
    """Ends a transaction early: it is rolled back, and `reason` handed back to the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE, then COMMIT, or ROLLBACK on any exception (which goes on)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _write_rows(
    conn: sqlite3.Connection,
    changes: Sequence[ChangeRecord],
    shared: tuple[int, int, int],
    gaps: list[tuple[Any, ...]],
    marks: list[tuple[Any, ...]],
    beat: tuple[int, int, int] | None,
) -> bool:
    """The batch's transaction, run in the connection's thread; False: the claim was lost."""
    try:
        with _transaction(conn):
            if beat is not None and conn.execute(_HEARTBEAT, beat).rowcount == 0:
                raise _Refused("claim lost")
            _insert_changes(conn, changes, shared)
            if gaps:
                conn.executemany(_INSERT_GAP, gaps)
            if marks:
                conn.executemany(_INSERT_MARK, marks)
    except _Refused:
        return False
    return True


def _known_objects(conn: sqlite3.Connection, session_id: int) -> list[KnownObject]:
    """`Store.known_objects` in the connection's thread: one object's JSON in memory at a time."""
    known = []
    for kind, namespace, name, uid, event, rv, obj in conn.execute(
        _LAST_CHANGE_PER_OBJECT, (session_id,)
    ):
        if event != "DELETED":
            # Interned: thousands of objects share a handful of kinds and namespaces.
            where = sys.intern(namespace) if namespace is not None else None
            digest = object_digest(obj.encode())
            known.append(KnownObject(sys.intern(kind), where, name, uid, rv, digest))
    return known


def _last_objects(conn: sqlite3.Connection, session_id: int, uids: Sequence[str]) -> dict[str, str]:
    """`Store.last_objects` in the connection's thread: one indexed look-up per uid."""
    found = {}
    for uid in uids:
        row = conn.execute(_LAST_OBJECT_OF_UID, (session_id, uid)).fetchone()
        if row is not None:
            found[uid] = row[0]
    return found


def _start_run(
    conn: sqlite3.Connection,
    params: tuple[Any, ...],
    holder: Holder | None,
    session_id: int,
    now_wall_ns: int,
) -> int | str:
    """Insert the run (and claim the session) in one transaction: its id, or who holds it."""
    try:
        with _transaction(conn):
            if holder is not None:
                row = conn.execute(_HOLDER_OF_SESSION, (session_id,)).fetchone()
                current = HolderRow(*row) if row is not None else None
                if current is not None and current.alive(claimant=holder, now_wall_ns=now_wall_ns):
                    raise _Refused(current.refusal(now_wall_ns=now_wall_ns))
            run_id = conn.execute(_INSERT_RUN, params).lastrowid
            assert run_id is not None
            if holder is not None:
                claim = (session_id, run_id, holder.host, holder.pid, now_wall_ns, now_wall_ns)
                conn.execute(_CLAIM_SESSION, claim)
    except _Refused as refused:
        return refused.reason
    return run_id


def _end_run(conn: sqlite3.Connection, end: tuple[int, str, int]) -> None:
    """Close the run and give up its claim on the session, in one transaction."""
    with _transaction(conn):
        conn.execute(_END_RUN, end)
        conn.execute(_RELEASE_SESSION, (end[2],))


def _insert_changes(
    conn: sqlite3.Connection, rows: Sequence[ChangeRecord], shared: tuple[int, int, int]
) -> None:
    """Insert `rows` in order, in one statement for a batch of up to `_MOST_ROWS`.

    sqlite3 takes and gives back the GIL around every statement it steps, and while the event
    loop decodes, each time back costs the writer's thread up to the interpreter's switch
    interval (5 ms) and a wait to be scheduled. A statement of two thousand rows writes them
    all without it. A statement holds a power of two rows (or the most), those past the batch
    NULL and skipped, so a dozen statements serve every batch, each prepared once and then
    reused from the connection's cache.
    """
    limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    most = min(_MOST_ROWS, (limit - len(shared)) // len(_RECORD_COLUMNS))
    for start in range(0, len(rows), most):
        chunk = rows[start : start + most]
        size = min(most, 1 << (len(chunk) - 1).bit_length())
        unused = (size - len(chunk)) * len(_RECORD_COLUMNS)
        values = itertools.chain(shared, itertools.chain.from_iterable(chunk), [None] * unused)
        conn.execute(_insert_change_rows(size), list(values))


@functools.cache
def _insert_change_rows(size: int) -> str:
    """`_INSERT_CHANGE` for `size` rows."""
    return _INSERT_CHANGE.replace(_CHANGE_VALUES, ", ".join([_CHANGE_VALUES] * size))


def _gap_row(g: GapRecord, session_id: int, run_id: int) -> tuple[Any, ...]:
    return (
        session_id,
        run_id,
        g.kind,
        g.reason,
        g.from_resource_version,
        g.to_resource_version,
        g.from_wall_ns,
        g.to_wall_ns,
    )


def _mark_row(m: MarkRecord, session_id: int, run_id: int) -> tuple[Any, ...]:
    return (session_id, run_id, m.label, m.detail_json, m.received_wall_ns, m.received_mono_ns)


def _check_existing(path: Path) -> None:
    """Refuse an existing file with a newer schema or damage, after a read-only look."""
    if path.exists() and not path.is_file():
        raise StoreWriteError(f"{path}: not a file")
    if path.exists():
        open_read_only(path, integrity=True).close()


async def _migrate(conn: aiosqlite.Connection, *, path: Path) -> None:
    """Apply every migration newer than the store's `user_version`, each in one transaction."""
    with store_errors(path, doing="reading the schema version"):
        rows = list(await conn.execute_fetchall("PRAGMA user_version"))
    current = int(rows[0][0])
    check_schema_version(current, path=str(path))
    for migration in list_migrations():
        if migration.version <= current:
            continue
        script = (
            f"BEGIN;\n{migration.sql}\n;PRAGMA user_version = {int(migration.version)};\nCOMMIT;"
        )
        with store_errors(path, doing=f"applying migration {migration.version:04d}"):
            await conn.executescript(script)


async def open_store(path: Path) -> Store:
    """Open (or create) the store at `path`, migrated to this stswatch's schema."""
    _check_existing(path)
    try:
        conn = await aiosqlite.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreWriteError(f"{path}: cannot open the database ({exc})") from exc
    try:
        with store_errors(path, doing="opening the database"):
            # A ~4 KB object overflows a 4 KiB page; 16 KiB pages keep a change on one page
            # (about twice the insert rate). Only takes effect on a new, empty file.
            await conn.execute("PRAGMA page_size = 16384")
            await conn.execute("PRAGMA journal_mode = WAL")
            # In WAL mode NORMAL skips the fsync per commit and stays safe against a crash or
            # kill -9 of the recorder: only an OS crash or power loss can undo the last commits.
            await conn.execute("PRAGMA synchronous = NORMAL")
            # Checkpoints run beside the writer (`Store.checkpoint`); this is the backstop.
            await conn.execute(f"PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES}")
            await conn.execute("PRAGMA foreign_keys = ON")
        await _migrate(conn, path=path)
    except BaseException:
        with contextlib.suppress(sqlite3.Error, ValueError):
            await conn.close()
        raise
    return Store(conn, path=path)
