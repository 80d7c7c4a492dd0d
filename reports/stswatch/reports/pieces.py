"""A continuous recording's folder read as one session: the pieces a window needs, joined.

`record --continuous --dir DIR` writes one store per piece, `stswatch-<UTC start>.db`
(docs/flight.md); each begins with a fresh list after a `piece roll` gap. `verify`, `report` and
`export` given `--db DIR` read a session across pieces: the pieces that overlap the window
(from the one holding `--since`, whose list gives the state there, to the one holding
`--until`) are joined into one temporary store, read as any store, then deleted.

Joining does offline what a recorder does when it resumes after a gap (a relist diff): a later
piece's first list is compared with what the pieces before it last knew of each object; an
object listed at the version already known is not recorded again, one listed at another
version is a `relist` MODIFIED change (or ADDED, when it was not known), and one known but not
listed is a `relist` DELETED change with its last known state. So no (uid, resourceVersion)
appears twice, and the stretch between pieces stays the `piece roll` gap each piece recorded.
"""

import contextlib
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from stswatch.errors import NotFoundError
from stswatch.reports.window import WindowRequest
from stswatch.store_contract import CHANGE_COLUMNS, list_migrations, reading, store_errors

# The piece names `stswatch.record.pieces` gives (the reading side does not import it).
_PIECE = re.compile(r"^stswatch-(\d{8}T\d{6}Z)(?:-(\d+))?\.db$")
_SESSION = "SELECT id, name, created_wall_ns, scope FROM session WHERE name = ?"
_SPAN = (
    "SELECT (SELECT min(received_wall_ns) FROM change WHERE session_id = ?1), "
    "(SELECT max(received_wall_ns) FROM change WHERE session_id = ?1), "
    "(SELECT min(started_wall_ns) FROM run WHERE session_id = ?1), "
    "(SELECT max(coalesce(ended_wall_ns, 0)) FROM run WHERE session_id = ?1)"
)
_RUN_COLUMNS = (
    "started_wall_ns, ended_wall_ns, end_reason, server_url, server_version, stswatch_version, "
    "keep_env"
)
_INSERT_RUN = f"INSERT INTO run (session_id, {_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_GAP_COLUMNS = "kind, reason, from_resource_version, to_resource_version, from_wall_ns, to_wall_ns"
_MARK_COLUMNS = "label, detail, received_wall_ns, received_mono_ns"
_COPIED = [c for c in CHANGE_COLUMNS if c not in ("session_id", "run_id")]
_AT = {name: i for i, name in enumerate(_COPIED)}


@dataclass(frozen=True)
class _Piece:
    path: Path
    session_id: int
    start_ns: int
    end_ns: int


@dataclass
class _Known:
    kind: str
    namespace: str | None
    name: str
    resource_version: str
    object_json: str


def is_pieces_folder(path: Path) -> bool:
    """Whether `path` is a folder (of a continuous recording's pieces)."""
    return path.is_dir()


def _pieces_of(directory: Path, session: str) -> list[_Piece]:
    named = []
    for path in directory.iterdir():
        match = _PIECE.match(path.name)
        if match is not None:
            named.append(((match[1], int(match[2] or 0)), path))
    found = []
    for _, path in sorted(named):
        with reading(path) as conn, store_errors(path, doing="reading a piece", writing=False):
            row = conn.execute(_SESSION, (session,)).fetchone()
            if row is None:
                continue
            first, last, started, ended = conn.execute(_SPAN, (row[0],)).fetchone()
        start = min(t for t in (first, started, row[2]) if t is not None)
        end = max(t for t in (last, ended, start) if t is not None)
        found.append(_Piece(path, int(row[0]), int(start), int(end)))
    return found


def choose(pieces: list[_Piece], request: WindowRequest | None) -> list[_Piece]:
    """The pieces a window needs: from the one holding its start to the one holding its end."""
    if not pieces or request is None or (request.since is None and request.until is None):
        return pieces
    since, until = request.bounds(start_ns=pieces[0].start_ns, end_ns=pieces[-1].end_ns)
    first = max((i for i, p in enumerate(pieces) if p.start_ns <= since), default=0)
    last = max((i for i, p in enumerate(pieces) if p.start_ns <= until), default=0)
    return pieces[first : max(first, last) + 1]


@contextlib.contextmanager
def joined(directory: Path, session: str, request: WindowRequest | None) -> Iterator[Path]:
    """A temporary store holding `session` across the pieces in `directory` the window needs."""
    pieces = _pieces_of(directory, session)
    if not pieces:
        raise NotFoundError(
            f"{directory}: no piece (stswatch-<UTC start>.db) holds a session {session!r}"
        )
    chosen = choose(pieces, request)
    with tempfile.TemporaryDirectory(prefix="stswatch-pieces-") as scratch:
        target = Path(scratch) / "joined.db"
        conn = sqlite3.connect(target, isolation_level=None)
        try:
            with store_errors(target, doing="joining pieces"):
                _create_schema(conn)
                conn.execute("BEGIN")
                _join(conn, chosen, session)
                conn.execute("COMMIT")
        finally:
            conn.close()
        yield target


