"""The large-report path: summary lanes drawn in SVG, per-ordinal lanes handed to the script.

Above `VIRTUAL_LANES` pod lanes a lane per ordinal cannot be drawn whole (10,000 lanes of SVG
are tens of megabytes and seconds of layout), so the report draws the summaries (pods by state,
claims by status) and embeds every lane once as compact JSON; the script draws only the lanes
scrolled into view and filters them by ordinal range and name.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stswatch.reports.history import objects as o
from stswatch.reports.timeline.model import STATE_LABELS, HeldStretch, Lane, State, Timeline
from stswatch.reports.timeline.summary import CLAIM_STACK, POD_STACK, Summary, summarise

VIRTUAL_LANES = 200  # pod lanes above which the lanes are virtualised
SUMMARY_HEIGHT = 64.0
SUMMARY_GAP = 8.0
VIRTUAL_LANE_HEIGHT = 10.0
VIRTUAL_LANE_PITCH = 13.0
_STATES = tuple(State)
_STATE_INDEX = {state: i for i, state in enumerate(_STATES)}


def is_virtual(timeline: Timeline) -> bool:
    """Whether the report virtualises its lanes: more pod lanes than fit a readable page."""
    return sum(1 for lane in timeline.lanes if lane.kind == "pod") > VIRTUAL_LANES


@dataclass(frozen=True)
class SummaryArea:
    """A summary placed: a stacked step area per state group, with its y axis."""

    summary: Summary
    y: float
    height: float
    paths: tuple[tuple[str, str, str], ...]  # (state, path d, tooltip), bottom layer first
    peak: int


def summary_areas(
    timeline: Timeline, *, x: Callable[[float], float], left: float, width: float, y: float
) -> tuple[tuple[SummaryArea, ...], float]:
    """The pods-by-state and claims-by-status areas from `y` down, and the y below them."""
    columns = int(width)
    span = max(timeline.duration, 1e-9)
    times = [(i + 0.5) * span / columns for i in range(columns)]
    areas = []
    for kind, title, stack in (
        ("pod", "Pods by state", POD_STACK),
        ("pvc", "Claims by status", CLAIM_STACK),
    ):
        lanes = [lane for lane in timeline.lanes if lane.kind == kind]
        if not lanes:
            continue
        summary = summarise(lanes, title=title, stack=stack, times=times)
        areas.append(_area(summary, y=y, x0=x(0.0), step=width / columns))
        y += SUMMARY_HEIGHT + SUMMARY_GAP
    return tuple(areas), y


def _area(summary: Summary, *, y: float, x0: float, step: float) -> SummaryArea:
    peak = max(summary.peak, 1)
    inner = SUMMARY_HEIGHT - 4

    def vy(count: int) -> float:
        return round(y + 2 + inner - count / peak * inner, 1)

    below = [0] * len(summary.times)
    paths = []
    for layer in summary.layers:
        if not any(layer.counts):
            continue
        above = [b + c for b, c in zip(below, layer.counts, strict=True)]
        paths.append(
            (
                layer.state.value,
                _band_path(below, above, vy=vy, x0=x0, step=step),
                f"{summary.title}: {layer.label}, at most {layer.peak}",
            )
        )
        below = above
    return SummaryArea(summary, y, SUMMARY_HEIGHT, tuple(paths), peak)


def _band_path(
    below: list[int], above: list[int], *, vy: Callable[[int], float], x0: float, step: float
) -> str:
    """A closed step outline: along the top of the layer left to right, back along its bottom."""
    right = round(x0 + step * len(above), 1)
    top = [f"M{x0} {vy(above[0])}"]
    top += [f"H{round(x0 + i * step, 1)}V{vy(v)}" for i, v in enumerate(above) if i]
    bottom = [f"H{right}V{vy(below[-1])}"]
    bottom += [
        f"H{round(x0 + (i + 1) * step, 1)}V{vy(below[i])}" for i in range(len(below) - 2, -1, -1)
    ]
    return "".join(top + bottom) + f"H{x0}Z"


def lane_data(timeline: Timeline, holds: tuple[HeldStretch, ...]) -> dict[str, Any]:
    """Every lane once, compact, for the script to draw the ones in view.

    A lane is `[key, kind, name, ordinal, incarnations, uids, segments, warnings]`; a segment is
    seven numbers `state, start, end, change id, uid index, note index, open end` (indexes into
    `states`, the lane's `uids` and `notes`); a warning is `[t, change id, tooltip]`.
    """
    notes: dict[str, int] = {"": 0}
    return {
        "height": VIRTUAL_LANE_HEIGHT,
        "pitch": VIRTUAL_LANE_PITCH,
        "states": [s.value for s in _STATES],
        "labels": [STATE_LABELS[s] for s in _STATES],
        "lanes": [_lane(lane, notes) for lane in timeline.lanes],
        "notes": list(notes),
        "held": [[f"pod/{h.pod}", h.start, h.end] for h in holds],
    }


def _lane(lane: Lane, notes: dict[str, int]) -> list[Any]:
    uids: dict[str, int] = {}
    segments: list[Any] = []
    for seg in lane.segments:
        uid, note = seg.uid, seg.note
        if uid not in uids:
            uids[uid] = len(uids)
        if note not in notes:
            notes[note] = len(notes)
        segments += (
            _STATE_INDEX[seg.state],
            seg.start,
            seg.end,
            seg.change_id,
            uids[uid],
            notes[note],
            1 if seg.open_end else 0,
        )
    warnings = [[e.t, e.change_id, e.title] for e in lane.events if e.type == "Warning"]
    ordinal = lane.ordinal
    if ordinal is None:
        parsed = o.parse_ordinal(lane.name)
        ordinal = parsed[1] if parsed else None
    return [lane.key, lane.kind, lane.name, ordinal, lane.incarnations, list(uids), segments,
            warnings]  # fmt: skip
