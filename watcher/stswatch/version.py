"""stswatch recording side: reflectors, the SQLite writer, the lab, scenarios and the CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stswatch")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
