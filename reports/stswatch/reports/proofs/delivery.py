"""Changes the watch delivered late: a recorder stalled (paused, starved of CPU, its connection
slow) receives seconds of the cluster's changes in one burst, with no gap to record.

The recording's clock is its receive time; a change received late is timed late, and a hold it
ends, or a latency it closes, is told too long. The one stamp that says so is the API server's
own: a pod's `metadata.creationTimestamp` is written when the pod is stored, the moment its
watch event is made, so its lag behind the receive time is the delivery's (plus the stamp's cut
to the second and any skew between the API server's clock and the recorder's, the same for
every pod). A creation whose lag exceeds the set's usual lag by more than LATE_NS was delivered
late, and every change received in the same burst may have been too. A kubelet's stamps (a Ready
condition's lastTransitionTime) cannot tell it: a kubelet may write its status seconds after it
stamps it, and the controller too sees the turn only then.
"""

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from stswatch.reports.history.lifecycles import PodIncarnation
from stswatch.reports.history.objects import parse_time

# Lag beyond the set's median creation lag (ns) that makes a delivery late: the stamp's second
# and a busy API server's fan-out stay well inside it.
LATE_NS = 2 * 10**9
# A change received this close to a late creation (ns, either side) came in the same burst.
BURST_NS = 250 * 10**6


@dataclass(frozen=True)
class LateCreation:
    """A pod creation the watch delivered `late_ns` after its creationTimestamp."""

    pod: PodIncarnation
    late_ns: int


@dataclass(frozen=True)
class LateDeliveries:
    """The set's late-delivered creations, by receive time (ns)."""

    walls: tuple[int, ...] = ()
    creations: tuple[LateCreation, ...] = ()

    def near(self, wall_ns: int) -> LateCreation | None:
        """The late creation received within BURST_NS of `wall_ns` (the nearest), or None."""
        at = bisect.bisect_left(self.walls, wall_ns - BURST_NS)
        found = None
        while at < len(self.walls) and self.walls[at] <= wall_ns + BURST_NS:
            best = found is None or abs(self.walls[at] - wall_ns) < abs(
                found.pod.created.received_wall_ns - wall_ns
            )
            if best:
                found = self.creations[at]
            at += 1
        return found


def late_deliveries(created: Sequence[PodIncarnation]) -> LateDeliveries:
    """The creations among `created` (pods a watch saw created; a relist's are a gap's) whose
    receive time lags their creationTimestamp by LATE_NS more than the median lag of them all.
    Fewer than three creations give no median to trust: none is late."""
    lags = []
    for pod in created:
        created_at = pod.created
        stamp = parse_time(created_at.api_time)
        if created_at.detail == "watch" and stamp is not None:
            lags.append((created_at.received_wall_ns - int(stamp * 1e9), pod))
    if len(lags) < 3:
        return LateDeliveries()
    usual = median(lag for lag, _ in lags)
    late = sorted(
        (
            (pod.created.received_wall_ns, LateCreation(pod, lag))
            for lag, pod in lags
            if lag - usual > LATE_NS
        ),
        key=lambda item: item[0],
    )
    return LateDeliveries(tuple(w for w, _ in late), tuple(c for _, c in late))
