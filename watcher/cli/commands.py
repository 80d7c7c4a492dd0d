"""Imports every command module so each registers itself on the `stswatch` group."""

from watcher.cli import (  # noqa: F401
    lab,
    record,
    report,
    scenario,
    verify,
)
