"""The store contract: the SQLite schema (plain SQL files here) and the failures both sides share.

Both the recording side (`watcher`) and the reading side (`reports`) depend on this package and
on nothing of each other, so data flows one way: cluster -> watcher -> SQLite -> reports.
"""

from migrations.failures import ExitCode, StswatchError
from migrations.schema import (
    SCHEMA_VERSION,
    CorruptStoreError,
    Migration,
    SchemaTooNewError,
    StoreError,
    StoreWriteError,
    check_schema_version,
    list_migrations,
)

__all__ = [
    "SCHEMA_VERSION",
    "CorruptStoreError",
    "ExitCode",
    "Migration",
    "SchemaTooNewError",
    "StoreError",
    "StoreWriteError",
    "StswatchError",
    "check_schema_version",
    "list_migrations",
]
