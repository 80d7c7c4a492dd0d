"""Benchmark: `verify` on a synthetic 1,000-pod session (~20k changes). Prints; never asserts.

Baselines, measured in the same run: the floor of loading (a raw `sqlite3` read of the same
change rows and one `orjson.loads` per object, with the cyclic collector paused as loading
pauses it) beside `load_recording`, and their ratio (target: loading at least half the floor's
speed). Target for verify itself: under 2 s.
"""

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from stswatch.reports.history.lifecycles import build_lifecycles
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording, paused_gc
from stswatch.store import CHANGE_COLUMNS
from tests.fixtures.builder import ClusterBuilder

PODS = 1_000


def build_session(path: Path, *, pods: int) -> None:
    """Scale-up 0→pods, a rolling update of every pod, pods/10 recreations, scale-down to half."""
    b = ClusterBuilder(step_ms=5)
    b.service("web-headless")
    b.statefulset("web", replicas=pods)
    for ordinal in range(pods):
        b.set_status("web", replicas=ordinal + 1, readyReplicas=ordinal)
        b.bring_up("web", ordinal)
        b.set_status("web", readyReplicas=ordinal + 1)
        if ordinal % 100 == 99:
            b.endpoints("web-headless")
    b.set_spec("web", image="nginx:2")
    b.set_status("web", observedGeneration=2, updateRevision="web-rev2")
    for ordinal in reversed(range(pods)):
        b.take_down("web", ordinal)
        b.set_status("web", readyReplicas=pods - 1, currentReplicas=ordinal)
        b.bring_up("web", ordinal)
        b.set_status("web", readyReplicas=pods)
        b.set_status("web", updatedReplicas=pods - ordinal)
    b.endpoints("web-headless")
    for ordinal in range(0, pods, 10):
        b.take_down("web", ordinal)
        b.set_status("web", readyReplicas=pods - 1)
        b.bring_up("web", ordinal)
        b.set_status("web", readyReplicas=pods)
    b.endpoints("web-headless")
    b.set_spec("web", replicas=pods // 2)
    for ordinal in reversed(range(pods // 2, pods)):
        b.terminate(f"web-{ordinal}")
        b.set_status("web", readyReplicas=ordinal)
        b.remove(f"web-{ordinal}")
        b.set_status("web", replicas=ordinal)
    b.write(path)


# The same rows `load_recording` reads: every column but session_id, in receive order.
_RAW = f"SELECT id, {', '.join(CHANGE_COLUMNS[1:])} FROM change WHERE session_id = 1 ORDER BY id"


def raw_read_and_decode(path: Path) -> list[tuple[Any, ...]]:
    """The floor: the session's change rows read with plain sqlite3, each object decoded."""
    conn = sqlite3.connect(path)
    try:
        with paused_gc():
            return [(*row[:-1], orjson.loads(row[-1])) for row in conn.execute(_RAW)]
    finally:
        conn.close()


def _timed(label: str, changes: int, run: "object") -> float:
    started = time.perf_counter()
    run()  # type: ignore[operator]
    took = time.perf_counter() - started
    print(f"{label:<28}{took:>8.3f} s  {changes / took:>12,.0f} changes/s")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pods", type=int, nargs="?", default=PODS, help="pods in the session")
    pods = parser.parse_args().pods
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        build_session(path, pods=pods)
        recording = load_recording(path, "s1")
        n = len(recording.changes)
        print(f"session: {pods} pods, {n} changes")
        floor = _timed("raw read + decode (floor)", n, lambda: raw_read_and_decode(path))
        load = _timed("load_recording", n, lambda: load_recording(path, "s1"))
        print(f"load_recording at {floor / load:.0%} of the floor's speed (target >= 50%)")
        _timed("build_lifecycles", n, lambda: build_lifecycles(recording))
        took = _timed("verify (lifecycles+proofs)", n, lambda: verify(recording))
        result = verify(recording)
        print(
            f"episodes {len(result.episodes)}, verdicts {len(result.verdicts)}, "
            f"failed {result.count('fail')}; target < 2 s: {'met' if took < 2 else 'missed'}"
        )


if __name__ == "__main__":
    main()
