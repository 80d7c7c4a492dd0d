"""Reading a store safely from either side: one read-only opener and one sqlite error mapping.

The recorder (to check a file before writing into it, and for `sessions`/`export`) and the
reading side (`reports.recording`) open stores the same way, so a damaged, foreign or newer
file gets the same one-line error whichever command met it.

A store is read where it lies, even on read-only media (a recording someone mailed you, a CD, a
read-only volume). SQLite's read-only mode still needs to create the write-ahead log's index
(`-shm`) beside a WAL store; when the folder cannot be written and no log holds pending pages,
the file is opened `immutable=1` instead (https://sqlite.org/uri.html#uriimmutable), which
reads it as it is, without any lock or index file. A log with pending pages that cannot be read
there is said to be so, rather than called a write failure.
"""

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from migrations.failures import NotFoundError
from migrations.schema import (
    CorruptStoreError,
    StoreError,
    StoreWriteError,
    check_schema_version,
)

_WRITE_FAILURES = ("full", "readonly", "read-only", "unable to open", "disk i/o", "locked")
_CORRUPTION = ("malformed", "not a database", "encrypted", "corrupt")


@contextlib.contextmanager
def store_errors(path: Path, *, doing: str, writing: bool = True) -> Iterator[None]:
    """Turn sqlite3 failures into the store's one-line errors, naming the file and the step.

    `writing=False` for a read-only connection: its failures are never called write failures.
    """
    try:
        yield
    except sqlite3.Error as exc:
        text = str(exc)
        lowered = text.lower()
        if any(word in lowered for word in _CORRUPTION):
            raise CorruptStoreError(f"{path}: corrupt database while {doing} ({text})") from exc
        if not writing:
            raise StoreError(f"{path}: cannot read the database while {doing} ({text})") from exc
        if any(word in lowered for word in _WRITE_FAILURES):
            raise StoreWriteError(
                f"{path}: cannot write while {doing} ({text}); committed changes are intact"
            ) from exc
        raise StoreError(f"{path}: database error while {doing} ({text})") from exc


def open_read_only(path: Path, *, integrity: bool = False) -> sqlite3.Connection:
    """A read-only connection to an existing stswatch store (schema checked, never written)."""
    if not path.is_file():
        raise NotFoundError(f"{path}: no such stswatch database")
    mode = "ro&immutable=1" if _read_as_immutable(path) else "ro"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the database ({exc})") from exc
    try:
        with store_errors(path, doing="checking the database", writing=False):
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            check_schema_version(version, path=str(path))
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0] if integrity else "ok"
        if verdict != "ok":
            raise CorruptStoreError(f"{path}: corrupt database ({verdict}); it was not changed")
    except BaseException:
        conn.close()
        raise
    return conn


def _read_as_immutable(path: Path) -> bool:
    """Whether the store lies in a folder SQLite cannot write its WAL index into, and needs not.

    Raises, saying why, when a write-ahead log holds pages not yet in the database and SQLite
    cannot read it there: `immutable=1` would silently read the database without them.
    """
    if os.access(path.parent, os.W_OK):
        return False
    wal = path.with_name(path.name + "-wal")
    shm = path.with_name(path.name + "-shm")
    if not wal.is_file() or wal.stat().st_size == 0:
        return True
    if shm.is_file():
        return False  # SQLite reads a WAL through an existing index, even a read-only one
    raise StoreError(
        f"{path}: its write-ahead log {wal.name} holds changes not yet in the database, and "
        f"SQLite cannot read it without creating {shm.name} in {path.parent}, which is "
        "read-only; copy the database with its -wal file to a writable folder"
    )


@contextlib.contextmanager
def reading(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to a store that has a schema, closed on exit."""
    conn = open_read_only(path)
    try:
        if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            raise CorruptStoreError(f"{path}: not an stswatch database (no schema)")
        yield conn
    finally:
        conn.close()
