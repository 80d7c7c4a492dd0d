"""Where the lab keeps things: the binary cache, the Go wrapper modules, the default lab dir."""

import os
from pathlib import Path

from stswatch.errors import LabError

CACHE_ENV = "STSWATCH_CACHE"
LAB_DIR_ENV = "STSWATCH_LAB_DIR"


def cache_root() -> Path:
    """`$STSWATCH_CACHE`, else `$XDG_CACHE_HOME/stswatch`, else `~/.cache/stswatch`."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "stswatch"


def default_lab_dir() -> Path:
    """`$STSWATCH_LAB_DIR`, else `<cache>/lab`, so status and down work from any directory."""
    explicit = os.environ.get(LAB_DIR_ENV)
    return Path(explicit).expanduser() if explicit else cache_root() / "lab"


def controlplane_modules() -> Path:
    """The checked-in Go wrapper modules: the wheel's copy (`stswatch/lab/controlplane`), or the
    checkout's `controlplane/` when running from the repository (`watcher/stswatch/lab/`)."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "controlplane", package.parents[2] / "controlplane"):
        if (candidate / "kubernetes" / "go.mod").is_file():
            return candidate
    raise LabError(f"the controlplane/ Go modules are missing (looked next to {package})")
