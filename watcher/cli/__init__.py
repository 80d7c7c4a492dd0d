"""The `stswatch` command: parses arguments, calls one function of the package, prints, exits.

Every user-facing failure is a `StswatchError`; it is printed here as one line on stderr and the
process exits with its documented code (`migrations.failures.ExitCode`).
"""

import sys
from typing import Any

import click

from migrations import ExitCode, StswatchError
from watcher import __version__


class _Stswatch(click.Group):
    """Click group that maps stswatch failures to one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StswatchError as exc:
            click.echo(f"stswatch: error: {exc.message}", err=True)
            sys.exit(int(exc.exit_code))
        except KeyboardInterrupt:
            click.echo("stswatch: interrupted", err=True)
            sys.exit(int(ExitCode.INTERRUPTED))


@click.group(cls=_Stswatch, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stswatch")
def main() -> None:
    """Record what a cluster does to a StatefulSet, prove its guarantees, draw the timeline."""


def _register() -> None:
    # Each command lives in its own module; importing registers it on `main`.
    from watcher.cli import commands  # noqa: F401


_register()
