"""Summary lanes: how many pods (or claims) were in each state over time, as stacked counts.

A thousand lanes cannot be read at a glance; their sum can. Each summary samples the lanes'
segments at evenly spaced moments (one per pixel column of the plot), counting with two sorted
lists per state, so its cost grows with the number of segments, not with segments × columns.
"""

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from stswatch.reports.timeline.model import Lane, State

POD_STACK: tuple[tuple[str, tuple[State, ...]], ...] = (
    ("Pending", (State.PENDING, State.SCHEDULED)),
    ("Running, not Ready", (State.RUNNING,)),
    ("Ready", (State.READY,)),
    ("Terminating", (State.TERMINATING,)),
    ("Failed/Succeeded", (State.FINISHED,)),
)
CLAIM_STACK: tuple[tuple[str, tuple[State, ...]], ...] = (
    ("Pending", (State.CLAIM_PENDING,)),
    ("Bound", (State.BOUND,)),
    ("Lost", (State.CLAIM_LOST,)),
    ("Terminating", (State.TERMINATING,)),
)


@dataclass(frozen=True)
class Layer:
    """One state group of a summary: its count at each sample."""

    label: str
    state: State  # the state whose colour draws the layer
    counts: tuple[int, ...]

    @property
    def peak(self) -> int:
        """The most lanes in this state at one sample."""
        return max(self.counts, default=0)


@dataclass(frozen=True)
class Summary:
    """Stacked counts of one kind of lane, sampled at `times` (bottom layer first)."""

    title: str
    times: tuple[float, ...]
    layers: tuple[Layer, ...]

    @property
    def peak(self) -> int:
        """The most lanes counted at one sample, all states together."""
        totals = [
            sum(column) for column in zip(*(layer.counts for layer in self.layers), strict=True)
        ]
        return max(totals, default=0)


def summarise(
    lanes: Sequence[Lane],
    *,
    title: str,
    stack: tuple[tuple[str, tuple[State, ...]], ...],
    times: Sequence[float],
) -> Summary:
    """Count, at each of `times`, the lanes whose segment there is in each group of `stack`."""
    starts: dict[State, list[float]] = {}
    ends: dict[State, list[float]] = {}
    for lane in lanes:
        for seg in lane.segments:
            if seg.end > seg.start:
                starts.setdefault(seg.state, []).append(seg.start)
                ends.setdefault(seg.state, []).append(seg.end)
    for found in (*starts.values(), *ends.values()):
        found.sort()
    layers = []
    for label, states in stack:
        counts = tuple(
            sum(
                bisect_right(starts.get(s, ()), t) - bisect_right(ends.get(s, ()), t)
                for s in states
            )
            for t in times
        )
        layers.append(Layer(label=label, state=states[0], counts=counts))
    return Summary(title=title, times=tuple(times), layers=tuple(layers))
