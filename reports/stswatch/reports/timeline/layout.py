"""Pixel geometry for drawing a `Timeline` as SVG: where each lane, segment and step goes.

Kept apart from the template so the template only places what is computed here, and so two
timelines (a comparison) can share one `Scale`.
"""

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from itertools import groupby

from stswatch.reports.timeline.model import (
    STATE_LABELS,
    Band,
    EventMarker,
    HeldStretch,
    Lane,
    MarkLine,
    Series,
    State,
    Timeline,
)
from stswatch.reports.timeline.virtual import SummaryArea, is_virtual, summary_areas

LABEL_WIDTH = 170.0
PLOT_WIDTH = 1000.0
RIGHT_MARGIN = 16.0
AXIS_HEIGHT = 24.0
BAND_ROW_HEIGHT = 18.0
CHART_HEIGHT = 96.0
SECTION_TITLE_HEIGHT = 20.0
MAX_STEP_DOTS = 400
CHART_LANE = "statefulset"  # the chart's key among lanes, for click-to-nearest
_NICE_STEPS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600)
_TARGET_TICKS = 10
SERIES_CLASSES = {
    "spec.replicas": "sr-desired",
    "status.replicas": "sr-replicas",
    "status.readyReplicas": "sr-ready",
}


@dataclass(frozen=True)
class Scale:
    """Seconds to x pixels; `offset` shifts a timeline so comparisons line up."""

    t_min: float
    t_max: float
    left: float = LABEL_WIDTH
    width: float = PLOT_WIDTH

    @cached_property
    def px_per_s(self) -> float:
        """Pixels per second of recording (found once: every drawn moment asks)."""
        return self.width / max(self.t_max - self.t_min, 1e-9)

    def x(self, t: float, *, offset: float = 0.0) -> float:
        """The x pixel of session time `t` (shifted by `offset` seconds)."""
        return _tenths(self.left + (t - offset - self.t_min) * self.px_per_s)

    def w(self, start: float, end: float) -> float:
        """Width in pixels of the span start..end, at least one pixel so it stays clickable."""
        return _tenths(max((end - start) * self.px_per_s, 1.0))

    def ticks(self) -> tuple[tuple[float, str], ...]:
        """About ten round tick positions over the scale, labelled in seconds."""
        span = max(self.t_max - self.t_min, 1e-9)
        step = next((s for s in _NICE_STEPS if span / s <= _TARGET_TICKS), _NICE_STEPS[-1])
        first = math.ceil(self.t_min / step) * step
        count = int((self.t_max - first) / step + 1e-9) + 1
        return tuple(
            (self.x(first + i * step), _seconds_label(first + i * step)) for i in range(count)
        )


@dataclass(frozen=True)
class Place:
    """A scale and a timeline's offset on it: session seconds to pixels."""

    scale: Scale
    offset: float

    def x(self, t: float) -> float:
        """The x pixel of session time `t` (`Scale.x`'s arithmetic, without its call: a 10,000-pod
        session's counts chart places 56,000 steps)."""
        scale = self.scale
        return _tenths(scale.left + (t - self.offset - scale.t_min) * scale.px_per_s)

    def xs(self, times: Iterable[float]) -> list[float]:
        """The x pixel of each of `times`, as `x` finds it, in one comprehension (no call a
        time: a count series of a 10,000-pod session has 20,000 steps)."""
        scale, floor = self.scale, math.floor
        left, offset, t_min, px_per_s = scale.left, self.offset, scale.t_min, scale.px_per_s
        return [floor((left + (t - offset - t_min) * px_per_s) * 10 + 0.5) / 10 for t in times]


def _tenths(value: float) -> float:
    """`value` to a tenth of a pixel (SVG needs no more), faster than round() in hot loops."""
    return math.floor(value * 10 + 0.5) / 10


def _seconds_label(t: float) -> str:
    rounded = round(t, 1)
    return f"{rounded:g}s"


@dataclass(frozen=True)
class Box:
    """A segment placed on its lane, with its tooltip and the label that fits inside it."""

    x: float
    w: float
    state: str
    change_id: int
    title: str
    text: str
    birth: bool  # the first segment of an incarnation: drawn with a dark edge
    open_end: bool


@dataclass(frozen=True)
class Marker:
    """An Event diamond placed at its moment."""

    d: str
    warning: bool
    change_id: int
    title: str


@dataclass(frozen=True)
class LaneRow:
    """A lane at its vertical position, its segments and markers placed."""

    lane: Lane
    y: float
    height: float
    boxes: tuple[Box, ...]
    markers: tuple[Marker, ...]
    ticks: str  # one path: a short tick per recorded change


