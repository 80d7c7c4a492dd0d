"""`stswatch record`, `stswatch sessions`, `stswatch export`: record a session, list, export."""

import asyncio
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import click

from stswatch import safe_text
from stswatch.cli import main
from stswatch.cli.console import (
    FlightRequest,
    RecordRequest,
    describe,
    describe_flight,
    record_continuously,
    record_from_terminal,
)
from stswatch.cli.log import configure_logging
from stswatch.cli.options import (
    cluster_options,
    db_option,
    db_or_pieces_option,
    session_store,
    statefulset_option,
    window_options,
    window_request,
)
from stswatch.output import replacing
from stswatch.record.flight import DEFAULT_PIECE_BYTES, LEASE_NAME
from stswatch.record.lease import LEASE_DURATION_S
from stswatch.record.pieces import parse_age, parse_size
from stswatch.reports.recording import export_jsonl, list_sessions
from stswatch.reports.window import Moment
from stswatch.reports.window_reader import export_window

_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h)?$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


class _Duration(click.ParamType[float]):
    """A duration: `90`, `90s`, `5m`, `1.5h`."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, int | float):
            return float(value)
        match = _DURATION.match(str(value).strip())
        if match is None:
            self.fail(f"{value!r} is not a duration like 90s, 5m or 1h", param, ctx)
        return float(match[1]) * _UNIT_SECONDS[match[2]]


class _Text(click.ParamType[str]):
    """A text checked by `check` (which raises ValueError with the message), kept as given."""

    def __init__(self, name: str, check: Any) -> None:
        self.name = name
        self._check = check

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            self._check(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        return str(value)


@main.command()
@click.option(
    "--session",
    default=None,
    help="Session name; an existing session is resumed (not with "
    "--continuous: there each piece's sessions are named after their namespace).",
)
@click.option(
    "-n",
    "--namespace",
    "namespaces",
    multiple=True,
    help="Namespace (default: the context's); --continuous takes it more than once.",
)
@click.option("-A", "--all-namespaces", is_flag=True, help="Record every namespace.")
@statefulset_option("world (its pods, claims, volumes, Service, revisions and Events)")
@click.option("--duration", type=_Duration(), default=None, help="Stop after this long (5m, 1h).")
@cluster_options
@click.option("--keep-env", is_flag=True, help="Keep container env values (redacted by default).")
@db_option
@click.option(
    "--continuous",
    is_flag=True,
    help="Record until SIGTERM into DIR, one store per piece (a UTC day, or --piece-size), with "
    "retention, a Lease and /healthz, /readyz, /metrics: docs/flight.md.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="--continuous: the folder of the pieces.",
)
@click.option(
    "--retain",
    type=_Text("age", parse_age),
    default=None,
    help="--continuous: delete pieces older than this (7d, 12h).",
)
@click.option(
    "--max-size",
    type=_Text("size", parse_size),
    default=None,
    help="--continuous: delete the "
    "oldest pieces while all of them take more than this (2GiB, 500MiB).",
)
@click.option(
    "--piece-every",
    type=_Text("age", parse_age),
    default="1d",
    show_default=True,
    help="--continuous: a new piece at every multiple of this since the epoch (1d: UTC midnight).",
)
@click.option(
    "--piece-size",
    type=_Text("size", parse_size),
    default=None,
    help="--continuous: a new piece once one reaches this [default: 256MiB, or a quarter of "
    "--max-size if smaller].",
)
@click.option(
    "--listen",
    default=None,
    help="--continuous: serve /healthz, /readyz, /metrics here (0.0.0.0:9090).",
)
@click.option(
    "--lease-namespace",
    default=None,
    help="--continuous: hold a Lease there; a replica that does not hold it stands by.",
)
@click.option("--lease-name", default=LEASE_NAME, show_default=True, help="--continuous: its name.")
@click.option(
    "--lease-duration",
    type=click.IntRange(min=3),
    default=LEASE_DURATION_S,
    show_default=True,
    help="--continuous: leaseDurationSeconds (renewed every third of it).",
)
@click.option(
    "--log-format",
    type=click.Choice(["auto", "json", "console"]),
    default="auto",
    show_default=True,
)
@click.option("-v", "--verbose", count=True, help="Debug logs.")
def record(
    session: str | None,
    namespaces: tuple[str, ...],
    all_namespaces: bool,
    statefulset: str | None,
    duration: float | None,
    kubeconfig: Path | None,
    context: str | None,
    keep_env: bool,
    db_path: Path,
    continuous: bool,
    directory: Path | None,
    retain: str | None,
    max_size: str | None,
    piece_every: str,
    piece_size: str | None,
    listen: str | None,
    lease_namespace: str | None,
    lease_name: str,
    lease_duration: int,
    log_format: str,
    verbose: int,
) -> None:
    """Record every change of a StatefulSet's world into a session, until Ctrl-C or --duration.

    With --continuous, record until SIGTERM into --dir, in pieces, as an in-cluster flight
    recorder (docs/flight.md).
    """
    if all_namespaces and (namespaces or statefulset):
        raise click.UsageError("-A records every namespace: drop -n/--statefulset, or drop -A")
    configure_logging(log_format=log_format, verbosity=verbose)  # type: ignore[arg-type]
    if continuous:
        if directory is None:
            raise click.UsageError("--continuous needs --dir DIR (the folder of the pieces)")
        if session is not None or statefulset is not None:
            raise click.UsageError(
                "--continuous records whole namespaces into pieces: drop --session/--statefulset"
            )
        most = parse_size(max_size) if max_size else None
        flight = FlightRequest(
            directory=directory,
            namespaces=namespaces,
            all_namespaces=all_namespaces,
            kubeconfig=kubeconfig,
            context=context,
            keep_env=keep_env,
            retain_s=parse_age(retain) if retain else None,
            max_bytes=most,
            piece_every_s=parse_age(piece_every),
            piece_bytes=(
                parse_size(piece_size)
                if piece_size
                else min(DEFAULT_PIECE_BYTES, most // 4 if most else DEFAULT_PIECE_BYTES)
            ),
            listen=listen,
            lease_namespace=lease_namespace,
            lease_name=lease_name,
            lease_duration_s=lease_duration,
            duration_s=duration,
        )
        for line in describe_flight(asyncio.run(record_continuously(flight))):
            click.echo(line)
        return
    flight_only = {
        "--dir": directory,
        "--retain": retain,
        "--max-size": max_size,
        "--piece-size": piece_size,
        "--listen": listen,
        "--lease-namespace": lease_namespace,
    }
    given = [name for name, value in flight_only.items() if value is not None]
    if given:
        raise click.UsageError(f"{', '.join(given)}: only with --continuous")
    if session is None:
        raise click.UsageError("Missing option '--session' (or record with --continuous --dir)")
    if len(namespaces) > 1:
        raise click.UsageError("one -n per session (--continuous records several)")
    request = RecordRequest(
        session=session,
        db_path=db_path,
        namespace=namespaces[0] if namespaces else None,
        all_namespaces=all_namespaces,
        statefulset=statefulset,
        duration=duration,
        kubeconfig=kubeconfig,
        context=context,
        keep_env=keep_env,
    )
    summary = asyncio.run(record_from_terminal(request))
    for line in describe(summary):
        click.echo(line)


@main.command()
@db_option
def sessions(db_path: Path) -> None:
    """List the sessions in a store: runs, changes, gaps, recorded time."""
    overviews = list_sessions(db_path)
    if not overviews:
        click.echo(f"{db_path}: no sessions")
        return
    # Session names and scopes are whatever a recorder was given: shown escaped, and measured so.
    names = [safe_text.field(s.name) for s in overviews]
    width = max(len("SESSION"), *map(len, names))
    rows = [
        f"{'SESSION':<{width}} {'CREATED (UTC)':<20} {'RUNS':>4} {'CHANGES':>8} {'GAPS':>5} "
        f"{'MARKS':>5} {'RECORDED':>9}  SCOPE"
    ]
    for name, s in zip(names, overviews, strict=True):
        created = datetime.fromtimestamp(s.created_wall_ns / 1e9, tz=UTC).strftime(
            "%Y-%m-%d %H:%M:%S"
        )
        scope = (
            "all namespaces" if s.scope.get("all_namespaces") else f"ns {s.scope.get('namespace')}"
        )
        if s.scope.get("statefulset"):
            scope += f", statefulset {s.scope['statefulset']}"
        rows.append(
            f"{name:<{width}} {created:<20} {s.runs:>4} {s.changes:>8} {s.gaps:>5} {s.marks:>5} "
            f"{s.recorded_seconds:>8.1f}s  {scope}"
        )
    click.echo(safe_text.lines(rows), nl=False)


@main.command()
@click.argument("session")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here instead of stdout.",
)
@statefulset_option("objects (NAME or NAMESPACE/NAME)")
@window_options
@db_or_pieces_option
def export(
    session: str,
    fmt: str,
    output: Path | None,
    statefulset: str | None,
    since: Moment | None,
    until: Moment | None,
    db_path: Path,
) -> None:
    """Export a session's changes as JSON Lines, one change (with its object) per line.

    --since/--until and --statefulset export only the changes of that window and set (as
    `verify` reads them; the state before the window is not exported).
    """
    window = window_request(since, until, statefulset)

    def write(store: Path, out: BinaryIO) -> int:
        if window is None:
            return export_jsonl(store, session=session, out=out)
        return export_window(store, session, window, out)

    with session_store(db_path, session, window) as store:
        if output is None:
            count = write(store, sys.stdout.buffer)
        else:
            with replacing(output) as out:
                count = write(store, out)
    click.echo(f"exported {count} changes of session {safe_text.field(session)}", err=True)
