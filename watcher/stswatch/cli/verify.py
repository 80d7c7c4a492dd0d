"""`stswatch verify SESSION`: prove the StatefulSet guarantees from a recording alone."""

import sys
from pathlib import Path

import click

from stswatch.cli import main
from stswatch.cli.options import (
    db_or_pieces_option,
    note_older_schema,
    session_store,
    statefulset_option,
    window_options,
    window_request,
)
from stswatch.errors import ExitCode
from stswatch.reports.analysis import analyse
from stswatch.reports.proofs.render import render_json, render_junit, render_text
from stswatch.reports.window import Moment

_RENDERERS = {"text": render_text, "json": render_json, "junit": render_junit}


@main.command()
@click.argument("session")
@db_or_pieces_option
@statefulset_option("episodes (NAME or NAMESPACE/NAME)")
@window_options
@click.option(
    "--format",
    "output",
    type=click.Choice(sorted(_RENDERERS)),
    default="text",
    show_default=True,
    help="text for a terminal, json for tools, junit for CI test reports.",
)
def verify(
    session: str,
    db_path: Path,
    statefulset: str | None,
    since: Moment | None,
    until: Moment | None,
    output: str,
) -> None:
    """Decide every StatefulSet guarantee in SESSION, with the recorded changes as evidence.

    Exit 0 when no verdict failed, 1 when at least one did, 4 when the session or StatefulSet
    does not exist, 6 when the store cannot be read. A verdict is inconclusive when evidence it
    needs is missing, and it says why: a recorded gap, the end of the recording (the evidence
    could still have arrived), or never recorded. Inconclusive and not-applicable verdicts do not
    fail the run, and are listed (JUnit: skipped) so they are never read as a pass. Each episode
    says whether it completed and, if not, which pod held it, why and for how long.

    --since/--until read one window of the session (a time, RFC 3339; or a duration: --since 1h
    is the session's last hour, --until 30m is thirty minutes after --since); with
    --statefulset, only that set's objects are read. A verdict whose episode or evidence lies
    partly outside the window is inconclusive, never failed.
    """
    window = window_request(since, until, statefulset)
    with session_store(db_path, session, window) as store:
        result = analyse(store, session, statefulset=statefulset, window=window).result
    note_older_schema(db_path)
    click.echo(_RENDERERS[output](result), nl=False)
    sys.exit(int(ExitCode.VERDICT_FAILED if result.failed else ExitCode.OK))
