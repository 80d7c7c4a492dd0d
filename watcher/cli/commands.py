"""Imports every command module so each registers itself on the `stswatch` group."""
from watcher.cli import lab  # noqa: F401
from watcher.cli import verify  # noqa: F401
