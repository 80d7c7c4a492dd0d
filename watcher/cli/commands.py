"""Imports every command module so each registers itself on the `stswatch` group."""
from watcher.cli import lab  # noqa: F401
from watcher.cli import verify  # noqa: F401
from watcher.cli import report  # noqa: F401
from watcher.cli import record  # noqa: F401
from watcher.cli import scenario  # noqa: F401
