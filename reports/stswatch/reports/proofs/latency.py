"""Per-episode pod start-up latency from the recorder's receive times (finer than the API's).

Phases follow kube-burner's pod latency: created → scheduled → running → ready, and created →
ready end to end, each summarised as P50 / P95 / P99 / max in milliseconds (nearest-rank). A phase
whose start or end was seen only by a relist (after a recorder gap), or delivered late by the watch
(`delivery.late_deliveries`), is left out: its receive time is the relist's or the late burst's,
not when the pod got there.
"""

import math
from collections.abc import Callable, Iterable, Sequence

from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.proofs.verdict import PhaseLatency

PHASES = (
    ("created", "scheduled"),
    ("scheduled", "running"),
    ("running", "ready"),
    ("created", "ready"),
)


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    index = max(0, math.ceil(fraction * len(sorted_values)) - 1)
    return sorted_values[index]


def phase_latency(
    pods: Iterable[PodIncarnation], untimely: Callable[[int], bool] = lambda _: False
) -> tuple[PhaseLatency, ...]:
    """Latency of each phase over the pods that went through both of its ends, but those with
    an end whose change (by id) `untimely` says was received later than it happened."""
    pods = list(pods)
    found = []
    for start, stop in PHASES:
        values = sorted(_durations(pods, start, stop, untimely))
        if values:
            found.append(
                PhaseLatency(
                    phase=f"{start}→{stop}",
                    count=len(values),
                    p50_ms=percentile(values, 0.50),
                    p95_ms=percentile(values, 0.95),
                    p99_ms=percentile(values, 0.99),
                    max_ms=values[-1],
                )
            )
    return tuple(found)


def _durations(
    pods: list[PodIncarnation], start: str, stop: str, untimely: Callable[[int], bool]
) -> list[float]:
    values = []
    for pod in pods:
        begin, end = pod.first(start), pod.first(stop)
        if begin is None or end is None:
            continue
        if not untimely(end.change_id) and not untimely(begin.change_id):
            values.append((end.received_wall_ns - begin.received_wall_ns) / 1e6)
    return values
