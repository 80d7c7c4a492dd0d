"""The CLI loads a command's module only when that command runs; the map must stay complete."""

import importlib
import subprocess
import sys

import click

from stswatch import cli


def test_the_command_map_names_every_registered_command() -> None:
    for module in set(cli._COMMAND_MODULES.values()):
        importlib.import_module(f"stswatch.cli.{module}")
    assert set(cli.main.commands) == set(cli._COMMAND_MODULES)
    ctx = click.Context(cli.main)
    for name in cli._COMMAND_MODULES:
        assert cli.main.get_command(ctx, name) is not None


def test_status_does_not_import_the_recorder_or_the_report_renderer() -> None:
    code = (
        "import sys; from stswatch.cli import main; "
        "main.get_command(None, 'status'); "
        "print(sorted(m for m in ('stswatch.record.recorder', "
        "'stswatch.reports.timeline.html', 'stswatch.lab.lab') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_command_summary_in_help_reads_whole() -> None:
    # click cuts a summary at its first sentence: "Draw two sessions (e.g." was left of compare.
    for module in set(cli._COMMAND_MODULES.values()):
        importlib.import_module(f"stswatch.cli.{module}")
    for name, command in cli.main.commands.items():
        summary = command.get_short_help_str(limit=200)
        assert summary.count("(") == summary.count(")"), (name, summary)
        assert not summary.endswith(("e.g.", "i.e.")), (name, summary)