@dataclass(frozen=True)
class HeldBox:
    """A held stretch placed: a tab on the episode row, an outline on the holding pod's lane."""

    held: HeldStretch
    x: float
    w: float
    lane: tuple[float, float] | None  # (y, height) of the pod's lane, when it is drawn


@dataclass(frozen=True)
class SectionTitle:
    """A heading row above a group of lanes."""

    title: str
    y: float


@dataclass(frozen=True)
class SeriesPath:
    """A count drawn as a step line."""

    name: str
    css: str
    d: str
    last_value: int


@dataclass(frozen=True)
class Chart:
    """The StatefulSet counts area."""

    y: float
    height: float
    max_value: int
    paths: tuple[SeriesPath, ...]
    y_ticks: tuple[tuple[float, int], ...]
    markers: tuple[Marker, ...]
    # (x, y, change id, tooltip) per step; left out when too many to tell apart (a click on
    # the chart still finds the nearest step through `moments`)
    dots: tuple[tuple[float, float, int, str], ...]
    moments: tuple[tuple[float, int], ...]


@dataclass(frozen=True)
class Drawing:
    """Everything the SVG template needs for one timeline."""

    timeline: Timeline
    scale: Scale
    offset: float
    width: float
    height: float
    plot_top: float
    plot_bottom: float
    chart: Chart | None
    titles: tuple[SectionTitle, ...]
    rows: tuple[LaneRow, ...]
    bands: tuple[tuple[Band, str], ...]  # with the label that fits before the next band's
    gaps: tuple[tuple[Band, float, float], ...]  # (gap, y, height): hatched over its kind's area
    flags: tuple[tuple[MarkLine, float, float], ...]  # (mark, x, y of its numbered flag)
    held: tuple[HeldBox, ...] = ()
    summaries: tuple[SummaryArea, ...] = ()  # the large-report path: counts instead of lanes
    virtual: bool = False  # the lanes are drawn by the script, only those in view

    def x(self, t: float) -> float:
        """The x pixel of session time `t` in this drawing."""
        return self.scale.x(t, offset=self.offset)

    def w(self, start: float, end: float) -> float:
        """Pixel width of a span."""
        return self.scale.w(start, end)


def default_scale(timeline: Timeline) -> Scale:
    """A scale covering the whole recording (and any change listed before its start)."""
    t_min = min([0.0, *timeline.changes.column("t")])
    return Scale(t_min=t_min, t_max=max(timeline.duration, t_min + 1.0))


def lane_height(lane_count: int) -> float:
    """Lanes get thinner as there are more of them, so a 1,000-pod session stays scrollable."""
    if lane_count <= 60:
        return 18.0
    if lane_count <= 300:
        return 10.0
    return 6.0


def layout(
    timeline: Timeline,
    *,
    scale: Scale | None = None,
    offset: float = 0.0,
    lanes: bool | None = None,
) -> Drawing:
    """Place a timeline: axis, episode row, counts chart, pod lanes, then PVC lanes.

    Above `VIRTUAL_LANES` pods (or with `lanes=False`) the lanes are not placed: summary areas
    take their place and the script draws the lanes in view (`stswatch.reports.timeline.virtual`).
    """
    scale = scale or default_scale(timeline)
    y = AXIS_HEIGHT + BAND_ROW_HEIGHT
    plot_top = AXIS_HEIGHT
    chart = None
    if any(s.steps for s in timeline.series):
        chart = _chart(timeline, place=Place(scale, offset), y=y)
        y += CHART_HEIGHT + 6
    titles: list[SectionTitle] = []
    rows: list[LaneRow] = []
    areas: dict[str, tuple[float, float]] = {}
    summaries: tuple[SummaryArea, ...] = ()
    virtual = is_virtual(timeline) if lanes is None else not lanes
    if virtual:
        summaries, y = summary_areas(
            timeline, x=Place(scale, offset).x, left=scale.left, width=scale.width, y=y
        )
    else:
        y = _lane_rows(timeline, place=Place(scale, offset), y=y, out=(titles, rows, areas))
    if chart is not None:
        areas["statefulset"] = (chart.y, chart.height)
    flags, depth = _mark_flags(timeline.marks, place=Place(scale, offset), y=y + 2)
    plot_bottom = y + 4 + depth * FLAG_ROW_HEIGHT
    whole = (plot_top, plot_bottom - plot_top)
    gaps = tuple((gap, *areas.get(_GAP_AREAS.get(gap.kind, ""), whole)) for gap in timeline.gaps)
    return Drawing(
        timeline=timeline,
        scale=scale,
        offset=offset,
        width=scale.left + scale.width + RIGHT_MARGIN,
        height=plot_bottom + AXIS_HEIGHT,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        chart=chart,
        titles=tuple(titles),
        rows=tuple(rows),
        bands=_band_labels(timeline.episodes, scale=scale, offset=offset),
        gaps=gaps,
        flags=flags,
        held=_held_boxes(timeline.episodes, place=Place(scale, offset), rows=rows),
        summaries=summaries,
        virtual=virtual,
    )


