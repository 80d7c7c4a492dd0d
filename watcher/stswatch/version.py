"""The installed stswatch's version (from its package metadata), recorded with every run."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("stswatch")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
