"""Whether this host can run real nodes, and what a killed run left behind.

Real nodes need root and the Debian packages README names. In CI they must be there (no skip);
on a developer machine without them a module skips with the reason.
"""

import os
from pathlib import Path

import pytest

from stswatch.lab import realnode
from stswatch.lab.images import missing_tools
from stswatch.lab.lab import stop_lab

REQUIRE_ENVS = ("CI", "STSWATCH_REQUIRE_REAL_NODES")  # .ci/run sets the second


def _required() -> bool:
    """In CI a host that cannot run real nodes fails the tests; elsewhere they skip."""
    return any(os.environ.get(name) for name in REQUIRE_ENVS)


def _host_problems() -> list[str]:
    return realnode.host_problems() + [f"Debian package {p}" for p in missing_tools()]


def skip_unless_real_nodes_can_run() -> None:
    """Skip, naming what is missing, where the host cannot run real nodes; when `_required`, go
    on, so that starting the lab fails the test loudly."""
    problems = _host_problems()
    if problems and not _required():
        pytest.skip(f"real nodes need: {'; '.join(problems)}")


def stop_leftover_labs(pytest_root: Path) -> None:
    """A run killed before its teardown leaves real nodes behind: take them down now."""
    for layout in pytest_root.glob(f"pytest-*/*/{realnode.LAYOUT_FILE}"):
        print(f"taking down leftover real-node lab {layout.parent}")
        stop_lab(layout.parent)