def _lane_rows(
    timeline: Timeline,
    *,
    place: Place,
    y: float,
    out: tuple[list[SectionTitle], list[LaneRow], dict[str, tuple[float, float]]],
) -> float:
    """A row per lane, pods then claims, each group under its title; the y below them."""
    titles, rows, areas = out
    height = lane_height(len(timeline.lanes))
    pitch = height + max(2.0, round(height / 4))
    for kind, title in (("pod", "Pods (one lane per ordinal)"), ("pvc", "PersistentVolumeClaims")):
        lanes = [lane for lane in timeline.lanes if lane.kind == kind]
        if not lanes:
            continue
        titles.append(SectionTitle(title=title, y=y + 14))
        y += SECTION_TITLE_HEIGHT
        top = y
        for lane in lanes:
            rows.append(_lane_row(lane, place=place, y=y, height=height))
            y += pitch
        areas[kind] = (top, y - top)
    return y


def _held_boxes(
    bands: tuple[Band, ...], *, place: Place, rows: list[LaneRow]
) -> tuple[HeldBox, ...]:
    lanes = {row.lane.key: (row.y, row.height) for row in rows}
    return tuple(
        HeldBox(
            held=h,
            x=place.x(h.start),
            w=place.scale.w(h.start, h.end),
            lane=lanes.get(f"pod/{h.pod}"),
        )
        for band in bands
        for h in band.holds
    )


def _band_labels(
    bands: tuple[Band, ...], *, scale: Scale, offset: float
) -> tuple[tuple[Band, str], ...]:
    """Each band's label, cut to the room left before the next band's label starts.

    Bands that start at the same pixel leave the room to the last of them, so two labels never
    overprint; the others keep their name in the band's tooltip.
    """
    if not bands:
        return ()
    xs = [scale.x(b.start, offset=offset) for b in bands]
    order = sorted(range(len(bands)), key=lambda i: xs[i])
    ends = [xs[j] for j in order[1:]] + [scale.left + scale.width]
    room = {i: end - xs[i] for i, end in zip(order, ends, strict=True)}
    labelled = []
    for i, band in enumerate(bands):
        chars = int(room[i] / _LABEL_CHAR_PX)
        name = band.label if len(band.label) <= chars else band.label[: max(chars - 1, 0)] + "…"
        labelled.append((band, name if chars >= 2 else ""))
    return tuple(labelled)


def _mark_flags(
    marks: tuple[MarkLine, ...], *, place: Place, y: float
) -> tuple[tuple[tuple[MarkLine, float, float], ...], int]:
    """A numbered flag per mark, stacked up to three deep where marks crowd; and the depth."""
    flags: list[tuple[MarkLine, float, float]] = []
    last_x = [-1e9] * _FLAG_LEVELS
    depth = 0
    for mark in marks:
        x = place.x(mark.t)
        level = next((i for i, seen in enumerate(last_x) if x - seen >= 16), _FLAG_LEVELS - 1)
        last_x[level] = x
        depth = max(depth, level + 1)
        flags.append((mark, x, y + 8 + level * FLAG_ROW_HEIGHT))
    return tuple(flags), depth


_FLAG_LEVELS = 3
FLAG_ROW_HEIGHT = 14.0
_LABEL_CHAR_PX = 6.6
_TEXT_MIN_HEIGHT = 14
_GAP_AREAS = {"Pod": "pod", "PersistentVolumeClaim": "pvc", "StatefulSet": "statefulset"}


