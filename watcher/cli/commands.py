"""Imports every command module so each registers itself on the `stswatch` group."""

from watcher.cli import (  # noqa: F401
    lab,
    live,
    record,
    report,
    scenario,
    verify,
)
