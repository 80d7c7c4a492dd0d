"""Benchmark: `verify` on a synthetic 1,000-pod session (~20k changes). Prints; never asserts.

Baseline, measured in the same run: loading the session from SQLite (the floor every reader
pays). Target for verify itself: under 2 s.
"""

import argparse
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from stswatch.reports.history.lifecycles import build_lifecycles
from stswatch.reports.proofs.verify import verify
from stswatch.reports.recording import load_recording
from tests.fixtures.builder import ClusterBuilder

PODS = 1_000
SLICE = 100  # endpoints per EndpointSlice: the EndpointSlice controller's maxEndpointsPerSlice


def build_session(path: Path, *, pods: int) -> None:
    """Scale-up 0→pods, a rolling update of every pod, pods/10 recreations, scale-down to half."""
    b = ClusterBuilder(step_ms=5)
    b.service("web-headless")
    b.statefulset("web", replicas=pods)
    for ordinal in range(pods):
        b.set_status("web", replicas=ordinal + 1, readyReplicas=ordinal)
        b.bring_up("web", ordinal)
        b.set_status("web", readyReplicas=ordinal + 1)
        if ordinal % SLICE == SLICE - 1:
            _publish(b, pods=pods, blocks=[ordinal // SLICE])
    b.set_spec("web", image="nginx:2")
    b.set_status("web", observedGeneration=2, updateRevision="web-rev2")
    for ordinal in reversed(range(pods)):
        b.take_down("web", ordinal)
        b.set_status("web", readyReplicas=pods - 1, currentReplicas=ordinal)
        b.bring_up("web", ordinal)
        b.set_status("web", readyReplicas=pods)
        b.set_status("web", updatedReplicas=pods - ordinal)
    _publish(b, pods=pods)
    for ordinal in range(0, pods, 10):
        b.take_down("web", ordinal)
        b.set_status("web", readyReplicas=pods - 1)
        b.bring_up("web", ordinal)
        b.set_status("web", readyReplicas=pods)
    _publish(b, pods=pods)
    b.set_spec("web", replicas=pods // 2)
    for ordinal in reversed(range(pods // 2, pods)):
        b.terminate(f"web-{ordinal}")
        b.set_status("web", readyReplicas=ordinal)
        b.remove(f"web-{ordinal}")
        b.set_status("web", replicas=ordinal)
    b.save(path)


def _publish(b: ClusterBuilder, *, pods: int, blocks: Iterable[int] | None = None) -> None:
    """The headless Service's EndpointSlices, SLICE endpoints each (the controller's default)."""
    for block in range(-(-pods // SLICE)) if blocks is None else blocks:
        names = [f"web-{o}" for o in range(block * SLICE, min(pods, (block + 1) * SLICE))]
        b.endpoints("web-headless", pods=names, slice_name=f"web-headless-{block}")


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
        _timed("load_recording (baseline)", n, lambda: load_recording(path, "s1"))
        _timed("build_lifecycles", n, lambda: build_lifecycles(recording))
        took = _timed("verify (lifecycles+proofs)", n, lambda: verify(recording))
        result = verify(recording)
        print(
            f"episodes {len(result.episodes)}, verdicts {len(result.verdicts)}, "
            f"failed {result.count('fail')}; target < 2 s: {'met' if took < 2 else 'missed'}"
        )


if __name__ == "__main__":
    main()
