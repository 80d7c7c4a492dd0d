"""Two sessions side by side (typically OrderedReady against Parallel), aligned at first scale-up.

The figures are read off the timelines alone, so they mean the same for any pair of recordings:

- time to all Ready: from the first scale-up (spec.replicas raised) until status.readyReplicas
  first reaches the new spec.replicas;
- burst width: the most pods that were at once created but not yet Ready during that scale-up,
  until all were Ready (1 under OrderedReady; up to the whole step under Parallel);
- creation spacing: the median (and largest) time between consecutive pod creations in it;
- scale-down duration: from the first scale-down (spec.replicas lowered) until status.replicas
  first reaches the new spec.replicas, that is until the condemned pods were gone.
"""

import statistics
from dataclasses import dataclass, replace
from itertools import pairwise

from stswatch.reports.timeline.layout import Drawing, Scale, default_scale, layout
from stswatch.reports.timeline.model import Segment, Series, State, Step, Timeline

_NOT_READY = (State.PENDING, State.SCHEDULED, State.RUNNING)


@dataclass(frozen=True)
class Window:
    """A spec.replicas change and how long it lasted (until the next one, or the end)."""

    start: float
    end: float
    from_replicas: int
    to_replicas: int


@dataclass(frozen=True)
class Figures:
    """The comparison's numbers for one session; None when the session has no such episode."""

    scale_up: Window | None
    time_to_all_ready: float | None
    burst_width: int | None
    creation_spacing_median: float | None
    creation_spacing_max: float | None
    scale_down: Window | None
    scale_down_duration: float | None


@dataclass(frozen=True)
class Comparison:
    """Two timelines on one time scale, each shifted so its first scale-up is at 0."""

    a: Drawing
    b: Drawing
    figures_a: Figures
    figures_b: Figures


def compare(a: Timeline, b: Timeline) -> Comparison:
    """Align two timelines at their first scale-up and compute their figures."""
    figures_a, figures_b = figures(a), figures(b)
    offset_a = figures_a.scale_up.start if figures_a.scale_up else 0.0
    offset_b = figures_b.scale_up.start if figures_b.scale_up else 0.0
    own_a, own_b = default_scale(a), default_scale(b)
    scale = Scale(
        t_min=min(own_a.t_min - offset_a, own_b.t_min - offset_b),
        t_max=max(own_a.t_max - offset_a, own_b.t_max - offset_b),
    )
    return Comparison(
        a=layout(a, scale=scale, offset=offset_a, lanes=True),
        b=layout(b, scale=scale, offset=offset_b, lanes=True),
        figures_a=figures_a,
        figures_b=figures_b,
    )


def figures(timeline: Timeline) -> Figures:
    """Time to all Ready, burst width, creation spacing and scale-down duration."""
    up = _first_window(timeline, rising=True)
    down = _first_window(timeline, rising=False)
    to_ready = _reached(timeline.series_named("status.readyReplicas"), up)
    # Creations after the set reached its goal (a pod deleted later) are not the scale-up's.
    settled = up
    if up is not None and to_ready is not None:
        settled = replace(up, end=up.start + to_ready)
    created = sorted(_creations(timeline, settled)) if settled else []
    spacing = [later - earlier for earlier, later in pairwise(created)]
    return Figures(
        scale_up=up,
        time_to_all_ready=to_ready,
        burst_width=_burst_width(timeline, settled) if settled else None,
        creation_spacing_median=statistics.median(spacing) if spacing else None,
        creation_spacing_max=max(spacing) if spacing else None,
        scale_down=down,
        scale_down_duration=_reached(timeline.series_named("status.replicas"), down),
    )


def _first_window(timeline: Timeline, *, rising: bool) -> Window | None:
    desired = timeline.series_named("spec.replicas")
    if desired is None:
        return None
    column = timeline.changes.column
    ids = column("id")
    listed = {i for i, seen in zip(ids, column("observed"), strict=True) if seen == "list"}
    # A StatefulSet deleted is no scale-down (its pods may even be orphaned, not removed).
    deleted = {
        i
        for i, kind, event in zip(ids, column("kind"), column("event"), strict=True)
        if kind == "StatefulSet" and event == "DELETED"
    }
    steps = desired.steps
    for index, step in enumerate(steps):
        before = steps[index - 1].value if index else 0
        if step.change_id in listed or step.change_id in deleted or step.value == before:
            continue
        if (step.value > before) == rising:
            end = steps[index + 1].t if index + 1 < len(steps) else timeline.duration
            return Window(step.t, end, before, step.value)
    return None


def _reached(series: Series | None, window: Window | None) -> float | None:
    if series is None or window is None:
        return None
    current: Step | None = None
    for step in series.steps:
        if step.t > window.end:
            break
        if step.t >= window.start:
            current = step
        if current is not None and _arrived(current.value, window):
            return current.t - window.start
    return None


def _arrived(value: int, window: Window) -> bool:
    if window.to_replicas >= window.from_replicas:
        return value >= window.to_replicas
    return value <= window.to_replicas


def _pod_segments(timeline: Timeline) -> list[Segment]:
    return [seg for lane in timeline.lanes if lane.kind == "pod" for seg in lane.segments]


def _creations(timeline: Timeline, window: Window) -> list[float]:
    first_seen: dict[str, float] = {}
    for seg in _pod_segments(timeline):
        first_seen[seg.uid] = min(seg.start, first_seen.get(seg.uid, seg.start))
    return [t for t in first_seen.values() if window.start <= t < window.end]


def _burst_width(timeline: Timeline, window: Window) -> int:
    edges: list[tuple[float, int]] = []
    for seg in _pod_segments(timeline):
        start, end = max(seg.start, window.start), min(seg.end, window.end)
        if seg.state in _NOT_READY and start < end:
            edges += [(start, 1), (end, -1)]
    width = best = 0
    for _, delta in sorted(edges):
        width += delta
        best = max(best, width)
    return best
