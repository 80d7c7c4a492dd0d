"""`stswatch serve`: the store's sessions in a browser, followed live, with a JSON API."""

from pathlib import Path
from typing import Any

import click

from stswatch.cli import main
from stswatch.cli.options import db_option
from stswatch.errors import UsageError
from stswatch.reports.serve.server import DEFAULT_LISTEN, Listen, parse_listen, serve


class _Listen(click.ParamType[Listen]):
    """HOST:PORT: `stswatch.reports.serve.server.parse_listen`."""

    name = "host:port"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Listen:
        if isinstance(value, Listen):
            return value
        try:
            return parse_listen(str(value))
        except UsageError as exc:
            self.fail(str(exc), param, ctx)


@main.command("serve")
@db_option
@click.option(
    "--listen",
    type=_Listen(),
    default=DEFAULT_LISTEN,
    show_default=True,
    help="Address to listen on; anything but loopback is warned about (no authentication).",
)
def serve_command(db_path: Path, listen: Listen) -> None:
    """Serve the store's sessions, read-only: a page per session drawn as `stswatch report` draws
    it (?since=&until=&statefulset=), followed live while a recorder writes it, and a JSON API.

    Safe beside a recorder writing the same store. Stop with Ctrl-C. Routes and the API:
    docs/serve.md.
    """
    warning = listen.warning()
    if warning is not None:
        click.echo(f"stswatch: warning: {warning}", err=True)

    def ready(url: str) -> None:
        click.echo(f"serving {db_path} read-only on {url} (Ctrl-C stops)", err=True)

    try:
        serve(db_path, listen, ready=ready)
    except KeyboardInterrupt:  # the way a server is stopped: not a failure
        click.echo("stopped", err=True)
