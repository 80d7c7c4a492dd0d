"""Reading a store's sessions without loading them: the session list and the JSON Lines export.

Both stream from a read-only connection, so they work on a store another recorder is writing,
and on sessions far larger than memory.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from stswatch.errors import NotFoundError
from stswatch.store import reading, store_errors

# Recorded time of a run: until it ended, or (killed) until the last change or mark it wrote.
_SESSIONS = """
SELECT s.name, s.scope, s.created_wall_ns,
    (SELECT count(*) FROM run r WHERE r.session_id = s.id),
    (SELECT count(*) FROM change c WHERE c.session_id = s.id),
    (SELECT count(*) FROM gap g WHERE g.session_id = s.id),
    (SELECT count(*) FROM mark m WHERE m.session_id = s.id),
    (SELECT coalesce(sum(coalesce(
        r.ended_wall_ns,
        (SELECT max(c.received_wall_ns) FROM change c WHERE c.run_id = r.id),
        r.started_wall_ns) - r.started_wall_ns), 0)
     FROM run r WHERE r.session_id = s.id)
FROM session s ORDER BY s.id
"""
_SESSION_ID = "SELECT id FROM session WHERE name = ?"
_SESSION_NAMES = "SELECT name FROM session ORDER BY id"
_CHANGES = (
    "SELECT id, run_id, kind, namespace, name, uid, event, resource_version, observed, "
    "received_wall_ns, received_mono_ns, written_wall_ns, object FROM change "
    "WHERE session_id = ? ORDER BY id"
)
_CHANGE_FIELDS = (
    "id",
    "run_id",
    "kind",
    "namespace",
    "name",
    "uid",
    "event",
    "resource_version",
    "observed",
    "received_wall_ns",
    "received_mono_ns",
    "written_wall_ns",
)


@dataclass(frozen=True)
class SessionOverview:
    """One session in a store, counted."""

    name: str
    scope: dict[str, Any]
    created_wall_ns: int
    runs: int
    changes: int
    gaps: int
    marks: int
    recorded_seconds: float


def list_sessions(path: Path) -> list[SessionOverview]:
    """Every session in the store at `path`, oldest first."""
    with reading(path) as conn, store_errors(path, doing="listing sessions", writing=False):
        return [
            SessionOverview(
                name, orjson.loads(scope), created, runs, changes, gaps, marks, recorded / 1e9
            )
            for name, scope, created, runs, changes, gaps, marks, recorded in conn.execute(
                _SESSIONS
            )
        ]


def export_jsonl(path: Path, *, session: str, out: BinaryIO) -> int:
    """Write the session's changes to `out`, one JSON object per line; returns how many."""
    count = 0
    with (
        reading(path) as conn,
        store_errors(path, doing=f"exporting session {session!r}", writing=False),
    ):
        row = conn.execute(_SESSION_ID, (session,)).fetchone()
        if row is None:
            known = ", ".join(r[0] for r in conn.execute(_SESSION_NAMES)) or "none"
            raise NotFoundError(f"{path}: no session named {session!r} (sessions: {known})")
        for change in conn.execute(_CHANGES, (row[0],)):
            head = orjson.dumps(
                {"session": session, **dict(zip(_CHANGE_FIELDS, change, strict=False))}
            )
            # The object is stored as JSON already: splice it in rather than decode and re-encode.
            out.write(head[:-1] + b',"object":' + change[-1].encode() + b"}\n")
            count += 1
    return count
