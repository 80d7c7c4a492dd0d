"""The store contract: the schema's SQL files, the version check, and the one read-only opener.

Both the recording side (`stswatch.record`) and the reading side (`stswatch.reports`) depend on
this module and on nothing of each other, so data flows one way: cluster -> record -> SQLite ->
reports.

The schema version is SQLite's `PRAGMA user_version`: migration `NNNN_name.sql` brings a store to
version NNNN. A store whose version is above `SCHEMA_VERSION` came from a newer stswatch and is
refused untouched.
"""

import contextlib
import os
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from stswatch.errors import (
    CorruptStoreError,
    NotFoundError,
    SchemaTooNewError,
    StoreError,
    StoreWriteError,
)

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One schema step: the version it brings a store to, and its SQL."""

    version: int
    name: str
    sql: str


def _migrations_dir() -> Path:
    """The SQL files: the wheel's copy (`stswatch/migrations`), or the checkout's `migrations/`
    when running from the repository (this file is `watcher/stswatch/store_contract.py` there)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "migrations", here.parents[1] / "migrations"):
        if (candidate / "0001_initial.sql").is_file():
            return candidate
    raise StoreError(f"the schema's SQL files are missing (looked next to {here})")


def list_migrations() -> tuple[Migration, ...]:
    """All migrations shipped with this stswatch, in version order."""
    found: list[Migration] = []
    for path in sorted(_migrations_dir().glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if match is None:
            raise StoreError(f"migration file {path.name!r} does not match NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise StoreError(f"migration versions are not 1..N without holes: {versions}")
    return tuple(found)


SCHEMA_VERSION = len(list_migrations())

# The `change` table's columns (0001_initial.sql, less its `id`), in the one order the recorder
# inserts them and the reading side selects them.
CHANGE_COLUMNS: Final = (
    "session_id",
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
    "object",
)


def check_schema_version(found: int, *, path: str) -> None:
    """Refuse a store from a newer stswatch, naming both versions."""
    if found > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"{path}: database schema version {found} is newer than this stswatch understands "
            f"({SCHEMA_VERSION}); upgrade stswatch. The file was not changed."
        )


# Reading a store safely from either side.
#
# Reading a store safely from either side: one read-only opener and one sqlite error mapping.
#
# The recorder (to check a file before writing into it, and for `sessions`/`export`) and the
# reading side (`stswatch.reports.recording`) open stores the same way, so a damaged, foreign or
# newer
# file gets the same one-line error whichever command met it.
#
# A store is read where it lies, even on read-only media (a recording someone mailed you, a CD, a
# read-only volume). SQLite's read-only mode still needs to create the write-ahead log's index
# (`-shm`) beside a WAL store; when the folder cannot be written and no log holds pending pages,
# the file is opened `immutable=1` instead (https://sqlite.org/uri.html#uriimmutable), which
# reads it as it is, without any lock or index file. A log with pending pages that cannot be read
# there is said to be so, rather than called a write failure.

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
        if path.exists():
            raise StoreError(f"{path}: not a regular file, so not an stswatch database")
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
