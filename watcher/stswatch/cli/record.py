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
from stswatch.cli.console import RecordRequest, describe, record_from_terminal
from stswatch.cli.log import configure_logging
from stswatch.cli.options import (
    cluster_options,
    db_option,
    statefulset_option,
    window_options,
    window_request,
)
from stswatch.output import replacing
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


@main.command()
@click.option("--session", required=True, help="Session name; an existing session is resumed.")
@click.option("-n", "--namespace", default=None, help="Namespace (default: the context's).")
@click.option("-A", "--all-namespaces", is_flag=True, help="Record every namespace.")
@statefulset_option("world (its pods, claims, volumes, Service, revisions and Events)")
@click.option("--duration", type=_Duration(), default=None, help="Stop after this long (5m, 1h).")
@cluster_options
@click.option("--keep-env", is_flag=True, help="Keep container env values (redacted by default).")
@db_option
@click.option(
    "--log-format",
    type=click.Choice(["auto", "json", "console"]),
    default="auto",
    show_default=True,
)
@click.option("-v", "--verbose", count=True, help="Debug logs.")
def record(
    session: str,
    namespace: str | None,
    all_namespaces: bool,
    statefulset: str | None,
    duration: float | None,
    kubeconfig: Path | None,
    context: str | None,
    keep_env: bool,
    db_path: Path,
    log_format: str,
    verbose: int,
) -> None:
    """Record every change of a StatefulSet's world into a session, until Ctrl-C or --duration."""
    if all_namespaces and (namespace or statefulset):
        raise click.UsageError("-A records every namespace: drop -n/--statefulset, or drop -A")
    configure_logging(log_format=log_format, verbosity=verbose)  # type: ignore[arg-type]
    request = RecordRequest(
        session=session,
        db_path=db_path,
        namespace=namespace,
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
@statefulset_option("objects")
@window_options
@db_option
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

    def write(out: BinaryIO) -> int:
        if window is None:
            return export_jsonl(db_path, session=session, out=out)
        return export_window(db_path, session, window, out)

    if output is None:
        count = write(sys.stdout.buffer)
    else:
        with replacing(output) as out:
            count = write(out)
    click.echo(f"exported {count} changes of session {session}", err=True)
