"""Options several commands share, defined once."""

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from stswatch.reports.recording import older_schema_note

F = TypeVar("F", bound=Callable[..., object])

DEFAULT_DB = "stswatch.db"


def db_option(func: F) -> F:
    """`--db PATH`: the SQLite store (env STSWATCH_DB, default ./stswatch.db)."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_DB,
        envvar="STSWATCH_DB",
        show_default=True,
        help="SQLite store holding the sessions.",
    )(func)


def note_older_schema(path: Path) -> None:
    """Say on stderr when a read-only command reads a store older than this stswatch's schema."""
    note = older_schema_note(path)
    if note is not None:
        click.echo(note, err=True)