def _create_schema(conn: sqlite3.Connection) -> None:
    for migration in list_migrations():
        conn.executescript(
            f"BEGIN;\n{migration.sql}\n;PRAGMA user_version = {int(migration.version)};\nCOMMIT;"
        )


def _join(conn: sqlite3.Connection, pieces: list[_Piece], session: str) -> None:
    known: dict[str, _Known] = {}
    session_id: int | None = None
    insert_change = (
        f"INSERT INTO change (session_id, run_id, {', '.join(_COPIED)}) "
        f"VALUES (?, ?, {', '.join('?' * len(_COPIED))})"
    )
    for index, piece in enumerate(pieces):
        with reading(piece.path) as source:
            row = source.execute(_SESSION, (session,)).fetchone()
            if session_id is None:
                session_id = conn.execute(
                    "INSERT INTO session (name, created_wall_ns, scope) VALUES (?, ?, ?)",
                    (row[1], row[2], row[3]),
                ).lastrowid
            runs: dict[int, int] = {}
            for run_id, *values in source.execute(
                f"SELECT id, {_RUN_COLUMNS} FROM run WHERE session_id = ? ORDER BY id",
                (piece.session_id,),
            ):
                inserted = conn.execute(_INSERT_RUN, (session_id, *values)).lastrowid
                runs[run_id] = int(inserted or 0)
            first_run = min(runs, default=None)
            rows = source.execute(
                f"SELECT run_id, {', '.join(_COPIED)} FROM change WHERE session_id = ? ORDER BY id",
                (piece.session_id,),
            )
            listing: list[tuple[int, list[object]]] = []
            for run_id, *values in rows:
                if index > 0 and run_id == first_run and values[_AT["observed"]] == "list":
                    listing.append((run_id, values))
                    continue
                if listing:
                    _write_difference(conn, insert_change, session_id, runs, listing, known)
                    listing = []
                _remember(known, values)
                conn.execute(insert_change, (session_id, runs[run_id], *values))
            if listing:
                _write_difference(conn, insert_change, session_id, runs, listing, known)
            for table, columns in (("gap", _GAP_COLUMNS), ("mark", _MARK_COLUMNS)):
                count = columns.count(",") + 1
                for run_id, *values in source.execute(
                    f"SELECT run_id, {columns} FROM {table} WHERE session_id = ? ORDER BY id",
                    (piece.session_id,),
                ):
                    conn.execute(
                        f"INSERT INTO {table} (session_id, run_id, {columns}) "
                        f"VALUES (?, ?, {', '.join('?' * count)})",
                        (session_id, runs[run_id], *values),
                    )


def _remember(known: dict[str, _Known], values: list[object]) -> None:
    uid = str(values[_AT["uid"]])
    if values[_AT["event"]] == "DELETED":
        known.pop(uid, None)
        return
    namespace = values[_AT["namespace"]]
    known[uid] = _Known(
        str(values[_AT["kind"]]),
        str(namespace) if namespace is not None else None,
        str(values[_AT["name"]]),
        str(values[_AT["resource_version"]]),
        str(values[_AT["object"]]),
    )


def _write_difference(
    conn: sqlite3.Connection,
    insert: str,
    session_id: int | None,
    runs: dict[int, int],
    listing: list[tuple[int, list[object]]],
    known: dict[str, _Known],
) -> None:
    """A later piece's first list, as the difference from what was known: deletions first."""
    run_id = runs[listing[0][0]]
    listed = {str(values[_AT["uid"]]) for _, values in listing}
    versions = [str(values[_AT["resource_version"]]) for _, values in listing]
    # Deleted at some version up to the list's (as the recorder's relist diff says it).
    list_version = max(versions, key=int) if all(v.isdigit() for v in versions) else None
    at = listing[0][1]
    # The recorder lists every kind of its scope: an object known but not listed is gone.
    for uid, before in list(known.items()):
        if uid in listed:
            continue
        deletion = list(at)
        for name, value in (
            ("kind", before.kind),
            ("namespace", before.namespace),
            ("name", before.name),
            ("uid", uid),
            ("event", "DELETED"),
            ("resource_version", list_version or f"{before.resource_version}+deleted"),
            ("observed", "relist"),
            ("object", before.object_json),
        ):
            deletion[_AT[name]] = value
        conn.execute(insert, (session_id, run_id, *deletion))
        del known[uid]
    for _, values in listing:
        uid = str(values[_AT["uid"]])
        was = known.get(uid)
        if was is not None and was.resource_version == values[_AT["resource_version"]]:
            continue
        changed = list(values)
        changed[_AT["observed"]] = "relist"
        changed[_AT["event"]] = "ADDED" if was is None else "MODIFIED"
        _remember(known, changed)
        conn.execute(insert, (session_id, run_id, *changed))