def _chart(timeline: Timeline, *, place: Place, y: float) -> Chart:
    max_value = max([1, *(step.value for s in timeline.series for step in s.steps)])
    inner = CHART_HEIGHT - 14

    def vy(value: int) -> float:
        return round(y + 7 + inner - value / max_value * inner, 1)

    end_x = place.x(timeline.duration)
    paths = tuple(
        _series_path(s, place=place, vy=vy, end_x=end_x) for s in timeline.series if s.steps
    )
    tick_every = max(1, math.ceil(max_value / 4))
    steps = [(s, step) for s in timeline.series for step in s.steps]
    dots = (
        tuple(
            (
                place.x(step.t),
                vy(step.value),
                step.change_id,
                f"{s.name} = {step.value} at {step.t:.2f}s",
            )
            for s, step in steps
        )
        if len(steps) <= MAX_STEP_DOTS
        else ()
    )
    events = timeline.statefulset_events
    # Sorted as runs (each series and the Events are in time order, or nearly), then each
    # moment once: a set's order would leave the sort a shuffle of 90,000 at 10,000 pods.
    found = [(step.t, step.change_id) for _, step in steps]
    found += [(e.t, e.change_id) for e in events]
    found.sort()
    moments = [moment for moment, _ in groupby(found)]
    return Chart(
        y=y,
        height=CHART_HEIGHT,
        max_value=max_value,
        paths=paths,
        y_ticks=tuple((vy(v), v) for v in range(0, max_value + 1, tick_every)),
        markers=tuple(
            event_marker(e, x=place.x(e.t), y=y + CHART_HEIGHT - 12, size=5)
            for e in events
            # Past MAX_STEP_DOTS only Warnings, as on thin lanes: 38,000 routine SuccessfulCreate
            # diamonds of a 10,000-pod session were 9 MB and hid the counts.
            if len(events) <= MAX_STEP_DOTS or e.type == "Warning"
        ),
        dots=dots,
        moments=tuple(moments),
    )


def _series_path(
    series: Series, *, place: Place, vy: Callable[[int], float], end_x: float
) -> SeriesPath:
    steps = series.steps
    xs = place.xs([step.t for step in steps])
    # Each distinct count's height once: a step's is one lookup, not a call of vy and round.
    heights = {value: vy(value) for value in {step.value for step in steps}}
    parts = [f"M{xs[0]} {heights[steps[0].value]}"]
    parts += [f"H{x}V{heights[step.value]}" for x, step in zip(xs[1:], steps[1:], strict=True)]
    parts.append(f"H{end_x}")
    return SeriesPath(
        name=series.name,
        css=SERIES_CLASSES.get(series.name, "sr-other"),
        d="".join(parts),
        last_value=series.steps[-1].value,
    )


def _lane_row(lane: Lane, *, place: Place, y: float, height: float) -> LaneRow:
    boxes = []
    previous_uid = ""
    for seg in lane.segments:
        x, w = place.x(seg.start), place.scale.w(seg.start, seg.end)
        label = STATE_LABELS.get(seg.state, seg.state)
        text = seg.note if seg.state == State.BOUND and seg.note else label
        fits = height >= _TEXT_MIN_HEIGHT and w > len(text) * _LABEL_CHAR_PX + 8
        still = " (still, when the recording ended)" if seg.open_end else ""
        note = f" ({seg.note})" if seg.note else ""
        boxes.append(
            Box(
                x=x,
                w=w,
                state=seg.state.value,
                change_id=seg.change_id,
                title=f"{lane.name}: {label}{note}, {seg.start:.2f}s → {seg.end:.2f}s{still}"
                f" · uid {seg.uid} · change #{seg.change_id}",
                text=text if fits else "",
                birth=seg.uid != previous_uid,
                open_end=seg.open_end,
            )
        )
        previous_uid = seg.uid
    size = min(height / 2 + 1, 6.0)
    return LaneRow(
        lane=lane,
        y=y,
        height=height,
        boxes=tuple(boxes),
        markers=tuple(
            event_marker(ev, x=place.x(ev.t), y=y - 2, size=size)
            for ev in lane.events
            # Thin lanes show only Warnings: a thousand routine Scheduled diamonds would hide the
            # segments. Every Event stays one click away (a click finds the nearest change).
            if height >= _TEXT_MIN_HEIGHT or ev.type == "Warning"
        ),
        ticks="".join(f"M{place.x(t)} {y + height}v-3" for t, _ in lane.moments),
    )


def event_marker(event: EventMarker, *, x: float, y: float, size: float) -> Marker:
    """A diamond for an Event, its tooltip giving the reason and message."""
    s = round(size, 1)
    return Marker(
        d=f"M{x} {y}l{s} {s}l-{s} {s}l-{s} -{s}z",
        warning=event.type == "Warning",
        change_id=event.change_id,
        title=event.title,
    )
