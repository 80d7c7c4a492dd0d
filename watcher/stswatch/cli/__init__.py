"""The `stswatch` command: parses arguments, calls one function of the package, prints, exits.

Every user-facing failure is a `StswatchError`; it is printed here as one line on stderr and the
process exits with its documented code (`stswatch.errors.ExitCode`).
"""

import contextlib
import errno
import importlib
import os
import sys
from typing import Any

import click

from stswatch import safe_text
from stswatch.errors import ExitCode, StswatchError
from stswatch.version import __version__

# Each command lives in its own module, imported only when that command runs (or help lists
# it): `stswatch status` need not import the recorder, the lab and the report renderer first.
_COMMAND_MODULES = {
    "lab": "lab",
    "status": "checker",
    "doctor": "checker",
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


# What writing to a full or closed stdout raises (`> /dev/full`, a closed pipe, a full quota).
# Files a command writes itself are written by `stswatch.output`, which raises OutputWriteError.
_STDOUT_FULL = frozenset((errno.ENOSPC, errno.EPIPE, errno.EFBIG, errno.EDQUOT, errno.EIO))


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's flush at exit does not fail again."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


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
            result = super().invoke(ctx)
            sys.stdout.flush()  # here, not at exit: a full stdout is this command's failure
            return result
        except OSError as exc:
            if exc.errno not in _STDOUT_FULL:
                raise
            _silence_stdout()
            why = exc.strerror or exc
            click.echo(f"stswatch: error: cannot write to standard output: {why}", err=True)
            sys.exit(int(ExitCode.OUTPUT))
        except StswatchError as exc:
            click.echo(f"stswatch: error: {_error_text(exc.message)}", err=True, nl=False)
            sys.exit(int(exc.exit_code))
        except KeyboardInterrupt:
            click.echo("stswatch: interrupted", err=True)
            sys.exit(int(ExitCode.INTERRUPTED))


def _error_text(message: str) -> str:
    """A failure's message for stderr: it may quote the API server, a store or a log, so every
    line is a `safe_text` field and the lines after the first (a log's tail) are indented: no
    quoted text can drive the terminal or pose as a line of stswatch's own."""
    first, *rest = message.split("\n")
    return safe_text.lines([first, *(f"  {line}" for line in rest)])


@click.group(cls=_Stswatch, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="stswatch")
def main() -> None:
    """Record what a cluster does to a StatefulSet, prove its guarantees, draw the timeline."""
