"""Options several commands share, defined once."""

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from stswatch.errors import UsageError
from stswatch.reports.pieces import is_pieces_folder, joined
from stswatch.reports.recording import older_schema_note
from stswatch.reports.window import Moment, WindowRequest, parse_moment

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


def db_or_pieces_option(func: F) -> F:
    """`--db PATH`: a store, or the folder of a continuous recording (`session_store`)."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(path_type=Path),
        default=DEFAULT_DB,
        envvar="STSWATCH_DB",
        show_default=True,
        help="SQLite store holding the sessions, or the --dir of a continuous recording (its "
        "pieces read as one: docs/flight.md).",
    )(func)


def cluster_options(func: F) -> F:
    """`--kubeconfig PATH` and `--context NAME`: which cluster, as kubectl reads them."""
    func = click.option(
        "--context", default=None, help="kubeconfig context to use (default: the current one)."
    )(func)
    return click.option(
        "--kubeconfig",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=(
            "kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the pod's "
            "in-cluster ServiceAccount)."
        ),
    )(func)


def statefulset_option(what: str) -> Callable[[F], F]:
    """`--statefulset NAME`: one StatefulSet only; `what` says what the command keeps of it."""
    return click.option("--statefulset", default=None, help=f"Only this StatefulSet's {what}.")


@contextlib.contextmanager
def session_store(db_path: Path, session: str, window: WindowRequest | None) -> Iterator[Path]:
    """The store to read `session` from: `db_path`, or, for a continuous recording's folder,
    the pieces the window needs joined into one (`stswatch.reports.pieces.joined`)."""
    if is_pieces_folder(db_path):
        with joined(db_path, session, window) as path:
            yield path
    else:
        yield db_path


def note_older_schema(path: Path) -> None:
    """Say on stderr when a read-only command reads a store older than this stswatch's schema."""
    if is_pieces_folder(path):
        return
    note = older_schema_note(path)
    if note is not None:
        click.echo(note, err=True)


class _Moment(click.ParamType[Moment]):
    """A time (RFC 3339) or a duration (30m, 1h): `stswatch.reports.window.parse_moment`."""

    name = "time|duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Moment:
        if isinstance(value, Moment):
            return value
        try:
            return parse_moment(str(value))
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


def window_options(func: F) -> F:
    """`--since` and `--until`: read only that stretch of the session."""
    until = click.option(
        "--until",
        type=_Moment(),
        default=None,
        help="Read up to this time (RFC 3339), or this long after --since (30m, 1h).",
    )
    since = click.option(
        "--since",
        type=_Moment(),
        default=None,
        help="Read from this time (RFC 3339), or this long before the session's end (1h, 30m).",
    )
    return since(until(func))


def window_request(
    since: Moment | None, until: Moment | None, statefulset: str | None
) -> WindowRequest | None:
    """What `--since/--until/--statefulset` ask for, or None when nothing narrows the session."""
    request = WindowRequest(since, until, statefulset)
    return None if request.empty else request
