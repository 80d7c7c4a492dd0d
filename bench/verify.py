"""Benchmark: `verify` on synthetic sessions of 1k, 10k and 100k pods (~20 changes a pod).

Each size is built once (streamed into a store, bounded memory), then measured in fresh child
processes so one size's memory never counts against another's:

- floor (the baseline, same run): a raw `sqlite3` read of the change rows + `orjson.loads` of
  each object, the least any reader of the session pays;
- `load_recording(objects=False)`, as `verify` and `report` load a session (the objects stay in
  the store: `build_lifecycles` reads them back one object at a time and decodes each change
  once), `build_lifecycles` and `verify` (lifecycles + proofs), with time per change;
- the verify process's peak RSS (load + verify).

Prints one table; time per change across sizes shows whether the reading side is linear (the
last column is each size's verify time per change over the smallest size's). Never asserts.
Targets (issue 18): per-change time within 1.3x across sizes; at 10k pods verify <= 5 s and
load >= 50% of the floor's speed; the 100k-pod verify's peak RSS <= 2 GB.

    python -m bench.verify [PODS ...] [--keep DIR]   (from the repository root)
"""

import argparse
import contextlib
import gc
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from stswatch.reports.history.lifecycles import build_lifecycles
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.at_scale import build_session

SIZES = (1_000, 10_000, 100_000)


def _seconds(run: Callable[[], Any]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _floor(path: Path) -> dict[str, float]:
    """The raw read of every change row and the decode of every object: what any reader pays."""

    def read() -> None:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        # As load_recording reads them: the session's span of rowids, never sorted on disk.
        span = conn.execute("SELECT min(id), max(id) FROM change WHERE session_id = 1").fetchone()
        rows = conn.execute(
            "SELECT * FROM change WHERE +session_id = 1 AND id BETWEEN ? AND ? ORDER BY id", span
        ).fetchall()
        objects = [orjson.loads(row[-1]) for row in rows]
        assert len(objects) == len(rows)
        conn.close()

    gc.disable()  # as load_recording and verify do: no collection walks the decoded objects
    return {"floor": _seconds(read)}


def _measure(path: Path) -> dict[str, float]:
    """load, lifecycles and verify of the session at `path`, and this process's peak RSS."""
    gc.disable()
    loaded: list[Any] = []
    took = {"load": _seconds(lambda: loaded.append(load_recording(path, "s1", objects=False)))}
    recording = loaded[0]
    took["lifecycles"] = _seconds(lambda: build_lifecycles(recording))
    results: list[Any] = []
    took["verify"] = _seconds(lambda: results.append(verify(recording)))
    took["changes"] = len(recording.changes)
    took["failed"] = results[0].count("fail")
    took["episodes"] = len(results[0].episodes)
    took["rss_mb"] = _peak_rss_mb()
    return took


def _peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM (Linux; ru_maxrss would carry the forking parent's peak
    across exec), else ru_maxrss."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(mode: str, path: Path) -> dict[str, float]:
    """Run one measurement in a fresh interpreter; its figures come back as JSON."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.verify", f"--{mode}", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


def _build(pods: int, folder: Path) -> Path:
    path = folder / f"verify-{pods}.db"
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        started = time.perf_counter()
        build_session(partial, pods=pods)
        partial.rename(path)
        print(f"  built {pods:,} pods in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pods", type=int, nargs="*", help=f"session sizes (default {SIZES})")
    parser.add_argument("--keep", type=Path, help="build the sessions here and reuse them")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure or args.floor:
        print(json.dumps(_measure(args.measure) if args.measure else _floor(args.floor)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        _report([(pods, _build(pods, folder)) for pods in args.pods or SIZES])


def _report(sessions: list[tuple[int, Path]]) -> None:
    print(
        f"{'pods':>8} {'changes':>10} {'floor s':>8} {'load s':>8} {'load/floor':>10} "
        f"{'lifecycles s':>12} {'verify s':>9} {'us/change':>9} {'peak RSS':>9} {'x smallest':>10}"
    )
    first: float | None = None
    for pods, path in sessions:
        floor = _child("floor", path)["floor"]
        m = _child("measure", path)
        per = m["verify"] / m["changes"] * 1e6
        first = first or per
        print(
            f"{pods:>8,} {int(m['changes']):>10,} {floor:>8.2f} {m['load']:>8.2f} "
            f"{floor / m['load']:>9.0%} {m['lifecycles']:>12.2f} {m['verify']:>9.2f} "
            f"{per:>9.1f} {m['rss_mb']:>6,.0f} MB {per / first:>9.2f}x"
            f"   ({int(m['episodes'])} episodes, {int(m['failed'])} failed verdicts)"
        )
    print(
        "load/floor: the floor's time over load's (>= 50% wanted); x smallest: verify time per "
        "change over the smallest session's (<= 1.3x wanted: linear)"
    )


if __name__ == "__main__":
    main()
