"""The reading side costs in proportion to the recording: counted, never timed.

Each session shape is built at two sizes, four times apart, and the Python lines executed while
loading, rebuilding lifecycles, verifying and building the timeline are counted (`sys.settrace`:
every line, including the comprehensions and the dataclass comparisons where quadratic work hides).
Lines per recorded change may grow by at most 1.3x between the sizes (issue 18's bound); a step
that compares every pod with every other one grows about 4x. Counting lines, not seconds, keeps
the test deterministic on a loaded machine.
"""

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from stswatch.reports.analysis import analyse
from tests.fixtures.at_scale import (
    build_session,
    cycling,
    halted_scale_up,
    parallel_burst,
    recreated_one_by_one,
)

SMALL, LARGE = 50, 200
GROWTH = 1.3  # lines per change at LARGE over SMALL
# A set cycling through many episodes shows a per-episode scan of its whole history only when
# each ordinal has many incarnations: 50 → 200 cycles grew 1.2x with such a scan, 50 → 400 ~1.5x.
LARGER = {"a small set cycling through many episodes (pods: cycles)": 400}

SHAPES: dict[str, Callable[..., None]] = {
    "scale-up, rollout, recreations, scale-down": build_session,
    "Parallel burst up and down": parallel_burst,
    "OrderedReady halted half way, lower pods flapping": halted_scale_up,
    "every pod recreated in turn (one episode a pod)": recreated_one_by_one,
    "a small set cycling through many episodes (pods: cycles)": cycling,
}


def lines_run(work: Callable[[], Any]) -> int:
    """How many Python lines `work` executes (call and line events of every frame)."""
    count = 0

    def trace(frame: FrameType, event: str, arg: object) -> Callable[..., Any]:
        nonlocal count
        count += 1
        return trace

    sys.settrace(trace)
    try:
        work()
    finally:
        sys.settrace(None)
    return count


def lines_per_change(path: Path) -> float:
    def read() -> int:
        analysis = analyse(path, "s1")
        analysis.timeline()
        return len(analysis.recording.changes)

    changes = read()
    return lines_run(read) / changes


@pytest.mark.parametrize("shape", SHAPES)
def test_the_reading_side_is_linear(shape: str, tmp_path: Path) -> None:
    build = SHAPES[shape]
    per_change = []
    for pods in (SMALL, LARGER.get(shape, LARGE)):
        path = tmp_path / f"{pods}.db"
        build(path, pods=pods)
        per_change.append(lines_per_change(path))
    small, large = per_change
    assert large <= small * GROWTH, (
        f"{shape}: {small:,.0f} lines a change at {SMALL} pods, {large:,.0f} at "
        f"{LARGER.get(shape, LARGE)} "
        f"({large / small:.2f}x; at most {GROWTH}x)"
    )
