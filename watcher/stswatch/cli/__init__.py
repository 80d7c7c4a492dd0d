"""The `stswatch` command: parses arguments, calls one function of the package, prints, exits.

Every user-facing failure is a `StswatchError`; it is printed here as one line on stderr and the
process exits with its documented code (`stswatch.errors.ExitCode`).
"""

import importlib
import sys
from typing import Any

import click

from stswatch.errors import ExitCode, StswatchError
from stswatch.version import __version__

# Each command lives in its own module, imported only when that command runs (or help lists
# it): `stswatch status` need not import the recorder, the lab and the report renderer first.
_COMMAND_MODULES = {
    "lab": "lab",
    "status": "live",
    "doctor": "live",
    "record": "record",
    "sessions": "record",
    "export": "record",
    "report": "report",
    "compare": "report",
    "scenario": "scenario",
    "serve": "serve",
    "demo": "scenario",
    "verify": "verify",
}


class _Stswatch(click.Group):
    """Click group that maps stswatch failures to one line and an exit code, and loads each
    command's module when the command is first asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        module = _COMMAND_MODULES.get(cmd_name)
        if module is not None and cmd_name not in self.commands:
            importlib.import_module(f"stswatch.cli.{module}")  # registers itself on `main`
        return super().get_command(ctx, cmd_name)

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
