"""`stswatch report` and `stswatch compare`: draw sessions as self-contained HTML, JSON or text."""

from pathlib import Path

import click
from click.core import ParameterSource

from stswatch.cli import main
from stswatch.cli.options import (
    db_option,
    db_or_pieces_option,
    note_older_schema,
    session_store,
    statefulset_option,
    window_options,
    window_request,
)
from stswatch.output import write_output
from stswatch.reports.analysis import analyse
from stswatch.reports.recording import paused_gc
from stswatch.reports.timeline.compare import compare as compare_timelines
from stswatch.reports.timeline.html import render_comparison, render_report
from stswatch.reports.timeline.model import timeline_json
from stswatch.reports.timeline.text import timeline_text
from stswatch.reports.window import Moment

_OUTPUT = click.Path(dir_okay=False, writable=True, path_type=Path)
_STATEFULSET = statefulset_option(
    "lanes and episodes, when the session recorded several (NAME or NAMESPACE/NAME)"
)


def _write(path: Path, data: bytes) -> None:
    """Write atomically: a reader never sees half a report."""
    write_output(path, data)
    click.echo(f"wrote {path} ({len(data) / 1e6:.2f} MB)")


@main.command()
@click.argument("session")
@click.option("-o", "--output", type=_OUTPUT, help="File to write (required unless --text).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "json"]),
    default="html",
    show_default=True,
    help="html: the report people open; json: the timeline data it draws.",
)
@click.option("--text", is_flag=True, help="Print a compact text timeline to the terminal.")
@_STATEFULSET
@window_options
@db_or_pieces_option
def report(
    session: str,
    output: Path | None,
    fmt: str,
    text: bool,
    statefulset: str | None,
    since: Moment | None,
    until: Moment | None,
    db_path: Path,
) -> None:
    """Draw SESSION's timeline with its verdicts: one HTML file that loads nothing from anywhere.

    --since/--until (and --statefulset) draw only that window of the session, as `verify` reads it.
    """
    if not text and output is None:
        raise click.UsageError("give -o FILE (or --text to print to the terminal)")
    given_format = click.get_current_context().get_parameter_source("fmt")
    if text and (output is not None or given_format is ParameterSource.COMMANDLINE):
        raise click.UsageError(
            "--text prints the timeline to the terminal: drop -o and --format, or drop --text"
        )
    window = window_request(since, until, statefulset)
    # The analysis lives until the command exits: frozen, the collector never walks it (at 10,000
    # pods that walk took about a second, once, after the timeline was built).
    with session_store(db_path, session, window) as store, paused_gc():
        timeline = analyse(store, session, window=window, drawn=True).timeline(statefulset)
    if text:
        click.echo(timeline_text(timeline), nl=False)
    elif output is not None:
        data = render_report(timeline).encode() if fmt == "html" else timeline_json(timeline)
        _write(output, data)
    note_older_schema(db_path)


@main.command("compare")
@click.argument("session_a")
@click.argument("session_b")
@click.option("-o", "--output", type=_OUTPUT, required=True, help="HTML file to write.")
@click.option(
    "--db-b",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Store holding SESSION_B, when it is not the --db store.",
)
@_STATEFULSET
@db_option
def compare_command(
    session_a: str,
    session_b: str,
    output: Path,
    db_b: Path | None,
    statefulset: str | None,
    db_path: Path,
) -> None:
    """Draw two sessions aligned at their first scale-up, such as OrderedReady and Parallel."""
    with paused_gc():  # as `report`: the analyses live until the command exits
        a = analyse(db_path, session_a, drawn=True).timeline(statefulset)
        b = analyse(db_b or db_path, session_b, drawn=True).timeline(statefulset)
    _write(output, render_comparison(compare_timelines(a, b)).encode())
