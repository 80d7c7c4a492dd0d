"""Discovery of the schema's SQL files and the version check both sides run before touching a store.

The schema version is SQLite's `PRAGMA user_version`: migration `NNNN_name.sql` brings a store to
version NNNN. A store whose version is above `SCHEMA_VERSION` came from a newer stswatch and is
refused untouched.
"""

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from migrations.failures import ExitCode, StswatchError

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class StoreError(StswatchError):
    """The SQLite store cannot be used."""

    exit_code = ExitCode.STORE


class SchemaTooNewError(StoreError):
    """The store was written by a newer stswatch; it is left untouched."""


class CorruptStoreError(StoreError):
    """The file is not an SQLite database, or fails its integrity check."""


class StoreWriteError(StoreError):
    """The store could not be written (read-only, disk full); committed data is intact."""


@dataclass(frozen=True)
class Migration:
    """One schema step: the version it brings a store to, and its SQL."""

    version: int
    name: str
    sql: str


def _migrations_dir() -> Path:
    return Path(str(resources.files("migrations")))


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


def check_schema_version(found: int, *, path: str) -> None:
    """Refuse a store from a newer stswatch, naming both versions."""
    if found > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"{path}: database schema version {found} is newer than this stswatch understands "
            f"({SCHEMA_VERSION}); upgrade stswatch. The file was not changed."
        )
