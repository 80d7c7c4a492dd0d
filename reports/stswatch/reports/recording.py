"""Load one recorded session from an SQLite store, read-only, into plain frozen records.

This is the reading side's only door to the store: lifecycles, proofs and reports work from a
`Recording` and never from SQL, so they run offline on any recording.
"""

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from stswatch.errors import NotFoundError
from stswatch.store import SCHEMA_VERSION, reading, store_errors

_SESSION = "SELECT id, name, created_wall_ns, scope FROM session WHERE name = ?"
_SESSIONS = "SELECT name FROM session ORDER BY id"
_RUNS = (
    "SELECT id, started_wall_ns, ended_wall_ns, end_reason, server_url, server_version, "
    "stswatch_version FROM run WHERE session_id = ? ORDER BY id"
)
_CHANGES = (
    "SELECT id, run_id, kind, namespace, name, uid, event, resource_version, observed, "
    "received_wall_ns, received_mono_ns, written_wall_ns, object FROM change "
    "WHERE session_id = ? ORDER BY id"
)
_GAPS = (
    "SELECT id, run_id, kind, reason, from_resource_version, to_resource_version, "
    "from_wall_ns, to_wall_ns FROM gap WHERE session_id = ? ORDER BY from_wall_ns, id"
)
_MARKS = (
    "SELECT id, run_id, label, detail, received_wall_ns FROM mark "
    "WHERE session_id = ? ORDER BY received_wall_ns, id"
)


@dataclass(frozen=True)
class Run:
    """One recorder process's stint in the session."""

    id: int
    started_wall_ns: int
    ended_wall_ns: int | None
    end_reason: str | None
    server_url: str
    server_version: str
    stswatch_version: str


@dataclass(frozen=True)
class Change:
    """One recorded change of one object: the evidence unit every verdict cites."""

    id: int
    run_id: int
    kind: str
    namespace: str | None
    name: str
    uid: str
    event: str  # ADDED | MODIFIED | DELETED
    resource_version: str
    observed: str  # list | watch | relist
    received_wall_ns: int
    received_mono_ns: int
    written_wall_ns: int
    object: dict[str, Any] = field(repr=False, compare=False, hash=False)


@dataclass(frozen=True)
class Gap:
    """A window in which changes of `kind` may be missing from the recording."""

    id: int
    run_id: int
    kind: str
    reason: str
    from_resource_version: str | None
    to_resource_version: str | None
    from_wall_ns: int
    to_wall_ns: int


@dataclass(frozen=True)
class Mark:
    """A labelled moment, such as a scenario step."""

    id: int
    run_id: int
    label: str
    detail: dict[str, Any]
    received_wall_ns: int


@dataclass(frozen=True)
class Recording:
    """Everything recorded in one session, in receive order."""

    name: str
    created_wall_ns: int
    scope: dict[str, Any]
    runs: tuple[Run, ...]
    changes: tuple[Change, ...]
    gaps: tuple[Gap, ...]
    marks: tuple[Mark, ...]

    @property
    def server_version(self) -> str:
        """The API server version of the first run (each run's is in `runs`)."""
        return self.runs[0].server_version if self.runs else "unknown"


def list_session_names(path: Path) -> list[str]:
    """Names of the sessions in a store, oldest first."""
    with reading(path) as conn, store_errors(path, doing="listing sessions", writing=False):
        return [row[0] for row in conn.execute(_SESSIONS)]


def older_schema_note(path: Path) -> str | None:
    """A one-line note when the store predates this stswatch's schema (read as it is), else None.

    Every reader here needs only tables of schema 1, so an older store is read in place and never
    changed; a recorder writing into it applies the newer migrations first.
    """
    with reading(path) as conn, store_errors(path, doing="reading its schema", writing=False):
        found = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if found >= SCHEMA_VERSION:
        return None
    return (
        f"note: {path} has schema {found} (this stswatch writes {SCHEMA_VERSION}); read as it "
        "is, unchanged: recording into it again upgrades it"
    )


def load_recording(path: Path, session: str) -> Recording:
    """Read a whole session; raises NotFoundError naming the sessions that do exist."""
    with (
        reading(path) as conn,
        store_errors(path, doing=f"reading session {session!r}", writing=False),
    ):
        return _load(conn, path, session)


def _change(row: tuple[Any, ...]) -> Change:
    (id_, run_id, kind, namespace, name, uid, event, rv, observed, wall, mono, written, obj) = row
    return Change(
        id=id_,
        run_id=run_id,
        kind=kind,
        namespace=namespace,
        name=name,
        uid=uid,
        event=event,
        resource_version=rv,
        observed=observed,
        received_wall_ns=wall,
        received_mono_ns=mono,
        written_wall_ns=written,
        object=orjson.loads(obj),
    )


def _load(conn: sqlite3.Connection, path: Path, session: str) -> Recording:
    row = conn.execute(_SESSION, (session,)).fetchone()
    if row is None:
        known = ", ".join(r[0] for r in conn.execute(_SESSIONS)) or "none"
        raise NotFoundError(f"{path}: no session named {session!r} (sessions: {known})")
    session_id, name, created, scope = row
    runs = tuple(Run(*r) for r in conn.execute(_RUNS, (session_id,)))
    changes = tuple(_change(row) for row in conn.execute(_CHANGES, (session_id,)))
    gaps = tuple(Gap(*r) for r in conn.execute(_GAPS, (session_id,)))
    marks = tuple(
        Mark(r[0], r[1], r[2], orjson.loads(r[3]), r[4])
        for r in conn.execute(_MARKS, (session_id,))
    )
    return Recording(name, created, orjson.loads(scope), runs, changes, gaps, marks)
