"""What a reader following a session needs from the store: its newest change, the changes after
an id, and whether a recorder holds it now.

Named queries beside `stswatch.reports.recording` (the reading side's door), each a lookup on the
change table's primary key or on one small table, so a follower can ask every half second of a
store a recorder is writing (read-only, WAL: the reader never blocks the writer).
"""

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from stswatch.reports.recording import CHANGE_FIELDS, change_line, session_row
from stswatch.store_contract import reading, store_errors

_NEWEST = "SELECT max(id) FROM change WHERE session_id = ?"
_PAGE = (
    f"SELECT {', '.join(CHANGE_FIELDS)} FROM change "
    "WHERE session_id = ? AND id > ? ORDER BY id LIMIT ?"
)
_HAS_HOLDER = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'holder'"
_HOLDER = "SELECT heartbeat_wall_ns FROM holder WHERE session_id = ?"
_OPEN_RUN = "SELECT 1 FROM run WHERE session_id = ? AND ended_wall_ns IS NULL LIMIT 1"
_LAST_RECEIVED = "SELECT max(received_wall_ns) FROM change WHERE session_id = ?"


@dataclass(frozen=True)
class Activity:
    """A session's newest change and the last sign of a recorder writing it."""

    newest_change_id: int  # 0: no change recorded yet
    heard_wall_ns: (
        int | None
    )  # the holder's heartbeat, else the open run's last change; None: closed


@dataclass(frozen=True)
class ChangePage:
    """Changes after an id, each as `stswatch export` writes it (one JSON object, a line)."""

    lines: tuple[bytes, ...]
    last_id: int | None  # the last change's id, where the next page starts; None: empty


def activity(path: Path, session: str) -> Activity:
    """The session's newest change id and when a recorder was last heard writing it."""
    with (
        reading(path) as conn,
        store_errors(path, doing=f"reading session {session!r}", writing=False),
    ):
        session_id = session_row(conn, path, session)[0]
        newest = conn.execute(_NEWEST, (session_id,)).fetchone()[0] or 0
        return Activity(newest, _heard(conn, session_id))


def _heard(conn: sqlite3.Connection, session_id: int) -> int | None:
    """The holder's heartbeat (schema 2); a store without holders: its open run's last change."""
    if conn.execute(_HAS_HOLDER).fetchone() is not None:
        row = conn.execute(_HOLDER, (session_id,)).fetchone()
        return None if row is None else int(row[0])
    if conn.execute(_OPEN_RUN, (session_id,)).fetchone() is None:
        return None
    last = conn.execute(_LAST_RECEIVED, (session_id,)).fetchone()[0]
    return None if last is None else int(last)


def changes_after(path: Path, session: str, *, after_id: int, limit: int) -> ChangePage:
    """At most `limit` changes of the session with ids above `after_id`, in id order."""
    with (
        reading(path) as conn,
        store_errors(path, doing=f"reading session {session!r}", writing=False),
    ):
        session_id = session_row(conn, path, session)[0]
        rows = conn.execute(_PAGE, (session_id, after_id, limit)).fetchall()
    return ChangePage(
        tuple(change_line(session, row) for row in rows), rows[-1][0] if rows else None
    )
