"""Reading a store safely from either side: one read-only opener and one sqlite error mapping.

The recorder (to check a file before writing into it, and for `sessions`/`export`) and the
reading side (`reports.recording`) open stores the same way, so a damaged, foreign or newer
file gets the same one-line error whichever command met it.
"""

import contextlib
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
def store_errors(path: Path, *, doing: str) -> Iterator[None]:
    """Turn sqlite3 failures into the store's one-line errors, naming the file and the step."""
    try:
        yield
    except sqlite3.Error as exc:
        text = str(exc)
        lowered = text.lower()
        if any(word in lowered for word in _CORRUPTION):
            raise CorruptStoreError(f"{path}: corrupt database while {doing} ({text})") from exc
        if any(word in lowered for word in _WRITE_FAILURES):
            raise StoreWriteError(
                f"{path}: cannot write while {doing} ({text}); committed changes are intact"
            ) from exc
        raise StoreError(f"{path}: database error while {doing} ({text})") from exc


def open_read_only(path: Path, *, integrity: bool = False) -> sqlite3.Connection:
    """A read-only connection to an existing stswatch store (schema checked, never written)."""
    if not path.is_file():
        raise NotFoundError(f"{path}: no such stswatch database")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise StoreError(f"{path}: cannot open the database ({exc})") from exc
    try:
        with store_errors(path, doing="checking the database"):
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            check_schema_version(version, path=str(path))
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0] if integrity else "ok"
        if verdict != "ok":
            raise CorruptStoreError(f"{path}: corrupt database ({verdict}); it was not changed")
    except BaseException:
        conn.close()
        raise
    return conn


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
